"""The parts of the journey that depend on how a portal's pages behave.

A CAPTCHA widget renders in an iframe from its vendor or in the page itself (a web
component); it is solved once its token field holds a value, and it shows that it failed
by a state or a text. A login answers with a new page, or in the page without one (a
``fetch`` to an API, as single-page apps do). The ``PageMap`` says which; these functions
only read what the browser shows.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page, Request, Response

from probe.description.pagemap import PageMap, fold
from probe.description.target import Timeouts
from probe.journey.observation import visible_text
from probe.journey.sending import on_its_way, watch_form
from probe.models import Detail, FailedRequest, Symptom

# Request types a CAPTCHA widget loads itself with.
WIDGET_REQUESTS = ("script", "sub_frame", "fetch", "xhr")
SKIPPED: Literal["skipped"] = "skipped"
HIDDEN_FOR_S = 1.0  # a rendered widget's box out of sight this long: something hides it
# How long a login form drawn by script after the page loaded is waited for, at most;
# once the page's network is quiet, the script has had its answers: this long more.
FORM_DRAWN_MS = 8_000
FORM_AFTER_QUIET_MS = 500


@dataclass(frozen=True)
class StepProblem:
    """Why a step failed, in the journey's words."""

    symptom: Symptom
    detail: Detail
    message: str | None = None


def captcha_blocked(failed: list[FailedRequest], pagemap: PageMap) -> FailedRequest | None:
    """A request of the widget that something inside the browser blocked."""
    hosts = pagemap.captcha_blocked_hosts
    for request in failed:
        if not request.blocked_by_client or request.resource_type not in WIDGET_REQUESTS:
            continue
        if not hosts or (urlsplit(request.url).hostname or "") in hosts:
            return request
    return None


async def _widget_root(page: Page, pagemap: PageMap) -> Page | Frame | None:
    if not pagemap.captcha_frame_url:
        return page
    return next((f for f in page.frames if pagemap.captcha_frame_url in f.url), None)


async def _shows(where: Page | Frame, selector: str) -> bool:
    try:
        return bool(selector) and await where.locator(selector).count() > 0
    except PlaywrightError:
        return False


async def solve_captcha(
    page: Page,
    pagemap: PageMap,
    failed: list[FailedRequest],
    timeouts: Timeouts,
    shown: Callable[[float], None] | None = None,
) -> StepProblem | Literal["skipped"] | None:
    """Wait for the widget, click it, wait for its token. None when solved.

    ``shown`` is told how many seconds the widget took to render, once it did.
    """
    if not pagemap.captcha_container or await page.locator(pagemap.captcha_container).count() == 0:
        return SKIPPED
    rendered = pagemap.captcha_rendered or pagemap.captcha_checkbox
    waited = time.monotonic()
    deadline = waited + timeouts.captcha_appear / 1000
    where: Page | Frame | None = None
    while time.monotonic() < deadline:
        where = await _widget_root(page, pagemap)
        if where is not None and await _shows(where, rendered):
            break
        blocked = captcha_blocked(failed, pagemap)
        if blocked is not None:
            return StepProblem(
                "captcha-blocked",
                Detail(
                    key="detail.captcha-blocked",
                    params={"error": blocked.error, "url": blocked.url},
                ),
            )
        await asyncio.sleep(0.1)
    else:
        return StepProblem(
            "captcha-missing",
            Detail(
                key="detail.captcha-missing",
                params={"seconds": timeouts.captcha_appear / 1000},
            ),
        )
    assert where is not None
    if shown is not None:
        shown(time.monotonic() - waited)
    if await _hidden(page, pagemap.captcha_container):
        return StepProblem("captcha-missing", Detail(key="detail.captcha-hidden"))
    await where.click(pagemap.captcha_checkbox, timeout=3_000)
    token = page.locator(pagemap.captcha_token)
    deadline = time.monotonic() + timeouts.captcha_token / 1000
    while time.monotonic() < deadline:
        has_token = await token.count() > 0 and bool(await token.first.input_value())
        if has_token and (
            not pagemap.captcha_solved or await _shows(where, pagemap.captcha_solved)
        ):
            return None
        if pagemap.captcha_verify:
            try:
                verify = where.locator(pagemap.captcha_verify)
                if await verify.count() and await verify.first.is_visible():
                    await verify.first.click(timeout=2_000)
            except PlaywrightError:
                pass
        refused = await _captcha_failed(where, pagemap)
        if refused is not None:
            return StepProblem(
                "captcha-rejected", Detail(key="detail.captcha-refused"), refused or None
            )
        await asyncio.sleep(0.1)
    return StepProblem(
        "captcha-never-completes",
        Detail(key="detail.captcha-no-answer", params={"seconds": timeouts.captcha_token / 1000}),
    )


