"""Browser environments to run the journey in, and running one of them for real.

The person's environment is split into components (each enabled extension, each cookie
of the portal's sites, the portal's site data, each login-relevant setting); a variant
keeps a subset of them. ``current`` keeps them all, ``fresh`` none; the named variants
of the checklist (private window, no extensions, cookies cleared, ...) and every run of
the drill-down are subsets too, so they are all run the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from playwright.async_api import BrowserContext, Page, Playwright

from probe._util import loops
from probe.browsers.base import (
    SITE_DATA_ID,
    BrowserEngine,
    BrowserReuse,
    EngineName,
    EvidenceWatch,
    Inventory,
    LentBrowser,
    ProfileCopy,
    RunSpec,
    discard_browser,
)
from probe.description.target import Target, Timeouts
from probe.journey import trace
from probe.journey.account_guard import AccountGuard, RunGate
from probe.journey.credentials import Credentials
from probe.journey.login import Journey, JourneyResult
from probe.journey.observation import Quickness
from probe.models import Detail, Evidence, StepName, VariantRun
from probe.report.details import english

# A narrowing-down run's shortest wait for the CAPTCHA widget to render (see
# ``narrowing_timeouts``; its frame is another site: under load, a new renderer process
# may take a second to start).
STOPPED = Detail(key="detail.stopped")
CAPTCHA_APPEAR_FLOOR_MS = 2_000

__all__ = ["SITE_DATA_ID", "Environment", "Inventory", "Progress", "Runner", "SilentProgress"]


class Progress(Protocol):
    """Told what happens while a diagnosis runs (the console shows it)."""

    def note(self, text: str | Detail) -> None: ...

    def started(self, name: str, description: str) -> None: ...

    def finished(self, run: VariantRun) -> None: ...


class SilentProgress:
    def note(self, text: str | Detail) -> None:
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
    private: bool = False  # a private window
    engine: EngineName | None = None  # another engine than the person's (a fresh profile)
    # More runs like this one follow (narrowing down): worth starting a browser that
    # can be switched from run to run. Other runs reuse one only when one is idle.
    series: bool = False
    # The run only asks whether the form sends: its login is stopped in the browser
    # before it reaches the portal (no submission, no account guard, no wait on it).
    sends_only: bool = False


class Runner:
    """Runs the journey in environments, each in its own real browser.

    ``engine`` starts the person's browser on runs made from ``copy`` (its profile's
    private copy); ``other``, when given, is the other engine, for a brand-new profile
    in it (an environment with ``engine`` set).
    """

    def __init__(
        self,
        playwright: Playwright,
        engine: BrowserEngine,
        copy: ProfileCopy[Any],
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
        other: BrowserEngine | None = None,
        browsers: int = 0,
        reuse_every_run: bool = False,
    ) -> None:
        self.progress = progress or SilentProgress()
        self.no_submit = no_submit
        self.playwright = playwright
        self.engine = engine
        self.other = other
        self.copy = copy
        self.inventory = copy.inventory
        self.target = target
        self.work_dir = work_dir
        self.gate = gate
        self.timeouts = timeouts
        self.screenshots = screenshots
        self.traces = traces  # a Playwright trace of each whole-journey run goes there
        self.headed = headed
        self.origin = origin if origin is not None else time.monotonic()
        self.browser_runs = 0  # journeys run
        self._launched = 0  # browsers launched for one run each
        # ``browsers`` running browsers kept for the runs that can reuse one, when the
        # engine can set a running browser to another run; 0: every run starts its own.
        self.reuse: BrowserReuse | None = engine.reusable(
            playwright, copy, size=browsers, folder=work_dir, headed=headed, target=target
        )
        self._every_run = reuse_every_run  # not only series start pooled browsers
        self._quickness = Quickness()  # the slowest send and CAPTCHA seen where they worked
        self._closing: set[asyncio.Task[None]] = set()
        self._counter = 0

    @property
    def browsers_started(self) -> int:
        """Browsers launched (fewer than journeys run when runs reuse them)."""
        return self._launched + (self.reuse.started if self.reuse is not None else 0)

    async def drain(self) -> None:
        """Wait until every browser this runner started is closed and its folder removed."""
        if self.reuse is not None:
            await self.reuse.close()
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
                    skipped_because=STOPPED,
                    skipped_reason=english(STOPPED),
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
        browser = await self._browser_for(env, kept)
        done = False
        try:
            result, evidence, trace_file = await self._journey(env, browser, gate)
            done = result.symptom != "browser-crashed"
        finally:
            self._release(browser, sound=done)
        return _variant_run(env, result, kept, evidence, trace_file, started, self.origin)

    async def _browser_for(self, env: Environment, kept: frozenset[str]) -> _RunBrowser:
        """A browser set to ``env``: lent by the engine's reuse pool, or started for it."""
        lent = await self._lent_browser(env, kept)
        if lent is not None:
            whole = env.stop_after is None  # whole-journey runs ask who did what
            watch = await lent.watch(kept, self.target.sites) if whole else None
            return _RunBrowser(lent.context, lent.folder, lent.downloads, watch, lent.page, lent)
        engine = self.engine
        if env.engine is not None and env.engine != self.engine.name:
            if self.other is None or self.other.name != env.engine:
                raise ValueError(f"no {env.engine} engine to run {env.name} in")
            engine = self.other
        spec = RunSpec(
            kept=kept,
            folder=self.work_dir / f"run-{self._counter}-{env.name}",
            fresh=env.fresh or engine is not self.engine,
            private=env.private,
            headed=self.headed,
            locale=self.target.locale,
            watch=env.stop_after is None,
            sites=self.target.sites,
        )
        self._launched += 1
        launched = await engine.launch(self.playwright, None if spec.fresh else self.copy, spec)
        return _RunBrowser(launched.context, spec.folder, spec.downloads, launched.watch)

    async def _journey(
        self, env: Environment, browser: _RunBrowser, gate: RunGate | None
    ) -> tuple[JourneyResult, list[Evidence], str | None]:
        """The journey in ``browser``: its result, the evidence, the trace kept (if any)."""
        context = browser.context
        traced = self.traces is not None and env.stop_after is None and await trace.start(context)
        journey = Journey(
            context,
            self.target,
            env.credentials,
            gate=gate,
            timeouts=self._timeouts_for(env),
            screenshots=self.screenshots if env.photographed else None,
            stop_after=env.stop_after,
            no_submit=self.no_submit,
            sends_only=env.sends_only,
            name=env.name,
            downloads=browser.downloads,
            page=browser.page,
        )
        result = await journey.run()
        self._quickness.add(journey.quickness)
        evidence = await browser.watch.conclude() if browser.watch is not None else []
        trace_file: str | None = None
        if traced and self.traces is not None:
            out = self.traces / f"{env.name}.zip"
            typed = env.credentials
            secrets = [typed.identifier, typed.password, typed.provisional_code or ""]
            if await trace.stop(context, browser.folder / "trace.zip", out, secrets):
                trace_file = f"{self.traces.name}/{out.name}"
        return result, evidence, trace_file

    def _release(self, browser: _RunBrowser, *, sound: bool) -> None:
        if browser.lent is not None and self.reuse is not None:
            # Stopped half-way or crashed: a state nobody can vouch for, it is closed.
            self.reuse.give_back(browser.lent, sound=sound)
            return
        # Let closing overlap with the next runs (see ``drain``).
        loops.in_background(self._closing, lambda: discard_browser(browser.context, browser.folder))

    def _timeouts_for(self, env: Environment) -> Timeouts:
        if env.stop_after is None:
            return self.timeouts
        return narrowing_timeouts(self.timeouts, self._quickness)

    async def _lent_browser(self, env: Environment, kept: frozenset[str]) -> LentBrowser | None:
        """A running browser set to ``env`` (the engine's ``BrowserReuse``); None: start one for it.

        The one place where a run reuses a browser or gets its own; which runs may is
        ``probe.browsers.pool.refusal``. A private window and a run in the other engine
        always start their own (a private window is the engine's own mode when it has one).
        """
        if self.reuse is None or env.private:
            return None
        if env.engine is not None and env.engine != self.engine.name:
            return None
        return await self.reuse.lend(kept, fresh=env.fresh, start=env.series or self._every_run)


