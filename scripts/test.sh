#!/usr/bin/env bash
# Fresh machine → green: set up .venv with the test extra, lint, check generated files, run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
paths=(eci_provider tests benchmarks stacks)
.venv/bin/ruff check "${paths[@]}"
.venv/bin/ruff format --check "${paths[@]}"
.venv/bin/python -m pytest "$@"
