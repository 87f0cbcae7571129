"""Firefox as a ``BrowserEngine``: the person's profile copied and read
(``probe.browsers.firefox.profile``), run folders keeping some components
(``probe.browsers.firefox.rundir``), Firefox started through WebDriver BiDi
(``probe.browsers.firefox.launch``); runs that differ only in add-ons, cookies and site data
reuse running Firefoxes whose add-ons are installed and uninstalled through Marionette
(``probe.browsers.firefox.warm``).

A component is what the diagnosis keeps or drops, as for Chromium: each add-on running
in the person's Firefox (named as Firefox shows it), each cookie Firefox sends to the
portal's sites, the portal's site data, each setting that can stop a login. A private
window is Firefox's permanent private browsing on a copy keeping the add-ons allowed in
private windows. Chromium's DevTools questions have no BiDi counterpart: the one evidence
Firefox gives is a request aborted while add-ons that may block requests ran
(``probe.browsers.firefox.evidence``); otherwise a culprit add-on is singled out by
elimination.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from playwright.async_api import Error as PlaywrightError

from probe.browsers.base import (
    SITE_DATA_ID,
    BrowserReuse,
    EngineName,
    Inventory,
    Launched,
    ProfileCopy,
    RunSpec,
    playwright_error_lines,
)
from probe.browsers.firefox import marionette
from probe.browsers.firefox.discovery import Firefox
from probe.browsers.firefox.evidence import AddonEvidenceWatch
from probe.browsers.firefox.launch import LAUNCH_TIMEOUT_MS, NOT_DRIVEN_SCRIPT, launch_options
from probe.browsers.firefox.prefs import PrefValue
from probe.browsers.firefox.profile import Addon, FirefoxProfile, SettingId, read_profile
from probe.browsers.firefox.rundir import (
    RunPlan,
    prepare_fresh_run_dir,
    prepare_run_dir,
    snapshot_profile,
)
from probe.browsers.firefox.warm import switch_sources, warm_browsers
from probe.errors import BrowserFailure
from probe.models import BrowserInfo, Component, ProfileInfo, cookie_component, cookie_name_host

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Playwright

    from probe.description.target import Target

FirefoxProfileKind = Literal["given", "default-firefox", "fresh"]


# A per-site cookie block's component id, as Chromium's: "site-cookies:wiki.example".
SITE_COOKIES = "site-cookies:"


def runs_in_person_browser(addon: Addon) -> bool:
    """True when the add-on runs in the person's Firefox (so it is a component).

    Firefox's own add-ons are not the person's; one turned off, or not running
    (unsigned where signatures are required), stays off in every run. An ``.xpi`` not
    yet registered in extensions.json is one Firefox side-loads at its next start.
    """
    if addon.builtin or addon.user_disabled:
        return False
    return addon.active or (addon.version == "" and addon.xpi is not None)


def take_inventory(profile: FirefoxProfile, sites: tuple[str, ...]) -> Inventory:
    addons = [a for a in profile.addons if runs_in_person_browser(a)]
    components = [Component(kind="extension", id=a.id, name=a.name) for a in addons]
    seen: set[str] = set()
    for site in sites:
        for cookie in profile.cookies_for(site):
            component = cookie_component(cookie.name, cookie.host)
            if component.id not in seen:
                seen.add(component.id)
                components.append(component)
    if any(profile.site_data_for(site) for site in sites):
        components.append(Component(kind="site-data", id=SITE_DATA_ID, name="Site data and cache"))
    components += [Component(kind="setting", id=s.id, name=s.name) for s in profile.settings]
    components += [
        Component(kind="setting", id=f"{SITE_COOKIES}{host}", name=f"Cookies blocked for {host}")
        for host in profile.cookie_blocks_for(sites)
    ]
    private = frozenset(a.id for a in addons if a.private_allowed)
    return Inventory(components=components, private=private)


@dataclass(frozen=True)
class FirefoxEngine:
    """Firefox ``firefox`` on the person's profile folder ``profile`` (None: a brand-new one)."""

    firefox: Firefox
    profile: Path | None
    kind: FirefoxProfileKind = "given"

    @property
    def name(self) -> EngineName:
        return "firefox"

    def info(self, *, headless: bool) -> BrowserInfo:
        return BrowserInfo(
            product="Firefox ESR" if self.firefox.esr else "Firefox",
            version=self.firefox.version,
            executable=str(self.firefox.executable),
            headless=headless,
        )

    def describe(self) -> str:
        return self.firefox.describe()

    def profile_info(self) -> ProfileInfo:
        if self.profile is None:
            return ProfileInfo(source=None, kind="fresh")
        return ProfileInfo(source=str(self.profile), kind=self.kind)

    def copy_profile(
        self, dest: Path, sites: tuple[str, ...]
    ) -> ProfileCopy[FirefoxProfile | None]:
        if self.profile is None:
            dest.mkdir(mode=0o700, parents=True, exist_ok=True)
            return ProfileCopy(inventory=Inventory(), source=None)
        copy, skipped = snapshot_profile(self.profile, dest)
        profile = read_profile(copy)
        warnings = tuple(dict.fromkeys([*skipped, *profile.warnings]))
        return ProfileCopy(
            inventory=take_inventory(profile, sites), source=profile, warnings=warnings
        )

    async def launch(
        self, playwright: Playwright, copy: ProfileCopy[FirefoxProfile | None] | None, spec: RunSpec
    ) -> Launched:
        profile = copy.source if copy is not None else None
        context, _ = await self.start(playwright, copy, spec)
        launched = Launched(context=context)
        addons = (
            [a for a in profile.addons if a.id in spec.kept and runs_in_person_browser(a)]
            if profile is not None and not spec.fresh and spec.watch
            else []
        )
        if addons:
            # Whole-journey runs ask which add-ons may have blocked what failed
            # (``probe.browsers.firefox.evidence``).
            watch = AddonEvidenceWatch(context, addons)
            await watch.start()
            launched.watch = watch
        return launched

    async def start(
        self,
        playwright: Playwright,
        copy: ProfileCopy[FirefoxProfile | None] | None,
        spec: RunSpec,
        switch_prefs: dict[str, PrefValue] | None = None,
    ) -> tuple[BrowserContext, Path]:
        """Start Firefox on a run folder for ``spec``: its context and profile folder.

        With ``switch_prefs``, a browser whose add-ons are switched while it runs
        (``probe.browsers.firefox.warm``): Marionette on, those prefs added.
        """
        profile = copy.source if copy is not None else None
        folder = spec.folder / "profile"
        try:
            spec.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if profile is None or spec.fresh:
                run = prepare_fresh_run_dir(folder)
            else:
                assert copy is not None
                run = prepare_run_dir(profile, folder, plan_of(copy.inventory, profile, spec))
            prefs = run.user_prefs if switch_prefs is None else {**run.user_prefs, **switch_prefs}
            options = launch_options(self.firefox, run.path, prefs, headless=not spec.headed)
            if switch_prefs is not None:
                options["firefox_user_prefs"].update(marionette.PREFS)
                options["args"] = [marionette.ARGUMENT]
            context = await playwright.firefox.launch_persistent_context(
                **options, **spec.context_options()
            )
            await context.add_init_script(script=NOT_DRIVEN_SCRIPT)
        except BaseException as exc:
            shutil.rmtree(spec.folder, ignore_errors=True)
            if not isinstance(exc, PlaywrightError):
                raise
            raise launch_failure(str(exc), self.firefox, headed=spec.headed) from None
        return context, run.path

    def reusable(
        self,
        playwright: Playwright,
        copy: ProfileCopy[FirefoxProfile | None],
        *,
        size: int,
        folder: Path,
        headed: bool,
        target: Target,
    ) -> BrowserReuse | None:
        # A running Firefox is set from run to run by installing and uninstalling the
        # run's add-ons through Marionette (``probe.browsers.firefox.warm``), when each
        # add-on can be installed so that it runs as in the person's Firefox.
        profile = copy.source
        if size <= 0 or profile is None:
            return None
        addons = [a for a in profile.addons if a.id in copy.inventory.ids]
        sources = switch_sources(profile, addons)
        if sources is None:
            return None
        switchable = ProfileCopy(
            inventory=copy.inventory, source=profile, notes=copy.notes, warnings=copy.warnings
        )
        return warm_browsers(
            partial(self.start, playwright),
            switchable,
            sources,
            size=size,
            folder=folder,
            headed=headed,
            target=target,
        )


