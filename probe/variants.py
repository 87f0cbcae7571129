"""Browser environments to run the journey in, and running one of them for real.

The person's environment is split into components (each enabled extension, each cookie
of the portal's sites, the portal's site data, each login-relevant setting); a variant
keeps a subset of them. ``current`` keeps them all, ``fresh`` none; the named variants
of the checklist (private window, no extensions, cookies cleared, ...) and every run of
the drill-down are subsets too, so they are all run the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from playwright.async_api import BrowserContext, Page, Playwright
from playwright.async_api import Error as PlaywrightError

from probe import trace
from probe.account_guard import AccountGuard, RunGate
from probe.browser_pool import BrowserPool, BrowserSetup, RunNeeds
from probe.chromium import (
    LAUNCH_TIMEOUT_S,
    Chromium,
    browser_environment,
    check_command_line,
    launch_args,
    launch_failure,
)
from probe.credentials import Credentials
from probe.evidence import EvidenceWatch
from probe.extension_state import restore_rulesets
from probe.journey import Journey
from probe.models import Component, Evidence, StepName, VariantRun
from probe.observation import Target, Timeouts
from probe.profiles import (
    SITE_DATA_DIRS,
    Extension,
    SettingId,
    SourceProfile,
    extension_launch_args,
    prepare_run_dir,
    read_cookies,
)
from probe.warm_chromium import ChromiumWarmBrowser

SITE_DATA_ID = "site-data"


def extension_component(ext: Extension) -> Component:
    return Component(kind="extension", id=ext.id, name=ext.name)


def cookie_component(name: str, host: str) -> Component:
    return Component(kind="cookie", id=f"{name}@{host}", name=name)


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


class Progress(Protocol):
    """Told what happens while a diagnosis runs (the console shows it)."""

    def note(self, text: str) -> None: ...

    def started(self, name: str, description: str) -> None: ...

    def finished(self, run: VariantRun) -> None: ...


class SilentProgress:
    def note(self, text: str) -> None:
        pass

    def started(self, name: str, description: str) -> None:
        pass

    def finished(self, run: VariantRun) -> None:
        pass


@dataclass(frozen=True)
class Environment:
    """One browser set-up: which of the person's components it keeps."""

    name: str
    description: str
    kept: frozenset[str]  # component ids
    credentials: Credentials
    fresh: bool = False  # a brand-new profile: nothing of the person's at all
    stop_after: StepName | None = None  # end the journey once this step passed
    photographed: bool = True  # screenshots (the first costs ~0.4 s)


@dataclass
class Inventory:
    """The person's environment, split into components."""

    profile: SourceProfile
    components: list[Component] = field(default_factory=list)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.components)

    def of_kind(self, kind: str) -> list[Component]:
        return [c for c in self.components if c.kind == kind]

    def by_id(self, component_id: str) -> Component:
        return next(c for c in self.components if c.id == component_id)


def take_inventory(profile: SourceProfile, target: Target) -> Inventory:
    components = [extension_component(e) for e in profile.extensions if e.enabled]
    components += read_portal_cookies(profile, target.sites)
    if has_site_data(profile):
        components.append(Component(kind="site-data", id=SITE_DATA_ID, name="Site data and cache"))
    components += [Component(kind="setting", id=s.id, name=s.name) for s in profile.settings]
    return Inventory(profile=profile, components=components)


