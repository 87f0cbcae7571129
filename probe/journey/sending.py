"""Whether pressing the login button sends the form, decided from events, never reaching the portal.

A narrowing-down run looking for what stops the form from being sent (a script that
breaks the submission, a field removed, a disabled button) only needs that one answer.
The login request is stopped in the browser as soon as it leaves the page (Playwright
request routing aborts it): the portal never sees it, so no rejected password is sent
again, the account guard has nothing to count and nobody waits for the portal.

"Sent or not" comes from what happened, not from how long it took (a loaded machine makes
everything slower, the order of events stays):
- the login request left the page (seen by the route or the page), or a page script
  called ``fetch``/``XMLHttpRequest``/``form.submit()`` with anything but GET: sent;
- the browser submitted the form itself (the submit event was not cancelled): a request
  is bound to follow and is waited for;
- the browser refused the form (a field ``invalid``), or the button could not be pressed:
  not sent;
- a page script took the submission over: the button turning busy (disabled) means it
  is sending; otherwise the page gets ``sent_within`` on its own clock (the usual wait,
  not one learned from a faster run), after which a script that was going to send has
  done so, in that same page, before the check.

A service worker that answers the login itself is beyond the route (Playwright's routing
does not see requests a service worker serves).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Literal

from playwright.async_api import BrowserContext, JSHandle, Page, Request, Route
from playwright.async_api import Error as PlaywrightError

from probe.description.pagemap import PageMap
from probe.description.target import Timeouts

How = Literal["native", "script", "click-only", "invalid"]
# Requests a page sends on its own whatever the form does (tracking pings).
_NOT_THE_LOGIN = frozenset({"ping", "beacon", "image", "stylesheet", "font", "media"})

_WATCH = """(form, patch) => {
    const state = {how: null, sent: false, submit: null, invalid: false};
    const mark = () => { state.sent = true; };
    const loud = (method) => String(method || "GET").toUpperCase() !== "GET";
    const fetch0 = window.fetch, open0 = XMLHttpRequest.prototype.open;
    const send0 = XMLHttpRequest.prototype.send, submit0 = HTMLFormElement.prototype.submit;
    // Only where the login never reaches the portal: a page's own scripts could notice.
    if (patch && fetch0) window.fetch = function (input, init) {
        if (loud((init && init.method) || (input && input.method))) mark();
        return fetch0.apply(this, arguments);
    };
    if (patch) {
        XMLHttpRequest.prototype.open = function (method) {
            this.__probeMethod = method;
            return open0.apply(this, arguments);
        };
        XMLHttpRequest.prototype.send = function () {
            if (loud(this.__probeMethod)) mark();
            return send0.apply(this, arguments);
        };
        HTMLFormElement.prototype.submit = function () {
            mark();
            return submit0.apply(this, arguments);
        };
    }
    // Capturing listeners on window run first and cannot be stopped by the page's own.
    window.addEventListener("submit", (event) => { state.submit = event; }, true);
    form.addEventListener("invalid", () => { state.invalid = true; }, true);
    let told;
    const dispatched = new Promise((resolve) => { told = resolve; });
    window.addEventListener("click", () => {
        // A task after the click's: its default action (submitting the form) and every
        // listener of both events have run by then.
        setTimeout(() => {
            if (state.invalid) state.how = "invalid";
            else if (state.submit === null) state.how = "click-only";
            else state.how = state.submit.defaultPrevented ? "script" : "native";
            told(state.how);
        }, 0);
    }, {capture: true, once: true});
    return {
        state,
        dispatched,
        after: (ms) => new Promise((resolve) => setTimeout(() => resolve(state.sent), ms)),
    };
}"""


def _login_like(request: Request, page: Page) -> bool:
    """A request that can carry the login: anything but GET, or the page navigating."""
    if request.resource_type in _NOT_THE_LOGIN:
        return False
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    try:
        return request.is_navigation_request() and request.frame == page.main_frame
    except PlaywrightError:
        return False


class _Outbound:
    """The login request leaving the page, stopped before it reaches the portal."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.left = asyncio.Event()  # the route saw it (and stops it)
        self.seen = False  # the page saw it leave (the route may not: a service worker)
        self.blocked = asyncio.Event()  # something inside the browser blocked it
        self.stopped = 0  # requests aborted here

    async def route(self, route: Route) -> None:
        if _login_like(route.request, self.page):
            self.left.set()
            self.stopped += 1
            with contextlib.suppress(PlaywrightError):
                await route.abort("aborted")
            return
        with contextlib.suppress(PlaywrightError):
            await route.fallback()

    def request(self, request: Request) -> None:
        # Only noted: the route, which may not have run yet, is what stops it (ending the
        # wait here would remove the route before it did, and the login would go on).
        if _login_like(request, self.page):
            self.seen = True

    def failed(self, request: Request) -> None:
        failure = (request.failure or "").upper()
        if _login_like(request, self.page) and "BLOCKED_BY_CLIENT" in failure:
            self.blocked.set()


