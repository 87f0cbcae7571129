"""The DokuWiki test portal: Debian's ``dokuwiki`` package served by ``php -S``.

    with DokuWikiPortal() as portal:
        print(portal.login_url)   # http://wiki.localhost:PORT/doku.php?do=login

The wiki is copied from where the package installed it (``/usr/share/dokuwiki``, its
configuration from ``/etc/dokuwiki``, its pages from ``/var/lib/dokuwiki/data``) into a
private folder, so each start begins from the same data: one demo account, no sessions,
nothing logged. PHP's built-in web server serves the copy on a loopback port.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

HOST = "wiki.localhost"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "Heron-Lake-3"
LOGIN_PATH = "/doku.php?id=start&do=login"
INSTALLED = Path("/usr/share/dokuwiki")
CONFIG = Path("/etc/dokuwiki")
DATA = Path("/var/lib/dokuwiki/data")

# Debian's preload points DokuWiki at /etc/dokuwiki; the copy reads its own conf/ instead.
_PRELOAD = "<?php\nif (!defined('DOKU_CONF')) define('DOKU_CONF', __DIR__ . '/../conf/');\n"
_LOCAL = """<?php
$conf['title'] = 'Test Wiki';
$conf['lang'] = 'en';
$conf['useacl'] = 1;
$conf['superuser'] = '@admin';
$conf['savedir'] = '{data}';
$conf['userewrite'] = 0;
"""


def missing() -> str | None:
    """Why this portal cannot start here (a package to install), else None."""
    if not (INSTALLED / "doku.php").is_file():
        return "Debian's dokuwiki package is not installed (bash scripts/setup.sh installs it)"
    if shutil.which("php") is None:
        return "php-cli is not installed (bash scripts/setup.sh installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class DokuWikiPortal:
    """DokuWiki's stock login at ``http://wiki.localhost:PORT/doku.php?do=login``."""

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self._folder: Path | None = None
        self._log: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def login_url(self) -> str:
        return self.origin + LOGIN_PATH

    def login_answers(self) -> list[int]:
        """The HTTP status of every login POST so far (403: refused, 302: logged in)."""
        if self._log is None or not self._log.exists():
            return []
        answers = []
        for line in self._log.read_text(errors="replace").splitlines():
            found = re.search(r"\[(\d{3})\]: POST /doku\.php", line)
            if found:
                answers.append(int(found.group(1)))
        return answers

    def _lay_out(self, folder: Path) -> Path:
        root = folder / "wiki"
        shutil.copytree(INSTALLED, root, symlinks=False)  # the package links into /var/lib
        shutil.copytree(CONFIG, root / "conf", symlinks=False)
        shutil.copytree(DATA, folder / "data", symlinks=False)
        (root / "inc" / "preload.php").write_text(_PRELOAD)
        (root / "conf" / "local.php").write_text(_LOCAL.format(data=folder / "data"))
        digest = subprocess.run(
            ["php", "-r", f"echo password_hash('{DEMO_PASSWORD}', PASSWORD_BCRYPT);"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (root / "conf" / "users.auth.php").write_text(
            f"{DEMO_USERNAME}:{digest}:Demo Person:demo@example.org:admin,user\n"
        )
        return root

    def start(self) -> DokuWikiPortal:
        why = missing()
        if why:
            raise RuntimeError(why)
        self._folder = Path(tempfile.mkdtemp(prefix="dokuwiki-portal-"))
        root = self._lay_out(self._folder)
        self.port = self.port or _free_port()
        self._log = self._folder / "access.log"
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(root)],
                cwd=root,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/doku.php", timeout=5)
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("DokuWiki did not answer within 20 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> DokuWikiPortal:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
