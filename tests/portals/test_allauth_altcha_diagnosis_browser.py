"""A whole diagnosis on the second test portal, driven only by its description file.

The portal is django-allauth with an in-page ALTCHA widget and a login that answers by
fetch, in English. What a person checks: a fresh profile gets in; JavaScript off is
named as the setting to blame; a wrong password is "invalid credentials" from the
English message; an ad blocker that blocks the CAPTCHA's host is named, and with
``--no-submit`` it is named without any credentials reaching the portal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.app.portal_choice import PortalChoice
from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.app.request import DiagnosisRequest
from probe.app.setup import run_diagnosis
from probe.browsers.chromium.discovery import Chromium
from probe.description.model import load_description
from probe.description.target import relocated
from probe.journey.credentials import Credentials
from probe.models import Report
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import DEMO_PASSWORD, DEMO_USERNAME, AllauthAltchaPortal

PORTAL_FILE = ALLAUTH_ALTCHA / "portal.toml"
BLOCKER = ["ad-shield", "harmless/calculator", "harmless/color-picker"]


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


def run(
    portal: AllauthAltchaPortal,
    tmp_path: Path,
    chromium: Chromium,
    *,
    recipe: ProfileRecipe | None = None,
    password: str = DEMO_PASSWORD,
    no_submit: bool = False,
) -> Report:
    profile = build_profile(recipe or ProfileRecipe(), tmp_path / "profile", chromium=chromium)
    request = DiagnosisRequest(
        profile=profile,
        portal=PortalChoice(
            relocated(load_description(PORTAL_FILE), portal.login_url), str(PORTAL_FILE)
        ),
        credentials=Credentials("", "") if no_submit else Credentials(DEMO_USERNAME, password),
        report_dir=tmp_path / "report",
        screenshots=False,
        no_submit=no_submit,
    )
    report, _ = run_diagnosis(request, chromium=chromium)
    return report


def test_a_fresh_profile_gets_in(
    allauth: AllauthAltchaPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = run(allauth, tmp_path, probe_chromium)
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")
    assert report.portal.url == allauth.login_url  # the login URL as given
    steps = {s.name: s.outcome for s in report.variants[0].steps}
    assert steps["captcha"] == steps["credentials"] == steps["account-home"] == "pass"
    assert steps["second-factor"] == steps["download-check"] == "skipped"  # none declared
    assert [r.identifier for r in allauth.received] == [DEMO_USERNAME]


def test_javascript_off_is_the_setting(
    allauth: AllauthAltchaPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = run(allauth, tmp_path, probe_chromium, recipe=ProfileRecipe(settings=["javascript"]))
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["javascript"]
    current = report.variants[0]
    assert current.symptom == "javascript-disabled"
    assert "JavaScript is turned off" in (current.message or "")


def test_a_wrong_password_is_invalid_credentials_in_english(
    allauth: AllauthAltchaPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = run(allauth, tmp_path, probe_chromium, password="Sunflower-41")
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "invalid-credentials")
    assert report.variants[0].message == (
        "The username and/or password you specified are not correct."
    )
    remedies = report.verdict.remedies + report.verdict.if_that_fails
    assert "administrator" in next(r.en for r in remedies if r.id == "call-support")
    assert "federation" not in {r.id for r in remedies}  # this portal has none
    assert all("36 46" not in r.en for r in remedies)


def test_no_submit_names_the_blocking_extension_and_sends_no_credentials(
    allauth: AllauthAltchaPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = run(
        allauth, tmp_path, probe_chromium, recipe=ProfileRecipe(extensions=BLOCKER), no_submit=True
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Ad Shield"]
    assert report.variants[0].symptom == "captcha-blocked"
    for variant in report.variants:
        outcomes = {s.name: (s.outcome, s.detail) for s in variant.steps}
        if outcomes:
            assert outcomes["credentials"][0] == "skipped", variant.name
    assert allauth.received == []  # the portal saw no login attempt at all
