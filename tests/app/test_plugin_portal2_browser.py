"""The pytest plugin on a team's own portal: ``probe_diagnose`` with a description.

The second test portal stands for the team's portal: this test starts it (as a team's
test or CI would), and ``probe_diagnose`` is told only its description file and where
it runs, a recipe for the browser and the credentials, or the name of a scenario in the
team's folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from probe.browsers.chromium.profile import locate_profile, read_cookies
from probe.description.model import load_description
from probe.errors import PortalFailure
from probe.models import Report
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import DEMO_PASSWORD, DEMO_USERNAME, AllauthAltchaPortal

PORTAL2 = ALLAUTH_ALTCHA
BLOCKER = {"extensions": ["ad-shield", "harmless/calculator", "harmless/notes"]}
Diagnose = Callable[..., Report]


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


def test_a_description_file_and_a_recipe_name_the_blocking_extension(
    allauth: AllauthAltchaPortal, probe_diagnose: Diagnose
) -> None:
    report = probe_diagnose(
        portal_description=PORTAL2 / "portal.toml",
        portal_url=allauth.login_url,
        profile=BLOCKER,
        credentials=(DEMO_USERNAME, DEMO_PASSWORD),
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Ad Shield"]
    assert report.portal.url == allauth.login_url and not report.portal.embedded
    assert DEMO_USERNAME in {r.identifier for r in allauth.received}  # normal mode


def test_a_scenario_of_the_teams_folder_runs_where_the_portal_is(
    allauth: AllauthAltchaPortal, probe_diagnose: Diagnose
) -> None:
    report = probe_diagnose(
        "wrong-password", scenarios_dir=PORTAL2 / "scenarios", portal_url=allauth.login_url
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "invalid-credentials")
    assert report.portal.scenario == "wrong-password"


def test_no_submit_with_a_loaded_description_sends_no_credentials(
    allauth: AllauthAltchaPortal, probe_diagnose: Diagnose
) -> None:
    report = probe_diagnose(
        portal_description=load_description(PORTAL2 / "portal.toml"),
        portal_url=allauth.login_url,
        profile=BLOCKER,
        no_submit=True,
    )
    assert [c.name for c in report.verdict.culprits] == ["Ad Shield"]
    assert allauth.received == []


def test_a_portal_that_is_not_running_is_one_clear_error(probe_diagnose: Diagnose) -> None:
    with pytest.raises(PortalFailure, match=r"portal\.toml: login_url"):
        probe_diagnose(
            portal_description=PORTAL2 / "portal.toml",
            portal_url="http://app2.localhost:9/accounts/login/",
            credentials=(DEMO_USERNAME, DEMO_PASSWORD),
        )


def test_a_recipe_plants_cookies_and_visits_pages_of_the_teams_portal(
    allauth: AllauthAltchaPortal, probe_profile_factory: Callable[..., Path]
) -> None:
    profile = probe_profile_factory(
        {
            "cookies": [{"name": "theme", "domain": "app2.localhost", "size": 64}],
            "visit": ["{portal}/accounts/login/"],
        },
        portal=allauth.login_url,  # {portal} is its origin
    )
    cookies = {(c.name, c.domain) for c in read_cookies(locate_profile(profile))}
    assert ("theme", "app2.localhost") in cookies  # planted for that portal's host
    assert ("csrftoken", "app2.localhost") in cookies  # set by Django when the page was visited
