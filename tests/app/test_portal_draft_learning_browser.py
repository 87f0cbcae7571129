"""``probe portal draft URL --user ID --yes`` as a person runs it, on Flask-Security's login.

What a person checks: the command says how many logins it makes before making them,
the portal sees exactly those two (a wrong password, then theirs), and the file it writes
loads with the learned values, each saying "learned" and what was seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from probe.description.model import load_description
from tests.portals.flask_security import DEMO_EMAIL, DEMO_PASSWORD, FlaskSecurityPortal


@pytest.fixture
def portal() -> Iterator[FlaskSecurityPortal]:
    with FlaskSecurityPortal() as running:
        yield running


def test_draft_with_user_logs_in_twice_and_writes_what_it_learned(
    portal: FlaskSecurityPortal, tmp_path: Path
) -> None:
    out = tmp_path / "mine.toml"
    result = CliRunner().invoke(
        app,
        ["portal", "draft", portal.login_url, "--user", DEMO_EMAIL, "--yes", "-o", str(out)],
        env={"PROBE_PASSWORD": DEMO_PASSWORD, "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.stderr
    assert f"probe will log in 2 times at {portal.login_url} as {DEMO_EMAIL}" in result.stdout
    received = portal.received
    assert len(received) == 2
    assert received[0].password != DEMO_PASSWORD  # the wrong one first
    assert received[1].password == DEMO_PASSWORD
    described = load_description(out)
    assert described.credentials.answer == "navigation"
    assert described.messages.page == "li.fs-error-msg"
    assert described.logged_in.marker == "#signed-in"
    text = out.read_text(encoding="utf-8")
    assert "# learned: a wrong password was answered 'Invalid password'" in text
    assert DEMO_PASSWORD not in text  # the password is never written
