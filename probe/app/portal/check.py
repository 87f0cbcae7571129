"""``probe portal check FILE``: does the login page show what its description declares?

A fresh headless Chromium opens the login page and looks for each declared element, one
line each: found, missing, or not visible before logging in (the security-code form, the
logged-in marker). For the CAPTCHA it waits for the widget to render. A second browser
with JavaScript off checks the warning the page shows then. Nothing is typed or
submitted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Literal

from playwright.async_api import Browser, Frame, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from probe._util import loops
from probe.app.portal.login_page import launch, open_login_page
from probe.browsers.chromium.discovery import Chromium, find_chromium
from probe.description.model import PortalDescription
from probe.description.target import Timeouts
from probe.errors import PortalFailure

CheckOutcome = Literal["found", "missing", "unseen"]


@dataclass(frozen=True)
class CheckedElement:
    element: str  # "credentials.identifier"
    selector: str
    outcome: CheckOutcome
    note: str = ""


@dataclass
class CheckResult:
    url: str
    status: int | None
    elements: list[CheckedElement] = field(default_factory=list)

    @property
    def all_found(self) -> bool:
        return all(e.outcome != "missing" for e in self.elements)

    def lines(self) -> list[str]:
        """One line per declared element, as ``probe portal check`` prints them."""
        width = max((len(e.element) for e in self.elements), default=0)
        out = []
        for e in self.elements:
            label = {"found": "found  ", "missing": "MISSING", "unseen": "later  "}[e.outcome]
            note = f"  ({e.note})" if e.note else ""
            out.append(f"{label} {e.element.ljust(width)}  {e.selector}{note}")
        return out


def check_description(
    description: PortalDescription, source: str, chromium: Chromium | None = None
) -> CheckResult:
    """Look for every declared element on the login page; ``source`` names the file."""
    return loops.run(_check(description, source, chromium or find_chromium()))


async def _check(description: PortalDescription, source: str, chromium: Chromium) -> CheckResult:
    async with async_playwright() as playwright:
        browser = await launch(playwright, chromium)
        try:
            return await asyncio.wait_for(_check_in(browser, description, source), timeout=90)
        finally:
            await browser.close()


async def _check_in(browser: Browser, d: PortalDescription, source: str) -> CheckResult:
    url = d.login_url
    locale = {"locale": d.browser_language} if d.browser_language else {}
    context = await browser.new_context(**locale)  # type: ignore[arg-type]
    try:
        page = await context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        try:
            status = await open_login_page(page, url, [])
        except PortalFailure as exc:
            raise PortalFailure(f"{source}: login_url: {exc}") from None
        result = CheckResult(url=url, status=status)
        if status is not None and status >= 400:
            result.elements.append(
                CheckedElement("login_url", url, "missing", f"the page answered HTTP {status}")
            )
            return result
        elements = result.elements
        if d.open is not None:
            elements.append(await _present(page, "open.form", d.open.form))
        if d.federation is not None:
            elements.append(await _present(page, "federation.button", d.federation.button))
        if d.captcha is not None:
            elements += await _captcha(page, d, failed)
        credentials = d.credentials
        for name in ("identifier", "password", "submit"):
            elements.append(await _present(page, f"credentials.{name}", getattr(credentials, name)))
        banner = await _present(page, "messages.page", d.messages.page)
        if banner.outcome == "missing":
            banner = CheckedElement(
                banner.element,
                banner.selector,
                "unseen",
                "not there yet: it may come with an answer",
            )
        elements.append(banner)
        for index, selector in enumerate(d.messages.fields):
            elements.append(
                CheckedElement(f"messages.fields[{index}]", selector, "unseen", "after an answer")
            )
        code = d.second_factor
        if code is not None:
            for name in ("form", "code", "submit"):
                elements.append(
                    CheckedElement(
                        f"second-factor.{name}", getattr(code, name), "unseen", "after login"
                    )
                )
        elements.append(
            CheckedElement("logged-in.marker", d.logged_in.marker, "unseen", "after login")
        )
        if d.download_check is not None:
            elements.append(
                CheckedElement(
                    "download-check.link", d.download_check.link, "unseen", "after login"
                )
            )
    finally:
        await context.close()
    if d.open is not None and d.open.noscript:
        result.elements.append(await _noscript(browser, url, d.open.noscript, locale))
    return result


async def _present(where: Page | Frame, element: str, selector: str) -> CheckedElement:
    try:
        count = await where.locator(selector).count()
    except PlaywrightError as exc:
        return CheckedElement(element, selector, "missing", str(exc).splitlines()[0])
    if count == 0:
        return CheckedElement(element, selector, "missing", "not on the login page")
    return CheckedElement(
        element, selector, "found", "" if count == 1 else f"{count} matches, the first is used"
    )


async def _captcha(page: Page, d: PortalDescription, failed: list[str]) -> list[CheckedElement]:
    captcha = d.captcha
    assert captcha is not None
    container = await _present(page, "captcha.container", captcha.container)
    out = [container]
    if container.outcome != "found":
        return out
    appear_ms = captcha.appear_timeout_ms or Timeouts().captcha_appear
    deadline = time.monotonic() + appear_ms / 1000
    where: Page | Frame | None = None
    rendered = captcha.rendered.css()
    while time.monotonic() < deadline:
        where = page
        if captcha.where == "iframe":
            where = next(
                (f for f in page.frames if captcha.frame_url and captcha.frame_url in f.url), None
            )
        if where is not None:
            try:
                if await where.locator(rendered).count():
                    break
            except PlaywrightError:
                pass
        await asyncio.sleep(0.1)
    else:
        blocked = [u for u in failed if any(h in u for h in captcha.blocked_hosts)]
        note = f"did not render within {appear_ms / 1000:g} s"
        if captcha.where == "iframe" and where is None:
            note += f"; no iframe whose URL contains {captcha.frame_url!r}"
        if blocked:
            note += f"; requests failed: {blocked[0]}"
        out.append(CheckedElement("captcha.rendered", rendered, "missing", note))
        return out
    assert where is not None
    out.append(CheckedElement("captcha.rendered", rendered, "found", "the widget rendered"))
    out.append(await _present(where, "captcha.click", captcha.click))
    out.append(await _present(page, "captcha.token", captcha.token))
    return out


async def _noscript(
    browser: Browser, url: str, selector: str, locale: dict[str, str]
) -> CheckedElement:
    context = await browser.new_context(java_script_enabled=False, **locale)  # type: ignore[arg-type]
    try:
        page = await context.new_page()
        await page.goto(url, wait_until="load", timeout=15_000)
        shown = await page.locator(selector).first.is_visible()
    except PlaywrightError as exc:
        return CheckedElement("open.noscript", selector, "missing", str(exc).splitlines()[0])
    finally:
        await context.close()
    if not shown:
        return CheckedElement("open.noscript", selector, "missing", "not shown with JavaScript off")
    return CheckedElement("open.noscript", selector, "found", "shown with JavaScript off")
