"""The Node-RED test portal: Node-RED's editor, its login switched on (``adminAuth``).

    with NodeRedPortal() as portal:
        print(portal.login_url)   # http://red.localhost:PORT/

Node-RED (npm ``node-red``, installed beside this file by ``scripts/setup.sh``) runs as a
child process with a settings file written here: one user with a bcrypt password, a
private user folder (flows, credentials) so that each start begins from nothing. The
editor is a single-page application: its login is a dialog drawn by script, and it logs in
by XHR (``POST /auth/token``), without a new page.
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

HOST = "red.localhost"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "Maple-Stream-5"
HERE = Path(__file__).resolve().parent
RED_JS = HERE / "node_modules" / "node-red" / "red.js"

_SETTINGS = """module.exports = {{
    uiHost: "127.0.0.1",
    uiPort: {port},
    flowFile: "flows.json",
    adminAuth: {{
        type: "credentials",
        users: [{{ username: "{user}", password: "{digest}", permissions: "*" }}]
    }},
    logging: {{ console: {{ level: "warn", metrics: false, audit: true }} }},
    editorTheme: {{ tours: false, projects: {{ enabled: false }} }}
}};
"""


def missing() -> str | None:
    """Why this portal cannot start here (a package to install), else None."""
    if not RED_JS.is_file():
        return "node-red is not installed beside the test portal (bash scripts/setup.sh)"
    if shutil.which("node") is None:
        return "node is not installed (bash scripts/setup.sh installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class NodeRedPortal:
    """Node-RED's editor login at ``http://red.localhost:PORT/``."""

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
        return self.origin + "/"

    def logins(self) -> list[str]:
        """Node-RED's audit of every login so far: "auth.login" or "auth.login.fail..."."""
        if self._log is None or not self._log.exists():
            return []
        text = self._log.read_text(errors="replace")
        return re.findall(r'"event":"(auth\.login[\w.]*)"', text)

    def start(self) -> NodeRedPortal:
        why = missing()
        if why:
            raise RuntimeError(why)
        self._folder = Path(tempfile.mkdtemp(prefix="node-red-portal-"))
        self.port = self.port or _free_port()
        digest = subprocess.run(
            [
                "node",
                "-e",
                "process.stdout.write(require('bcryptjs').hashSync(process.argv[1], 8))",
                DEMO_PASSWORD,
            ],
            cwd=HERE / "node_modules" / "node-red",
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        settings = self._folder / "settings.js"
        settings.write_text(_SETTINGS.format(port=self.port, user=DEMO_USERNAME, digest=digest))
        self._log = self._folder / "node-red.log"
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                ["node", str(RED_JS), "--settings", str(settings), "--userDir", str(self._folder)],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/auth/login", timeout=5)
                return self
            except (urllib.error.URLError, OSError):
                if self._process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Node-RED did not answer within 30 s")

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

    def __enter__(self) -> NodeRedPortal:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
