"""The second test portal's description and the CLI run in-process, for tests/app/test_portal_cli*.py."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from probe.app.cli import app
from tests.helpers.paths import ALLAUTH_ALTCHA

PORTAL_FILE = ALLAUTH_ALTCHA / "portal.toml"


def invoke(*args: str, home: Path | None = None) -> Result:
    env = {"COLUMNS": "200"}
    if home is not None:
        env.update(HOME=str(home), XDG_CONFIG_HOME="")
    return CliRunner().invoke(app, list(args), env=env)