@dataclass(frozen=True)
class _RunBrowser:
    """The browser one run uses: its context, folder and downloads, what watches it, and,
    when the engine's reuse pool lent it, the page made for the run and the loan."""

    context: BrowserContext
    folder: Path
    downloads: Path
    watch: EvidenceWatch | None
    page: Page | None = None
    lent: LentBrowser | None = None


def _variant_run(
    env: Environment,
    result: JourneyResult,
    kept: frozenset[str],
    evidence: list[Evidence],
    trace_file: str | None,
    started: float,
    origin: float,
) -> VariantRun:
    """What one run of ``env`` observed, as the report keeps it."""
    failing = next((s for s in result.steps if s.outcome == "fail"), None)
    return VariantRun(
        name=env.name,
        description=env.description,
        outcome="skipped" if result.skipped_because else ("pass" if result.passed else "fail"),
        symptom=result.symptom,
        failed_step=result.failed_step,
        message=failing.message if failing else None,
        skipped_because=result.skipped_because,
        skipped_reason=english(result.skipped_because) if result.skipped_because else None,
        answer_on_record=result.answer_on_record,
        evidence=evidence,
        trace=trace_file,
        kept=sorted(kept),
        steps=result.steps,
        duration_ms=int((time.monotonic() - started) * 1000),
        started_ms=int((started - origin) * 1000),
    )


def narrowing_timeouts(timeouts: Timeouts, seen: Quickness) -> Timeouts:
    """A narrowing-down run's waits: less for a CAPTCHA widget the working runs showed quickly.

    A CAPTCHA widget seen rendering ``seen.captcha_after`` s into its step elsewhere gets
    ten times that (at least ``CAPTCHA_APPEAR_FLOOR_MS``, at most the usual wait). Whether
    the form sent anything is not learned from a faster run: it is decided from events
    (``probe.journey.page_steps.submit``, ``probe.journey.sending``), with the usual wait.
    """
    return dataclasses.replace(
        timeouts,
        captcha_appear=_learned(
            timeouts.captcha_appear, seen.captcha_after, CAPTCHA_APPEAR_FLOOR_MS
        ),
    )


def _learned(usual: int, seen: float | None, floor: int) -> int:
    """Ten times what was ``seen`` (seconds), in ms, between ``floor`` and ``usual``."""
    if seen is None or not usual:
        return usual  # not seen yet, or the wait is off
    return min(usual, max(floor, int(seen * 10_000)))
