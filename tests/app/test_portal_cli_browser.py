"""``probe portal draft|check`` and ``probe browser --portal`` as a person runs them, in real Chromium.

They follow the README's worked example on the second test portal: draft, check, then
diagnose with ``--no-submit``. The fast tests (a bad description stops before any browser)
are in tests/app/test_portal_cli.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.description.model import load_description
from tests.helpers.portal_cli import PORTAL_FILE, invoke
from tests.portals.allauth_altcha import AllauthAltchaPortal


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


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