def plan_of(inventory: Inventory, profile: FirefoxProfile, spec: RunSpec) -> RunPlan:
    """What a run folder keeps of ``profile`` for a run keeping ``spec.kept``."""
    kept = spec.kept
    dropped_cookies = tuple(
        cookie_name_host(c.id) for c in inventory.of_kind("cookie") if c.id not in kept
    )
    site_data = {c.id for c in inventory.of_kind("site-data")}
    resets: frozenset[SettingId] = frozenset(s.id for s in profile.settings if s.id not in kept)
    return RunPlan(
        addons=frozenset(c.id for c in inventory.of_kind("extension") if c.id in kept),
        drop_cookies=dropped_cookies,
        drop_site_data_for=spec.sites if site_data - kept else (),
        reset_settings=resets,
        allow_cookies_for=tuple(
            c.id.removeprefix(SITE_COOKIES)
            for c in inventory.of_kind("setting")
            if c.id.startswith(SITE_COOKIES) and c.id not in kept
        ),
        private=spec.private,
    )


def launch_failure(message: str, firefox: Firefox, *, headed: bool) -> BrowserFailure:
    """The one line saying why Firefox did not start, from Playwright's error ``message``."""
    if headed and ("DISPLAY" in message or "no display" in message.lower()):
        return BrowserFailure(
            "Firefox could not open a window: --headed needs a display and none was found "
            "($DISPLAY is not set); run without --headed, or under xvfb-run"
        )
    if "Timeout" in message and "exceeded" in message:
        return BrowserFailure(
            f"Firefox did not answer within {LAUNCH_TIMEOUT_MS // 1000} s of being started; "
            f"check that '{firefox.executable} --version' works, or point --firefox at another"
        )
    first, _ = playwright_error_lines(message)
    return BrowserFailure(f"Firefox did not start: {first[:300]}")
