"""A running Firefox set to each run's add-ons, cookies and site data without a restart.

Firefox's counterpart of ``probe.browsers.chromium.warm``, measured in Firefox ESR 153:

- The browser runs on a run folder made from the profile copy without any of the
  person's add-ons, with Marionette listening beside Playwright's WebDriver BiDi
  (``probe.browsers.firefox.marionette``). Before each run the add-ons the run keeps
  are installed from the profile copy's own files (their .xpi or folder) as temporary
  add-ons, and those it leaves out are uninstalled: 0.1-0.3 s each, where a launch takes
  2.6-2.9 s. A blocker's rules apply as soon as the install answers.
- An add-on installed again keeps its moz-extension address and its storage: the run
  folder keeps the person's ``extensions.webextensions.uuids`` (the add-on's id gets its
  address back) and its storage, and the browser is told to keep both when an add-on is
  uninstalled (``keepUuidOnUninstall``, ``keepStorageOnUninstall``). What Firefox does
  not keep is an add-on's granted permissions: an uninstall removes them and an install
  grants what the manifest asks for (an MV3 add-on's host access included). An add-on
  whose grants in the person's Firefox differ from that (an optional permission given,
  host access taken away), or whose files do not name its id, cannot be switched: a
  diagnosis with one starts a browser per run (``switch_sources``).
- Pages already open keep what a content script did to them: every run gets a new page,
  and the earlier run's pages are closed.
- Cookies: set back to the jar the browser started with, without the portal's cookies
  the run leaves out (``probe.browsers.pool.reset_cookies``, as Chromium).
- Site data: after a run, the portal's origins' storage is emptied from a blank page of
  each origin that probe answers itself (nothing reaches the portal): service workers
  unregistered, local storage, IndexedDB and Cache Storage deleted, then checked empty
  (else the browser is closed and the run starts its own). Add-ons with content
  scripts are uninstalled first (a content script could write there). The HTTP cache is
  emptied by a small add-on of probe's own (``reset_helper/``: ``browsingData``, no
  content script, sees requests to ``probe-reset.invalid`` only), as a cold run's
  starts empty. A browser started
  with the person's site data serves one run only (``probe.browsers.pool.refusal``).

What is not set back: what an add-on writes into its own storage during a run (as in
Chromium); the equivalence test runs the scenarios both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page, Route
from playwright.async_api import Error as PlaywrightError

from probe._util.files import is_real_dir, is_regular, read_text
from probe.browsers.base import SITE_DATA_ID, EvidenceWatch, ProfileCopy, RunSpec, discard_browser
from probe.browsers.firefox.evidence import ABORTED, AddonEvidenceWatch
from probe.browsers.firefox.marionette import Marionette, MarionetteError
from probe.browsers.firefox.prefs import PrefValue
from probe.browsers.firefox.profile import PRIVATE_PERMISSION, Addon, FirefoxProfile
from probe.browsers.pool import BrowserSetup, Reuse, reset_cookies
from probe.description.target import Target

HELPER_FOLDER = Path(__file__).resolve().parent / "reset_helper"
HELPER_ID = "reset@probe.invalid"
HELPER_UUID = "2f6c9d0e-5b1a-4c7e-9f3d-7a8b6c5d4e3f"  # its moz-extension address, fixed
UUIDS_PREF = "extensions.webextensions.uuids"
HELPER_WAIT_S = 10.0

# An add-on uninstalled between two runs keeps its moz-extension address and its storage.
KEEP_PREFS: dict[str, PrefValue] = {
    "extensions.webextensions.keepUuidOnUninstall": True,
    "extensions.webextensions.keepStorageOnUninstall": True,
}

# A blank page of one of the portal's origins, answered by probe itself.
CLEAR_PATH = "probe-clear-site-data"

_CLEAR = """async () => {
  const sw = navigator.serviceWorker;
  if (sw) for (const r of await sw.getRegistrations()) await r.unregister();
  localStorage.clear();
  sessionStorage.clear();
  if (indexedDB.databases) {
    for (const d of await indexedDB.databases()) {
      await new Promise((done) => {
        const request = indexedDB.deleteDatabase(d.name);
        request.onsuccess = request.onerror = request.onblocked = () => done();
      });
    }
  }
  if (self.caches) for (const k of await caches.keys()) await caches.delete(k);
  return {
    workers: sw ? (await sw.getRegistrations()).length : 0,
    local: localStorage.length,
    databases: indexedDB.databases ? (await indexedDB.databases()).length : 0,
    caches: self.caches ? (await caches.keys()).length : 0,
  };
}"""

RESET_URL = "http://probe-reset.invalid/"

# Starts Firefox on a run folder made from the profile copy, with Marionette and the
# extra prefs (``FirefoxEngine.start``, bound to a Playwright): its context and the
# profile folder it runs on.
StartFirefox = Callable[
    [ProfileCopy[FirefoxProfile], RunSpec, dict[str, PrefValue]],
    Awaitable[tuple[BrowserContext, Path]],
]


def addon_source(profile: FirefoxProfile, addon: Addon) -> Path | None:
    """The add-on's own files in the profile copy: its .xpi, or its unpacked folder."""
    if addon.xpi is not None and is_regular(addon.xpi):
        return addon.xpi
    extensions = profile.path / "extensions"
    if is_real_dir(extensions):
        # Only names found in the folder, never a path built from an id the profile chose.
        for entry in extensions.iterdir():
            if entry.name == addon.id and is_real_dir(entry):
                return entry
    return None