async def _hidden(page: Page, container: str) -> bool:
    """The widget rendered, but its box stays out of sight (``display: none``, no size...).

    Looked at for ``HIDDEN_FOR_S``: a widget that shows itself with a short delay is not
    hidden. Clicking a hidden box would wait for Playwright's click timeout instead.
    """
    box = page.locator(container).first
    deadline = time.monotonic() + HIDDEN_FOR_S
    while True:
        try:
            if await box.is_visible():
                return False
        except PlaywrightError:
            return False  # cannot tell: the click says the rest
        if time.monotonic() >= deadline:
            return True
        await asyncio.sleep(0.1)


async def _captcha_failed(where: Page | Frame, pagemap: PageMap) -> str | None:
    """The widget's words when it shows that it failed ("" when it says nothing), else None."""
    if not pagemap.captcha_failed or not await _shows(where, pagemap.captcha_failed):
        return None
    text = await visible_text(where, pagemap.captcha_failed)
    if pagemap.captcha_failed_text:
        if not text or not re.search(pagemap.captcha_failed_text, fold(text)):
            return None
        return text
    status = await visible_text(where, pagemap.captcha_status) if pagemap.captcha_status else None
    return status or text or ""


async def read_message(page: Page, pagemap: PageMap) -> str | None:
    """What the portal says: its page banner, else the errors attached to fields."""
    message = await visible_text(page, pagemap.message)
    if message:
        return message
    for selector in pagemap.field_messages:
        text = await visible_text(page, selector)
        if text:
            return text
    return None


@dataclass
class Answer:
    """How the portal answered a form: a new page (``response``) or in the page."""

    response: Response | None
    status: int | None  # the HTTP status of the new page or of the in-page request
    sent_after: float | None = None  # seconds from the press to the first request


async def submit(
    page: Page,
    pagemap: PageMap,
    click: Callable[[], Awaitable[None]],
    timeout_ms: int,
    sent_within_ms: int | None = None,
    *,
    form: str,
    button: str,
) -> Answer:
    """Press ``button`` of ``form`` and wait for the answer the way this portal gives it.

    Raises PlaywrightError when nothing answers within ``timeout_ms``, or, sooner, when
    the page sent nothing at all within ``sent_within_ms`` of the press: not a request of
    any kind, so the form was never sent (a script stopped it) and no answer can come. A
    slow portal is told apart from a broken form that way: once anything went out, the
    whole ``timeout_ms`` is waited. (A login sent over an already open WebSocket sends no
    request: such a portal needs ``sent_within_ms`` None.)
    """
    sent = asyncio.Event()
    times: list[float] = []  # when the button was pressed, when the first request left
    watch = await watch_form(page, form, patch=False) if sent_within_ms is not None else None

    async def sending() -> bool:
        return await on_its_way(page, button, watch)

    def on_request(_request: Request) -> None:
        if not sent.is_set():
            times.append(time.monotonic())
            sent.set()

    async def press() -> None:
        pressed = time.monotonic()
        await click()
        times.insert(0, pressed)

    page.on("request", on_request)
    try:
        if not pagemap.answer_in_page:
            async with page.expect_navigation(
                timeout=timeout_ms, wait_until="domcontentloaded"
            ) as navigation:
                await press()
                await _until_sent(sent, sent_within_ms, sending)
            response = await navigation.value
            answer = Answer(response, response.status if response is not None else None)
        else:
            answer = await _in_page_answer(
                page, pagemap, press, timeout_ms, sent, sent_within_ms, sending
            )
    finally:
        page.remove_listener("request", on_request)
    if len(times) == 2:
        answer.sent_after = max(0.0, times[1] - times[0])
    return answer


