"""No robot marks: the browsers probe starts look like the person's own to a bot detector.

Measured by hand on this machine (Chromium 156.0.8078.129, Firefox ESR 153.8.0, Playwright
1.64), on a page that runs BotD 2.0.0 (npm ``@fingerprintjs/botd``, the detector of the
test portal ``tests/portals/botd_portal``) and writes its answer into the page:

- plain ``chromium --headless=new --no-sandbox --dump-dom`` (no Playwright): BotD says
  ``bot`` (``headless_chrome``, from the user agent and ``navigator.appVersion``:
  ``HeadlessChrome/156.0.0.0``); ``navigator.webdriver`` false, languages ``en-US,en``,
  5 plugins, ``userAgentData`` brands ``Chromium 156, Not:A-Brand 8``.
- Chromium as Playwright started it before this change: the same, plus
  ``navigator.webdriver`` true (Playwright's ``--enable-automation``).
- with ``--disable-blink-features=AutomationControlled`` and the headed user agent
  (``Chrome/156.0.0.0``): BotD says human; brands unchanged.
- Firefox over BiDi: ``navigator.webdriver`` true (BotD: bot); the old
  ``dom.webdriver.enabled`` preference changes nothing in 153; with probe's init script
  ``navigator.webdriver`` is false and BotD says human. Firefox's user agent has no
  headless mark.

Each test here starts the browser the way a diagnosis does (the engine's own launch,
headless and headed on a virtual display, and a Chromium lent by the engine's reuse pool)
and fails if a mark comes back (checked: without the flag or the init script, every one
fails on ``navigator.webdriver``; without the user agent, the headless Chromium ones on
``HeadlessChrome``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from probe._util import loops
from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.app.recipes.firefox import build_firefox_profile
from probe.browsers.base import RunSpec
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.engine import ChromiumEngine
from probe.browsers.chromium.profile import locate_profile
from probe.browsers.firefox.discovery import Firefox, find_firefox
from probe.browsers.firefox.engine import FirefoxEngine
from probe.description.model import load_description
from probe.description.target import relocated, target_of
from probe.errors import ProbeError
from tests.helpers.display import virtual_display
from tests.portals.botd_portal import BotdPortal
from tests.portals.botd_portal.server import HERE

SITES = ("botd.localhost",)


@pytest.fixture
def portal() -> Iterator[BotdPortal]:
    with BotdPortal() as running:
        yield running


@pytest.fixture(scope="module")
def firefox() -> Firefox:
    try:
        return find_firefox()
    except ProbeError as exc:
        pytest.skip(f"Firefox is not installed ({exc})")


async def marks(page: Page, url: str) -> dict[str, Any]:
    """What a bot detector reads, and what BotD made of it (``data-botd`` on the page)."""
    await page.goto(url)
    await page.wait_for_function("document.documentElement.dataset.botd !== undefined")
    found: dict[str, Any] = await page.evaluate(
        """() => ({
            webdriver: navigator.webdriver,
            userAgent: navigator.userAgent,
            appVersion: navigator.appVersion,
            languages: [...navigator.languages],
            brands: navigator.userAgentData
                ? navigator.userAgentData.brands.map((b) => b.brand) : null,
            botd: document.documentElement.dataset.botd,
        })"""
    )
    return found


def assert_unmarked(found: dict[str, Any]) -> None:
    assert found["webdriver"] is False, found
    assert "headless" not in found["userAgent"].lower(), found
    assert "headless" not in found["appVersion"].lower(), found
    assert found["languages"], found  # an empty list is a headless mark to BotD
    if found["brands"] is not None:  # Chromium
        assert not any("headless" in b.lower() for b in found["brands"]), found
    assert found["botd"] == "human", found


def test_a_fresh_chromium_run_has_no_robot_marks(
    portal: BotdPortal, probe_chromium: Chromium, tmp_path: Path
) -> None:
    async def check() -> dict[str, Any]:
        async with async_playwright() as playwright:
            engine = ChromiumEngine(probe_chromium, None)
            spec = RunSpec(kept=frozenset(), folder=tmp_path / "run", fresh=True, sites=SITES)
            launched = await engine.launch(playwright, None, spec)
            try:
                page = await launched.context.new_page()
                return await marks(page, portal.login_url)
            finally:
                await launched.context.close()

    found = loops.run(check())
    assert_unmarked(found)
    assert f"Chrome/{probe_chromium.major}.0.0.0" in found["userAgent"]
    assert found["appVersion"] == found["userAgent"].removeprefix("Mozilla/")
    assert portal.verdicts == []  # nothing was submitted


async def _reused_marks(
    engine: ChromiumEngine | FirefoxEngine, copy: Any, target: Any, folder: Path, login_url: str
) -> dict[str, Any]:
    """Robot marks seen in a pooled browser, then in the same browser set to another run
    (its extensions switched off)."""
    async with async_playwright() as playwright:
        reuse = engine.reusable(
            playwright, copy, size=1, folder=folder, headed=False, target=target
        )
        assert reuse is not None
        try:
            kept = frozenset(c.id for c in copy.inventory.components)
            lent = await reuse.lend(kept, fresh=False, start=True)
            assert lent is not None
            first = await marks(lent.page, login_url)
            reuse.give_back(lent, sound=True)
            extensions = {c.id for c in copy.inventory.of_kind("extension")}
            again = await reuse.lend(kept - extensions, fresh=False, start=False)
            assert again is not None and again.context is lent.context
            second = await marks(again.page, login_url)
            reuse.give_back(again, sound=True)
            return {"first": first, "second": second, "started": reuse.started}
        finally:
            await reuse.close()


def test_a_reused_chromium_has_no_robot_marks(
    portal: BotdPortal, probe_chromium: Chromium, tmp_path: Path
) -> None:
    user_data_dir = build_profile(
        ProfileRecipe(extensions=["harmless/notes"]), tmp_path / "profile", chromium=probe_chromium
    )
    # The person's languages, as Chromium's language settings write them.
    preferences = user_data_dir / "Default" / "Preferences"
    settings = json.loads(preferences.read_text(encoding="utf-8"))
    settings.setdefault("intl", {})["accept_languages"] = "fr-FR,fr,en-GB"
    preferences.write_text(json.dumps(settings), encoding="utf-8")
    found = _two_reused_runs(
        ChromiumEngine(probe_chromium, locate_profile(user_data_dir)), portal, tmp_path
    )
    assert found["first"]["languages"] == found["second"]["languages"] == ["fr-FR", "fr", "en-GB"]


def test_a_firefox_run_has_no_robot_marks(
    portal: BotdPortal, firefox: Firefox, tmp_path: Path
) -> None:
    async def check() -> dict[str, Any]:
        async with async_playwright() as playwright:
            engine = FirefoxEngine(firefox, None)
            spec = RunSpec(kept=frozenset(), folder=tmp_path / "run", fresh=True, sites=SITES)
            launched = await engine.launch(playwright, None, spec)
            try:
                context = launched.context
                page = context.pages[0] if context.pages else await context.new_page()
                return await marks(page, portal.login_url)
            finally:
                await launched.context.close()

    found = loops.run(check())
    assert_unmarked(found)
    assert f"Firefox/{firefox.version.split('.')[0]}.0" in found["userAgent"]


def test_a_reused_firefox_has_no_robot_marks(
    portal: BotdPortal, firefox: Firefox, tmp_path: Path
) -> None:
    """A pooled Firefox runs Marionette beside WebDriver BiDi (its add-ons are switched
    through it): the page sees no more of that than of a plain run, add-on or not."""
    profile = build_firefox_profile(
        ProfileRecipe(extensions=["harmless/notes"]), tmp_path / "profile", firefox=firefox
    )
    _two_reused_runs(FirefoxEngine(firefox, profile), portal, tmp_path)


def _two_reused_runs(
    engine: ChromiumEngine | FirefoxEngine, portal: BotdPortal, tmp_path: Path
) -> dict[str, Any]:
    """Two runs in one pooled browser of ``engine``, the marks of both checked unmarked."""
    copy = engine.copy_profile(tmp_path / "copy", SITES)
    description = load_description(HERE / "portal.toml")
    target = target_of(relocated(description, portal.login_url))
    found = loops.run(_reused_marks(engine, copy, target, tmp_path / "warm", portal.login_url))
    assert found["started"] == 1
    assert_unmarked(found["first"])
    assert_unmarked(found["second"])
    return found


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with virtual_display() as name:
        monkeypatch.setenv("DISPLAY", name)
        yield name


@pytest.mark.parametrize("engine_name", ["chromium", "firefox"])
def test_a_headed_run_has_no_robot_marks(
    engine_name: str,
    display: str,
    portal: BotdPortal,
    probe_chromium: Chromium,
    tmp_path: Path,
) -> None:
    async def check() -> dict[str, Any]:
        async with async_playwright() as playwright:
            engine: ChromiumEngine | FirefoxEngine = (
                ChromiumEngine(probe_chromium, None)
                if engine_name == "chromium"
                else FirefoxEngine(find_firefox(), None)
            )
            spec = RunSpec(
                kept=frozenset(), folder=tmp_path / "run", fresh=True, headed=True, sites=SITES
            )
            launched = await engine.launch(playwright, None, spec)
            try:
                context = launched.context
                page = context.pages[0] if context.pages else await context.new_page()
                return await marks(page, portal.login_url)
            finally:
                await launched.context.close()

    found = loops.run(check())
    assert_unmarked(found)
