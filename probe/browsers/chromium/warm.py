"""A running Chromium set to each run's extensions, cookies and site data without a restart.

Chromium only (Firefox runs keep launching a browser each): measured in Chromium 156,

- ``chrome.management.setEnabled``, called from a small extension of probe's own that
  has the ``management`` permission (``probe/browsers/chromium/extension_switch/``: no content script, no
  host permission, so it touches no page), turns an extension on or off in 5-110 ms.
  The enabled set is global to the browser: a pool keeps one browser per run at once.
- A rule-based extension switched back on blocks nothing for a moment (~0.3 s for a
  large list) while Chromium loads its rules again. Before an extension that may hold
  network rules is first switched off, it is asked (``declarativeNetRequest.
  testMatchOutcome``, from one of its pages) for a request its own rules match; after
  each switch back on, that same question is asked again until it matches.
- Pages already open keep what a content script did to them: every run gets a new page,
  and the earlier run's pages are closed.
- Cookies: the browser starts with all of the person's cookies; their values are read
  then (``context.cookies()``) and held in memory only. Before each run the jar is set
  back to them, without the portal's cookies the run leaves out. Cookies a run did not
  change are left as they are (re-adding one would give it a new creation time, which
  orders the Cookie header).
- Site data: a browser that already ran a journey has the portal's origins' storage
  (local storage, IndexedDB, service workers, Cache Storage...) cleared and the HTTP
  cache emptied before the next run (a cold run's cache starts empty too). That sets
  them back exactly when they held nothing at start: always for a browser started
  without the person's site data; for one started with it, checked at start
  (``clean``): DevTools' quota usage of each origin (IndexedDB, service workers, caches,
  file systems), and local storage, which that usage leaves out, read from a blank page
  of each origin answered by probe itself (nothing reaches the portal) while the
  extensions with content scripts are off (a content script could write there). Otherwise the browser serves
  one run keeping site data (``probe.browsers.pool.refusal``).

What is not set back: what an extension writes into its own storage during a run (a
blocker's counters); the scenarios' extensions write nothing there that changes what
they do, and the equivalence test runs every scenario both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, CDPSession, Page
from playwright.async_api import Error as PlaywrightError

from probe.browsers.base import SITE_DATA_ID, Launched, ProfileCopy, RunSpec, discard_browser
from probe.browsers.chromium.evidence import EvidenceWatch, may_hold_network_rules
from probe.browsers.chromium.profile import Extension, SourceProfile, extension_id
from probe.browsers.pool import BrowserSetup, Reuse, reset_cookies
from probe.description.target import Target, origin_of

SWITCH_FOLDER = Path(__file__).resolve().parent / "extension_switch"
RULES_WAIT_S = 2.0  # a blocker switched back on: until its rules match again
PROBE_WAIT_S = 0.5  # a blocker whose rules apply: a request they match, at once

# Storage of an origin, as DevTools names it: everything but cookies (set back apart).
SITE_STORAGE = ",".join(
    (
        "file_systems",
        "indexeddb",
        "local_storage",
        "websql",
        "service_workers",
        "cache_storage",
        "shared_storage",
        "storage_buckets",
        "interest_groups",
    )
)

_SWITCH = """async (changes) => {
  for (const [id, on] of changes) await chrome.management.setEnabled(id, on);
}"""

# A request the extension's own rules match, waited for until they do: the first of its
# rules (dynamic, then static) whose condition can be turned into a URL and a type.
_RULES_APPLY = """async ([known, seconds]) => {
  const dnr = chrome.declarativeNetRequest;
  if (!dnr || !dnr.testMatchOutcome) return null;
  const SIMPLE = new Set(["urlFilter", "requestDomains", "resourceTypes",
    "excludedResourceTypes", "isUrlFilterCaseSensitive", "excludedRequestDomains",
    "excludedInitiatorDomains", "excludedRequestMethods", "excludedTabIds"]);
  const TYPES = ["script", "image", "xmlhttprequest", "sub_frame", "stylesheet"];
  const toRequest = (rule) => {
    const c = (rule && rule.condition) || {};
    if (Object.keys(c).some((k) => !SIMPLE.has(k))) return null;
    let url = null;
    const f = c.urlFilter;
    const cut = (s) => s.split(/[*^|]/)[0];
    if (typeof f === "string" && f.startsWith("||")) {
      const rest = cut(f.slice(2));
      url = rest ? "https://" + (rest.includes("/") ? rest : rest + "/") : null;
    } else if (typeof f === "string" && f.startsWith("|")) {
      url = cut(f.slice(1)) || null;
    } else if (typeof f === "string") {
      url = "https://probe.invalid/" + cut(f);
    } else if (Array.isArray(c.requestDomains) && c.requestDomains.length) {
      url = "https://" + c.requestDomains[0] + "/";
    }
    if (!url) return null;
    const excluded = c.excludedResourceTypes || ["main_frame"];
    const types = (c.resourceTypes || TYPES).filter((t) => !excluded.includes(t));
    return types.length ? { url, type: types[0] } : null;
  };
  const matches = async (request) => {
    try {
      const outcome = await dnr.testMatchOutcome(request);
      return (outcome.matchedRules || []).length > 0;
    } catch (e) {
      return false;
    }
  };
  let candidates = known ? [known] : [];
  if (!known) {
    const rules = [...(await dnr.getDynamicRules())];
    const manifest = chrome.runtime.getManifest();
    const lists = (manifest.declarative_net_request || {}).rule_resources || [];
    const on = new Set(await dnr.getEnabledRulesets());
    for (const list of lists) {
      if (!on.has(list.id)) continue;
      try {
        const answer = await fetch(chrome.runtime.getURL(list.path));
        rules.push(...(await answer.json()).slice(0, 50));
      } catch (e) {}
    }
    candidates = rules.map(toRequest).filter((r) => r).slice(0, 5);
  }
  const deadline = Date.now() + seconds * 1000;
  while (candidates.length && Date.now() < deadline) {
    for (const request of candidates) if (await matches(request)) return request;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}"""


# Starts Chromium on a run folder made from the profile copy, with probe's own extensions
# (the switch) loaded beside the person's: ``ChromiumEngine.start``, bound to a driver.
StartChromium = Callable[[ProfileCopy[SourceProfile], RunSpec, Sequence[Path]], Awaitable[Launched]]


def warm_browsers(
    start: StartChromium,
    copy: ProfileCopy[SourceProfile],
    *,
    size: int,
    folder: Path,
    headed: bool,
    target: Target,
) -> Reuse[ChromiumWarmBrowser]:
    """At most ``size`` running Chromium browsers on ``copy``, each set to run after run;
    each in a folder of its own in ``folder``."""
    numbers = itertools.count(1)

    async def launch(setup: BrowserSetup) -> ChromiumWarmBrowser:
        return await start_warm(
            start, copy, setup, folder / f"browser-{next(numbers)}", headed=headed, target=target
        )

    return Reuse(launch, size, copy.inventory)


async def start_warm(
    start: StartChromium,
    copy: ProfileCopy[SourceProfile],
    setup: BrowserSetup,
    folder: Path,
    *,
    headed: bool,
    target: Target,
) -> ChromiumWarmBrowser:
    """Start a Chromium for the pool: ``setup``'s extensions (with the switch), all of the
    person's cookies, the site data when ``setup`` keeps it, its settings."""
    inventory = copy.inventory
    kept = (
        setup.extensions
        | {c.id for c in inventory.of_kind("cookie")}
        | {c.id for c in inventory.of_kind("setting") if c.id not in setup.reset_settings}
        | ({SITE_DATA_ID} if setup.site_data else set())
    )
    folder.mkdir(parents=True, exist_ok=True)
    switch = folder / "extension-switch"
    shutil.copytree(SWITCH_FOLDER, switch, dirs_exist_ok=True)
    spec = RunSpec(
        kept=frozenset(kept) & inventory.ids,
        folder=folder,
        headed=headed,
        locale=target.locale,
        sites=target.sites,
    )
    launched = await start(copy, spec, [switch])
    extensions = [e for e in copy.source.extensions if e.enabled and e.id in setup.extensions]
    warm = ChromiumWarmBrowser(launched.context, folder, setup, extensions, target.site_urls())
    try:
        await warm.start(switch)
    except BaseException:
        await warm.close()
        raise
    return warm


class ChromiumWarmBrowser:
    """One running Chromium, lent to one run at a time (``probe.browsers.pool.SwitchableBrowser``)."""

    def __init__(
        self,
        context: BrowserContext,
        run_dir: Path,
        setup: BrowserSetup,
        extensions: Sequence[Extension],
        sites: Sequence[str],
    ) -> None:
        self.context = context
        self.run_dir = run_dir  # the user-data-dir and HOME, removed on close
        self.downloads = run_dir / "downloads"
        self.setup = setup
        self.used = False
        self.clean = not setup.site_data  # checked in ``start`` when it holds the person's
        self.sites = list(sites)  # the portal's origins ("http://portal.localhost:8000/")
        self._extensions = list(extensions)
        self._ids = {ext.id: _loaded_id(ext) for ext in extensions}
        self._enabled = set(self._ids)
        self._rule_probes: dict[str, dict[str, str]] = {}
        self._network = {ext.id for ext in extensions if may_hold_network_rules(ext)}
        self._scripted = {ext.id for ext in extensions if _has_content_scripts(ext)}
        self._probed: set[str] = set()
        self._switch_url = ""
        self._switch: Page | None = None
        self._session: CDPSession | None = None
        self._cookies: list[dict[str, Any]] = []

    async def watch(self, kept: frozenset[str], sites: Sequence[str]) -> EvidenceWatch | None:
        """Ask the browser who did what during the next journey (``probe.browsers.chromium.evidence``)."""
        extensions = [e for e in self._extensions if e.id in kept]
        if not extensions:
            return None
        watch = EvidenceWatch(self.context, extensions, sites)
        await watch.start()
        return watch

    async def start(self, switch_folder: Path) -> None:
        """Called once the browser runs: its cookies, and whether the portal's origins are clean.

        The rest waits until a run needs it (the first journey often is the only one):
        the switch page opens at the first switch, and a blocker's rules are checked just
        before it is first switched off (they apply then: a journey already ran).
        """
        self._switch_url = f"chrome-extension://{extension_id(switch_folder)}/switch.html"
        self._cookies = [dict(c) for c in await self.context.cookies()]  # memory only
        if self.setup.site_data:
            self.clean = await self._portal_clean()

    async def _control(self) -> tuple[Page, CDPSession]:
        """The switch page, and a DevTools session on it (for storage and cache)."""
        if self._switch is None or self._session is None:
            self._switch = await self.context.new_page()
            await self._switch.goto(self._switch_url)
            self._session = await self.context.new_cdp_session(self._switch)
        return self._switch, self._session

    async def _switch_off_first(self, components: Iterable[str]) -> None:
        """Before a blocker is first switched off: a request its rules match, to wait for later."""
        new = sorted(c for c in components if c in self._network and c not in self._probed)
        self._probed.update(new)
        found = await asyncio.gather(*(self._rules_apply(c, None, PROBE_WAIT_S) for c in new))
        self._rule_probes.update({c: req for c, req in zip(new, found, strict=True) if req})

    async def _turn(self, wanted: set[str]) -> None:
        """Switch the extensions so that exactly ``wanted`` are on; wait for blockers' rules."""
        changes = [(self._ids[c], c in wanted) for c in sorted(self._enabled ^ wanted)]
        if not changes:
            return
        await self._switch_off_first(self._enabled - wanted)
        switch, _ = await self._control()
        await switch.evaluate(_SWITCH, changes)
        switched_on = wanted - self._enabled
        self._enabled = set(wanted)
        await asyncio.gather(
            *(
                self._rules_apply(c, self._rule_probes[c], RULES_WAIT_S)
                for c in sorted(switched_on)
                if c in self._rule_probes
            )
        )

    async def _portal_clean(self) -> bool:
        """Whether the portal's origins hold no site data (what ``clean`` says)."""
        _, session = await self._control()
        for origin in self.sites:
            usage = await session.send("Storage.getUsageAndQuota", {"origin": origin.rstrip("/")})
            if usage.get("usage"):
                return False
        # Only content scripts write into a page's storage: those extensions go off.
        await self._turn({c for c in self._enabled if c not in self._scripted})
        page = await self.context.new_page()
        try:
            await page.route("**/*", lambda route: route.fulfill(body="", content_type="text/html"))
            for origin in self.sites:
                await page.goto(origin)
                if await page.evaluate("localStorage.length"):
                    return False
        finally:
            with contextlib.suppress(PlaywrightError):
                await page.close()
        return True

    async def prepare(self, kept: frozenset[str], dropped_cookies: Iterable[str]) -> Page:
        """Set the browser to a run keeping ``kept``; returns the run's new page."""
        for page in self.context.pages:
            if page is not self._switch:
                with contextlib.suppress(PlaywrightError):
                    await page.close()
        await self._turn({c for c in self._ids if c in kept})
        if self.used:
            _, session = await self._control()
            for origin in self.sites:
                await session.send(
                    "Storage.clearDataForOrigin",
                    {"origin": origin.rstrip("/"), "storageTypes": SITE_STORAGE},
                )
            await session.send("Network.clearBrowserCache")
            await _stop_service_workers(session, self.sites)
        await reset_cookies(self.context, self._cookies, set(dropped_cookies))
        shutil.rmtree(self.downloads, ignore_errors=True)
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.used = True
        return await self.context.new_page()

    async def _rules_apply(
        self, component: str, known: dict[str, str] | None, seconds: float
    ) -> dict[str, str] | None:
        """Wait (up to ``seconds``) until the extension's rules match ``known``, or, with
        None, one of the requests its own rules describe; returns the request matched."""
        page: Page | None = None
        try:
            page = await self.context.new_page()
            await page.goto(f"chrome-extension://{self._ids[component]}/manifest.json")
            found = await page.evaluate(_RULES_APPLY, [known, seconds])
        except PlaywrightError:
            return None
        finally:
            if page is not None:
                with contextlib.suppress(PlaywrightError):
                    await page.close()
        return found if isinstance(found, dict) else None

    async def close(self) -> None:
        await discard_browser(self.context, self.run_dir)


async def _stop_service_workers(session: CDPSession, sites: Sequence[str]) -> None:
    """Stop the service workers the earlier runs started for the portal's ``sites``.

    Clearing a site's data unregisters its worker but leaves the running one alive, in a
    process of its own: each run on a portal with a worker left one more (+30 MiB each,
    15 renderers after a 12-run narrowing down). A browser just started has none.
    """
    targets = await session.send("Target.getTargets")
    for target in targets.get("targetInfos", []):
        url = str(target.get("url", ""))
        if target.get("type") == "service_worker" and origin_of(url) in sites:
            with contextlib.suppress(PlaywrightError):  # it may have stopped meanwhile
                await session.send("Target.closeTarget", {"targetId": target["targetId"]})


def _loaded_id(ext: Extension) -> str:
    try:
        return extension_id(ext.path)
    except ValueError:
        return ext.id


def _has_content_scripts(ext: Extension) -> bool:
    try:
        manifest = json.loads((ext.path / "manifest.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return True  # cannot tell: count it in
    return not isinstance(manifest, dict) or bool(manifest.get("content_scripts"))
