#!/usr/bin/env bash
# Set up probe on a fresh machine: .venv at the repo root, probe and its test tools
# installed into it, and a Chromium to drive (Playwright's own where it can be
# downloaded, else the distribution's package). Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately.
    rm -rf .venv
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
fi

stamp=.venv/.probe-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "Installing probe and its test tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi

if ! .venv/bin/python -c 'from probe.chromium import find_chromium; find_chromium()' 2>/dev/null; then
  say "Installing Chromium"
  if ! .venv/bin/python -m playwright install chromium >/dev/null 2>&1 \
     || ! .venv/bin/python -c 'from probe.chromium import find_chromium; find_chromium()' 2>/dev/null; then
    say "Playwright's download is not available here; installing the distribution's chromium"
    apt_install chromium
  fi
fi
.venv/bin/python -c 'from probe.chromium import find_chromium; print("Chromium:", find_chromium().describe())'
