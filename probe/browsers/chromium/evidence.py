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
  name (DevTools ``Runtime.executionContextCreated``, one CDP session per page). A
  content script declared with ``"world": "MAIN"`` runs in the page's own world instead:
  it is seen by its source, a script parsed from ``chrome-extension://<id>/``
  (``Debugger.scriptParsed``, asked only when an extension declares one).
- Which added style sheets? Chromium marks a sheet ``injected`` (``CSS.styleSheetAdded``)
  but does not say whose it is. Its text (``CSS.getStyleSheetText``) is compared with the
  extensions' own style sheets (declared in the manifest, registered with
  ``chrome.scripting.registerContentScripts`` or inserted from a file); a sheet no file
  holds (a filter the person typed, inserted as a string) is put down to the extensions
  whose content scripts declare CSS for that page's URL, else to those allowed to insert
  CSS there (``scripting``, or MV2 ``tabs``, with host access to the page).
- Main-world scripts (``"world": "MAIN"`` in the manifest, or registered or injected from
  a file through ``chrome.scripting``) are seen by their source URL, as above; asked of the
  browser when an extension declares one or may inject scripts (``scripting``).

Everything is best effort: a question the browser does not answer yields no evidence,
never a failed run. URLs are kept without their query strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, CDPSession, Page, Request
from playwright.async_api import Error as PlaywrightError

from probe.browsers.chromium.profile import Extension, extension_id
from probe.browsers.patterns import declared_injections, matches_pattern, strings
from probe.description.pagemap import public_url
from probe.models import Evidence

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


def may_hold_network_rules(ext: Extension) -> bool:
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


