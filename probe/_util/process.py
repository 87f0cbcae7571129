"""This process's tree, read from ``/proc``: its children, and who still uses a path.

Linux only; elsewhere (no ``/proc``) both are no-ops. psutil would do the same on every
system, but it is not a runtime dependency of probe (yet).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def _pids() -> list[str]:
    if not os.path.isdir("/proc"):
        return []
    return [pid for pid in os.listdir("/proc") if pid.isdigit()]


def stop_children() -> None:
    """Send SIGTERM to this process's own child processes (Playwright's drivers)."""
    me = os.getpid()
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                # "pid (name) state ppid ...": the name may hold spaces, the last ")" ends it.
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGTERM)


def _in_use(marker: bytes) -> bool:
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if marker in cmdline.read():
                    return True
        except OSError:
            continue
    return False


def wait_until_unused(path: Path, seconds: float = 5.0) -> None:
    """Wait (a bounded time) until no process has ``path`` in its command line."""
    marker = os.fsencode(path)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _in_use(marker):
            return
        time.sleep(0.1)


def kill_using(path: Path) -> int:
    """SIGKILL every process with ``path`` in its command line; how many were sent it.

    A browser whose profile copy is about to be deleted need not shut down gracefully
    (write its state, flush its cookies: ~0.3 s, seconds under load): its child
    processes end with it.
    """
    marker = os.fsencode(path)
    me = str(os.getpid())
    killed = 0
    for pid in _pids():
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
            # The path itself or a file in it, not a sibling whose name starts the same.
            if not any(arg.endswith(marker) or marker + b"/" in arg for arg in args):
                continue
            os.kill(int(pid), signal.SIGKILL)
            killed += 1
        except OSError:
            continue
    return killed
