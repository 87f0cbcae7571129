"""What the browser shows during a journey: the portal it is about, and a recorder.

The recorder listens to one page (failed requests with Chromium's error text, console
errors, the HTTP status of each document) and turns each stage of the journey into a
``Step``. Nothing secret is recorded: URLs lose their query strings, fields holding
secrets are masked in screenshots, cookie values are only measured.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from playwright.async_api import BrowserContext, Frame, Page, Request, Response
from playwright.async_api import Error as PlaywrightError

from probe._util.redact import MAX_TEXT_CHARS, bounded
from probe._util.tls import certificate_detail, peer_certificate, refused_certificate_error
from probe.description.pagemap import public_url
from probe.description.target import Target
from probe.models import CookieGroup, CookieStats, Detail, FailedRequest, Outcome, Step, StepName
from probe.report.details import english

# What one step keeps of a page's noise; the rest is only counted.
MAX_CONSOLE_ERRORS = 20
MAX_FAILED_REQUESTS = 30
# A screenshot that has not come after this long will not come.
SCREENSHOT_DEADLINE_S = 5.0
# Requests whose failure breaks the page itself (not a picture or a tracker).
_PAGE_PARTS = ("document", "script", "sub_frame", "fetch", "xhr")
# Kept for the whole run (the CAPTCHA stage looks back at blocked requests).
_MAX_FAILED_KEPT = 1_000


@dataclass
class Quickness:
    """How soon things came where they did, seconds, the slowest seen (None: not yet seen).

    What narrowing-down runs learn their waits from (``probe.diagnosis.runner.narrowing_timeouts``).
    """

    sent_after: float | None = None  # from pressing the login button to its first request
    captcha_after: float | None = None  # from the CAPTCHA step's start to its widget showing

    def add(self, other: Quickness) -> None:
        """Keep the slower of each, from ``other`` too."""
        self.sent_after = _slower(self.sent_after, other.sent_after)
        self.captcha_after = _slower(self.captcha_after, other.captcha_after)


def _slower(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


class Recorder:
    """Collects what the browser reports, step by step."""

    def __init__(self, context: BrowserContext, page: Page, target: Target) -> None:
        self.context = context
        self.page = page
        self.target = target
        self.failed: list[FailedRequest] = []
        self.console: list[str] = []
        self.last_document_status: int | None = None
        self._mark_failed = 0
        self._mark_console = 0
        self._failed_dropped = 0
        self._console_dropped = 0
        page.on("requestfailed", self._on_failed)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self._add_console(f"Uncaught {exc}"))
        page.on("response", self._on_response)

    def _on_failed(self, request: Request) -> None:
        if (
            len(self.failed) - self._mark_failed >= MAX_FAILED_REQUESTS
            and len(self.failed) >= _MAX_FAILED_KEPT
        ):
            self._failed_dropped += 1
            return
        url = public_url(bounded(request.url, MAX_TEXT_CHARS)) or ""
        self.failed.append(
            FailedRequest(
                url=url,
                resource_type=request.resource_type,
                error=bounded(request.failure or "failed"),
            )
        )

    def _add_console(self, text: str) -> None:
        if len(self.console) - self._mark_console >= MAX_CONSOLE_ERRORS:
            self._console_dropped += 1
            return
        self.console.append(bounded(text))

    def _on_console(self, message: object) -> None:
        if getattr(message, "type", "") == "error":
            self._add_console(str(getattr(message, "text", "")))

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.frame == self.page.main_frame:
            self.last_document_status = response.status

    def failed_in_step(self) -> list[FailedRequest]:
        """The requests that failed since the last step was recorded."""
        return self.failed[self._mark_failed :]

    def blocked_requests_to(self, host_fragment: str) -> list[FailedRequest]:
        return [f for f in self.failed if f.blocked_by_client and host_fragment in f.url]

    async def cookie_stats(self) -> CookieStats:
        try:
            cookies = await self.context.cookies(self.target.site_urls())
        except PlaywrightError:
            return CookieStats()
        # Only sizes are kept; values never leave this function.
        groups: dict[str, CookieGroup] = {}
        for cookie in cookies:
            host = cookie.get("domain", "").lstrip(".")
            group = groups.setdefault(host, CookieGroup(host=host))
            group.count += 1
            group.total_bytes += len(cookie.get("name", "")) + len(cookie.get("value", ""))
        size = sum(g.total_bytes for g in groups.values())
        hosts = sorted(groups.values(), key=lambda g: (-g.total_bytes, g.host))
        return CookieStats(count=len(cookies), total_bytes=size, hosts=hosts)

    async def step(
        self,
        name: StepName,
        started: float,
        outcome: Literal["pass", "fail", "skipped"],
        *,
        shots: Path | None,
        prefix: str,
        message: str | None = None,
        note: Detail | None = None,
    ) -> Step:
        failed = self.failed[self._mark_failed :]
        console = self.console[self._mark_console :]
        self._mark_failed = len(self.failed)
        self._mark_console = len(self.console)
        failed_dropped = self._failed_dropped + max(0, len(failed) - MAX_FAILED_REQUESTS)
        console_dropped = self._console_dropped + max(0, len(console) - MAX_CONSOLE_ERRORS)
        self._failed_dropped = self._console_dropped = 0
        screenshot = None
        if shots is not None and outcome != "skipped":
            screenshot = await self._screenshot(shots, f"{prefix}-{name}.jpg")
        return Step(
            name=name,
            outcome=outcome,
            url=public_url(self.page.url) if not self.page.is_closed() else None,
            http_status=self.last_document_status,
            message=message,
            note=note,
            detail=english(note) if note is not None else None,
            duration_ms=int((time.monotonic() - started) * 1000),
            screenshot=screenshot,
            console_errors=console[:MAX_CONSOLE_ERRORS],
            failed_requests=failed[:MAX_FAILED_REQUESTS],
            console_errors_dropped=console_dropped,
            failed_requests_dropped=failed_dropped,
            cookies=await self.cookie_stats(),
        )

    async def _screenshot(self, folder: Path, filename: str) -> str | None:
        folder.mkdir(parents=True, exist_ok=True)
        masks = [self.page.locator(sel) for sel in self.target.pagemap.masked_fields]
        shot = self.page.screenshot(
            path=folder / filename, type="jpeg", quality=60, mask=masks, timeout=3_000
        )
        try:
            # Firefox over BiDi never answers a screenshot of a page with JavaScript
            # off: Playwright's own timeout does not end it, this deadline does.
            await asyncio.wait_for(shot, SCREENSHOT_DEADLINE_S)
        except (PlaywrightError, TimeoutError):
            (folder / filename).unlink(missing_ok=True)
            return None
        return f"{folder.name}/{filename}"


def browser_gone(error: BaseException | None) -> bool:
    """Chromium itself went away (killed, crashed), as opposed to a page misbehaving.

    Matches Playwright's "Target page, context or browser has been closed" and "Target
    crashed", not the network's "net::ERR_CONNECTION_CLOSED".
    """
    if not isinstance(error, PlaywrightError):
        return False
    text = str(error).lower()
    return "has been closed" in text or "browser closed" in text or "crashed" in text


def reported(error: BaseException | None) -> Detail:
    """What the browser said when a step broke: its words, in the language it used."""
    text = str(error).strip()
    return Detail(
        key="detail.browser-reported", params={"error": text.splitlines()[0] if text else "error"}
    )


def noted_step(name: StepName, outcome: Outcome, note: Detail) -> Step:
    """A step that was not recorded in a page, only told about."""
    return Step(name=name, outcome=outcome, note=note, detail=english(note))


# Asked of the page through Playwright's own script world, which runs even when the
# page's JavaScript is switched off.
_HAS_BOX = """(element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
}"""


async def shows(page: Page | Frame, selector: str) -> bool:
    """True when the first element ``selector`` matches is shown on the page.

    Playwright's ``is_visible`` says False for a ``<noscript>`` block that Firefox
    renders with JavaScript off (measured with Firefox ESR 153 over BiDi: an inline box of
    1264x19 pixels); its layout box is asked as well.
    """
    locator = page.locator(selector).first
    try:
        if await locator.count() == 0:
            return False
        if await locator.is_visible():
            return True
        return bool(await locator.evaluate(_HAS_BOX, timeout=2_000))
    except PlaywrightError:
        return False


async def visible_text(page: Page | Frame, selector: str) -> str | None:
    locator = page.locator(selector)
    try:
        if await locator.count() == 0:
            return None
        text = await locator.first.inner_text(timeout=1_000)
    except PlaywrightError:
        return None
    text = " ".join(text.split())
    return text or None


async def refused_certificate(page: Page, recorder: Recorder, error: str = "") -> Detail | None:
    """What the browser said when it refused a certificate on the way, else None.

    On the way (the CAPTCHA vendor's host, the page after login, a partner's site), a
    certificate the browser refuses makes the widget "missing", the answer "an error" or
    the form "not sent"; the error text, the page's URL (Firefox's ``about:certerror``) or
    a failed request says what it really was: something between the person and the
    portal (the clock, an antivirus or proxy intercepting secure connections), never the
    portal's page or an extension.
    """
    url: str | None = None
    code = refused_certificate_error(error)
    if code is None and not page.is_closed():
        code = refused_certificate_error(page.url)
    if code is None:
        # A script or frame of the page may have failed while it loaded, steps before.
        for request in [*recorder.failed_in_step(), *recorder.failed]:
            if request.resource_type not in _PAGE_PARTS:
                continue
            code = refused_certificate_error(request.error)
            if code is not None:
                url = request.url
                break
    if code is None:
        return None
    facts = await peer_certificate(url) if url and url.startswith("https://") else None
    return certificate_detail(code, facts)
