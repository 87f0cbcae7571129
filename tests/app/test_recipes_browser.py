"""Recipes that start Chromium (cookies, visits), and what each fixture does to a login page
shaped like the portal's (``tests/helpers/profiles.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from probe.app.recipes.chromium import CookieSeed, ProfileRecipe, build_profile, fixtures_dir
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import extension_id, locate_profile, read_cookies
from tests.helpers.profiles import launch_profile, serve_site, wait_for_content_scripts


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_site() as serving:
        yield serving


def test_full_recipe_round_trip(probe_chromium: Chromium, tmp_path: Path, port: int) -> None:
    recipe = ProfileRecipe(
        extensions=["ad-shield", "private-ok", "harmless/notes"],
        disabled_extensions=["form-filler-pro"],
        incognito_extensions=["private-ok"],
        cookies=[CookieSeed(name="session_hint", domain="portal.localhost", size=64)],
        cookie_jars=["harmless.json"],
        settings=["third-party-cookies"],
        visit=["{portal}/site-data"],
    )
    built = build_profile(
        recipe,
        tmp_path / "profile",
        chromium=probe_chromium,
        portal_url=f"http://a.localhost:{port}/",
    )
    found = locate_profile(built)
    assert found.chromium_version == probe_chromium.version
    ids = {
        extension_id(fixtures_dir() / "extensions" / n): n
        for n in recipe.extensions + recipe.disabled_extensions
    }
    assert {e.id for e in found.extensions} == set(ids)
    assert {ids[e.id] for e in found.extensions if not e.enabled} == {"form-filler-pro"}
    assert {ids[e.id] for e in found.extensions if e.incognito} == {"private-ok"}
    assert [s.id for s in found.settings] == ["third-party-cookies"]
    cookies = read_cookies(found)
    assert len(cookies) == 5 and {c.domain for c in cookies} == {"portal.localhost"}
    assert {c.encrypted_with for c in cookies} == {"v10"}  # --password-store=basic
    assert (found.profile_dir / "Local Storage" / "leveldb").is_dir()
    assert (found.profile_dir / "Service Worker" / "CacheStorage").is_dir()


class Browsers:
    def __init__(self, playwright: Playwright, chromium: Chromium, tmp_path: Path) -> None:
        self.playwright, self.chromium, self.tmp_path = playwright, chromium, tmp_path
        self.contexts: list[BrowserContext] = []

    def login_page(self, *extensions: str, recipe: ProfileRecipe | None = None) -> Page:
        """The login page in a browser whose profile has ``extensions`` installed."""
        work = self.tmp_path / f"browser-{len(self.contexts)}"
        recipe = recipe or ProfileRecipe(extensions=list(extensions))
        profile = locate_profile(build_profile(recipe, work, chromium=self.chromium))
        context = launch_profile(self.playwright, self.chromium, work, profile.extensions)
        self.contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsers(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path
) -> Iterator[Browsers]:
    made = Browsers(playwright, probe_chromium, tmp_path)
    yield made
    made.close()


def open_login(page: Page, port: int) -> list[str]:
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.goto(f"http://portal.localhost:{port}/connexion")
    page.wait_for_load_state("networkidle")
    return failed


def captcha_shown(page: Page) -> bool:
    return page.locator("#captcha iframe").count() == 1


def type_credentials(page: Page) -> None:
    page.fill("#identifiant", "1234567890123")
    page.fill("#mot-de-passe", "not-a-real-password")


def press_login_and_see_it_cancelled(page: Page) -> bool:
    """Press "Se connecter"; whether the form's submission was cancelled.

    A listener on the window sees the submit event before any on the form (an
    extension's too) and reads ``defaultPrevented`` once the whole dispatch is over: the
    answer comes from the event itself, not from waiting a while.
    """
    page.evaluate(
        """() => { window.submitCancelled = new Promise((resolve) => addEventListener(
            "submit", (event) => setTimeout(() => resolve(event.defaultPrevented)),
            { capture: true, once: true })); }"""
    )
    page.click("#se-connecter")
    cancelled: bool = page.evaluate("window.submitCancelled")
    return cancelled


def test_without_extensions_the_login_works(browsers: Browsers, port: int) -> None:
    page = browsers.login_page("harmless/word-counter", "harmless/notes", "private-ok")
    assert open_login(page, port) == []
    assert captcha_shown(page)
    type_credentials(page)
    with page.expect_navigation():
        page.click("#se-connecter")
    assert page.title() == "Mon compte"


def test_ad_shield_blocks_the_captcha(browsers: Browsers, port: int) -> None:
    page = browsers.login_page("ad-shield")
    failed = open_login(page, port)
    assert [f for f in failed if "captcha.localhost" in f and "ERR_BLOCKED_BY_CLIENT" in f]
    assert not captcha_shown(page)


def test_form_filler_pro_breaks_the_login_button(browsers: Browsers, port: int) -> None:
    page = browsers.login_page("form-filler-pro")
    open_login(page, port)
    assert captcha_shown(page)
    type_credentials(page)
    assert press_login_and_see_it_cancelled(page), "the extension swallows the submission"
    assert page.title() == "Connexion"  # the click did nothing
    assert page.url.endswith("/connexion")


def ids_of(*fixtures: str) -> list[str]:
    return [extension_id(fixtures_dir() / "extensions" / name) for name in fixtures]


@pytest.mark.parametrize("extension", ["pair-a", "pair-b"])
def test_either_of_the_pair_alone_leaves_the_captcha(
    browsers: Browsers, port: int, extension: str
) -> None:
    page = browsers.login_page(extension)
    open_login(page, port)
    wait_for_content_scripts(page, ids_of(extension))
    expect(page.frame_locator("#captcha iframe").locator("#captcha-checkbox")).to_be_visible()
    assert captcha_shown(page)


def test_the_pair_together_removes_the_captcha(browsers: Browsers, port: int) -> None:
    page = browsers.login_page("pair-a", "pair-b")
    widget_requests: list[str] = []
    page.on("request", lambda r: widget_requests.extend([r.url] if "/widget" in r.url else []))
    open_login(page, port)
    wait_for_content_scripts(page, ids_of("pair-a", "pair-b"))
    assert widget_requests, "the CAPTCHA script did put its widget in the page"
    page.locator("#captcha iframe").wait_for(state="detached")
    assert not captcha_shown(page)
