"""The process tree with psutil: children stopped, a folder waited for while a process uses it,
the processes of one run folder killed (and no others).

Real processes (``sleep``-like Python children), no mocks: each test starts what it looks for.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from probe._util.process import kill_using, stop_children, users_of, wait_until_unused
from probe._util.workdir import private_workdir

SLEEP = "import sys, time; time.sleep(float(sys.argv[1]))"


def sleeper(*args: str, seconds: float = 30) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SLEEP, str(seconds), *args])


def test_a_process_with_the_folder_on_its_command_line_uses_it(tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    child = sleeper(f"--user-data-dir={folder}/profile")
    try:
        assert child.pid in users_of(folder)
        assert users_of(tmp_path / "another") == []
    finally:
        child.kill()
        child.wait()
    assert child.pid not in users_of(folder)


def test_wait_until_unused_returns_once_the_last_user_exits(tmp_path: Path) -> None:
    child = sleeper(str(tmp_path), seconds=0.5)
    assert users_of(tmp_path) == [child.pid]
    wait_until_unused(tmp_path, seconds=20)
    # Exited (a zombie until reaped has no command line any more).
    assert child.wait(timeout=5) == 0


def test_wait_until_unused_gives_up_after_its_budget(tmp_path: Path) -> None:
    child = sleeper(str(tmp_path))
    try:
        wait_until_unused(tmp_path, seconds=0.3)
        assert child.poll() is None, "the waiting must not stop the process"
    finally:
        child.kill()
        child.wait()


def test_stop_children_terminates_this_process_s_children(tmp_path: Path) -> None:
    children = [sleeper(str(tmp_path)), sleeper(str(tmp_path))]
    try:
        stop_children()
        # Terminated by a signal (POSIX: a negative return code), not finished sleeping.
        assert all(child.wait(timeout=10) != 0 for child in children)
    finally:
        for child in children:
            child.kill()
            child.wait()


def test_the_private_workdir_is_removed_after_its_user_exits() -> None:
    with private_workdir() as folder:
        (folder / "Cookies").write_text("secret")
        child = sleeper(f"--user-data-dir={folder}", seconds=0.5)
    assert not folder.exists()
    # The folder went only once the process using it had exited (on its own: code 0).
    assert child.poll() == 0


def test_kills_the_processes_naming_the_folder_or_a_file_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "run-1-current"
    sibling = tmp_path / "run-1-current-2"  # its name starts the same: not the folder's
    inside = sleeper(f"--user-data-dir={folder}/profile")
    named = sleeper("-profile", str(folder))
    other = sleeper(f"--user-data-dir={sibling}/profile")
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
