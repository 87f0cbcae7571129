"""Firefox runs reusing a running Firefox (``probe.browsers.firefox.warm``): add-ons installed
and uninstalled through Marionette, the portal's site data emptied between runs, and the
same verdict as with a Firefox per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from probe._util import loops
from probe.app.ci import diagnose_scenario
from probe.app.recipes.chromium import ProfileRecipe
from probe.app.recipes.firefox import build_firefox_profile, gecko_id
from probe.app.request import DiagnosisRequest
from probe.browsers.firefox.discovery import Firefox, find_firefox
from probe.browsers.firefox.engine import FirefoxEngine
from probe.browsers.firefox.prefs import parse_prefs
from probe.browsers.firefox.warm import UUIDS_PREF, FirefoxWarmBrowser
from probe.browsers.pool import Lent
from probe.description.model import mock_description
from probe.description.target import Target, pagemap_of
from probe.errors import ProbeError
from probe.mock_portal import EmbeddedPortal
from probe.models import Report
from tests.diagnosis.test_reuse_equivalence_browser import verdict_of
from tests.helpers.paths import FIXTURE_SCENARIOS

# In fixtures/scenarios/: a CSS-only add-on hides the CAPTCHA among two harmless ones. No
# request fails; its manifest declares the style sheet for the portal's pages, which names
# it (3 runs; by elimination it took 8).
CSS_AMONG_THREE = "css-addon-among-three"

CAPTCHA_DISPLAY = (
    "() => [...document.querySelectorAll('.captcha')].map(e => getComputedStyle(e).display)"
)


@pytest.fixture(scope="module")
def firefox() -> Firefox:
    try:
        return find_firefox()
    except ProbeError as exc:
        pytest.skip(f"Firefox is not installed ({exc})")


def test_a_css_only_addon_is_named_in_three_runs_and_reuse_gives_the_same_verdict(
    firefox: Firefox, tmp_path: Path
) -> None:
    """Seen by hand (Firefox ESR 153, plain Playwright): with Tidy Page installed the
    CAPTCHA box's display is 'none', without it 'block'. Its declared style sheet for the
    portal's pages names it: `current`, without it, only it. Diagnosed with every run in a
    reused Firefox and with a Firefox per run (--no-reuse): the same verdict, Tidy Page
    named; with reuse fewer Firefox launches than runs, without it one per run."""
    reused, alone = _reused_and_alone(CSS_AMONG_THREE, tmp_path, FIXTURE_SCENARIOS)
    assert [c.id for c in reused.verdict.culprits] == [gecko_id("cosmetic-filter")]
    assert alone.browser_runs == reused.browser_runs == 3
    current = next(v for v in alone.variants if v.name == "current")
    assert [(e.kind, e.component) for e in current.evidence] == [
        ("injects-css", gecko_id("cosmetic-filter"))
    ]


@pytest.mark.parametrize("name", ["ad-blocker-hides-captcha", "sixteen-large-cookies"])
def test_switching_addons_and_cookies_on_every_run_gives_the_verdict_of_a_firefox_per_run(
    name: str, firefox: Firefox, tmp_path: Path
) -> None:
    """The shipped Firefox scenarios with add-ons or cookies to switch: with a pooled
    Firefox for every run that can take one (``reuse_every_run``; by default their runs
    are runs alone), the same verdict as with a Firefox per run, fewer launches."""
    _reused_and_alone(name, tmp_path)


def _reused_and_alone(
    name: str, tmp_path: Path, directory: Path | None = None
) -> tuple[Report, Report]:
    """``name`` diagnosed in Firefox with every run that can take one in a pooled Firefox,
    then with a Firefox per run: the same verdict, fewer launches with reuse."""
    reports: dict[bool, Report] = {}
    for reuse in (True, False):
        request = DiagnosisRequest(
            report_dir=tmp_path / f"reuse-{reuse}",
            browser="firefox",
            reuse_browsers=reuse,
            reuse_every_run=reuse,
            trace=False,
        )
        reports[reuse], _ = diagnose_scenario(name, request, directory=directory)
    reused, alone = reports[True], reports[False]
    assert alone.browsers_started == alone.browser_runs
    assert reused.browsers_started is not None and reused.browsers_started < reused.browser_runs
    assert verdict_of(reused.model_dump(mode="json")) == verdict_of(alone.model_dump(mode="json"))
    return reused, alone


async def _switch_back_and_forth(
    engine: FirefoxEngine, copy: Any, target: Target, folder: Path, portal_url: str
) -> tuple[list[Any], str | None]:
    from playwright.async_api import async_playwright

    tidy = gecko_id("cosmetic-filter")
    seen: list[Any] = []
    browser: FirefoxWarmBrowser | None = None
    async with async_playwright() as playwright:
        reuse = engine.reusable(
            playwright, copy, size=1, folder=folder, headed=False, target=target
        )
        assert reuse is not None
        everything = copy.inventory.ids
        try:
            for kept in (everything, everything - {tidy}, everything):
                lent = await reuse.lend(kept, fresh=False, start=True)
                assert isinstance(lent, Lent) and isinstance(lent.browser, FirefoxWarmBrowser)
                browser = lent.browser
                page = lent.page
                await page.goto(portal_url + "connexion")
                await page.wait_for_timeout(500)  # the add-on's style sheet, if any
                seen.append(
                    (
                        await page.evaluate(CAPTCHA_DISPLAY),
                        await page.evaluate("localStorage.length"),
                    )
                )
                await page.evaluate("localStorage.setItem('probe-run', '1')")
                reuse.give_back(lent, sound=True)
            # Closed by Firefox itself, which writes its prefs (the add-ons' addresses).
            assert browser is not None
            prefs_file = browser.run_dir / "profile" / "prefs.js"
            await browser.context.close()
            uuids = json.loads(str(parse_prefs(prefs_file.read_text()).values[UUIDS_PREF]))
        finally:
            await reuse.close()
    return seen, uuids.get(tidy)


def test_an_addon_switched_off_and_on_keeps_its_address_and_the_portal_data_is_emptied(
    firefox: Firefox, tmp_path: Path
) -> None:
    """One running Firefox, three runs: Tidy Page, then without it, then with it again.
    Its style sheet hides the CAPTCHA box only while it is installed; the local storage a
    run wrote on the portal is gone at the next run; and the add-on keeps the
    moz-extension address the person's Firefox gave it (so its storage is the person's)."""
    with EmbeddedPortal() as portal:
        profile = build_firefox_profile(
            ProfileRecipe(extensions=["cosmetic-filter", "harmless/calculator"]),
            tmp_path / "person",
            firefox=firefox,
            portal_url=portal.url,
        )
        engine = FirefoxEngine(firefox, profile)
        sites = ("portal.localhost",)
        copy = engine.copy_profile(tmp_path / "copy", sites)
        assert copy.source is not None
        person_uuid = next(
            a.storage_uuid for a in copy.source.addons if a.id == gecko_id("cosmetic-filter")
        )
        target = Target(url=portal.url, sites=sites, pagemap=pagemap_of(mock_description()))
        seen, uuid = loops.run(
            _switch_back_and_forth(engine, copy, target, tmp_path / "work", portal.url)
        )
    assert seen == [(["none"], 0), (["block"], 0), (["none"], 0)]
    assert person_uuid and uuid == person_uuid
