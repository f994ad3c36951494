#!/usr/bin/env bash
# Fresh machine → the main job: a real `pulumi up` of the local stack, against the ECI emulator
# embedded in the provider process (no cloud account, no server), with a local file backend.
# A second run changes nothing, which the last step proves with `pulumi preview --expect-no-changes`.
# `scripts/main.sh local-native` runs the same program through the native plugin (pulumi-resource-eci).
set -euo pipefail
stack="${1:-local}"
case "$stack" in
  local | local-native) ;;
  *) echo "main: unknown stack '$stack': use local (the default) or local-native" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
step="setting up .venv"
trap 'status=$?; [ $status -eq 0 ] || echo "main: failed while $step (exit $status)" >&2' EXIT

bash scripts/setup.sh
step="building or locating the Pulumi CLI (scripts/install-pulumi.sh)"
bash scripts/install-pulumi.sh >/dev/null
# shellcheck source=scripts/pulumi-env.sh
source scripts/pulumi-env.sh
cd stacks
step="selecting the $stack stack"
pulumi stack select "$stack" --create --non-interactive >/dev/null
step="running pulumi up on the $stack stack"
pulumi up --yes --non-interactive --stack "$stack"
step="checking that a second run plans no changes"
pulumi preview --expect-no-changes --non-interactive --stack "$stack" >/dev/null
echo "main: a second pulumi preview plans no changes"
step="printing the stack outputs"
pulumi stack output --stack "$stack"
