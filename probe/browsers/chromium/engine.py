"""Chromium (and Chrome, Edge, Brave) as a ``BrowserEngine``: the person's user-data-dir
copied with ``probe.browsers.chromium.profile``, run folders made from the copy, extensions
loaded from the command line or, in a browser that ignores ``--load-extension``, through
DevTools (``probe.browsers.chromium.devtools_loading``), and Chromium's own evidence of who
did what (``probe.browsers.chromium.evidence``)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError

from probe.browsers.base import (
    SITE_DATA_ID,
    BrowserReuse,
    EngineName,
    Inventory,
    Launched,
    ProfileCopy,
    RunSpec,
)
from probe.browsers.chromium.devtools_loading import DEVTOOLS_LOADING_ARG, load_unpacked
from probe.browsers.chromium.discovery import (
    LAUNCH_TIMEOUT_S,
    Chromium,
    browser_environment,
    check_command_line,
    launch_args,
    launch_failure,
)
from probe.browsers.chromium.evidence import EvidenceWatch
from probe.browsers.chromium.extension_state import restore_rulesets
from probe.browsers.chromium.profile import (
    SITE_DATA_DIRS,
    Extension,
    SettingId,
    SourceProfile,
    extension_launch_args,
    prepare_run_dir,
    read_cookies,
    snapshot_profile,
)
from probe.browsers.chromium.profile.reading import load_json
from probe.browsers.chromium.profile.site_settings import (
    SiteSetting,
    parse_site_setting_id,
    read_site_settings,
)
from probe.browsers.chromium.warm import warm_browsers
from probe.models import BrowserInfo, Component, ProfileInfo, cookie_component, cookie_name_host

if TYPE_CHECKING:
    from playwright.async_api import Playwright

    from probe.description.target import Target


def extension_component(ext: Extension) -> Component:
    return Component(kind="extension", id=ext.id, name=ext.name)


def read_portal_cookies(profile: SourceProfile, sites: Iterable[str]) -> list[Component]:
    """The cookies a profile holds for the portal's sites: names and hosts, never values."""
    wanted = tuple(sites)
    found = []
    for cookie in read_cookies(profile):
        bare = cookie.domain.lstrip(".")
        if any(bare == site or site.endswith("." + bare) for site in wanted):
            found.append(cookie_component(cookie.name, bare))
    return found


def has_site_data(profile: SourceProfile) -> bool:
    root = profile.user_data_dir / profile.profile_name
    return any((root / name).exists() and any((root / name).iterdir()) for name in SITE_DATA_DIRS)


def site_settings(profile: SourceProfile, sites: Iterable[str]) -> list[SiteSetting]:
    """The per-site blocks of the profile that apply to the portal's sites."""
    prefs = profile.profile_dir / "Preferences"
    return read_site_settings(load_json(prefs), sites) if prefs.is_file() else []


def take_inventory(profile: SourceProfile, sites: Iterable[str]) -> Inventory:
    components = [extension_component(e) for e in profile.extensions if e.enabled]
    components += read_portal_cookies(profile, sites)
    if has_site_data(profile):
        components.append(Component(kind="site-data", id=SITE_DATA_ID, name="Site data and cache"))
    components += [Component(kind="setting", id=s.id, name=s.name) for s in profile.settings]
    components += [
        Component(kind="setting", id=s.id, name=s.name) for s in site_settings(profile, sites)
    ]
    private = frozenset(e.id for e in profile.extensions if e.incognito)
    return Inventory(components=components, private=private)


