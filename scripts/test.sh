#!/usr/bin/env bash
# The README's test command, and CI's: set up, then the gates (lint, format, types, import
# contracts, the docs site), each stopping the run with one line if it fails, then the whole test suite
# (fast tier and real-Chromium tier), spread over the cores. Arguments go to pytest, e.g.
# -m "not browser", or -n 0 for one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

gate() {
  local name=$1
  shift
  printf '\033[1m==> %s\033[0m\n' "$name"
  if ! "$@"; then
    echo "test.sh: gate failed: $name ($*); fix the above, then run again" >&2
    exit 1
  fi
}
gate "ruff check" .venv/bin/ruff check .
gate "ruff format" .venv/bin/ruff format --check .
gate "mypy --strict" .venv/bin/mypy probe tests
gate "import contracts" .venv/bin/lint-imports
# The docs site (mkdocs.yml, docs/) into site/, ignored by git: a broken link, a missing
# page or anchor, or a page left out of the navigation fails it. Not --quiet: mkdocs 1.6
# then drops the warnings before --strict counts them, and a broken link passes.
gate "docs build" env NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir site

printf '\033[1m==> %s\033[0m\n' "pytest"
status=0
# pytest-xdist: one worker per core (tests/conftest.py keeps each probe ci shard's tests on
# one worker). Arguments come after, so -n 0 runs everything in this one process.
.venv/bin/python -m pytest -n auto "$@" || status=$?
if [ "$status" -eq 5 ]; then
  # pytest's "no tests collected": a run that tested nothing must not pass.
  echo "test.sh: pytest collected no tests; check the arguments or the -m/-k selection" >&2
  exit 1
fi
exit "$status"
