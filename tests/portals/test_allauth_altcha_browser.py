"""The second test portal (django-allauth + ALTCHA) in real Chromium.

What a person would check: the CAPTCHA renders in the page itself and solves; the login
answers in the page (fetch, no navigation); a wrong password says so in English; with the
CAPTCHA's host blocked, the widget never appears and the login is refused; with JavaScript
off the page says it cannot work.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.portals.allauth_altcha import (
    CAPTCHA_HOST,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AllauthAltchaPortal,
)

TIMEOUT_MS = 10_000
LOGIN_API = "/_allauth/browser/v1/auth/login"

# The selectors a portal description needs (see tests/portals/allauth_altcha/README.md).
IDENTIFIER = "#id_login"
PASSWORD = "#id_password"
SUBMIT = 'form[action="/accounts/login/"] button[type="submit"]'
MESSAGES = "#login-messages"
WIDGET = "altcha-widget"
WIDGET_CLICK = "altcha-widget label"
WIDGET_STATE = "altcha-widget .altcha"
TOKEN_FIELD = 'altcha-widget input[type="hidden"][name="altcha"]'
SIGNED_IN = "#signed-in"


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


@pytest.fixture
def portal() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


def _open_login(page: Page, portal: AllauthAltchaPortal) -> list[str]:
    """Opens the login page; returns the list the main frame's later navigations go to."""
    page.goto(portal.login_url)
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    # A navigation would replace the window and drop this flag.
    page.evaluate("window.loginPageStillHere = true")
    return navigations


def _solve_captcha(page: Page) -> None:
    expect(page.locator(WIDGET_STATE)).to_have_attribute("data-state", "unverified")
    page.click(WIDGET_CLICK)
    expect(page.locator(WIDGET_STATE)).to_have_attribute("data-state", "verified")


def _submit(page: Page, password: str) -> int:
    """Types the demo credentials, submits, and returns the status of the login answer."""
    page.fill(IDENTIFIER, DEMO_USERNAME)
    page.fill(PASSWORD, password)
    with page.expect_response(lambda response: urlsplit(response.url).path == LOGIN_API) as info:
        page.click(SUBMIT)
    answer = info.value
    assert answer.request.resource_type == "fetch"
    return answer.status


def _no_navigation_since_load(page: Page, navigations: list[str]) -> None:
    assert navigations == []
    assert page.evaluate("window.loginPageStillHere") is True


def test_the_altcha_widget_renders_in_the_page_and_solves(
    page: Page, portal: AllauthAltchaPortal
) -> None:
    _open_login(page, portal)
    assert page.frames == [page.main_frame]  # no iframe: the widget is part of the page
    expect(page.locator(WIDGET).get_by_text("I'm not a robot")).to_be_visible()
    expect(page.locator(TOKEN_FIELD)).to_have_value("")
    _solve_captcha(page)
    token = page.locator(TOKEN_FIELD).input_value()
    assert len(token) > 40  # the base64 proof of work the server will check


def test_a_good_login_answers_in_the_page_without_a_navigation(
    page: Page, portal: AllauthAltchaPortal
) -> None:
    navigations = _open_login(page, portal)
    _solve_captcha(page)
    assert _submit(page, DEMO_PASSWORD) == 200
    expect(page.locator(SIGNED_IN)).to_have_text("You are signed in as demo.")
    _no_navigation_since_load(page, navigations)
    assert page.url == portal.login_url
    # The session is real: the server-rendered account page shows the same marker.
    page.goto(portal.account_url)
    expect(page.locator(SIGNED_IN)).to_have_attribute("data-username", DEMO_USERNAME)


def test_a_wrong_password_shows_an_english_message_without_a_navigation(
    page: Page, portal: AllauthAltchaPortal
) -> None:
    navigations = _open_login(page, portal)
    _solve_captcha(page)
    assert _submit(page, "not-the-password") == 400
    expect(page.locator(MESSAGES)).to_have_text(
        "The username and/or password you specified are not correct."
    )
    expect(page.locator(SIGNED_IN)).to_have_count(0)
    _no_navigation_since_load(page, navigations)
    # The solved CAPTCHA was spent: the widget asks to be solved again.
    expect(page.locator(WIDGET_STATE)).to_have_attribute("data-state", "unverified")
    assert [(r.identifier, r.password) for r in portal.received] == [
        (DEMO_USERNAME, "not-the-password")
    ]


def test_blocking_the_captcha_host_leaves_the_widget_unrendered_and_the_login_refused(
    page: Page, portal: AllauthAltchaPortal
) -> None:
    blocked: list[str] = []

    def block(route: Route) -> None:
        blocked.append(route.request.url)
        route.abort("blockedbyclient")

    page.route(lambda url: urlsplit(url).hostname == CAPTCHA_HOST, block)
    navigations = _open_login(page, portal)
    assert blocked == [f"{portal.captcha_origin}/altcha.js"]
    expect(page.locator(WIDGET)).to_be_attached()
    expect(page.locator(WIDGET_STATE)).to_have_count(0)  # never rendered
    assert page.evaluate("customElements.get('altcha-widget') === undefined") is True
    assert _submit(page, DEMO_PASSWORD) == 400
    expect(page.locator(MESSAGES)).to_contain_text("The CAPTCHA was not solved.")
    expect(page.locator(SIGNED_IN)).to_have_count(0)
    _no_navigation_since_load(page, navigations)
    [received] = portal.received
    assert received.captcha_payload is False


def test_with_javascript_off_the_page_says_it_cannot_sign_in(
    browser: Browser, portal: AllauthAltchaPortal
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(portal.login_url)
        expect(page.locator("#noscript-warning")).to_contain_text("JavaScript is turned off")
        expect(page.locator(WIDGET_STATE)).to_have_count(0)
        page.fill(IDENTIFIER, DEMO_USERNAME)
        page.fill(PASSWORD, DEMO_PASSWORD)
        # Without the script the stock form posts as a navigation, and the server refuses it.
        with page.expect_navigation():
            page.click(SUBMIT)
        expect(page.get_by_text("The CAPTCHA was not solved.")).to_be_visible()
        expect(page.locator(SIGNED_IN)).to_have_count(0)
        assert [r.path for r in portal.received] == ["/accounts/login/"]
    finally:
        context.close()