@dataclass(frozen=True)
class ChromiumEngine:
    """Chromium ``chromium`` on the person's ``profile`` (a located user-data-dir; None:
    only brand-new profiles, as the other browser of a Firefox diagnosis); ``trust_home``:
    the HOME whose NSS database the runs trust (None: the person's own)."""

    chromium: Chromium
    profile: SourceProfile | None
    trust_home: Path | None = None

    @property
    def name(self) -> EngineName:
        return "chromium"

    def info(self, *, headless: bool) -> BrowserInfo:
        return BrowserInfo(
            product=self.chromium.product,
            version=self.chromium.version,
            executable=str(self.chromium.executable),
            headless=headless,
            role=self.chromium.role,
            person_product=self.chromium.person_product,
            extension_loading=self.chromium.extension_loading,
        )

    def describe(self) -> str:
        return self.chromium.describe()

    def profile_info(self) -> ProfileInfo:
        if self.profile is None or self.profile.kind == "fresh":
            return ProfileInfo(source=None, kind="fresh")
        return ProfileInfo(source=str(self.profile.profile_dir), kind=self.profile.kind)

    def copy_profile(self, dest: Path, sites: tuple[str, ...]) -> ProfileCopy[SourceProfile]:
        if self.profile is None:
            raise ValueError("this engine has no profile to copy: it starts brand-new ones")
        snapshot = snapshot_profile(self.profile, dest)
        return ProfileCopy(
            inventory=take_inventory(snapshot, sites),
            source=snapshot,
            notes=tuple(snapshot.notes),
            warnings=tuple(w for w in snapshot.warnings if w not in self.profile.warnings),
        )

    async def launch(
        self, playwright: Playwright, copy: ProfileCopy[SourceProfile] | None, spec: RunSpec
    ) -> Launched:
        return await self.start(playwright, copy, spec)

    def reusable(
        self,
        playwright: Playwright,
        copy: ProfileCopy[SourceProfile],
        *,
        size: int,
        folder: Path,
        headed: bool,
        target: Target,
    ) -> BrowserReuse | None:
        # A browser is set from run to run by probe's extension switch, loaded beside the
        # person's extensions (from the command line, or through DevTools).
        if size <= 0:
            return None
        return warm_browsers(
            partial(self.start, playwright),
            copy,
            size=size,
            folder=folder,
            headed=headed,
            target=target,
        )

    async def start(
        self,
        playwright: Playwright,
        copy: ProfileCopy[SourceProfile] | None,
        spec: RunSpec,
        helpers: Sequence[Path] = (),
    ) -> Launched:
        """``launch``, with probe's own extensions in the folders ``helpers`` loaded too
        (the extension switch of a browser kept for several runs)."""
        snapshot = copy.source if copy is not None else None
        inventory = copy.inventory if copy is not None else Inventory()
        fresh = spec.fresh or snapshot is None
        kept = spec.kept
        extensions = (
            [e for e in snapshot.extensions if e.enabled and e.id in kept]
            if snapshot is not None and not fresh
            else []
        )
        cookies = inventory.of_kind("cookie")
        settings: list[SettingId] = [s.id for s in snapshot.settings] if snapshot else []
        site_settings = [
            c.id for c in inventory.of_kind("setting") if parse_site_setting_id(c.id) is not None
        ]
        # The user-data-dir and the browser's own HOME, removed together afterwards.
        profile_dir = spec.folder / "profile"
        try:
            if snapshot is not None and not fresh:
                user_data_dir = prepare_run_dir(
                    snapshot,
                    profile_dir,
                    keep_cookies=True,  # the portal's own cookies are removed one by one below
                    keep_site_data=SITE_DATA_ID in kept,
                    reset_settings=[s for s in settings if s not in kept],
                    reset_site_settings=[s for s in site_settings if s not in kept],
                    extensions=extensions,
                )
            else:
                profile_dir.mkdir(parents=True, exist_ok=True)
                user_data_dir = profile_dir
            args = launch_args(headless_of=None if spec.headed else self.chromium)
            by_devtools = self.chromium.extension_loading == "devtools"
            if by_devtools:
                args.append(DEVTOOLS_LOADING_ARG)
            else:
                args += extension_launch_args(extensions, helpers=helpers)
            check_command_line(args, extensions=len(extensions))
            context = await playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(self.chromium.executable),
                headless=not spec.headed,
                args=args,
                ignore_default_args=["--disable-extensions"],
                env=browser_environment(spec.folder / "home", trust_home=self.trust_home),
                timeout=LAUNCH_TIMEOUT_S * 1000,
                **spec.context_options(),
            )
        except BaseException as exc:
            shutil.rmtree(spec.folder, ignore_errors=True)
            if not isinstance(exc, PlaywrightError):
                raise
            # A browser that cannot start makes every conclusion moot: say why, stop.
            raise launch_failure(
                str(exc),
                executable=self.chromium.executable,
                headed=spec.headed,
                extensions=len(extensions),
            ) from None
        launched = Launched(context=context)
        try:
            if by_devtools:
                folders = dict.fromkeys([e.path for e in extensions] + list(helpers))
                await load_unpacked(context, list(folders))
            # Whole-journey runs ask the browser who did what (``probe.browsers.chromium.evidence``).
            if spec.watch and extensions:
                launched.watch = EvidenceWatch(context, extensions, spec.sites)
                await launched.watch.start()
            for cookie in cookies:
                if cookie.id not in kept and not fresh:
                    name, host = cookie_name_host(cookie.id)
                    await context.clear_cookies(name=name, domain=host)
                    await context.clear_cookies(name=name, domain="." + host)
            await restore_rulesets(context, extensions)  # reset by --load-extension
        except BaseException:
            await _close_quietly(context)
            raise
        return launched


async def _close_quietly(context: BrowserContext) -> None:
    with contextlib.suppress(PlaywrightError):
        await context.close()
