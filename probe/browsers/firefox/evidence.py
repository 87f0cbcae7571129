"""What Firefox can tell of who did what: requests an add-on's rules may have blocked.

Firefox answers none of Chromium's DevTools questions over WebDriver BiDi (no
``testMatchOutcome``, no isolated worlds by extension). What it does show is a request
that failed with ``NS_ERROR_ABORT`` (Chromium's ``net::ERR_BLOCKED_BY_CLIENT``): it is put
down to the add-ons of the run that may block requests (``declarativeNetRequest``
permissions or rules, or ``webRequestBlocking`` with host access to the request's URL),
read from their manifests in the profile copy. That is a suspicion, not a proof: the
diagnosis confirms it (without them the step passes, with only them it fails) before
naming anyone, and falls back to elimination when it does not hold.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import BrowserContext, Request

from probe.browsers.firefox.profile import Addon
from probe.browsers.patterns import matches_pattern
from probe.description.pagemap import public_url
from probe.models import Evidence

ABORTED = "NS_ERROR_ABORT"
MAX_URLS = 10
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


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def may_block(manifest: dict[str, Any] | None, url: str) -> bool:
    """Whether an add-on with this manifest may block a request to ``url`` (unknown: yes)."""
    if manifest is None:
        return True
    permissions = set(_strings(manifest.get("permissions")))
    if "declarative_net_request" in manifest or permissions & {
        "declarativeNetRequest",
        "declarativeNetRequestWithHostAccess",
    }:
        return True  # its rules block without host access
    if "webRequestBlocking" not in permissions:
        return False
    hosts = _strings(manifest.get("host_permissions")) + [
        p for p in permissions if "://" in p or p == "<all_urls>"
    ]
    return any(matches_pattern(pattern, url) for pattern in hosts)


@dataclass
class AddonEvidenceWatch:
    """Watches one Firefox context for requests the run's add-ons may have blocked."""

    context: BrowserContext
    addons: Sequence[Addon]
    _aborted: list[str] = field(default_factory=list)

    async def start(self) -> None:
        self.context.on("requestfailed", self._on_failed)

    def _on_failed(self, request: Request) -> None:
        if ABORTED not in (request.failure or "") or request.resource_type == "document":
            return  # a page left while it loaded aborts its own requests too
        if len(self._aborted) < MAX_URLS and request.url not in self._aborted:
            self._aborted.append(request.url)

    async def conclude(self) -> list[Evidence]:
        self.context.remove_listener("requestfailed", self._on_failed)
        found: list[Evidence] = []
        for addon in self.addons:
            manifest = addon_manifest(addon)
            url = next((u for u in self._aborted if may_block(manifest, u)), None)
            if url is not None:
                found.append(
                    Evidence(
                        kind="blocks-request",
                        component=addon.id,
                        name=addon.name,
                        url=public_url(url) or url,
                    )
                )
        return found
