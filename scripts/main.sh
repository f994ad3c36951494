#!/usr/bin/env bash
# Fresh machine → the main job: `pulumi up` of the local stack, against the ECI emulator that
# runs inside the provider process (no cloud account, no server), with a local file backend.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.pulumi/bin:$PATH"
if ! command -v pulumi >/dev/null 2>&1; then
  mkdir -p .pulumi-local
  if ! (curl -fsSL --max-time 120 https://get.pulumi.com | sh) >.pulumi-local/install.log 2>&1 \
      || ! command -v pulumi >/dev/null 2>&1; then
    echo "main: the Pulumi CLI is not installed and could not be downloaded here (see .pulumi-local/install.log); install it (https://www.pulumi.com/docs/install/) and run this again" >&2
    exit 3
  fi
fi
mkdir -p .pulumi-local/state
export PULUMI_BACKEND_URL="file://$PWD/.pulumi-local/state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-stack-only}"
export PULUMI_SKIP_UPDATE_CHECK=true
cd stacks
pulumi stack select local --create --non-interactive
pulumi up --yes --diff --non-interactive --stack local
pulumi stack output --stack local
