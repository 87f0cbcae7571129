"""One diagnosis, end to end: profile snapshot, browser runs, verdict, the finished Report.

``DiagnosisSetup`` goes in: what the person asked for (``probe.app.request``), resolved by
the app (``probe.app.setup.resolve``: the browser found, the profile located, the portal
running and reachable, the report folder writable). This module never starts nor reads a
portal, it is handed a ``Target`` (the portal's URLs and, from its description, how its
pages look) and drives a browser at it; nor does it write the report: ``diagnose`` returns
it, and the app writes it.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Playwright

from probe import __version__
from probe._util import loops
from probe._util.workdir import private_workdir
from probe.browsers.base import BrowserEngine, ProfileCopy
from probe.browsers.driver import own_driver
from probe.description.model import PortalDescription
from probe.description.target import Target, Timeouts, timeouts_of
from probe.diagnosis.decisions import Diagnosis
from probe.diagnosis.limitations import limitations_of, qualified
from probe.diagnosis.other_browser import told, try_other_browser
from probe.diagnosis.portal_remedies import with_portal_texts
from probe.diagnosis.runner import Progress, Runner, SilentProgress
from probe.journey.account_guard import LEADER, AccountGuard, CodeBudget
from probe.journey.credentials import Credentials, check_credentials
from probe.models import (
    Detail,
    DrillNode,
    Lang,
    OtherBrowser,
    PortalInfo,
    ProfileInfo,
    Report,
    VariantRun,
    Verdict,
)
from probe.report.details import english

if TYPE_CHECKING:
    from probe.browsers.driver import SharedDriver


@dataclass(frozen=True)
class RunSettings:
    """How the browser runs go and what they keep: the same for any portal and profile."""

    lang: Lang = "en"
    headed: bool = False
    jobs: int = 2
    # Runs that differ only in extensions, cookies or site data reuse up to ``jobs``
    # running browsers (``probe.browsers.pool``); False: every run starts its own.
    reuse_browsers: bool = True
    # Every run that can takes a switchable browser, a run alone too (by default only
    # narrowing down starts them: for one run a plain browser starts sooner). Tests use it
    # to put the switching to work on every scenario.
    reuse_every_run: bool = False
    screenshots: bool = True
    trace: bool = False  # Playwright traces of ``current`` and of the run proving the verdict
    timeouts: Timeouts = field(default_factory=Timeouts)
    no_submit: bool = False  # every variant up to the CAPTCHA; credentials never typed
    # When the person's browser and a brand-new profile of it both fail: a brand-new
    # profile of the other engine, when installed ("try another browser").
    other_browser: bool = True


@dataclass(frozen=True)
class DiagnosisSetup:
    """A request resolved: everything ``diagnose`` drives, found, started and checked."""

    settings: RunSettings
    engine: BrowserEngine  # the person's browser, on the person's profile
    target: Target  # the running portal's URLs and how its pages look
    description: PortalDescription  # where the target came from (remedies, waits)
    credentials: Credentials
    report_dir: Path  # exists and is writable
    portal_embedded: bool = False  # the target is the embedded mock portal
    profile_from_recipe: bool = False  # the profile was built for a scenario, not given
    scenario: str | None = None
    # Logins that may make the portal send a code probe cannot read itself; None: codes
    # cost nothing here (``probe.journey.account_guard.code_budget``).
    codes: CodeBudget | None = None
    # The other engine, installed: a brand-new profile in it tells whether switching
    # browsers helps. None: not installed (or not wanted).
    other: BrowserEngine | None = None


NOT_NEEDED = Detail(key="detail.not-needed-verdict")


def _keep_traces(runs: list[VariantRun], wanted: set[str], report_dir: Path) -> None:
    """Only the traces of ``current`` and of the run that proves the verdict stay."""
    for run in runs:
        if run.trace is not None and run.name not in wanted:
            (report_dir / run.trace).unlink(missing_ok=True)
            run.trace = None


def diagnose(
    setup: DiagnosisSetup, progress: Progress | None = None, *, driver: SharedDriver | None = None
) -> Report:
    """Run a whole diagnosis of ``setup`` and return its finished report.

    Screenshots and traces go into ``setup.report_dir`` as the runs make them; the report
    itself is the caller's to write (``probe.report.write_report``). ``driver``: run the
    browsers in that shared Playwright driver, within its browser budget (``probe ci``);
    by default the diagnosis starts a driver of its own.
    """
    progress = progress or SilentProgress()
    with private_workdir() as work:
        if driver is not None:
            # The shared driver is running already: nothing to overlap the copy with.
            copy = _copied(setup, work, progress)
            runs = driver.run(partial(_run_browsers, setup, copy, work, progress))
        else:
            copy, runs = loops.run(_copy_and_run(setup, work, progress))
    return _report(setup, copy, runs)


def _copied(setup: DiagnosisSetup, work: Path, progress: Progress) -> ProfileCopy[Any]:
    """The profile's private copy, what copying found (damaged or changing files) noted."""
    copy = setup.engine.copy_profile(work / "snapshot", setup.target.sites)
    for warning in copy.warnings:
        progress.note(f"Note: {warning}")
    return copy


