"""Whole diagnoses in real Firefox ESR: profiles Firefox itself wrote from a recipe (the
add-ons side-loaded, the cookies planted, the settings in prefs.js), the embedded portal,
every variant of the checklist and the narrowing down, the verdict named as Firefox
names things; the person's profile left byte for byte as it was, no cookie value in
anything probe wrote."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe._util import loops
from probe.app.recipes.chromium import CookieSeed, ProfileRecipe
from probe.app.recipes.firefox import build_firefox_profile, gecko_id
from probe.app.request import DiagnosisRequest, ScenarioCase, demo_credentials
from probe.app.setup import run_diagnosis
from probe.browsers.base import EngineName
from probe.browsers.firefox.discovery import Firefox, find_firefox
from probe.browsers.firefox.profile import read_profile
from probe.errors import ProbeError
from probe.mock_portal import EmbeddedPortal
from probe.models import Report
from tests.helpers.ci_run import CiRun, in_its_shard

# 16 cookies of 1,000 characters: about 16 KB of Cookie header, over the portal's 8 KiB.
LARGE_COOKIES = [
    CookieSeed(name=f"suivi_{i:02d}", domain="portal.localhost", size=1000) for i in range(16)
]


@pytest.fixture(scope="module")
def firefox() -> Firefox:
    try:
        return find_firefox()
    except ProbeError as exc:
        pytest.skip(f"Firefox is not installed ({exc})")


# The whole diagnoses of the shipped scenarios that list Firefox are the acceptance run's
# (``ci_run``: probe ci in both browsers); these tests look further into their reports.


def _firefox_report(ci_run: CiRun, name: str) -> Report:
    report = ci_run.report(f"{name}-firefox")
    assert report.browser.product.startswith("Firefox")
    return report


@in_its_shard(["ad-blocker-hides-captcha"])
def test_an_addon_blocking_the_captcha_among_harmless_ones_is_named(
    name: str, ci_run: CiRun
) -> None:
    report = _firefox_report(ci_run, name)
    verdict = report.verdict
    assert (verdict.status, verdict.factor) == ("blocked", "extension")
    assert [(c.id, c.name) for c in verdict.culprits] == [(gecko_id("ad-shield"), "Ad Shield")]
    current = next(v for v in report.variants if v.name == "current")
    # Firefox says NS_ERROR_ABORT where Chromium says net::ERR_BLOCKED_BY_CLIENT.
    assert current.symptom == "captcha-blocked"
    blocked = [r for s in current.steps for r in s.failed_requests if r.blocked_by_client]
    assert blocked and all("NS_ERROR_ABORT" in r.error for r in blocked)
    # The aborted request points at the one add-on that may block requests (its rules):
    # the run without it logs in, the run with only it fails the same way. 3 runs, not 8.
    assert [(e.kind, e.component) for e in current.evidence] == [
        ("blocks-request", gecko_id("ad-shield"))
    ]
    ran = [v.name for v in report.variants if v.outcome != "skipped"]
    assert ran == ["current", "without-suspects", "suspects-only"]
    assert {v.name for v in report.variants if v.outcome == "pass"} == {"without-suspects"}


@in_its_shard(["javascript-disabled"])
def test_javascript_off_is_the_setting(name: str, ci_run: CiRun) -> None:
    report = _firefox_report(ci_run, name)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["javascript"]
    current = next(v for v in report.variants if v.name == "current")
    assert current.symptom == "javascript-disabled"  # the <noscript> warning was seen


@in_its_shard(["cookies-blocked"])
def test_cookies_blocked_is_the_setting(name: str, ci_run: CiRun) -> None:
    report = _firefox_report(ci_run, name)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["cookies"]


@in_its_shard(["sixteen-large-cookies"])
def test_sixteen_large_cookies_for_the_portal_are_cookies(name: str, ci_run: CiRun) -> None:
    report = _firefox_report(ci_run, name)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "cookies")
    assert {c.name for c in report.verdict.culprits} == {c.name for c in LARGE_COOKIES}
    current = next(v for v in report.variants if v.name == "current")
    assert current.symptom == "headers-too-large"


@in_its_shard(["healthy-busy-profile"])
def test_a_healthy_profile_is_ok_in_one_run(name: str, ci_run: CiRun) -> None:
    report = _firefox_report(ci_run, name)
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")
    assert report.browser_runs == 1
    assert {c.kind for c in report.profile.components} == {"extension", "cookie"}


def _digest(root: Path) -> dict[str, tuple[str, int]]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            info = path.stat()
            found[str(path.relative_to(root))] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                info.st_mtime_ns,
            )
    return found


def test_a_given_profile_stays_byte_for_byte_and_no_cookie_value_is_written(
    firefox: Firefox, tmp_path: Path
) -> None:
    """``probe browser --profile`` on a Firefox profiles folder (profiles.ini), as a person
    has it: the blocking add-on is found, nothing in the folder changes, and no planted
    cookie value is in the report folder or the terminal output."""
    seeds = LARGE_COOKIES[:3]
    root = tmp_path / "firefox"
    with EmbeddedPortal() as portal:
        build_firefox_profile(
            ProfileRecipe(extensions=["harmless/notes", "ad-shield"], cookies=seeds),
            root / "abcd1234.default-esr",
            firefox=firefox,
            portal_url=portal.url,
        )
    (root / "profiles.ini").write_text(
        "[Profile0]\nName=default-esr\nIsRelative=1\nPath=abcd1234.default-esr\nDefault=1\n"
    )
    assert {c.name for c in read_profile(root / "abcd1234.default-esr").cookies} >= {
        s.name for s in seeds
    }
    before = _digest(root)
    from probe.app.cli import app

    result = CliRunner().invoke(
        app,
        ["browser", "--profile", str(root), "--report-dir", str(tmp_path / "report")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "Ad Shield" in result.output
    assert "Firefox profile 'default-esr'" in result.output
    assert _digest(root) == before
    values = [s.value().encode() for s in seeds]
    written = [p for p in (tmp_path / "report").rglob("*") if p.is_file()]
    assert any(p.suffix == ".zip" for p in written)  # the traces, looked into below
    for path in written:
        contents = [path.read_bytes()]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                contents += [archive.read(name) for name in archive.namelist()]
        assert not any(v in data for v in values for data in contents), path
    assert not any(v.decode() in result.output for v in values)


@pytest.mark.parametrize(("engine", "other"), [("firefox", "Chromium"), ("chromium", "Firefox")])
def test_when_a_brand_new_profile_fails_too_the_other_browser_says_switching_does_not_help(
    engine: EngineName, other: str, tmp_path: Path
) -> None:
    from probe.app.scenarios import load_scenario

    scenario = load_scenario("maintenance")
    case = ScenarioCase(
        portal=scenario.portal,
        recipe=ProfileRecipe(),
        credentials=demo_credentials(),
        engine=engine,
    )
    report, _ = run_diagnosis(DiagnosisRequest(report_dir=tmp_path / "report"), case=case)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "maintenance")
    assert [v.name for v in report.variants if v.outcome != "skipped"] == [
        "current",
        "fresh",
        "other-browser",
    ]
    found = report.other_browser
    assert found is not None and (found.outcome, found.engine) == ("same", other.lower())
    assert found.browser.startswith(other)
    assert report.verdict.summary_en.endswith("switching browsers does not help.")
    assert "changer de navigateur n'y change rien" in report.verdict.summary_fr
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "switching browsers does not help" in page


def test_the_engine_runs_a_private_window_with_the_addons_allowed_in_private_only(
    firefox: Firefox, tmp_path: Path
) -> None:
    """FirefoxEngine through the seam: the inventory of a profile Firefox wrote, then a
    run keeping everything (the blocking add-on stops the CAPTCHA's script with
    NS_ERROR_ABORT) and a private window (only the add-on allowed in private runs)."""

    from playwright.async_api import async_playwright

    from probe.browsers.base import RunSpec
    from probe.browsers.firefox.engine import FirefoxEngine

    with EmbeddedPortal() as portal:
        source = build_firefox_profile(
            ProfileRecipe(
                extensions=["ad-shield", "harmless/notes"],
                incognito_extensions=["harmless/notes"],
            ),
            tmp_path / "person",
            firefox=firefox,
            portal_url=portal.url,
        )
        engine = FirefoxEngine(firefox, source)
        sites = ("portal.localhost", "captcha.localhost")
        copy = engine.copy_profile(tmp_path / "copy", sites)
        assert {c.name for c in copy.inventory.of_kind("extension")} == {"Ad Shield", "Notes"}
        assert copy.inventory.private == {gecko_id("harmless/notes")}
        login = portal.url.rstrip("/") + "/connexion"

        async def failed_requests(spec: RunSpec) -> list[str]:
            async with async_playwright() as playwright:
                launched = await engine.launch(playwright, copy, spec)
                try:
                    page = launched.context.pages[0]
                    failures: list[str] = []
                    page.on("requestfailed", lambda r: failures.append(r.failure or ""))
                    await page.goto(login, wait_until="load")
                    await page.wait_for_timeout(1000)
                    return failures
                finally:
                    await launched.context.close()

        everything = RunSpec(kept=copy.inventory.ids, folder=tmp_path / "run-1", sites=sites)
        assert "NS_ERROR_ABORT" in loops.run(failed_requests(everything))
        # Everything kept, in a private window: Firefox itself leaves out Ad Shield, not
        # allowed in private windows (what the diagnosis's private variant relies on).
        private = RunSpec(
            kept=copy.inventory.ids, folder=tmp_path / "run-2", private=True, sites=sites
        )
        assert loops.run(failed_requests(private)) == []
