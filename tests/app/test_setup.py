"""The one resolve step (``probe.app.setup.resolve``), without a browser: what the core is handed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from probe.app.recipes.chromium import ProfileRecipe
from probe.app.request import DiagnosisRequest, ScenarioCase, demo_credentials
from probe.app.setup import resolve
from probe.browsers.chromium.discovery import Chromium
from probe.errors import BadInput, PortalFailure
from probe.journey.codes.outbox import loopback_request
from probe.journey.credentials import Credentials
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.state import PortalConfig

FAKE_CHROMIUM = Chromium(Path("/bin/true"), "156.0", "Chromium", "test")
SOMEONE = Credentials("1850775123456", "not-the-demo-password")


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    folder = tmp_path / "user-data" / "Default"
    folder.mkdir(parents=True)
    (folder / "Preferences").write_text("{}")
    return folder.parent


def answers(url: str) -> bool:
    real_url, headers = loopback_request(url)
    try:
        httpx.get(real_url, headers=headers, timeout=5.0)
    except httpx.HTTPError:
        return False
    return True


def test_without_a_portal_url_the_embedded_portal_runs_for_the_block_only(
    profile: Path, tmp_path: Path
) -> None:
    request = DiagnosisRequest(profile=profile, report_dir=tmp_path / "report")
    with resolve(request, chromium=FAKE_CHROMIUM) as setup:
        login = setup.target.login_url
        assert answers(login)
        assert setup.portal_embedded and setup.target.sites == (
            "portal.localhost",
            "captcha.localhost",
            "idp.localhost",
        )
        assert setup.credentials == demo_credentials()
        assert setup.report_dir.is_dir() and setup.engine.profile_info().kind == "given"
    assert not answers(login)


def test_a_given_portal_url_is_all_the_core_learns_and_its_credentials_are_used(
    profile: Path, tmp_path: Path
) -> None:
    with EmbeddedPortal() as elsewhere:  # stands in for a real portal
        request = DiagnosisRequest(
            profile=profile,
            portal_url=elsewhere.url + "connexion?from=mail",
            credentials=SOMEONE,
            report_dir=tmp_path / "report",
        )
        with resolve(request, chromium=FAKE_CHROMIUM) as setup:
            assert not setup.portal_embedded
            assert setup.target.url == elsewhere.url
            # Used as given, path and query kept; its sites are its description's (the mock's).
            assert setup.target.login_url == elsewhere.url + "connexion?from=mail"
            assert setup.target.sites == ("portal.localhost", "captcha.localhost", "idp.localhost")
            assert setup.credentials == SOMEONE


def test_a_portal_url_without_credentials_is_refused_before_anything_starts(
    profile: Path, tmp_path: Path
) -> None:
    request = DiagnosisRequest(
        profile=profile, portal_url="https://portal.example/", report_dir=tmp_path / "r"
    )
    with (
        pytest.raises(BadInput, match="--portal needs --user"),
        resolve(request, chromium=FAKE_CHROMIUM),
    ):
        pass
    assert not (tmp_path / "r").exists()


def test_an_unreachable_portal_fails_in_one_line_and_leaves_no_report_folder(
    profile: Path, tmp_path: Path
) -> None:
    request = DiagnosisRequest(
        profile=profile,
        portal_url="http://127.0.0.1:9/",
        credentials=SOMEONE,
        report_dir=tmp_path / "reports" / "run",
    )
    with (
        pytest.raises(PortalFailure, match="nothing answers there"),
        resolve(request, chromium=FAKE_CHROMIUM),
    ):
        pass
    assert not (tmp_path / "reports" / "run").exists()


def test_a_case_brings_its_own_profile_so_the_request_may_not_name_one(profile: Path) -> None:
    case = ScenarioCase(portal=PortalConfig(), recipe=ProfileRecipe(), credentials=SOMEONE)
    with (
        pytest.raises(BadInput, match="its own portal, profile and credentials"),
        resolve(DiagnosisRequest(profile=profile), chromium=FAKE_CHROMIUM, case=case),
    ):
        pass