def read_manifest(source: Path) -> dict[str, Any] | None:
    try:
        if source.is_dir():
            text = read_text(source / "manifest.json")
        else:
            with zipfile.ZipFile(source) as archive:
                text = archive.read("manifest.json").decode("utf-8-sig")
        manifest = json.loads(text)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, RecursionError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _strings(value: object) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def install_grants(manifest: dict[str, Any]) -> set[str]:
    """The host patterns Firefox grants an add-on when it installs it: an MV3 add-on's
    manifest origins (``extensions.originControls.grantByDefault``); none is stored for
    an MV2 add-on (its host permissions are required ones)."""
    if manifest.get("manifest_version") != 3:
        return set()
    origins = {p for p in _strings(manifest.get("permissions")) if _is_origin(p)}
    origins |= _strings(manifest.get("host_permissions"))
    for script in manifest.get("content_scripts") or []:
        if isinstance(script, dict):
            origins |= _strings(script.get("matches"))
    return origins


def _is_origin(permission: str) -> bool:
    return permission == "<all_urls>" or "://" in permission


def _gecko_id(manifest: dict[str, Any]) -> str | None:
    for key in ("browser_specific_settings", "applications"):
        settings = manifest.get(key)
        gecko = settings.get("gecko") if isinstance(settings, dict) else None
        if isinstance(gecko, dict) and isinstance(gecko.get("id"), str):
            return str(gecko["id"])
    return None


def switch_sources(profile: FirefoxProfile, addons: Iterable[Addon]) -> dict[str, Path] | None:
    """Where each add-on is installed from in a running Firefox; None when one cannot be
    switched so that it runs as in the person's Firefox (see the module's docstring)."""
    sources: dict[str, Path] = {}
    for addon in addons:
        source = addon_source(profile, addon)
        manifest = read_manifest(source) if source is not None else None
        if source is None or manifest is None or _gecko_id(manifest) != addon.id:
            return None
        if addon.granted_permissions - {PRIVATE_PERMISSION}:
            return None  # an optional permission the person granted: lost on uninstall
        if set(addon.granted_origins) != install_grants(manifest):
            return None
        sources[addon.id] = source
    return sources


def switch_prefs(profile: FirefoxProfile) -> dict[str, PrefValue]:
    """The prefs of a switchable Firefox: Marionette, add-ons keep their address and
    storage when uninstalled, probe's reset helper at a known address (the person's
    add-ons at theirs)."""
    uuids: dict[str, Any] = {}
    raw = profile.prefs.get(UUIDS_PREF)
    if isinstance(raw, str):
        with contextlib.suppress(ValueError, RecursionError):
            loaded = json.loads(raw)
            uuids = loaded if isinstance(loaded, dict) else {}
    uuids[HELPER_ID] = HELPER_UUID
    return {**KEEP_PREFS, UUIDS_PREF: json.dumps(uuids)}


def warm_browsers(
    start: StartFirefox,
    copy: ProfileCopy[FirefoxProfile],
    sources: dict[str, Path],
    *,
    size: int,
    folder: Path,
    headed: bool,
    target: Target,
) -> Reuse[FirefoxWarmBrowser]:
    """At most ``size`` running Firefox browsers on ``copy``, each set to run after run;
    each in a folder of its own in ``folder``."""
    numbers = itertools.count(1)

    async def launch(setup: BrowserSetup) -> FirefoxWarmBrowser:
        return await start_warm(
            start,
            copy,
            sources,
            setup,
            folder / f"browser-{next(numbers)}",
            headed=headed,
            target=target,
        )

    return Reuse(launch, size, copy.inventory)


async def start_warm(
    start: StartFirefox,
    copy: ProfileCopy[FirefoxProfile],
    sources: dict[str, Path],
    setup: BrowserSetup,
    folder: Path,
    *,
    headed: bool,
    target: Target,
) -> FirefoxWarmBrowser:
    """Start a Firefox for the pool: none of the person's add-ons (each run installs its
    own), all of the person's cookies, the site data when ``setup`` keeps it, its settings."""
    inventory = copy.inventory
    kept = (
        {c.id for c in inventory.of_kind("cookie")}
        | {c.id for c in inventory.of_kind("setting") if c.id not in setup.reset_settings}
        | ({SITE_DATA_ID} if setup.site_data else set())
    )
    spec = RunSpec(
        kept=frozenset(kept) & inventory.ids,
        folder=folder,
        headed=headed,
        locale=target.locale,
        sites=target.sites,
    )
    context, profile_dir = await start(copy, spec, switch_prefs(copy.source))
    addons = [a for a in copy.source.addons if a.id in setup.extensions]
    warm = FirefoxWarmBrowser(context, folder, setup, addons, sources, target.site_urls())
    try:
        await warm.start(profile_dir)
    except BaseException:
        await warm.close()
        raise
    return warm


