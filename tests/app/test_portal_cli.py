"""``probe portal draft|check``, ``probe schema portal`` and ``probe browser --portal`` as a person runs them.

The fast tests need no browser: a bad description stops before one starts, in one line
naming the file and line. The browser tests follow the README's worked example on the
second test portal: draft, check, then diagnose with ``--no-submit``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from probe.app.cli import app
from probe.description.model import load_description
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import AllauthAltchaPortal

PORTAL_FILE = ALLAUTH_ALTCHA / "portal.toml"


def invoke(*args: str, home: Path | None = None) -> Result:
    env = {"COLUMNS": "200"}
    if home is not None:
        env.update(HOME=str(home), XDG_CONFIG_HOME="")
    return CliRunner().invoke(app, list(args), env=env)


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


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


@pytest.mark.browser
def test_draft_then_check_from_the_command_line(
    allauth: AllauthAltchaPortal, tmp_path: Path
) -> None:
    drafted = tmp_path / "mine.toml"
    result = invoke("portal", "draft", allauth.login_url, "-o", str(drafted))
    assert result.exit_code == 0, result.stderr
    assert f"next: probe portal check {drafted}" in " ".join(result.stdout.split())
    assert load_description(drafted).credentials.answer == "in-page"
    checked = invoke("portal", "check", str(drafted))
    assert checked.exit_code == 0, checked.stdout
    assert "found   captcha.rendered" in checked.stdout
    # A corrected file pointed elsewhere: the same check, one element missing, exit 1.
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        PORTAL_FILE.read_text(encoding="utf-8").replace('"#id_password"', '"#pass"'),
        encoding="utf-8",
    )
    failed = invoke("portal", "check", str(wrong), "--portal-url", allauth.login_url)
    assert failed.exit_code == 1
    assert "MISSING credentials.password" in failed.stdout
    assert allauth.received == []


@pytest.mark.browser
def test_browser_with_a_url_drafts_on_the_fly_and_no_submit_sends_nothing(
    allauth: AllauthAltchaPortal, tmp_path: Path, home: Path
) -> None:
    result = invoke(
        "browser",
        "--portal",
        allauth.login_url,
        "--no-submit",
        "--report-dir",
        str(tmp_path / "report"),
        home=home,
    )
    assert "No portal description given: drafted one from" in result.stderr
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["portal"]["url"] == allauth.login_url
    assert "--no-submit" in report["verdict"]["summary_en"]
    # The run's line says how far it went, not that the login works.
    said = " ".join((result.stdout + result.stderr).split())
    assert "no blocker up to the CAPTCHA (nothing was submitted)" in said
    assert "login works" not in said
    assert allauth.received == []


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


@pytest.mark.browser
def test_federation_login_chosen_from_the_command_line(tmp_path: Path, home: Path) -> None:
    from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PARTNER_PASSWORD

    result = invoke(
        "browser",
        "--federation",
        "default",
        "--user",
        DEMO_IDENTIFIER,
        "--password",
        DEMO_PARTNER_PASSWORD,
        "--report-dir",
        str(tmp_path / "report"),
        home=home,
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    steps = {s["name"]: s for s in report["variants"][0]["steps"]}
    assert steps["captcha"]["outcome"] == "skipped"  # the federation path has none
    assert steps["credentials"]["outcome"] == "pass"
    assert steps["account-home"]["outcome"] == "pass"


def test_federation_needs_the_partner_account(home: Path) -> None:
    result = invoke("browser", "--federation", "impots", home=home)
    assert result.exit_code == 2
    assert "--federation needs --user" in result.stderr
