"""A test portal run as a child process (PHP's server, Node-RED) on a free loopback port.

A subclass lays out its private folder and says which command serves it; this class
starts it, waits until it answers, keeps its output in a log file beside it, and stops it
and removes the folder at the end.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ChildPortal:
    """Start with ``with``; ``folder`` is private to this start, ``log`` holds the output."""

    name = "the portal"
    ready_path = "/"  # answers (any status but a refused connection) once it serves
    ready_within_s = 30.0

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.folder: Path | None = None
        self.log: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def missing(self) -> str | None:
        """Why it cannot start here (a package to install), else None."""
        return None

    def command(self, folder: Path) -> tuple[list[str], Path]:
        """The command that serves the portal laid out in ``folder``, and its directory."""
        raise NotImplementedError

    def log_text(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")

    def start(self) -> Self:
        why = self.missing()
        if why:
            raise RuntimeError(why)
        self.folder = Path(tempfile.mkdtemp(prefix="child-portal-"))
        self.port = self.port or free_port()
        args, cwd = self.command(self.folder)
        self.log = self.folder / "server.log"
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(args, cwd=cwd, stdout=log, stderr=log)
        deadline = time.monotonic() + self.ready_within_s
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{self.ready_path}", timeout=5)
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {self.ready_within_s:.0f} s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
