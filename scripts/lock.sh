#!/usr/bin/env bash
# Refresh uv.lock after a change to the dependencies in pyproject.toml, then install it.
# Versions already locked are kept where they still fit; to move everything to the newest
# versions pyproject.toml allows: bash scripts/lock.sh --upgrade (or --upgrade-package NAME).
# Commit uv.lock together with pyproject.toml; tests/test_packaging.py checks they agree.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/uv ]; then
  echo "lock.sh: no .venv/bin/uv; run bash scripts/setup.sh first (it installs uv)" >&2
  exit 1
fi
.venv/bin/uv lock "$@"
bash scripts/setup.sh