class Runner:
    """Runs the journey in environments, each in its own real Chromium."""

    def __init__(
        self,
        playwright: Playwright,
        chromium: Chromium,
        inventory: Inventory,
        target: Target,
        work_dir: Path,
        *,
        gate: AccountGuard | None,
        timeouts: Timeouts,
        screenshots: Path | None,
        traces: Path | None = None,
        headed: bool = False,
        origin: float | None = None,
        progress: Progress | None = None,
        no_submit: bool = False,
        browsers: int = 0,
    ) -> None:
        self.progress = progress or SilentProgress()
        self.no_submit = no_submit
        self.playwright = playwright
        self.chromium = chromium
        self.inventory = inventory
        self.target = target
        self.work_dir = work_dir
        self.gate = gate
        self.timeouts = timeouts
        self.screenshots = screenshots
        self.traces = traces  # a Playwright trace of each whole-journey run goes there
        self.headed = headed
        self.origin = origin if origin is not None else time.monotonic()
        self.browser_runs = 0  # journeys run
        self.browsers_started = 0  # Chromiums launched (fewer when runs reuse them)
        self._extension_ids = frozenset(c.id for c in inventory.of_kind("extension"))
        self._setting_ids: list[SettingId] = [s.id for s in inventory.profile.settings]
        # ``browsers`` running browsers kept for the runs that can reuse one
        # (``probe.browser_pool``); 0: every run starts a browser of its own. A browser
        # that ignores --load-extension (branded Chrome 137+) cannot load the switch.
        self.pool: BrowserPool[ChromiumWarmBrowser] | None = (
            BrowserPool(self._start_warm, browsers, extensions=self._extension_ids)
            if browsers > 0 and chromium.can_side_load_extensions
            else None
        )
        self._reuse = True  # until a pooled browser fails to start its switch
        self._closing: set[asyncio.Task[None]] = set()
        self._counter = 0

    async def drain(self) -> None:
        """Wait until every browser this runner started is closed and its folder removed."""
        if self.pool is not None:
            await self.pool.close()
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)

    async def run(self, env: Environment) -> VariantRun:
        self.progress.started(env.name, env.description)
        gate = self.gate.view(env.name) if self.gate is not None else None
        try:
            result = await self._run(env, gate)
        except asyncio.CancelledError:
            self.progress.finished(
                VariantRun(
                    name=env.name,
                    description=env.description,
                    outcome="skipped",
                    skipped_reason="stopped before the end",
                )
            )
            raise
        finally:
            if gate is not None:
                gate.close()
        self.progress.finished(result)
        return result

    async def _run(self, env: Environment, gate: RunGate | None) -> VariantRun:
        self._counter += 1
        self.browser_runs += 1
        started = time.monotonic()
        kept = env.kept & self.inventory.ids
        extensions = [e for e in self.inventory.profile.extensions if e.enabled and e.id in kept]
        cookies = self.inventory.of_kind("cookie")
        dropped = [] if env.fresh else [c.id for c in cookies if c.id not in kept]
        warm = await self._warm_browser(env, kept, dropped)
        page: Page | None = None
        if warm is not None:
            lent, page = warm
            context, run_dir = lent.context, lent.run_dir
        else:
            # The user-data-dir and the browser's own HOME, removed together afterwards.
            run_dir = self.work_dir / f"run-{self._counter}-{env.name}"
            context = await self._launch(
                run_dir,
                extensions,
                fresh=env.fresh,
                site_data=not env.fresh and SITE_DATA_ID in kept,
                reset_settings=self._resets(env, kept),
            )
        watch: EvidenceWatch | None = None
        traced = False
        evidence: list[Evidence] = []
        trace_file: str | None = None
        done = False
        try:
            # Whole-journey runs ask the browser who did what (``probe.evidence``).
            if env.stop_after is None and extensions:
                watch = EvidenceWatch(context, extensions, self.target.sites)
                await watch.start()
            if self.traces is not None and env.stop_after is None:
                traced = await trace.start(context)
            if warm is None:
                for cookie_id in dropped:
                    name, _, host = cookie_id.rpartition("@")
                    await context.clear_cookies(name=name, domain=host)
                    await context.clear_cookies(name=name, domain="." + host)
                await restore_rulesets(context, extensions)  # reset by --load-extension
            journey = Journey(
                context,
                self.target,
                env.credentials,
                gate=gate,
                timeouts=self.timeouts,
                screenshots=self.screenshots if env.photographed else None,
                screenshot_every_step=env.name == "current",
                stop_after=env.stop_after,
                no_submit=self.no_submit,
                name=env.name,
                downloads=run_dir / "downloads",
                page=page,
            )
            result = await journey.run()
            if watch is not None:
                evidence = await watch.conclude()
            if traced and self.traces is not None:
                out = self.traces / f"{env.name}.zip"
                typed = env.credentials
                secrets = [typed.identifier, typed.password, typed.provisional_code or ""]
                if await trace.stop(context, run_dir / "trace.zip", out, secrets):
                    trace_file = f"{self.traces.name}/{out.name}"
            done = result.symptom != "browser-crashed"
        finally:
            if warm is not None and self.pool is not None:
                if done:
                    self.pool.give_back(warm[0])
                else:  # stopped half-way or crashed: a state nobody can vouch for
                    self.pool.discard(warm[0])
            else:
                # Closing takes ~0.3 s: let it overlap with the next runs (see ``drain``).
                closing = asyncio.create_task(_close(context, run_dir))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
        failing = next((s for s in result.steps if s.outcome == "fail"), None)
        return VariantRun(
            name=env.name,
            description=env.description,
            outcome="skipped" if result.skipped_reason else ("pass" if result.passed else "fail"),
            symptom=result.symptom,
            failed_step=result.failed_step,
            message=failing.message if failing else None,
            skipped_reason=result.skipped_reason,
            answer_on_record=result.answer_on_record,
            evidence=evidence,
            trace=trace_file,
            kept=sorted(kept),
            steps=result.steps,
            duration_ms=int((time.monotonic() - started) * 1000),
            started_ms=int((started - self.origin) * 1000),
        )

    def _resets(self, env: Environment, kept: frozenset[str]) -> frozenset[SettingId]:
        settings: list[SettingId] = [s.id for s in self.inventory.profile.settings]
        return frozenset(s for s in settings if env.fresh or s not in kept)

    async def _warm_browser(
        self, env: Environment, kept: frozenset[str], dropped: list[str]
    ) -> tuple[ChromiumWarmBrowser, Page] | None:
        """A running browser set to ``env`` (``probe.warm_chromium``); None: start one for it.

        The one place where a run reuses a browser or gets its own; which runs may is
        ``probe.browser_pool.refusal``. Chromium only: the pool is made for it.
        """
        if self.pool is None or not self._reuse:
            return None
        needs = RunNeeds(
            extensions=frozenset(c for c in kept if c in self._extension_ids),
            reset_settings=frozenset(self._resets(env, kept)),
            site_data=not env.fresh and SITE_DATA_ID in kept,
            fresh=env.fresh,
        )
        try:
            lent = await self.pool.lease(needs)
        except PlaywrightError:
            # Started, but the switch or the checks did not answer: no more reuse in this
            # diagnosis, every run starts its own browser as before.
            self._reuse = False
            return None
        if lent is None:
            return None
        try:
            return lent, await lent.prepare(kept, dropped)
        except PlaywrightError:
            self.pool.discard(lent)  # it no longer answers: this run starts its own
            return None

    async def _start_warm(self, setup: BrowserSetup) -> ChromiumWarmBrowser:
        """Start a browser for the pool: every extension a run may keep, loaded."""
        self._counter += 1
        run_dir = self.work_dir / f"browser-{self._counter}"
        extensions = [
            e for e in self.inventory.profile.extensions if e.enabled and e.id in setup.extensions
        ]
        run_dir.mkdir(parents=True, exist_ok=True)
        switch = ChromiumWarmBrowser.switch_folder(run_dir)
        context = await self._launch(
            run_dir,
            extensions,
            fresh=False,
            site_data=setup.site_data,
            reset_settings=frozenset(s for s in self._setting_ids if s in setup.reset_settings),
            helpers=[switch],
        )
        warm = ChromiumWarmBrowser(context, run_dir, setup, extensions, self.target.site_urls())
        try:
            await restore_rulesets(context, extensions)  # reset by --load-extension
            await warm.start(switch)
        except BaseException:
            await warm.close()
            raise
        return warm

    async def _launch(
        self,
        run_dir: Path,
        extensions: list[Extension],
        *,
        fresh: bool,
        site_data: bool,
        reset_settings: frozenset[SettingId],
        helpers: Iterable[Path] = (),
    ) -> BrowserContext:
        """Start Chromium on a new user-data-dir made from the snapshot, in ``run_dir``."""
        self.browsers_started += 1
        profile_dir = run_dir / "profile"
        try:
            user_data_dir = (
                prepare_run_dir(
                    self.inventory.profile,
                    profile_dir,
                    keep_cookies=True,  # the portal's own cookies are removed one by one later
                    keep_site_data=site_data,
                    reset_settings=sorted(reset_settings),
                    extensions=extensions,
                )
                if not fresh
                else _empty_dir(profile_dir)
            )
            args = launch_args() + extension_launch_args(extensions, helpers=helpers)
            check_command_line(args, extensions=len(extensions))
            return await self.playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(self.chromium.executable),
                headless=not self.headed,
                args=args,
                ignore_default_args=["--disable-extensions"],
                env=browser_environment(run_dir / "home"),
                timeout=LAUNCH_TIMEOUT_S * 1000,
                viewport={"width": 1000, "height": 720},
                # The portal's language when its description says, else the person's.
                locale=self.target.locale,
                accept_downloads=True,
                # Inside the run folder, so that the journey can measure a download.
                downloads_path=str(run_dir / "downloads"),
            )
        except PlaywrightError as exc:
            shutil.rmtree(run_dir, ignore_errors=True)
            # A browser that cannot start makes every conclusion moot: say why, stop.
            raise launch_failure(
                str(exc),
                executable=self.chromium.executable,
                headed=self.headed,
                extensions=len(extensions),
            ) from None
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise


async def _close(context: BrowserContext, run_dir: Path) -> None:
    with contextlib.suppress(PlaywrightError):
        await context.close()
    shutil.rmtree(run_dir, ignore_errors=True)


def _empty_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
