"""``probe install chromium`` for real, on this machine: Playwright's installer, run by
probe's own Python, then (where the download fails, as on this closed network) the
system's Chromium, already installed here by scripts/setup.sh.

No ``--with-deps``: that would have apt change the machine's packages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_probe_install_chromium_ends_with_a_chromium_probe_can_drive(tmp_path: Path) -> None:
    probe = Path(sys.executable).parent / "probe"
    result = subprocess.run(
        [probe, "install", "chromium"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # Playwright's installer, with the Python probe runs under (this venv's), never a bare one.
    assert (
        lines[0]
        == f"Installing Playwright's chromium: {sys.executable} -m playwright install chromium"
    )
    assert lines[-1].startswith("ready: Chromium ")
    if "could not be downloaded" in result.stdout:  # this machine: no internet
        assert "The system's chromium is installed: probe will drive it." in lines