class NothingSent(PlaywrightError):
    """Pressing the button sent nothing at all: the login never left the browser."""


async def _until_sent(
    sent: asyncio.Event,
    within_ms: int | None,
    sending: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Raise ``NothingSent`` unless the page sent a request within ``within_ms``.

    Unless ``sending`` says the form is on its way all the same (the browser submitted
    it, the button turned busy): on a loaded machine the request may simply be late, and
    the caller's own wait for the answer bounds it.
    """
    if within_ms is None:
        return
    try:
        await asyncio.wait_for(sent.wait(), within_ms / 1000)
    except TimeoutError as exc:
        if sending is not None and await sending():
            return
        raise NothingSent(
            f"nothing was sent within {within_ms / 1000:g} s after pressing the button"
        ) from exc


async def _in_page_answer(
    page: Page,
    pagemap: PageMap,
    click: Callable[[], Awaitable[None]],
    timeout_ms: int,
    sent: asyncio.Event,
    sent_within_ms: int | None,
    sending: Callable[[], Awaitable[bool]] | None = None,
) -> Answer:
    answered: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    def on_response(response: Response) -> None:
        request = response.request
        if (
            not answered.done()
            and request.method != "GET"
            and request.resource_type in ("fetch", "xhr")
        ):
            answered.set_result(response.status)

    def on_navigation(frame: Frame) -> None:
        if frame == page.main_frame and not answered.done():
            answered.set_result(None)

    page.on("response", on_response)
    page.on("framenavigated", on_navigation)
    try:
        await click()
        started = time.monotonic()
        await _until_sent(sent, sent_within_ms, sending)
        left = timeout_ms / 1000 - (time.monotonic() - started)
        try:
            status = await asyncio.wait_for(asyncio.shield(answered), max(left, 0.001))
        except TimeoutError as exc:
            raise PlaywrightError(
                f"no answer within {timeout_ms / 1000:g} s after pressing the button"
            ) from exc
    finally:
        page.remove_listener("response", on_response)
        page.remove_listener("framenavigated", on_navigation)
    if status is None:  # the page navigated after all
        await page.wait_for_load_state("domcontentloaded")
        return Answer(None, None)
    # The script shows the answer right after the request returns.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        if await _shows(page, pagemap.home_marker) or await _shows(page, pagemap.code_form):
            break
        if await read_message(page, pagemap):
            break
        await asyncio.sleep(0.1)
    return Answer(None, status)


async def form_drawn(page: Page, form: str) -> None:
    """Wait for a login form that a script draws after the page loaded.

    A single-page application draws it after requests of its own (Node-RED's editor:
    once its settings request answered 401). Waited for until it is there, or until the
    page's network has been quiet for 0.5 s (Playwright's "networkidle": the script has
    its answers) and ``FORM_AFTER_QUIET_MS`` more passed; ``FORM_DRAWN_MS`` at most
    (a page that keeps a request open). A page without a form says so in about a second,
    not eight.
    """
    drawn = asyncio.ensure_future(
        page.wait_for_selector(form, state="attached", timeout=FORM_DRAWN_MS)
    )
    quiet = asyncio.ensure_future(page.wait_for_load_state("networkidle", timeout=FORM_DRAWN_MS))
    try:
        await asyncio.wait({drawn, quiet}, return_when=asyncio.FIRST_COMPLETED)
        if not drawn.done():
            # Quiet, or the browser could not say (then the form has its whole time).
            calm = quiet.exception() is None
            await asyncio.wait({drawn}, timeout=FORM_AFTER_QUIET_MS / 1000 if calm else None)
    finally:
        for task in (drawn, quiet):
            task.cancel()
        await asyncio.gather(drawn, quiet, return_exceptions=True)
