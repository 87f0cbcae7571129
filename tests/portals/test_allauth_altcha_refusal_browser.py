"""A wrong password on django-allauth's page, diagnosed from a description with no message rule.

Checked by hand first (a plain Playwright script, no probe): after a wrong password the
page stays, the JSON login answers HTTP 400, and the form shows "The username and/or
password you specified are not correct." in ``#login-messages`` above the fields; the
widget goes back to "I'm not a robot". A draft made from the login page alone has no rule
for those words and may guess the message area wrong: the login must still be "refused by
the portal", in the portal's words, with the password sent at most twice.
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
from probe.description.model import PortalDescription, load_description
from probe.description.target import relocated
from probe.journey.credentials import Credentials
from probe.models import Report
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import DEMO_USERNAME, AllauthAltchaPortal

WRONG = "Sunflower-41"
SAID = "The username and/or password you specified are not correct."


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


def ruleless(url: str, message_area: str) -> PortalDescription:
    """The portal's description without a single message rule, its message area ``message_area``."""
    described = relocated(load_description(ALLAUTH_ALTCHA / "portal.toml"), url)
    messages = described.messages.model_copy(update={"rules": [], "page": message_area})
    return described.model_copy(update={"messages": messages})


def diagnose(
    portal: AllauthAltchaPortal, tmp_path: Path, chromium: Chromium, message_area: str
) -> Report:
    profile = build_profile(ProfileRecipe(), tmp_path / "profile", chromium=chromium)
    request = DiagnosisRequest(
        profile=profile,
        portal=PortalChoice(ruleless(portal.login_url, message_area), "ruleless.toml"),
        credentials=Credentials(DEMO_USERNAME, WRONG),
        report_dir=tmp_path / "report",
        screenshots=False,
    )
    report, _ = run_diagnosis(request, chromium=chromium)
    return report


@pytest.mark.parametrize(
    "message_area",
    ["#login-messages", ".errornote"],
    ids=["message-area-right", "message-area-guessed-wrong"],
)
def test_a_wrong_password_is_refused_by_the_portal_in_its_words_sent_at_most_twice(
    allauth: AllauthAltchaPortal, tmp_path: Path, probe_chromium: Chromium, message_area: str
) -> None:
    report = diagnose(allauth, tmp_path, probe_chromium, message_area)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "login-refused")
    current = report.variants[0]
    assert (current.symptom, current.message) == ("login-refused", SAID)
    assert f"“{SAID}”" in report.verdict.summary_en  # the verdict quotes the portal
    sent = [login for login in allauth.received if login.password == WRONG]
    assert 1 <= len(sent) <= 2
    assert report.login_submissions == len(sent)
    assert WRONG not in report.model_dump_json()
