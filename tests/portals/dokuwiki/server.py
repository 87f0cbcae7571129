"""The DokuWiki test portal: Debian's ``dokuwiki`` package served by ``php -S``.

    with DokuWikiPortal() as portal:
        print(portal.login_url)   # http://wiki.localhost:PORT/doku.php?id=start&do=login

The wiki is copied from where the package installed it (``/usr/share/dokuwiki``, its
configuration from ``/etc/dokuwiki``, its pages from ``/var/lib/dokuwiki/data``) into a
private folder, so each start begins from the same data: one demo account, no sessions,
nothing logged. PHP's built-in web server serves the copy on a loopback port.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.helpers.child_portal import ChildPortal

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


class DokuWikiPortal(ChildPortal):
    """DokuWiki's stock login at ``http://wiki.localhost:PORT/doku.php?id=start&do=login``."""

    name = "DokuWiki"
    ready_path = "/doku.php"

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def login_url(self) -> str:
        return self.origin + LOGIN_PATH

    def missing(self) -> str | None:
        return missing()

    def login_answers(self) -> list[int]:
        """The HTTP status of every login POST so far (403: refused, 302: logged in)."""
        found = re.findall(r"\[(\d{3})\]: POST /doku\.php", self.log_text())
        return [int(status) for status in found]

    def command(self, folder: Path) -> tuple[list[str], Path]:
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
        return ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(root)], root
