"""What each browser setting probe reads really does in Chromium 156, and that resetting
it in a run folder undoes it. Each profile is built by a recipe, read back, snapshotted
and prepared exactly as a diagnosis does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import (
    SettingId,
    locate_profile,
    prepare_run_dir,
    snapshot_profile,
)
from tests.helpers.profiles import launch_profile, serve_site


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_site() as serving:
        yield serving


class Runs:
    """Builds a profile with some settings on and launches Chromium on a run folder of it."""

    def __init__(self, playwright: Playwright, chromium: Chromium, tmp_path: Path) -> None:
        self.playwright, self.chromium, self.tmp_path = playwright, chromium, tmp_path
        self.contexts: list[BrowserContext] = []

    def launch(self, settings: list[SettingId], *, reset: bool = False) -> BrowserContext:
        work = self.tmp_path / f"run-{len(self.contexts)}"
        built = build_profile(
            ProfileRecipe(settings=settings), work / "built", chromium=self.chromium
        )
        source = locate_profile(built)
        assert [s.id for s in source.settings] == settings  # read back as written
        snapshot = snapshot_profile(source, work / "snapshot")
        run = prepare_run_dir(
            snapshot,
            work / "run",
            keep_cookies=True,
            keep_site_data=True,
            reset_settings=settings if reset else [],
        )
        context = launch_profile(self.playwright, self.chromium, run)
        self.contexts.append(context)
        return context

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def runs(playwright: Playwright, probe_chromium: Chromium, tmp_path: Path) -> Iterator[Runs]:
    made = Runs(playwright, probe_chromium, tmp_path)
    yield made
    made.close()


def page_of(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else context.new_page()


def test_javascript_blocked(runs: Runs, port: int) -> None:
    blocked = page_of(runs.launch(["javascript"]))
    blocked.goto(f"http://a.localhost:{port}/js")
    assert blocked.title() == "not run"
    reset = page_of(runs.launch(["javascript"], reset=True))
    reset.goto(f"http://a.localhost:{port}/js")
    assert reset.title() == "ran"


def test_all_cookies_blocked(runs: Runs, port: int) -> None:
    context = runs.launch(["cookies"])
    page_of(context).goto(f"http://a.localhost:{port}/cookie")
    assert page_of(context).evaluate("document.cookie") == ""
    assert context.cookies() == []  # neither the header's nor the script's cookie was kept
    reset = runs.launch(["cookies"], reset=True)
    page_of(reset).goto(f"http://a.localhost:{port}/cookie")
    assert sorted(c["name"] for c in reset.cookies()) == ["from_header", "from_script"]


def third_party_cookie_seen(context: BrowserContext, port: int) -> tuple[str, list[str]]:
    """Load a.localhost framing b.localhost twice; what the frame received the second time."""
    page = page_of(context)
    for _ in range(2):
        page.goto(f"http://a.localhost:{port}/frame-parent")
        frame = page.frame_locator("iframe")
        frame.locator("body").wait_for()
    text = page.frame_locator("iframe").locator("body").inner_text()
    return text.strip(), [c["name"] for c in context.cookies() if c["domain"] == "b.localhost"]


def test_third_party_cookies_blocked(runs: Runs, port: int) -> None:
    assert third_party_cookie_seen(runs.launch(["third-party-cookies"]), port) == (
        "received:",
        [],
    )
    reset = runs.launch(["third-party-cookies"], reset=True)
    assert third_party_cookie_seen(reset, port) == ("received: in_frame", ["in_frame"])


def test_debian_chromium_blocks_third_party_cookies_without_the_setting(
    runs: Runs, port: int, probe_chromium: Chromium
) -> None:
    if not str(probe_chromium.executable).startswith("/usr/lib/chromium/"):
        pytest.skip("a fact about Debian's Chromium build")
    # No preference at all: Debian's default is to block, so "reset" must write one.
    assert third_party_cookie_seen(runs.launch([]), port) == ("received:", [])


def test_proxy_fails_other_hosts_but_never_localhost(runs: Runs, port: int) -> None:
    page = page_of(runs.launch(["proxy"]))
    page.goto(f"http://a.localhost:{port}/js")  # *.localhost bypasses any proxy
    assert page.title() == "ran"
    with pytest.raises(PlaywrightError, match="ERR_PROXY_CONNECTION_FAILED"):
        page.goto(f"http://portal.example:{port}/js")
    reset = page_of(runs.launch(["proxy"], reset=True))
    with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
        reset.goto(f"http://portal.example:{port}/js")  # straight to DNS, which has no answer


def test_popup_preference_is_not_a_setting(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path, port: int
) -> None:
    """Why "popups" is not a SettingId: blocking is the default, and Playwright undoes it."""
    user_data_dir = tmp_path / "popups"
    (user_data_dir / "Default").mkdir(parents=True)
    prefs = {"profile": {"default_content_setting_values": {"popups": 2}}}
    (user_data_dir / "Default" / "Preferences").write_text(json.dumps(prefs))
    assert locate_profile(user_data_dir).settings == ()
    with_defaults = launch_profile(playwright, probe_chromium, user_data_dir)
    try:
        page_of(with_defaults).goto(f"http://a.localhost:{port}/popup")
        assert page_of(with_defaults).evaluate("window.popupBlocked") is False
    finally:
        with_defaults.close()
    fresh = launch_profile(
        playwright, probe_chromium, tmp_path / "fresh", playwright_defaults=False
    )
    try:
        page_of(fresh).goto(f"http://a.localhost:{port}/popup")
        assert page_of(fresh).evaluate("window.popupBlocked") is True
    finally:
        fresh.close()
