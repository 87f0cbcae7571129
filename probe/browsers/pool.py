"""Running browsers kept between runs: which run may reuse which browser, and the pool.

A narrowing-down run differs from the runs before it only in which of the person's
extensions and cookies it keeps; starting a new Chromium for it costs more than the run
itself. A browser started with a superset of the extensions can instead be switched to
the run's set while it runs (``probe.browsers.chromium.warm``), its cookies set back to the run's
and the portal's storage cleared, and the journey run again in a new page.

Only what can be set back exactly is applied live. A fresh launch stays needed when:

- the run starts from a brand-new profile (``fresh``): nothing of the person's browser;
- its settings differ from the browser's (settings are read when Chromium starts);
- it keeps the person's site data and the browser was started without it;
- the browser holds the person's site data for the portal's own origins (a service
  worker, caches, local storage...) and already ran a journey: the portal's pages write
  there, and what they wrote over the person's data cannot be told apart from it; nor
  can such a browser serve a run that leaves site data out. When the portal's origins
  held nothing at start (``clean``), clearing them after each run sets them back
  exactly, and the person's data for other sites is left as it was;
- it keeps an extension the browser did not load (extensions can be switched on and off
  in a running Chromium, not added with the person's state).

The decision is ``refusal`` (pure, tested on its own); ``BrowserPool`` keeps at most
``size`` browsers, hands out an idle one that fits, else starts one (closing an idle
one that does not fit, when the pool is full). The browsers themselves are behind the
small ``WarmBrowser`` protocol, so that the pool is tested with a fake.

``Reuse`` is what an engine that can switch a running browser hands the runner (the
``BrowserReuse`` of ``probe.browsers.base``): a run's kept components turned into its
``RunNeeds``, the pool asked, the browser set to the run (``SwitchableBrowser.prepare``,
the engine's own): Chromium's (``probe.browsers.chromium.warm``) and Firefox's
(``probe.browsers.firefox.warm``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from playwright.async_api import Error as PlaywrightError

from probe._util import loops
from probe.browsers.base import SITE_DATA_ID, EvidenceWatch, Inventory, LentBrowser
from probe.models import cookie_component

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page


@dataclass(frozen=True)
class RunNeeds:
    """What one run needs of a browser (component ids, as in ``Environment.kept``)."""

    extensions: frozenset[str]  # the extensions it keeps
    reset_settings: frozenset[str]  # the settings it sets back to their defaults
    site_data: bool  # keeps the person's site data (False also when there is none)
    fresh: bool = False  # a brand-new profile

    @classmethod
    def of(cls, inventory: Inventory, kept: frozenset[str], *, fresh: bool) -> RunNeeds:
        """What a run keeping ``kept`` of ``inventory`` needs (``fresh``: a brand-new profile)."""
        settings = frozenset(c.id for c in inventory.of_kind("setting"))
        return cls(
            extensions=frozenset(c.id for c in inventory.of_kind("extension") if c.id in kept),
            reset_settings=settings if fresh else settings - kept,
            site_data=not fresh and SITE_DATA_ID in kept,
            fresh=fresh,
        )


@dataclass(frozen=True)
class BrowserSetup:
    """What a pooled browser was started with."""

    extensions: frozenset[str]  # every extension it loaded (a superset of each run's)
    reset_settings: frozenset[str]
    site_data: bool

    @classmethod
    def for_run(cls, needs: RunNeeds, extensions: frozenset[str]) -> BrowserSetup:
        """The browser to start for ``needs``: its settings and site data, ``extensions`` loaded."""
        return cls(extensions | needs.extensions, needs.reset_settings, needs.site_data)


def refusal(setup: BrowserSetup, used: bool, needs: RunNeeds, clean: bool = False) -> str | None:
    """Why a browser started with ``setup`` cannot serve ``needs``; None when it can.

    ``used``: a journey already ran in it. ``clean``: the portal's origins held no site
    data when it started (always so for a browser started without the person's).
    """
    if needs.fresh:
        return "a brand-new profile"
    if needs.reset_settings != setup.reset_settings:
        return "other settings (read when the browser starts)"
    if needs.site_data and not setup.site_data:
        return "the person's site data, which the browser was started without"
    if setup.site_data and not clean:
        if not needs.site_data:
            return "the browser holds the person's site data for the portal"
        if used:
            return "the person's site data for the portal, which an earlier run may have changed"
    if not needs.extensions <= setup.extensions:
        return "an extension the browser did not load"
    return None


class WarmBrowser(Protocol):
    """A running browser the pool hands out, one run at a time."""

    setup: BrowserSetup
    used: bool  # a journey ran in it
    clean: bool  # the portal's origins held no site data when it started

    async def close(self) -> None: ...


B = TypeVar("B", bound=WarmBrowser)


class BrowserPool(Generic[B]):
    """At most ``size`` running browsers, each lent to one run at a time.

    ``launch`` starts a browser for a setup. ``lease`` returns an idle browser that fits
    a run, or a new one; None when the run needs a fresh launch of its own (see
    ``refusal``) or every place in the pool is busy. ``give_back`` returns it after the
    run; ``discard`` closes it instead (a run that failed half-way leaves a browser in
    a state nobody can vouch for).
    """

    def __init__(
        self,
        launch: Callable[[BrowserSetup], Awaitable[B]],
        size: int,
        *,
        extensions: frozenset[str],
    ) -> None:
        self._launch = launch
        self.size = max(1, size)
        self.extensions = extensions  # what each browser loads: every extension a run may keep
        self._idle: list[B] = []  # least recently used first
        self._busy: list[B] = []
        self._starting = 0
        self._closing: set[asyncio.Task[None]] = set()
        self.launches = 0
        self.reuses = 0

    async def lease(self, needs: RunNeeds, *, start: bool = True) -> B | None:
        """An idle browser that fits ``needs``, else (with ``start``) a new one."""
        if needs.fresh:
            return None
        fit = next(
            (b for b in reversed(self._idle) if refusal(b.setup, b.used, needs, b.clean) is None),
            None,
        )
        if fit is not None:
            self._idle.remove(fit)
            self._busy.append(fit)
            self.reuses += 1
            return fit
        if not start:
            return None  # a run alone: its own cold browser starts sooner
        if len(self._idle) + len(self._busy) + self._starting >= self.size:
            if not self._idle:
                return None  # every browser is busy: this run starts one of its own
            self._close_later(self._idle.pop(0))
        self._starting += 1
        try:
            browser = await self._launch(BrowserSetup.for_run(needs, self.extensions))
        finally:
            self._starting -= 1
        self.launches += 1
        self._busy.append(browser)
        return browser

    def give_back(self, browser: B) -> None:
        self._busy.remove(browser)
        self._idle.append(browser)

    def discard(self, browser: B) -> None:
        if browser in self._busy:
            self._busy.remove(browser)
        self._close_later(browser)

    def _close_later(self, browser: B) -> None:
        # Closing takes ~0.3 s: let it overlap with the next runs (see ``close``).
        loops.in_background(self._closing, browser.close)

    async def close(self) -> None:
        """Close every browser of the pool and wait until they are gone."""
        for browser in self._idle + self._busy:
            self._close_later(browser)
        self._idle, self._busy = [], []
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)


class SwitchableBrowser(WarmBrowser, Protocol):
    """A pooled browser that can be set to a run while it runs (the engine's own)."""

    context: BrowserContext
    run_dir: Path  # its own folder, removed when it closes
    downloads: Path

    async def prepare(self, kept: frozenset[str], dropped_cookies: Iterable[str]) -> Page:
        """Set the browser to a run keeping ``kept``; returns the run's new page."""
        ...

    async def watch(self, kept: frozenset[str], sites: tuple[str, ...]) -> EvidenceWatch | None:
        """Ask the browser who did what during the next journey."""
        ...


W = TypeVar("W", bound=SwitchableBrowser)


@dataclass(frozen=True)
class Lent(Generic[W]):
    """A pooled browser lent to one run, set to it (``probe.browsers.base.LentBrowser``)."""

    browser: W
    page: Page

    @property
    def context(self) -> BrowserContext:
        return self.browser.context

    @property
    def folder(self) -> Path:
        return self.browser.run_dir

    @property
    def downloads(self) -> Path:
        return self.browser.downloads

    async def watch(self, kept: frozenset[str], sites: tuple[str, ...]) -> EvidenceWatch | None:
        return await self.browser.watch(kept, sites)


class Reuse(Generic[W]):
    """Running browsers kept for the runs that can reuse one (``probe.browsers.base.BrowserReuse``).

    ``launch`` starts a browser for a setup; the browsers of one ``Reuse`` all run on the
    same profile copy, whose ``inventory`` says which components are extensions,
    settings, cookies.
    """

    def __init__(
        self, launch: Callable[[BrowserSetup], Awaitable[W]], size: int, inventory: Inventory
    ) -> None:
        self._launch = launch
        self._inventory = inventory
        extensions = frozenset(c.id for c in inventory.of_kind("extension"))
        self._pool: BrowserPool[W] = BrowserPool(self._start, size, extensions=extensions)
        self._working = True  # until a pooled browser fails to start its switch
        self._started = 0

    @property
    def started(self) -> int:
        return self._started

    async def _start(self, setup: BrowserSetup) -> W:
        self._started += 1
        return await self._launch(setup)

    async def lend(self, kept: frozenset[str], *, fresh: bool, start: bool) -> Lent[W] | None:
        if not self._working:
            return None
        needs = RunNeeds.of(self._inventory, kept, fresh=fresh)
        dropped = [c.id for c in self._inventory.of_kind("cookie") if c.id not in kept]
        try:
            browser = await self._pool.lease(needs, start=start)
        except PlaywrightError:
            # Started, but its switch or its checks did not answer: no more reuse in this
            # diagnosis, every run starts its own browser as before.
            self._working = False
            return None
        if browser is None:
            return None
        try:
            return Lent(browser, await browser.prepare(kept, dropped))
        except PlaywrightError:
            self._pool.discard(browser)  # it no longer answers: this run starts its own
            return None

    def give_back(self, lent: LentBrowser, *, sound: bool) -> None:
        if not isinstance(lent, Lent):
            raise TypeError(f"not a browser this pool lent: {lent!r}")
        if sound:
            self._pool.give_back(lent.browser)
        else:  # stopped half-way or crashed: a state nobody can vouch for
            self._pool.discard(lent.browser)

    async def close(self) -> None:
        await self._pool.close()


async def reset_cookies(
    context: BrowserContext, start: Iterable[dict[str, Any]], dropped: set[str]
) -> None:
    """Set the jar back to ``start`` (the cookies the browser started with), without the
    ``dropped`` portal cookies (component ids, ``name@host``).

    Cookies a run did not change are left as they are (re-adding one would give it a new
    creation time, which orders the Cookie header).
    """
    wanted = [c for c in start if _cookie_id(c) not in dropped]
    now = [dict(c) for c in await context.cookies()]
    for cookie in now:
        if cookie not in wanted:
            await context.clear_cookies(
                name=str(cookie["name"]),
                domain=str(cookie["domain"]),
                path=str(cookie["path"]),
            )
    missing = [c for c in wanted if c not in now]
    if missing:
        await context.add_cookies(missing)  # type: ignore[arg-type]


def _cookie_id(cookie: dict[str, Any]) -> str:
    return cookie_component(str(cookie["name"]), str(cookie["domain"])).id
