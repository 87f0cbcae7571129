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
import subprocess
from pathlib import Path

from tests.helpers.child_portal import ChildPortal

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


class NodeRedPortal(ChildPortal):
    """Node-RED's editor login at ``http://red.localhost:PORT/``."""

    name = "Node-RED"
    ready_path = "/auth/login"

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def login_url(self) -> str:
        return self.origin + "/"

    def missing(self) -> str | None:
        return missing()

    def logins(self) -> list[str]:
        """Node-RED's audit of every login so far: "auth.login" or "auth.login.fail..."."""
        return re.findall(r'"event":"(auth\.login[\w.]*)"', self.log_text())

    def command(self, folder: Path) -> tuple[list[str], Path]:
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
        settings = folder / "settings.js"
        settings.write_text(_SETTINGS.format(port=self.port, user=DEMO_USERNAME, digest=digest))
        return ["node", str(RED_JS), "--settings", str(settings), "--userDir", str(folder)], folder
