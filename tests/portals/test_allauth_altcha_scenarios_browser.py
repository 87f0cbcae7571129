"""``probe ci`` over the second test portal's scenarios, in real Chromium, as a team runs it.

The portal (django-allauth with an in-page ALTCHA widget, a login answered by fetch,
English messages) is started here, as a team's CI starts its own portal; its scenarios
(``tests/portals/allauth_altcha/scenarios/``) name its description file and nothing of
its state. ``--portal-url`` says where it runs (a free port). The diagnosis code is the
same as for the mock: only the description differs.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import DEMO_USERNAME, AllauthAltchaPortal

SCENARIOS = ALLAUTH_ALTCHA / "scenarios"


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


def test_probe_ci_runs_the_second_portals_scenarios_against_the_running_portal(
    allauth: AllauthAltchaPortal, tmp_path: Path
) -> None:
    out, junit = tmp_path / "ci", tmp_path / "junit.xml"
    result = CliRunner().invoke(
        app,
        [
            "ci",
            "--dir",
            str(SCENARIOS),
            "--portal-url",
            allauth.login_url,
            "--report-dir",
            str(out),
            "--junit",
            str(junit),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "probe ci: 5 passed, 0 failed" in result.output
    cases = {str(c.get("name")): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {
        "ad-blocker-no-submit",
        "fresh-gets-in",
        "ad-blocker-hides-captcha",
        "javascript-disabled",
        "wrong-password",
    }
    assert all(case.find("failure") is None for case in cases.values())

    reports = {name: json.loads((out / name / "report.json").read_text()) for name in cases}
    for report in reports.values():
        assert report["portal"]["url"] == allauth.login_url
        assert report["portal"]["embedded"] is False
    # The ad blocker is found in normal mode: credentials were typed and accepted once
    # the CAPTCHA host was no longer blocked.
    blocked = reports["ad-blocker-hides-captcha"]
    assert [c["name"] for c in blocked["verdict"]["culprits"]] == ["Ad Shield"]
    assert blocked["variants"][0]["symptom"] == "captcha-blocked"
    assert any(
        step["name"] == "account-home" and step["outcome"] == "pass"
        for variant in blocked["variants"]
        for step in variant["steps"]
    )
    # The same profile in safe mode: named without a single credential typed.
    safe = reports["ad-blocker-no-submit"]
    assert [c["name"] for c in safe["verdict"]["culprits"]] == ["Ad Shield"]
    for variant in safe["variants"]:
        for step in variant["steps"]:
            if step["name"] == "credentials":
                assert step["outcome"] == "skipped", variant["name"]
    wrong = reports["wrong-password"]["variants"][0]
    assert wrong["message"] == "The username and/or password you specified are not correct."
    assert reports["javascript-disabled"]["variants"][0]["symptom"] == "javascript-disabled"
    # Every scenario's login reached this portal, as the account its files name.
    assert {r.identifier for r in allauth.received} == {DEMO_USERNAME}
    assert {r.password for r in allauth.received} == {"Sunflower-42", "Sunflower-41"}
