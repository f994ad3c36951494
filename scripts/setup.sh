#!/usr/bin/env bash
# Create .venv (if missing) and install the package with the given extras, pinned by constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras:+[$extras]}"