async def _copy_and_run(
    setup: DiagnosisSetup, work: Path, progress: Progress
) -> tuple[ProfileCopy[Any], _Runs]:
    """Copy the profile (in a thread: file work) while Playwright's driver starts (a Node.js
    process, ~0.4 s): neither needs the other, and the first launch needs both."""
    copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe-copy")
    copying = asyncio.get_running_loop().run_in_executor(copier, _copied, setup, work, progress)
    try:
        async with own_driver(_driver_temporary(work)) as playwright:
            copy = await copying
            return copy, await _run_browsers(setup, copy, work, progress, playwright)
    finally:
        # The copy's thread cannot be stopped half-way, and a cancelled await does not wait
        # for it (a stop during the copy would remove the folder it still writes into):
        # let the thread end here, before its folder goes.
        copier.shutdown(wait=True)
        await asyncio.gather(copying, return_exceptions=True)


def _report(setup: DiagnosisSetup, copy: ProfileCopy[Any], runs: _Runs) -> Report:
    """The report of ``runs``, with what no run could replay (``copy.notes``) said."""
    verdict = qualified(runs.verdict, copy.notes, setup.target.sites)
    profile = setup.engine.profile_info()
    return Report(
        probe_version=__version__,
        created_at=runs.created,
        lang=setup.settings.lang,
        portal=PortalInfo(
            url=setup.target.login_url, embedded=setup.portal_embedded, scenario=setup.scenario
        ),
        browser=setup.engine.info(headless=not setup.settings.headed),
        profile=ProfileInfo(
            source=None if setup.profile_from_recipe else profile.source,
            kind="recipe" if setup.profile_from_recipe else profile.kind,
            components=copy.inventory.components,
        ),
        credentials=check_credentials(setup.credentials),
        verdict=with_portal_texts(verdict, setup.description),
        variants=runs.variants,
        drilldown=runs.drilldown,
        other_browser=runs.other,
        limitations=limitations_of(copy.notes),
        browser_runs=runs.browser_runs,
        browsers_started=runs.browsers_started,
        login_submissions=runs.submissions,
        duration_ms=runs.duration_ms,
    )


@dataclass(frozen=True)
class _Runs:
    """What the browser runs found: the verdict and the runs that led to it."""

    created: datetime
    verdict: Verdict
    variants: list[VariantRun]
    drilldown: list[DrillNode]
    other: OtherBrowser | None
    browser_runs: int
    browsers_started: int
    submissions: int  # logins that may have reached the portal
    duration_ms: int


