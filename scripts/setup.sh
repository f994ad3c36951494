#!/usr/bin/env bash
# Create .venv (if missing) and install the package with the given extras, pinned by constraints.txt.
# pip's own chatter goes to .venv/setup.log; it is shown only when the installation fails.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
log=.venv/setup.log
if ! { .venv/bin/python -m pip install --quiet --upgrade pip \
       && .venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras:+[$extras]}"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "setup: installing the package failed (full log: $log)" >&2
  exit 1
fi
echo "setup: .venv ready${extras:+ (with [$extras])}"
