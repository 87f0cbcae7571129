"""A login form that a page's script draws after the page loaded is waited for, not more.

What a person sees in a plain browser on these pages (checked by hand in Chromium, the
same pages served the same way, no probe): the form shows after the page's own slow
request answered; after a short timer; or never (a page without a login form). probe's
journey waits for the first two and gives up on the third once the page's network is
quiet, instead of its whole bound.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Route, async_playwright

from probe._util import loops
from probe.app.portal.login_page import launch
from probe.browsers.chromium.discovery import find_chromium
from probe.journey.page_steps import form_drawn

PAGE = "http://drawn.test/connexion"
FORM = "<form id='login-form'><input type='password'></form>"

AFTER_SLOW_REQUEST = f"""fetch("/api/settings").then(() => {{
  document.body.insertAdjacentHTML("beforeend", "{FORM}");
}});"""
AFTER_A_TIMER = f"""setTimeout(() => {{
  document.body.insertAdjacentHTML("beforeend", "{FORM}");
}}, 200);"""
NEVER = "document.body.insertAdjacentHTML('beforeend', '<p>Bienvenue</p>');"


async def _drawn(script: str, answer_after: float) -> int:
    """Load the page, wait as the journey does; how many login forms it holds then."""
    async with async_playwright() as playwright:
        browser = await launch(playwright, find_chromium())
        try:
            page = await browser.new_page()

            async def serve(route: Route) -> None:
                if route.request.url == PAGE:
                    html = f"<!doctype html><body><script>{script}</script></body>"
                    await route.fulfill(body=html, content_type="text/html")
                    return
                await asyncio.sleep(answer_after)  # the application thinks it over
                await route.fulfill(status=401, body="{}", content_type="application/json")

            await page.route("http://drawn.test/**", serve)
            await page.goto(PAGE, wait_until="domcontentloaded")
            await form_drawn(page, "#login-form")
            return await page.locator("#login-form").count()
        finally:
            await browser.close()


@pytest.mark.parametrize(
    ("script", "answer_after", "forms"),
    [(AFTER_SLOW_REQUEST, 2.0, 1), (AFTER_A_TIMER, 0, 1), (NEVER, 0, 0)],
    ids=["after-a-slow-request", "after-a-timer", "never"],
)
def test_aform_drawn_by_script_is_found_and_a_page_without_one_is_given_up(
    script: str, answer_after: float, forms: int
) -> None:
    assert loops.run(_drawn(script, answer_after)) == forms