def _driver_temporary(work: Path) -> Path:
    """The TMPDIR of a diagnosis's own driver: in its private folder, removed with it."""
    temporary = work / "driver"
    temporary.mkdir(mode=0o700, exist_ok=True)
    return temporary


async def _run_browsers(
    setup: DiagnosisSetup,
    copy: ProfileCopy[Any],
    work: Path,
    progress: Progress,
    playwright: Playwright,
    slots: asyncio.Semaphore | None = None,
) -> _Runs:
    """The browser runs and the verdict, in ``playwright`` (the diagnosis's own driver or
    ``probe ci``'s shared one); ``slots``: a browser budget shared with others."""
    started = time.monotonic()
    created = datetime.now(UTC)
    guard = AccountGuard(leader=LEADER, codes=setup.codes)
    runner = _runner(setup, playwright, copy, work / "runs", guard, progress, started)
    diagnosis = Diagnosis(
        runner,
        copy.inventory,
        setup.credentials,
        jobs=setup.settings.jobs,
        no_submit=setup.settings.no_submit,
        slots=slots,
    )
    try:
        verdict = await diagnosis.decide()
        other = await _other_browser(setup, diagnosis)
        if other is not None:
            verdict = told(verdict, other)
    finally:
        await runner.drain()
    if setup.codes is not None and guard.code_skips:
        progress.note(setup.codes.afterword(guard.code_skips))
    _keep_traces(diagnosis.runs, {"current", diagnosis.proof or "current"}, setup.report_dir)
    return _Runs(
        created=created,
        verdict=verdict,
        variants=_variants(diagnosis),
        drilldown=diagnosis.drilldown,
        other=other,
        browser_runs=runner.browser_runs,
        browsers_started=runner.browsers_started,
        submissions=guard.submissions,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _runner(
    setup: DiagnosisSetup,
    playwright: Playwright,
    copy: ProfileCopy[Any],
    runs: Path,
    guard: AccountGuard,
    progress: Progress,
    started: float,
) -> Runner:
    request = setup.settings
    return Runner(
        playwright,
        setup.engine,
        copy,
        setup.target,
        runs,
        gate=guard,
        timeouts=timeouts_of(setup.description, request.timeouts),
        screenshots=(setup.report_dir / "screenshots") if request.screenshots else None,
        traces=(setup.report_dir / "traces") if request.trace else None,
        headed=request.headed,
        origin=started,
        progress=progress,
        no_submit=request.no_submit,
        other=setup.other,
        browsers=request.jobs if request.reuse_browsers else 0,
        reuse_every_run=request.reuse_every_run,
    )


async def _other_browser(setup: DiagnosisSetup, diagnosis: Diagnosis) -> OtherBrowser | None:
    """A brand-new profile of the other browser, when the person's and a brand-new one of
    theirs both fail. Not where each login costs a security code the person types (a code
    budget): the answer would cost one more."""
    if setup.other is None or not setup.settings.other_browser or setup.codes is not None:
        return None
    info = setup.other.info(headless=not setup.settings.headed)
    label = f"{info.product} {info.version}"
    return await try_other_browser(diagnosis, setup.credentials, setup.other.name, label)


def _variants(diagnosis: Diagnosis) -> list[VariantRun]:
    """The runs made, in the order a reader expects, then those the verdict made needless."""
    ran = {r.name for r in diagnosis.runs}
    skipped = [
        VariantRun(
            name=env.name,
            description=env.description,
            outcome="skipped",
            skipped_because=NOT_NEEDED,
            skipped_reason=english(NOT_NEEDED),
            kept=sorted(env.kept),
        )
        for env in [diagnosis.fresh_env(), *(env for env, _ in diagnosis.checklist())]
        if env.name not in ran
    ]
    order = {"current": 0, "fresh": 1, "credentials-normalized": 2}
    variants = sorted(diagnosis.runs, key=lambda r: (order.get(r.name, 3), r.started_ms))
    return variants + skipped
