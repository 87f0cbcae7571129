"""The CAPTCHA and the login answer, read from what the browser shows, on both test portals.

What a person checks: the in-page ALTCHA widget and the mock's iframe widget both get
solved; a widget whose host is blocked inside the browser is reported as blocked; a
login that answers in the page (no navigation) is read, and its English message means
"invalid credentials".
"""

from __future__ import annotations

import dataclasses

from playwright.async_api import Page, Route, async_playwright

from probe._util import loops
from probe.app.portal.login_page import launch
from probe.browsers.chromium.discovery import find_chromium
from probe.description.model import load_description, mock_description
from probe.description.pagemap import PageMap
from probe.description.target import Timeouts, pagemap_of, relocated
from probe.journey.observation import visible_text
from probe.journey.page_steps import StepProblem, solve_captcha, submit
from probe.mock_portal import EmbeddedPortal
from probe.models import FailedRequest
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import CAPTCHA_HOST, DEMO_USERNAME, AllauthAltchaPortal

ALLAUTH = ALLAUTH_ALTCHA / "portal.toml"


async def _in_browser(
    url: str, pagemap: PageMap, *, block: str | None, password: str | None
) -> dict[str, object]:
    async with async_playwright() as playwright:
        browser = await launch(playwright, find_chromium())
        try:
            page: Page = await browser.new_page()
            failed: list[FailedRequest] = []
            page.on(
                "requestfailed",
                lambda r: failed.append(
                    FailedRequest(url=r.url, resource_type=r.resource_type, error=r.failure or "")
                ),
            )
            if block:

                async def refuse(route: Route) -> None:
                    await route.abort("blockedbyclient")

                await page.route(f"http://{block}:*/**", refuse)
            await page.goto(url, wait_until="domcontentloaded")
            shown: list[float] = []
            outcome = await solve_captcha(page, pagemap, failed, Timeouts(), shown=shown.append)
            result: dict[str, object] = {"captcha": outcome, "shown": shown}
            if outcome is None and password is not None:
                await page.fill(pagemap.identifier, DEMO_USERNAME)
                await page.fill(pagemap.password, password)
                navigations: list[str] = []
                page.on("framenavigated", lambda f: navigations.append(f.url))
                answer = await submit(
                    page,
                    pagemap,
                    lambda: page.click(pagemap.submit),
                    timeout_ms=6_000,
                    form=pagemap.login_form,
                    button=pagemap.submit,
                )
                message = await visible_text(page, pagemap.message)
                result.update(
                    status=answer.status,
                    message=message,
                    navigations=navigations,
                    symptom=pagemap.symptom_of(message, answer.status),
                    home=await page.locator(pagemap.home_marker).count(),
                )
            return result
        finally:
            await browser.close()


def test_in_page_captcha_then_in_page_wrong_password_answer() -> None:
    with AllauthAltchaPortal() as portal:
        pagemap = pagemap_of(relocated(load_description(ALLAUTH), portal.login_url))
        result = loops.run(
            _in_browser(portal.login_url, pagemap, block=None, password="Not-the-password")
        )
    assert result["captcha"] is None  # solved
    assert result["navigations"] == []  # the answer came in the page
    assert result["status"] == 400
    assert "not correct" in str(result["message"])
    assert result["symptom"] == "invalid-credentials"


def test_in_page_login_with_the_right_password_reaches_the_marker() -> None:
    from tests.portals.allauth_altcha import DEMO_PASSWORD

    with AllauthAltchaPortal() as portal:
        pagemap = pagemap_of(relocated(load_description(ALLAUTH), portal.login_url))
        result = loops.run(
            _in_browser(portal.login_url, pagemap, block=None, password=DEMO_PASSWORD)
        )
    assert result["status"] == 200
    assert result["home"] == 1
    assert result["symptom"] is None


def test_a_blocked_in_page_captcha_host_is_reported_as_blocked() -> None:
    with AllauthAltchaPortal() as portal:
        pagemap = pagemap_of(relocated(load_description(ALLAUTH), portal.login_url))
        result = loops.run(
            _in_browser(portal.login_url, pagemap, block=CAPTCHA_HOST, password=None)
        )
    problem = result["captcha"]
    assert isinstance(problem, StepProblem)
    assert problem.symptom == "captcha-blocked"
    assert problem.detail.key == "detail.captcha-blocked"
    assert CAPTCHA_HOST in str(problem.detail.params["url"])
    assert result["shown"] == []  # no widget rendered: nothing to learn a wait from


def test_the_mock_iframe_captcha_is_solved_through_its_description(portal: EmbeddedPortal) -> None:
    pagemap = pagemap_of(relocated(mock_description(), portal.url))
    result = loops.run(_in_browser(portal.url + "connexion", pagemap, block=None, password=None))
    assert result["captcha"] is None
    # How long the widget took to render: what narrowing-down runs learn their wait from.
    shown = result["shown"]
    assert isinstance(shown, list) and len(shown) == 1
    assert 0 <= shown[0] < Timeouts().captcha_appear / 1000


async def _messages_of(html: str, pagemap: PageMap) -> str | None:
    from probe.journey.page_steps import read_message

    async with async_playwright() as playwright:
        browser = await launch(playwright, find_chromium())
        try:
            page = await browser.new_page()
            await page.set_content(html)
            return await read_message(page, pagemap)
        finally:
            await browser.close()


def test_an_error_next_to_a_field_is_read_when_there_is_no_banner() -> None:
    pagemap = dataclasses.replace(
        pagemap_of(load_description(ALLAUTH)),
        message="#banner",
        field_messages=(".field-error",),
    )
    html = '<form><input id="email"><p class="field-error">Enter a valid e-mail.</p></form>'
    assert loops.run(_messages_of(html, pagemap)) == "Enter a valid e-mail."
    with_banner = '<div id="banner">Too many requests.</div>' + html
    assert loops.run(_messages_of(with_banner, pagemap)) == "Too many requests."


async def _captcha_with_style(url: str, pagemap: PageMap, css: str) -> object:
    async with async_playwright() as playwright:
        browser = await launch(playwright, find_chromium())
        try:
            page = await browser.new_page(bypass_csp=True)  # the portal allows no inline style
            await page.goto(url, wait_until="domcontentloaded")
            await page.add_style_tag(content=css)
            return await solve_captcha(page, pagemap, [], Timeouts())
        finally:
            await browser.close()


def test_a_captcha_box_hidden_by_a_style_rule_is_reported_as_not_shown(
    portal: EmbeddedPortal,
) -> None:
    # A cosmetic filter's rule (fixtures/extensions/cosmetic-filter): the widget renders,
    # nothing shows it; said as such, not as a click that timed out.
    pagemap = pagemap_of(relocated(mock_description(), portal.url))
    hidden = "#captcha { display: none !important; }"
    problem = loops.run(_captcha_with_style(portal.url + "connexion", pagemap, hidden))
    assert isinstance(problem, StepProblem)
    assert problem.symptom == "captcha-missing"
    assert problem.detail.key == "detail.captcha-hidden"
    # A style that leaves the box in sight changes nothing.
    shown = "#captcha { outline: 1px solid red; }"
    assert loops.run(_captcha_with_style(portal.url + "connexion", pagemap, shown)) is None
