"""Narrowing down to a form-breaking extension without sending the password again.

The mock portal; a profile with Form Filler Pro (it stops the form's submission and
throws) among three harmless extensions, and a wrong password. The person's browser sends
nothing (the form is broken); the runs that ask whether the form sends with fewer
extensions stop their login in the browser, so the wrong password is not resubmitted
while narrowing, the account guard skips none of them, and Form Filler Pro is named alone,
never "together" with a harmless one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.app.request import DiagnosisRequest
from probe.app.setup import run_diagnosis
from probe.browsers.chromium.discovery import Chromium
from probe.journey.credentials import Credentials
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.accounts import find_exact
from probe.mock_portal.state import DEMO_IDENTIFIER

# The three harmless ones run scripts in every page too: the browser names all four as
# suspects, and narrowing down among them asks "does the form send?" several times.
EXTENSIONS = [
    "form-filler-pro",
    "harmless/dictionary-lookup",
    "harmless/json-viewer",
    "harmless/word-counter",
]


@pytest.fixture
def portal() -> Iterator[EmbeddedPortal]:
    with EmbeddedPortal() as running:
        yield running


def test_the_form_breaker_is_named_alone_and_the_wrong_password_sent_once(
    portal: EmbeddedPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    profile = build_profile(
        ProfileRecipe(extensions=EXTENSIONS), tmp_path / "profile", chromium=probe_chromium
    )
    request = DiagnosisRequest(
        profile=profile,
        portal_url=portal.url,
        credentials=Credentials(DEMO_IDENTIFIER, "Ameli-Demo-2025!"),
        report_dir=tmp_path / "report",
        screenshots=False,
    )
    report, _ = run_diagnosis(request, chromium=probe_chromium)
    first = report.verdict.blockers[0]
    assert (first.factor, [c.name for c in first.culprits]) == ("extension", ["Form Filler Pro"])
    stopped = [
        run.name
        for run in report.variants
        if any(s.note and s.note.key == "detail.login-stopped" for s in run.steps)
    ]
    assert stopped  # narrowing runs asked "does it send?" without reaching the portal
    assert not [r.name for r in report.variants if r.name in stopped and r.skipped_because]
    account = find_exact(portal.runtime, DEMO_IDENTIFIER)
    assert account is not None
    assert account.failed_attempts == report.login_submissions == 1
