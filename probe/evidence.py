"""Who did what in the person's browser: evidence read from Chromium itself, not inferred.

Two questions, asked during the ``current`` run only:

- A request failed with ``net::ERR_BLOCKED_BY_CLIENT``: which extension's rules block
  it? Each extension that may hold network rules is asked
  ``chrome.declarativeNetRequest.testMatchOutcome`` for that URL, from its service
  worker when one is running, else from one of its own pages (a worker that went idle
  is not woken by Playwright; an extension page has the same API). Chromium answers it
  for unpacked extensions, which is how probe loads every copy.
- Which extensions ran content scripts in the portal's pages? Each one gets an isolated
  world whose origin is ``chrome-extension://<id>`` and whose name is the extension's
  name (DevTools ``Runtime.executionContextCreated``, one CDP session per page).

Everything is best effort: a question the browser does not answer yields no evidence,
never a failed run. URLs are kept without their query strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, CDPSession, Page, Request
from playwright.async_api import Error as PlaywrightError

from probe.models import Evidence
from probe.pagemap import public_url
from probe.profiles import Extension, extension_id

ASK_TIMEOUT_S = 5.0
NETWORK_PERMISSIONS = frozenset(
    {
        "declarativeNetRequest",
        "declarativeNetRequestWithHostAccess",
        "declarativeNetRequestFeedback",
    }
)
MAX_ASKED_URLS = 10

# Playwright's resource types -> declarativeNetRequest's.
DNR_TYPES: dict[str, str] = {
    "document": "sub_frame",
    "stylesheet": "stylesheet",
    "image": "image",
    "media": "media",
    "font": "font",
    "script": "script",
    "xhr": "xmlhttprequest",
    "fetch": "xmlhttprequest",
    "websocket": "websocket",
    "ping": "ping",
}

_ASK = """async ([url, type, initiator]) => {
  const dnr = globalThis.chrome && chrome.declarativeNetRequest;
  if (!dnr || !dnr.testMatchOutcome) return null;
  const request = {url, type};
  if (initiator) request.initiator = initiator;
  try {
    const outcome = await dnr.testMatchOutcome(request);
    return (outcome.matchedRules || []).length;
  } catch (e) {
    return null;
  }
}"""


@dataclass
class _Blocked:
    url: str  # as requested (kept in memory only, to ask the extensions)
    resource_type: str
    initiator: str | None


def _may_hold_network_rules(ext: Extension) -> bool:
    try:
        manifest = json.loads((ext.path / "manifest.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return True  # cannot tell: ask it
    if not isinstance(manifest, dict):
        return True
    permissions = manifest.get("permissions")
    wanted = permissions if isinstance(permissions, list) else []
    return bool(NETWORK_PERMISSIONS & {p for p in wanted if isinstance(p, str)}) or (
        "declarative_net_request" in manifest
    )


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


@dataclass
class EvidenceWatch:
    """Watches one browser context for what its extensions do."""

    context: BrowserContext
    extensions: Sequence[Extension]
    sites: Sequence[str]  # the portal's host names
    _loaded: dict[str, Extension] = field(default_factory=dict)
    _blocked: dict[str, _Blocked] = field(default_factory=dict)
    _injected: dict[str, list[Page]] = field(default_factory=dict)  # extension id -> pages
    _sessions: list[CDPSession] = field(default_factory=list)
    _done: bool = False

    async def start(self) -> None:
        for ext in self.extensions:
            try:
                self._loaded[extension_id(ext.path)] = ext
            except (OSError, ValueError):
                self._loaded[ext.id] = ext
        self.context.on("requestfailed", self._on_failed)
        self.context.on("page", self._on_page)
        for page in self.context.pages:
            await self._attach(page)

    def _on_failed(self, request: Request) -> None:
        if "ERR_BLOCKED_BY_CLIENT" not in (request.failure or ""):
            return
        if len(self._blocked) >= MAX_ASKED_URLS or request.url in self._blocked:
            return
        frame_url = None
        with contextlib.suppress(PlaywrightError):
            frame_url = request.frame.page.url if request.frame else None
        self._blocked[request.url] = _Blocked(
            request.url, request.resource_type, _origin(frame_url)
        )

    def _on_page(self, page: Page) -> None:
        if self._done:
            return
        task = asyncio.ensure_future(self._attach(page))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _attach(self, page: Page) -> None:
        try:
            session = await self.context.new_cdp_session(page)
            session.on(
                "Runtime.executionContextCreated",
                lambda event: self._on_context(page, event),
            )
            await session.send("Runtime.enable")
        except PlaywrightError:
            return
        self._sessions.append(session)

    def _on_context(self, page: Page, event: dict[str, Any]) -> None:
        context = event.get("context") or {}
        origin = str(context.get("origin") or "")
        aux = context.get("auxData") or {}
        if not origin.startswith("chrome-extension://") or aux.get("type") != "isolated":
            return
        loaded = origin.removeprefix("chrome-extension://").strip("/")
        pages = self._injected.setdefault(loaded, [])
        if loaded in self._loaded and page not in pages:
            pages.append(page)  # the page's URL is read at the end: it may not be committed yet

    async def conclude(self) -> list[Evidence]:
        """What was seen, in the order of the extensions given; asks about blocked requests."""
        self._done = True
        found: list[Evidence] = []
        if self._blocked:
            for loaded, ext in self._loaded.items():
                if not _may_hold_network_rules(ext):
                    continue
                for blocked in await self._ask(loaded):
                    url = public_url(blocked.url) or blocked.url
                    found.append(
                        Evidence(kind="blocks-request", component=ext.id, name=ext.name, url=url)
                    )
        for loaded, ext in self._loaded.items():
            urls = [public_url(page.url) for page in self._injected.get(loaded, [])]
            on_portal = [u for u in urls if u and (urlsplit(u).hostname or "") in self.sites]
            if on_portal:
                found.append(
                    Evidence(
                        kind="injects-script", component=ext.id, name=ext.name, url=on_portal[0]
                    )
                )
        for session in self._sessions:
            with contextlib.suppress(PlaywrightError):
                await session.detach()
        return found

    async def _ask(self, loaded: str) -> list[_Blocked]:
        """The blocked requests the extension ``loaded``'s own rules match."""
        prefix = f"chrome-extension://{loaded}/"
        worker = next((w for w in self.context.service_workers if w.url.startswith(prefix)), None)
        page: Page | None = None
        matched: list[_Blocked] = []
        try:
            if worker is None:
                page = await self.context.new_page()
                await page.goto(prefix + "manifest.json", timeout=ASK_TIMEOUT_S * 1000)
            where = worker if worker is not None else page
            assert where is not None
            for blocked in self._blocked.values():
                types = [DNR_TYPES.get(blocked.resource_type, "other")]
                if blocked.resource_type == "document":
                    types.append("main_frame")
                for dnr_type in types:
                    count = await asyncio.wait_for(
                        where.evaluate(_ASK, [blocked.url, dnr_type, blocked.initiator]),
                        ASK_TIMEOUT_S,
                    )
                    if isinstance(count, int) and count > 0:
                        matched.append(blocked)
                        break
        except (PlaywrightError, TimeoutError):
            pass
        finally:
            if page is not None:
                with contextlib.suppress(PlaywrightError):
                    await page.close()
        return matched
