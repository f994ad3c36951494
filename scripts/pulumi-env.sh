# Source this file (bash or zsh) to run `pulumi` against this repository's local setup:
#   source scripts/pulumi-env.sh && cd stacks && pulumi preview --diff --stack local
# It puts the CLI from scripts/install-pulumi.sh on PATH and keeps the engine off the network:
# state in a file backend under .pulumi-local/, no update check, no plugin downloads.
_eci_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_eci_bin="$(bash "$_eci_root/scripts/install-pulumi.sh" 2>/dev/null | tail -n1)" || {
  echo "pulumi-env: no Pulumi CLI; run bash scripts/install-pulumi.sh to see why" >&2
  return 1 2>/dev/null || exit 1
}
export PATH="$_eci_bin:$PATH"
export PULUMI_HOME="$_eci_root/.pulumi-local/home"
export PULUMI_BACKEND_URL="file://$_eci_root/.pulumi-local/state"
# The local stack holds no real secret; its passphrase is not one either.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-stack-only}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$_eci_root/.pulumi-local/state" "$PULUMI_HOME"
unset _eci_root _eci_bin
