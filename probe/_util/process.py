"""This process's tree: its children, and who still uses a path (psutil, on every system).

A process "uses" a folder when the folder is on its command line: a browser's
``--user-data-dir``, Firefox's ``-profile``, and every helper process the browser starts
with them. A browser still shutting down writes into its profile copy (and on Windows
holds its files open, so they cannot be removed): the copy is removed once none is left.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import psutil

# What psutil may raise for a process that exits, or is not ours to read, while we look.
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError)


def stop_children() -> None:
    """Ask this process's own child processes (Playwright's drivers) to stop.

    SIGTERM on POSIX, ``TerminateProcess`` on Windows: a driver then stops its browsers.
    """
    try:
        children = psutil.Process().children()
    except _GONE:
        return
    for child in children:
        with contextlib.suppress(*_GONE):
            child.terminate()


def _uses(process: psutil.Process, folder: str) -> bool:
    with contextlib.suppress(*_GONE):
        return any(folder in arg for arg in process.cmdline())
    return False


def users_of(path: Path) -> list[int]:
    """The processes (pids) with ``path`` on their command line, this one excluded."""
    folder = os.fspath(path)
    me = os.getpid()
    return [p.pid for p in psutil.process_iter() if p.pid != me and _uses(p, folder)]


def wait_until_unused(path: Path, seconds: float = 5.0) -> None:
    """Wait (a bounded time) until no other process uses ``path``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not users_of(path):
            return
        time.sleep(0.1)


def kill_using(path: Path) -> int:
    """SIGKILL every process with ``path`` in its command line; how many were sent it.

    A browser whose profile copy is about to be deleted need not shut down gracefully
    (write its state, flush its cookies: ~0.3 s, seconds under load): its child
    processes end with it.
    """
    folder = os.fspath(path)
    me = os.getpid()
    killed = 0
    for process in psutil.process_iter():
        if process.pid == me:
            continue
        with contextlib.suppress(*_GONE):
            # The path itself or a file in it, not a sibling whose name starts the same.
            if not any(a.endswith(folder) or folder + os.sep in a for a in process.cmdline()):
                continue
            process.kill()
            killed += 1
    return killed
