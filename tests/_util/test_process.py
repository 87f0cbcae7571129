"""``probe._util.process.kill_using``: the processes of one run folder, and no others."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from probe._util.process import kill_using

SLEEPER = "import sys, time; time.sleep(60)"


def _sleeper(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SLEEPER, *args])


def test_kills_the_processes_naming_the_folder_or_a_file_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "run-1-current"
    sibling = tmp_path / "run-1-current-2"  # its name starts the same: not the folder's
    inside = _sleeper(f"--user-data-dir={folder}/profile")
    named = _sleeper("-profile", str(folder))
    other = _sleeper(f"--user-data-dir={sibling}/profile")
    try:
        assert kill_using(folder) == 2
        assert inside.wait(timeout=10) == -9
        assert named.wait(timeout=10) == -9
        time.sleep(0.2)
        assert other.poll() is None
    finally:
        for process in (inside, named, other):
            process.kill()
            process.wait()


def test_nothing_to_kill(tmp_path: Path) -> None:
    assert kill_using(tmp_path / "nobody-uses-this") == 0
