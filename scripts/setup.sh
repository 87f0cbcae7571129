#!/usr/bin/env bash
# Set up probe on a fresh machine: .venv at the repo root, probe and its test tools
# installed into it at the versions uv.lock pins, and a Chromium to drive (Playwright's own
# where it can be downloaded, else the distribution's package). Safe to run again: it skips
# what is done.
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

# uv installs exactly what uv.lock pins (probe itself editable, with the dev group of tools). It is
# bootstrapped with pip at the version the lock pins for it; after that `uv sync` is the
# whole install: it does nothing when .venv already matches the lock, and brings .venv back
# to the lock when uv.lock changed (scripts/lock.sh refreshes it).
uv_version=$(awk '$0 == "name = \"uv\"" { getline; gsub(/"/, "", $3); print $3; exit }' uv.lock)
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$uv_version" ]; then
  say "Installing uv $uv_version into .venv"
  .venv/bin/python -m pip install -q "uv==$uv_version"
fi
# --compile-bytecode, and compileall for probe's own (editable) sources: where Python may
# not write bytecode itself (PYTHONDONTWRITEBYTECODE=1, a read-only checkout), every start
# of probe would compile its imports again: 1.55 s instead of 0.5 s, measured here.
if ! .venv/bin/uv sync --locked --group dev --quiet --compile-bytecode; then
  echo "setup.sh: uv.lock does not match pyproject.toml (or could not be installed);" \
    "after changing dependencies run: bash scripts/lock.sh" >&2
  exit 1
fi
.venv/bin/python -m compileall -q -j 0 probe tests benchmarks >/dev/null || true
# pytest rewrites the asserts of the tests and of probe (its plugin) when it imports them;
# without bytecode writing it does that again in every pytest process (each xdist worker,
# each pytester run). It reads rewritten bytecode it may not write, so one collection
# allowed to write it is enough: a collection of the suite then takes 2.2 s of CPU instead
# of 5-6.7 s, a pytester run 0.5 s instead of 1.4 s (measured here, benchmarks/architecture.md).
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ]; then
  env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m pytest --collect-only -q -p no:cacheprovider \
    >/dev/null 2>&1 || true
fi

if ! .venv/bin/python -c 'from probe.browsers.chromium.discovery import find_chromium; find_chromium()' 2>/dev/null; then
  say "Installing Chromium"
  if ! .venv/bin/python -m playwright install chromium >/dev/null 2>&1 \
     || ! .venv/bin/python -c 'from probe.browsers.chromium.discovery import find_chromium; find_chromium()' 2>/dev/null; then
    say "Playwright's download is not available here; installing the distribution's chromium"
    apt_install chromium
  fi
fi
.venv/bin/python -c 'from probe.browsers.chromium.discovery import find_chromium; print("Chromium:", find_chromium().describe())'

# Firefox: probe drives a stock Firefox over WebDriver BiDi (Playwright's channel
# "moz-firefox"), so the distribution's Firefox ESR is the one to install.
if ! .venv/bin/python -c 'from probe.browsers.firefox.discovery import find_firefox; find_firefox()' 2>/dev/null; then
  say "Installing Firefox ESR"
  apt_install firefox-esr
fi
.venv/bin/python -c 'from probe.browsers.firefox.discovery import find_firefox; print("Firefox:", find_firefox().describe())'

# The keyring tests run Chromium in a GNOME Keyring session of their own (D-Bus session bus,
# gnome-keyring-daemon's Secret Service); secret-tool lets a person check what probe reads.
if ! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-run-session >/dev/null \
   || ! command -v secret-tool >/dev/null; then
  say "Installing gnome-keyring, dbus and libsecret-tools"
  apt_install gnome-keyring dbus libsecret-tools
fi

# certutil (Debian's libnss3-tools) reads the CAs a person trusts in their NSS database
# (~/.pki/nssdb, where Linux Chromium reads them), for probe's checks before any browser.
if ! command -v certutil >/dev/null 2>&1; then
  say "Installing certutil (libnss3-tools)"
  apt_install libnss3-tools
fi

# The bot-guarded test portal runs BotD (npm @fingerprintjs/botd) in its sign-in page:
# installed at the version its package-lock.json pins.
if [ ! -f tests/portals/botd_portal/node_modules/@fingerprintjs/botd/dist/botd.esm.js ]; then
  say "Installing BotD for the bot-guarded test portal (npm ci)"
  command -v npm >/dev/null || apt_install npm
  npm ci --prefix tests/portals/botd_portal --no-audit --no-fund --silent
fi

# The Node-RED test portal (tests/portals/node_red): Node-RED 4 (it runs on Debian's Node
# 20; Node-RED 5 needs Node 22) at the version its package-lock.json pins.
if [ ! -f tests/portals/node_red/node_modules/node-red/red.js ]; then
  say "Installing Node-RED for the Node-RED test portal (npm ci)"
  command -v npm >/dev/null || apt_install npm
  npm ci --prefix tests/portals/node_red --no-audit --no-fund --silent
fi

# The DokuWiki test portal (tests/portals/dokuwiki): Debian's dokuwiki, served by PHP's
# own web server (php-cli; php-cgi satisfies the package's "php" without Apache).
if [ ! -f /usr/share/dokuwiki/doku.php ] || ! command -v php >/dev/null; then
  say "Installing DokuWiki and PHP for the DokuWiki test portal"
  apt_install --no-install-recommends dokuwiki php-cli php-cgi
fi

# Headed runs (--headed) are tested on a virtual display (tests/helpers/display.py).
command -v Xvfb >/dev/null || { say "Installing Xvfb"; apt_install xvfb; }
