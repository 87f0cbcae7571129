#!/usr/bin/env bash
# Set up, then diagnose a built-in demo case against the embedded portal: an ad blocker
# hides the CAPTCHA among harmless extensions. The report lands under reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
.venv/bin/probe browser --scenario ad-blocker-hides-captcha "$@" || status=$?
# Exit code 1 means "access blocked and diagnosed": the expected outcome of this demo.
if [ "$status" -le 1 ]; then exit 0; fi
exit "$status"
