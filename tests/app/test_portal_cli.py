"""``probe portal draft|check``, ``probe schema portal`` and ``probe browser --portal`` as a person runs them.

The fast tests need no browser: a bad description stops before one starts, in one line
naming the file and line. The browser tests (the README's worked example on the second
test portal: draft, check, then diagnose with ``--no-submit``) are in
test_portal_cli_browser.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from tests.helpers.portal_cli import PORTAL_FILE, invoke


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def test_schema_portal_is_the_description_schema() -> None:
    result = invoke("schema", "portal")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "PortalDescription"
    assert "steps" in schema["properties"]


def test_schema_of_something_else_is_bad_input() -> None:
    result = invoke("schema", "portals")
    assert result.exit_code == 2
    assert "use 'report' or 'portal'" in result.stderr


def test_a_broken_description_stops_browser_before_any_browser(tmp_path: Path, home: Path) -> None:
    broken = tmp_path / "mine.toml"
    broken.write_text(
        PORTAL_FILE.read_text(encoding="utf-8").replace('answer = "in-page"', 'answer = "ajax"'),
        encoding="utf-8",
    )
    result = invoke("browser", "--portal", str(broken), "--no-submit", home=home)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    line_number = next(
        n for n, text in enumerate(broken.read_text().splitlines(), 1) if "ajax" in text
    )
    assert line.startswith(f"probe: error: {broken}:{line_number}: steps[2].answer: ")


def test_portal_check_of_a_broken_description_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "mine.toml"
    broken.write_text('name = "x"\nlogin_url = "http://x.test/"\n', encoding="utf-8")
    result = invoke("portal", "check", str(broken))
    assert result.exit_code == 2
    assert f"{broken}:1: steps: missing (required)" in result.stderr


def test_a_login_url_where_nothing_answers_names_file_and_field(tmp_path: Path, home: Path) -> None:
    moved = tmp_path / "mine.toml"
    moved.write_text(
        PORTAL_FILE.read_text(encoding="utf-8").replace(
            "http://app2.localhost:8001/accounts/login/", "http://127.0.0.1:9/accounts/login/"
        ),
        encoding="utf-8",
    )
    result = invoke(
        "browser",
        "--portal",
        str(moved),
        "--no-submit",
        "--report-dir",
        str(tmp_path / "r"),
        home=home,
    )
    assert result.exit_code == 3
    last = result.stderr.splitlines()[-1]
    assert last == (
        f"probe: error: {moved}: login_url: http://127.0.0.1:9/accounts/login/: "
        "nothing answers there (connect error)"
    )


def test_federation_needs_the_partner_account(home: Path) -> None:
    result = invoke("browser", "--federation", "impots", home=home)
    assert result.exit_code == 2
    assert "--federation needs --user" in result.stderr


def test_draft_with_user_and_no_terminal_asks_for_yes_before_logging_in() -> None:
    result = CliRunner().invoke(
        app,
        ["portal", "draft", "http://127.0.0.1:9/login", "--user", "demo"],
        env={"PROBE_PASSWORD": "secret", "COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert "probe will log in 2 times at http://127.0.0.1:9/login as demo" in result.stdout
    assert result.stderr.strip().splitlines() == [
        "probe: error: --user without a terminal to confirm: add --yes to log in"
    ]


def test_draft_with_user_and_no_password_says_where_to_put_it() -> None:
    result = invoke("portal", "draft", "http://127.0.0.1:9/login", "--user", "demo", "--yes")
    assert result.exit_code == 2
    assert "--user without a password: set PROBE_PASSWORD" in result.stderr
