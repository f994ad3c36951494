#!/usr/bin/env bash
# Fresh machine → the main job: validate the example spec and show the request it becomes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/eci-provider validate examples/*.json
.venv/bin/eci-provider encode examples/web-shop.json --region cn-hangzhou
