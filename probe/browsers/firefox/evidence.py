"""What Firefox can tell of who did what: requests an add-on's rules may have blocked, and
the add-ons whose content scripts go into the pages the run opened.

Firefox answers none of Chromium's DevTools questions over WebDriver BiDi (no
``testMatchOutcome``, no isolated worlds by extension, no injected style sheets). What it
does show:

- a request that failed with ``NS_ERROR_ABORT`` (Chromium's ``net::ERR_BLOCKED_BY_CLIENT``):
  it is put down to the add-ons of the run that may block requests
  (``declarativeNetRequest`` permissions or rules, or ``webRequestBlocking`` with host
  access to the request's URL);
- the documents the run loaded: an add-on whose manifest declares content scripts for one
  of them (``matches`` and ``exclude_matches``; ``all_frames`` for frames) adds its style
  sheets (``css``) or runs its scripts (``js``) there, as Firefox injects them.

Both are read from the add-ons' manifests in the profile copy. They are suspicions, not
proofs: the diagnosis confirms them (without the suspects the step passes, with only them
it fails) before naming anyone, and falls back to elimination when they do not hold. Style
sheets or scripts an add-on inserts from its own code (``scripting``, ``tabs``) declare
nothing: such an add-on is found by elimination.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from playwright.async_api import BrowserContext, Request
from playwright.async_api import Error as PlaywrightError

from probe.browsers.firefox.profile import Addon
from probe.browsers.patterns import Injection, declared_injections, matches_pattern, strings
from probe.description.pagemap import public_url
from probe.models import Evidence

ABORTED = "NS_ERROR_ABORT"
MAX_URLS = 10
MAX_PAGES = 50  # documents remembered per run: a login opens a handful
NETWORK_PERMISSIONS = frozenset(
    {"declarativeNetRequest", "declarativeNetRequestWithHostAccess", "webRequestBlocking"}
)


def addon_manifest(addon: Addon) -> dict[str, Any] | None:
    """The add-on's manifest, read from its .xpi; None when it cannot be read."""
    if addon.xpi is None:
        return None
    try:
        with zipfile.ZipFile(addon.xpi) as archive:
            manifest = json.loads(archive.read("manifest.json").decode("utf-8-sig"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return manifest if isinstance(manifest, dict) else None


def may_block(manifest: dict[str, Any] | None, url: str) -> bool:
    """Whether an add-on with this manifest may block a request to ``url`` (unknown: yes)."""
    if manifest is None:
        return True
    permissions = set(strings(manifest.get("permissions")))
    if "declarative_net_request" in manifest or permissions & {
        "declarativeNetRequest",
        "declarativeNetRequestWithHostAccess",
    }:
        return True  # its rules block without host access
    if "webRequestBlocking" not in permissions:
        return False
    hosts = strings(manifest.get("host_permissions")) + [
        p for p in permissions if "://" in p or p == "<all_urls>"
    ]
    return any(matches_pattern(pattern, url) for pattern in hosts)


@dataclass
class AddonEvidenceWatch:
    """Watches one Firefox context for requests the run's add-ons may have blocked and for
    the documents it loads."""

    context: BrowserContext
    addons: Sequence[Addon]
    _aborted: list[str] = field(default_factory=list)
    _pages: list[tuple[str, bool]] = field(default_factory=list)  # (url, top)

    async def start(self) -> None:
        self.context.on("requestfailed", self._on_failed)
        self.context.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        if request.resource_type != "document" or len(self._pages) >= MAX_PAGES:
            return
        if not request.url.startswith(("http://", "https://")):
            return
        try:
            top = request.frame.parent_frame is None
        except PlaywrightError:  # a request of no page's frame
            return
        if (request.url, top) not in self._pages:
            self._pages.append((request.url, top))

    def _on_failed(self, request: Request) -> None:
        if ABORTED not in (request.failure or "") or request.resource_type == "document":
            return  # a page left while it loaded aborts its own requests too
        if len(self._aborted) < MAX_URLS and request.url not in self._aborted:
            self._aborted.append(request.url)

    async def conclude(self) -> list[Evidence]:
        self.context.remove_listener("requestfailed", self._on_failed)
        self.context.remove_listener("request", self._on_request)
        found: list[Evidence] = []
        for addon in self.addons:
            manifest = addon_manifest(addon)
            url = next((u for u in self._aborted if may_block(manifest, u)), None)
            if url is not None:
                found.append(_evidence("blocks-request", addon, url))
            injected: set[Injection] = set()
            for page, top in self._pages:
                for kind in declared_injections(manifest, page, top):
                    if kind not in injected:
                        injected.add(kind)
                        found.append(_evidence(kind, addon, page))
        return found


def _evidence(kind: Literal["blocks-request"] | Injection, addon: Addon, url: str) -> Evidence:
    return Evidence(kind=kind, component=addon.id, name=addon.name, url=public_url(url) or url)