def _manifest(ext: Extension) -> dict[str, Any]:
    try:
        manifest = json.loads((ext.path / "manifest.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def may_inject(ext: Extension) -> bool:
    """Whether the extension may insert CSS or scripts into pages from its own code:
    ``chrome.scripting`` (MV3), or ``tabs.insertCSS``/``executeScript`` (MV2)."""
    manifest = _manifest(ext)
    permissions = set(strings(manifest.get("permissions")))
    return "scripting" in permissions or (
        manifest.get("manifest_version") == 2 and bool({"tabs", "activeTab"} & permissions)
    )


def host_patterns(ext: Extension) -> list[str]:
    """The pages the extension may reach (MV3 ``host_permissions``, MV2 permissions)."""
    manifest = _manifest(ext)
    return strings(manifest.get("host_permissions")) + [
        p for p in strings(manifest.get("permissions")) if "://" in p or p == "<all_urls>"
    ]


MAX_SHEETS = 50
MAX_SHEET_FILES = 200
MAX_SHEET_BYTES = 1_000_000


def _squeezed(text: str) -> str:
    """CSS without its whitespace, to compare a sheet with the file it came from."""
    return re.sub(r"\s+", "", text)


def own_style_sheets(ext: Extension) -> list[str]:
    """The extension's own .css files, squeezed (``_squeezed``), the empty ones left out."""
    found: list[str] = []
    try:
        files = sorted(ext.path.rglob("*.css"))[:MAX_SHEET_FILES]
    except OSError:
        return found
    for path in files:
        try:
            if path.is_file() and path.stat().st_size <= MAX_SHEET_BYTES:
                text = _squeezed(path.read_text(encoding="utf-8", errors="replace"))
                if text:
                    found.append(text)
        except OSError:
            continue
    return found


def _declares_css(ext: Extension) -> bool:
    """Whether the extension's manifest declares a content script with CSS, for any page."""
    scripts = _manifest(ext).get("content_scripts")
    return any(
        isinstance(entry, dict) and strings(entry.get("css"))
        for entry in (scripts if isinstance(scripts, list) else [])
    )


def runs_in_main_world(ext: Extension) -> bool:
    """Whether the extension's manifest declares a content script in the page's own world."""
    scripts = _manifest(ext).get("content_scripts")
    return any(
        isinstance(entry, dict) and entry.get("world") == "MAIN"
        for entry in (scripts if isinstance(scripts, list) else [])
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
    _sheets: list[tuple[str, Page]] = field(default_factory=list)  # sheet id, its page
    _texts: dict[str, asyncio.Task[str | None]] = field(default_factory=dict)  # sheet id ->
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
            session.on("CSS.styleSheetAdded", lambda event: self._on_sheet(session, page, event))
            await session.send("Runtime.enable")
            loaded = self._loaded.values()
            if any(runs_in_main_world(ext) or may_inject(ext) for ext in loaded):
                session.on("Debugger.scriptParsed", lambda event: self._on_script(page, event))
                await session.send("Debugger.enable")
                # A page's own "debugger;" statement must never stop the journey.
                await session.send("Debugger.setSkipAllPauses", {"skip": True})
            if any(_declares_css(ext) or may_inject(ext) for ext in loaded):
                await session.send("DOM.enable")
                await session.send("CSS.enable")
        except PlaywrightError:
            return
        self._sessions.append(session)

    def _on_sheet(self, session: CDPSession, page: Page, event: dict[str, Any]) -> None:
        header = event.get("header") or {}
        if header.get("origin") != "injected" or not header.get("styleSheetId"):
            return
        if self._done or len(self._sheets) >= MAX_SHEETS:
            return
        sheet = str(header["styleSheetId"])
        self._sheets.append((sheet, page))
        # Asked at once: the sheet goes with its document when the page moves on.
        self._texts[sheet] = asyncio.ensure_future(_sheet_text(session, sheet))

    def _on_script(self, page: Page, event: dict[str, Any]) -> None:
        url = str(event.get("url") or "")
        if url.startswith("chrome-extension://"):
            self._saw_script(page, url.removeprefix("chrome-extension://").partition("/")[0])

    def _saw_script(self, page: Page, loaded: str) -> None:
        pages = self._injected.setdefault(loaded, [])
        if loaded in self._loaded and page not in pages:
            pages.append(page)  # the page's URL is read at the end: it may not be committed yet

    def _on_context(self, page: Page, event: dict[str, Any]) -> None:
        context = event.get("context") or {}
        origin = str(context.get("origin") or "")
        aux = context.get("auxData") or {}
        if not origin.startswith("chrome-extension://") or aux.get("type") != "isolated":
            return
        self._saw_script(page, origin.removeprefix("chrome-extension://").strip("/"))

    async def conclude(self) -> list[Evidence]:
        """What was seen, in the order of the extensions given; asks about blocked requests."""
        self._done = True
        # A pooled browser runs other journeys after this one: stop listening to it.
        self.context.remove_listener("requestfailed", self._on_failed)
        self.context.remove_listener("page", self._on_page)
        found: list[Evidence] = []
        if self._blocked:
            for loaded, ext in self._loaded.items():
                if not may_hold_network_rules(ext):
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
        found += await self._styled()
        for session in self._sessions:
            with contextlib.suppress(PlaywrightError):
                await session.detach()
        return found

    async def _styled(self) -> list[Evidence]:
        """The extensions whose style sheets were injected into a portal page: the one whose
        file holds the sheet's text, else those declaring CSS for the page, else those
        allowed to insert CSS into it (see the module's docstring)."""
        texts: dict[str, str | None] = {}
        for sheet, task in self._texts.items():
            try:
                texts[sheet] = await asyncio.wait_for(task, ASK_TIMEOUT_S)
            except (PlaywrightError, TimeoutError):
                texts[sheet] = None
        own = {loaded: own_style_sheets(ext) for loaded, ext in self._loaded.items()}
        manifests = {loaded: _manifest(ext) for loaded, ext in self._loaded.items()}
        inserting = {
            loaded: host_patterns(ext) for loaded, ext in self._loaded.items() if may_inject(ext)
        }
        seen: dict[str, str] = {}
        for sheet, page in self._sheets:
            url = page.url
            if (urlsplit(url).hostname or "") not in self.sites:
                continue
            owners = _holding(_squeezed(texts.get(sheet) or ""), own) or [
                loaded
                for loaded, manifest in manifests.items()
                if "injects-css" in declared_injections(manifest, url, top=True)
            ]
            if not owners:
                owners = [
                    loaded
                    for loaded, patterns in inserting.items()
                    if any(matches_pattern(pattern, url) for pattern in patterns)
                ]
            for loaded in owners:
                seen.setdefault(loaded, public_url(url) or url)
        return [
            Evidence(kind="injects-css", component=ext.id, name=ext.name, url=seen[loaded])
            for loaded, ext in self._loaded.items()
            if loaded in seen
        ]

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


async def _sheet_text(session: CDPSession, sheet: str) -> str | None:
    try:
        answer = await session.send("CSS.getStyleSheetText", {"styleSheetId": sheet})
    except PlaywrightError:
        return None
    text = answer.get("text")
    return text if isinstance(text, str) else None


def _holding(text: str, own: dict[str, list[str]]) -> list[str]:
    """The extensions one of whose style sheets is ``text`` (or holds it, or is held in it:
    a sheet inserted as a string may be a part of a file, or a file and more)."""
    if len(text) < 8:
        return []
    return [
        loaded
        for loaded, sheets in own.items()
        if any(text == mine or text in mine or (len(mine) >= 8 and mine in text) for mine in sheets)
    ]