async def form_sends(
    page: Page,
    context: BrowserContext,
    pagemap: PageMap,
    click: Callable[[], Awaitable[None]],
    timeouts: Timeouts,
) -> bool:
    """Press the button; True when the form sent the login (stopped before the portal)."""
    outbound = _Outbound(page)
    await context.route("**/*", outbound.route)
    page.on("request", outbound.request)
    page.on("requestfailed", outbound.failed)
    try:
        watch = await watch_form(page, pagemap.login_form, patch=True)
        try:
            await click()
        except PlaywrightError:
            return outbound.left.is_set()  # the button could not be pressed
        sent = await _decided(page, pagemap, watch, outbound, timeouts)
        if outbound.seen and not outbound.left.is_set():
            await _leaves(outbound, timeouts.submit)  # the route's turn to stop it
        return sent or outbound.seen
    finally:
        page.remove_listener("request", outbound.request)
        page.remove_listener("requestfailed", outbound.failed)
        with contextlib.suppress(PlaywrightError):
            await context.unroute("**/*", outbound.route)


async def watch_form(page: Page, form: str, *, patch: bool) -> JSHandle | None:
    """Start watching how the page handles the next press of the button of ``form``.

    ``patch``: also notice a page script's ``fetch``/``XMLHttpRequest``/``form.submit()``
    (by wrapping them: only in runs whose login never reaches the portal). None: the page
    cannot be asked (no script world, no such form on the page); the network alone tells.
    """
    try:
        found = page.locator(form).first
        if await found.count() == 0:
            return None  # not waited for: the press comes now, on the page as it is
        return await found.evaluate_handle(_WATCH, patch, timeout=2_000)
    except PlaywrightError:
        return None


async def on_its_way(page: Page, button: str, watch: JSHandle | None) -> bool:
    """After a press, whether the form is being sent though no request was seen yet: the
    browser submitted it itself, a page script sent it, or the button turned busy."""
    if watch is not None:
        try:
            state = await watch.evaluate("(w) => [w.state.how, w.state.sent]")
        except PlaywrightError:
            return True  # the page went away: it navigated, the form was sent
        if isinstance(state, list) and (state[0] == "native" or state[1] is True):
            return True
    return await _busy(page, button)


async def _decided(
    page: Page, pagemap: PageMap, watch: JSHandle | None, outbound: _Outbound, timeouts: Timeouts
) -> bool:
    how = await _how(watch, outbound, timeouts.submit)
    if outbound.left.is_set():
        return True
    if how == "invalid":
        return False
    if how == "native" or await _busy(page, pagemap.submit):
        # A request is on its way: let it leave the page, to be stopped.
        return await _leaves(outbound, timeouts.submit)
    if watch is None:
        return await _leaves(outbound, timeouts.sent_within or timeouts.submit)
    wait = timeouts.sent_within or timeouts.submit
    later = asyncio.ensure_future(watch.evaluate("(w, ms) => w.after(ms)", wait))
    left = asyncio.ensure_future(outbound.left.wait())
    try:
        await asyncio.wait({later, left}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (later, left):
            task.cancel()
        await asyncio.gather(later, left, return_exceptions=True)
    if outbound.left.is_set():
        return True
    if later.done() and not later.cancelled() and later.exception() is None and later.result():
        return await _leaves(outbound, timeouts.submit)  # a script sent it: it is on its way
    return False


async def _how(watch: JSHandle | None, outbound: _Outbound, bound_ms: int) -> How | None:
    """How the page handled the press, once its events were dispatched (None: unknown).

    ``bound_ms`` only bounds a page whose own listener swallowed the click before ours.
    """
    if watch is None:
        return None
    try:
        how = await asyncio.wait_for(watch.evaluate("(w) => w.dispatched"), bound_ms / 1000)
    except TimeoutError:
        return None
    except PlaywrightError:
        # The page went away: a navigation, which is the form sending.
        return "native" if outbound.left.is_set() else None
    return how if how in ("native", "script", "click-only", "invalid") else None


async def _busy(page: Page, button: str) -> bool:
    """The ``button`` turned busy: a script is sending its form."""
    found = page.locator(button).first
    try:
        if await found.count() == 0:
            return False
        disabled = not await found.is_enabled(timeout=1_000)
        return disabled or await found.get_attribute("aria-busy", timeout=1_000) == "true"
    except PlaywrightError:
        return False


async def _leaves(outbound: _Outbound, within_ms: int) -> bool:
    """Wait for the login request to leave the page (an upper bound only, never a verdict
    on its own: a request that is on its way comes well within it)."""
    left = asyncio.ensure_future(outbound.left.wait())
    blocked = asyncio.ensure_future(outbound.blocked.wait())
    try:
        await asyncio.wait({left, blocked}, timeout=within_ms / 1000, return_when="FIRST_COMPLETED")
    finally:
        for task in (left, blocked):
            task.cancel()
        await asyncio.gather(left, blocked, return_exceptions=True)
    return outbound.left.is_set()