class FirefoxWarmBrowser:
    """One running Firefox, lent to one run at a time (``probe.browsers.pool.SwitchableBrowser``)."""

    def __init__(
        self,
        context: BrowserContext,
        run_dir: Path,
        setup: BrowserSetup,
        addons: Sequence[Addon],
        sources: dict[str, Path],
        sites: Sequence[str],
    ) -> None:
        self.context = context
        self.run_dir = run_dir  # the run folder (profile, HOME, downloads), removed on close
        self.downloads = run_dir / "downloads"
        self.setup = setup
        self.used = False
        # The portal's origins are only known to hold nothing when the browser started
        # without the person's site data (not checked otherwise: one run only).
        self.clean = not setup.site_data
        self.sites = list(sites)  # the portal's origins ("http://portal.localhost:8000/")
        self._addons = list(addons)
        self._sources = {a.id: sources[a.id] for a in addons}
        self._scripted = {a.id for a in addons if _has_content_scripts(sources[a.id])}
        self._installed: set[str] = set()
        self._marionette: Marionette | None = None
        self._helper = False  # probe's reset helper installed
        self._cookies: list[dict[str, Any]] = []
        self.installs = 0  # add-ons installed and uninstalled (the benchmark counts them)

    async def start(self, profile_dir: Path) -> None:
        """Called once the browser runs: Marionette connected, the cookies it started with."""
        self._marionette = await Marionette.connect(profile_dir)
        self._cookies = [dict(c) for c in await self.context.cookies()]  # memory only

    async def watch(self, kept: frozenset[str], sites: Sequence[str]) -> EvidenceWatch | None:
        """Which add-ons may have blocked what failed (``probe.browsers.firefox.evidence``)."""
        addons = [a for a in self._addons if a.id in kept]
        if not addons:
            return None
        watch = AddonEvidenceWatch(self.context, addons)
        await watch.start()
        return watch

    async def prepare(self, kept: frozenset[str], dropped_cookies: Iterable[str]) -> Page:
        """Set the browser to a run keeping ``kept``; returns the run's new page."""
        page = await self.context.new_page()  # first: Firefox never runs without a tab
        for other in self.context.pages:
            if other is not page:
                with contextlib.suppress(PlaywrightError):
                    await other.close()
        wanted = {a for a in self._sources if a in kept}
        leaving = self._installed - wanted
        if self.used:
            leaving |= self._installed & self._scripted  # not while the storage is emptied
        await self._uninstall(leaving)
        if self.used:
            await self._clear_site_data(page)
        await self._install(wanted - self._installed)
        await reset_cookies(self.context, self._cookies, set(dropped_cookies))
        shutil.rmtree(self.downloads, ignore_errors=True)
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.used = True
        return page

    def _switch(self) -> Marionette:
        if self._marionette is None:
            raise MarionetteError("the browser was not started for switching add-ons")
        return self._marionette

    async def _uninstall(self, addons: Iterable[str]) -> None:
        for addon in sorted(addons):
            await self._switch().uninstall(addon)
            self._installed.discard(addon)
            self.installs += 1

    async def _install(self, addons: Iterable[str]) -> None:
        for addon in sorted(addons):
            installed = await self._switch().install(self._sources[addon])
            if installed != addon:
                raise MarionetteError(f"installing {addon} installed {installed}")
            self._installed.add(addon)
            self.installs += 1

    async def _clear_site_data(self, page: Page) -> None:
        """Empty the portal's origins' storage and the HTTP cache, from the run's blank
        ``page`` before its journey; checked, else an error (the run starts its own)."""
        await page.route("**/*", _blank)
        try:
            for origin in self.sites:
                await page.goto(origin + CLEAR_PATH)
                left = await page.evaluate(_CLEAR)
                if not isinstance(left, dict) or any(left.values()):
                    raise MarionetteError(f"the site data of {origin} could not be emptied: {left}")
        finally:
            await page.unroute("**/*", _blank)
        await self._empty_cache(page)

    async def _empty_cache(self, page: Page) -> None:
        """Empty the HTTP cache through probe's reset helper (installed at the first need).

        The helper cancels its request only once the cache is empty; until its
        background script listens (just after the install), the request fails otherwise.
        """
        if not self._helper:
            await self._switch().install(HELPER_FOLDER)
            self._helper = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HELPER_WAIT_S
        while True:
            try:
                await page.goto(RESET_URL, timeout=HELPER_WAIT_S * 1000)
            except PlaywrightError as exc:
                if ABORTED in str(exc):
                    return
            if loop.time() > deadline:
                raise MarionetteError("probe's reset helper did not empty the HTTP cache")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        # Firefox quits when its Marionette client goes: the browser is closed first.
        await discard_browser(self.context, self.run_dir)
        if self._marionette is not None:
            await self._marionette.close()


async def _blank(route: Route) -> None:
    await route.fulfill(body="<!doctype html><title>probe</title>", content_type="text/html")


def _has_content_scripts(source: Path) -> bool:
    manifest = read_manifest(source)
    return manifest is None or bool(manifest.get("content_scripts"))
