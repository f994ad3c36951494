#!/usr/bin/env bash
# Fresh machine → green: set up .venv with the test extra, build or locate the Pulumi CLI, lint,
# check generated files, and run the whole suite, the real-engine tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The real-engine tests (tests/test_engine_*.py) drive this CLI; a first build takes minutes.
ECI_PULUMI_BIN="$(bash scripts/install-pulumi.sh | tail -n1)"
export ECI_PULUMI_BIN
echo "test: Pulumi $("$ECI_PULUMI_BIN/pulumi" version) from $ECI_PULUMI_BIN"
paths=(eci_provider tests benchmarks stacks)
.venv/bin/ruff check "${paths[@]}"
.venv/bin/ruff format --check "${paths[@]}"
.venv/bin/python -m pytest "$@"
