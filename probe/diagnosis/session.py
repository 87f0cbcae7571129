"""One diagnosis, end to end: profile snapshot, browser runs, verdict, report.

Two types go in. ``DiagnosisRequest`` is what the person asked for (a profile, a portal
URL, credentials, where and how to report); ``DiagnosisSetup`` is that request resolved
(the Chromium found, the profile located, the portal running and reachable, the report
folder writable). The apps resolve a request with ``probe.app.setup.resolve``, which is
also where the embedded mock portal is started: this module never starts nor reads a
portal, it is handed a ``Target`` (the portal's URLs and, from its description, how its
pages look) and drives a browser at it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.async_api import Playwright, async_playwright

from probe import __version__
from probe._util import loops
from probe.browsers.base import BrowserEngine, EngineName, ProfileCopy
from probe.browsers.chromium.profile import SourceProfile
from probe.description.model import PortalDescription
from probe.description.target import Target, Timeouts, timeouts_of
from probe.diagnosis.decisions import Diagnosis
from probe.diagnosis.limitations import limitations_of, qualified
from probe.diagnosis.other_browser import told, try_other_browser
from probe.diagnosis.portal_remedies import with_portal_texts
from probe.diagnosis.runner import Progress, Runner, SilentProgress
from probe.errors import BadInput, PortalFailure
from probe.journey.account_guard import LEADER, AccountGuard, code_budget
from probe.journey.credentials import Credentials, check_credentials
from probe.models import (
    Detail,
    Lang,
    OtherBrowser,
    PortalInfo,
    ProfileInfo,
    Report,
    VariantRun,
)
from probe.report.details import english

if TYPE_CHECKING:
    import asyncio

    from probe.browsers.driver import SharedDriver


@dataclass(frozen=True)
class DiagnosisRequest:
    """What the person asked for: which profile, which portal, as whom, how to report.

    Nothing here is found or started yet; ``probe.app.setup.resolve`` turns it into a
    ``DiagnosisSetup``. Example: ``DiagnosisRequest(portal_url="https://portal.example/",
    credentials=Credentials("1850775123456", "..."), lang="fr")``.
    """

    profile: Path | None = None  # None: the person's default Chromium/Chrome profile
    portal_url: str | None = None  # where the portal is; None: its description's login_url
    # What probe knows about the portal (``probe/description/model.py``). None: the mock
    # portal's description, and (without portal_url) the embedded mock itself.
    portal_description: PortalDescription | None = None
    portal_source: str | None = None  # the description's file, named in error messages
    outbox_url: str | None = None  # a Mailpit-like outbox for codes, with portal_url
    credentials: Credentials | None = None  # needed with portal_url
    report_dir: Path | None = None  # None: reports/<timestamp>/
    lang: Lang = "en"
    chromium_path: str | None = None  # None: Playwright's Chromium, then the system's
    firefox_path: str | None = None  # None: Playwright's Firefox, then the system's
    # The engine: None, the one whose profile ``profile`` is, else Chromium.
    browser: EngineName | None = None
    profile_name: str | None = None  # a profile of a folder holding several (else last used)
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
    ask_code: Callable[[str], str] | None = None  # asks the person for a security code
    # Logins that may make the portal send a code probe cannot read itself (a prompt, or
    # no source): the runs past it stop before logging in (``probe.journey.account_guard``).
    max_codes: int = 1


@dataclass(frozen=True)
class DiagnosisSetup:
    """A request resolved: everything ``diagnose`` drives, found, started and checked."""

    request: DiagnosisRequest
    engine: BrowserEngine  # the person's browser, on the person's profile
    target: Target  # the running portal's URLs and how its pages look
    description: PortalDescription  # where the target came from (remedies, waits)
    credentials: Credentials
    report_dir: Path  # exists and is writable
    portal_embedded: bool = False  # the target is the embedded mock portal
    profile_from_recipe: bool = False  # the profile was built for a scenario, not given
    scenario: str | None = None
    # The other engine, installed: a brand-new profile in it tells whether switching
    # browsers helps. None: not installed (or not wanted).
    other: BrowserEngine | None = None


def default_report_dir() -> Path:
    """A new ``reports/<timestamp>/`` folder, created exclusively (a suffix when taken)."""
    from probe.report.files import new_report_folder

    return new_report_folder(Path("reports"))


@contextlib.contextmanager
def private_workdir() -> Iterator[Path]:
    """A 0700 temporary folder for profile copies, removed whatever happens.

    The name is chosen before the folder is made, and made inside the ``try``: a signal
    landing between the two (``tempfile.mkdtemp`` returns only after its ``mkdir``) would
    otherwise leave an empty ``probe-*`` folder behind.
    """
    parent = Path(tempfile.gettempdir())
    path = parent / f"probe-{secrets.token_hex(6)}"
    try:
        while True:
            try:
                path.mkdir(mode=0o700)
                break
            except FileExistsError:
                path = parent / f"probe-{secrets.token_hex(6)}"
        os.chmod(path, 0o700)
        yield path
    except KeyboardInterrupt:
        # Stopped by Ctrl-C or a signal: Playwright's driver, a child of this process,
        # may still be starting a Chromium into this folder; it stops its browsers.
        _stop_children()
        raise
    finally:
        # Chromium shutting down still writes into its profile copy: remove the folder
        # once no process uses it any more.
        _wait_until_unused(path)
        _remove(path)


def _remove(path: Path, seconds: float = 3.0) -> None:
    # A browser process started with its HOME in the folder (but not named on its command
    # line) may still add a file while the folder is removed: try again for a moment.
    deadline = time.monotonic() + seconds
    shutil.rmtree(path, ignore_errors=True)
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
        shutil.rmtree(path, ignore_errors=True)


def _stop_children() -> None:
    """Send SIGTERM to this process's own child processes (Playwright's drivers)."""
    if not os.path.isdir("/proc"):
        return
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                # "pid (name) state ppid ...": the name may hold spaces, the last ")" ends it.
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGTERM)


def _wait_until_unused(path: Path, seconds: float = 5.0) -> None:
    """Wait (a bounded time) until no process has ``path`` in its command line."""
    marker = os.fsencode(path)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy = False
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    busy = marker in cmdline.read()
            except OSError:
                continue
            if busy:
                break
        if not busy:
            return
        time.sleep(0.1)


# The reachability check only needs the answer's status line and headers.
REACHABLE_DEADLINE_S = 10.0
NOT_NEEDED = Detail(key="detail.not-needed-verdict")


def check_reachable(url: str, where: str | None = None) -> int:
    """Fail in one line, before starting any browser, when nothing answers at ``url``.

    Returns the answer's HTTP status. The answer is streamed and its body never read (an
    endless one cannot fill memory); a portal that trickles its headers a byte every few
    seconds, each read within the read timeout, is given up on at the overall deadline.
    ``where`` starts the error line (default: ``--portal URL``).
    """
    where = where or f"--portal {url}"
    import asyncio

    import httpx

    from probe.journey.codes.outbox import loopback_request

    real_url, headers = loopback_request(url)

    async def first_bytes() -> int:
        async with (
            httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client,
            client.stream("GET", real_url, headers=headers) as answer,
        ):
            return answer.status_code

    async def within_deadline() -> int:
        return await asyncio.wait_for(first_bytes(), REACHABLE_DEADLINE_S)

    try:
        return loops.run(within_deadline())
    except httpx.HTTPError as exc:
        reason = type(exc).__name__.replace("Error", " error").lower()
        raise PortalFailure(f"{where}: nothing answers there ({reason})") from exc
    except TimeoutError as exc:
        raise PortalFailure(
            f"{where}: the portal did not answer within {REACHABLE_DEADLINE_S:g} s"
        ) from exc


def prepare_report_dir(path: Path) -> Path:
    """Create ``path`` and check it can be written to; ``BadInput`` in one line if not.

    An earlier report there is replaced whole (no stale screenshot stays); a folder holding
    anything else is refused.
    """
    from probe.report.files import clear_report_folder

    try:
        path.mkdir(parents=True, exist_ok=True)
        clear_report_folder(path)
        probe_file = path / ".write-test"
        probe_file.write_text("")
        probe_file.unlink()
    except OSError as exc:
        raise BadInput(f"--report-dir {path}: cannot write there ({exc.strerror})") from exc
    return path


def _keep_traces(runs: list[VariantRun], wanted: set[str], report_dir: Path) -> None:
    """Only the traces of ``current`` and of the run that proves the verdict stay."""
    for run in runs:
        if run.trace is not None and run.name not in wanted:
            (report_dir / run.trace).unlink(missing_ok=True)
            run.trace = None


def describe_profile(profile: SourceProfile, *, from_recipe: bool = False) -> str:
    """The progress line saying which profile a diagnosis reads."""
    if from_recipe:
        return "Profile: built from the scenario's recipe, read from a private copy"
    if profile.kind == "fresh":
        return "Profile: none found, using a brand-new one"
    where = profile.user_data_dir / profile.profile_name
    label = {
        "given": "given",
        "default-chromium": "your Chromium's",
        "default-chrome": "your Chrome's",
        "default-edge": "your Edge's",
        "default-brave": "your Brave's",
    }
    return f"Profile: {label.get(profile.kind, profile.kind)} ({where}), read from a private copy"


def diagnose(
    setup: DiagnosisSetup, progress: Progress | None = None, *, driver: SharedDriver | None = None
) -> Report:
    """Run a whole diagnosis of ``setup`` and write its report into ``setup.report_dir``.

    ``driver``: run the browsers in that shared Playwright driver, within its browser
    budget (``probe ci``); by default the diagnosis starts a driver of its own.
    """
    progress = progress or SilentProgress()
    with private_workdir() as work:
        copy = setup.engine.copy_profile(work / "snapshot", setup.target.sites)
        for warning in copy.warnings:  # what copying found (damaged or changing files)
            progress.note(f"Note: {warning}")
        if driver is not None:
            report = driver.run(partial(_diagnose_async, setup, copy, work, progress))
        else:
            report = loops.run(_diagnose_async(setup, copy, work, progress))
        report.limitations = limitations_of(copy.notes)  # what no run could replay
        report.verdict = qualified(report.verdict, copy.notes, setup.target.sites)
        report.verdict = with_portal_texts(report.verdict, setup.description)
    report.portal = PortalInfo(
        url=setup.target.login_url, embedded=setup.portal_embedded, scenario=setup.scenario
    )
    profile = setup.engine.profile_info()
    report.profile = ProfileInfo(
        source=None if setup.profile_from_recipe else profile.source,
        kind="recipe" if setup.profile_from_recipe else profile.kind,
        components=copy.inventory.components,
    )
    from probe.report import write_report

    write_report(report, setup.report_dir, lang=setup.request.lang)
    return report


@contextlib.asynccontextmanager
async def _driver(shared: Playwright | None) -> AsyncIterator[Playwright]:
    """The shared driver when there is one, else one of this diagnosis's own."""
    if shared is not None:
        yield shared
        return
    async with async_playwright() as own:
        yield own


async def _diagnose_async(
    setup: DiagnosisSetup,
    copy: ProfileCopy,
    work: Path,
    progress: Progress,
    shared: Playwright | None = None,
    slots: asyncio.Semaphore | None = None,
) -> Report:
    """The browser runs and the verdict; ``slots``: a browser budget shared with others."""
    request, inventory = setup.request, copy.inventory
    started = time.monotonic()
    created = datetime.now(UTC)
    findings = check_credentials(setup.credentials)
    codes = code_budget(
        setup.description, setup.target, no_submit=request.no_submit, allowed=request.max_codes
    )
    guard = AccountGuard(leader=LEADER, codes=codes)
    async with _driver(shared) as playwright:
        runner = Runner(
            playwright,
            setup.engine,
            copy,
            setup.target,
            work / "runs",
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
        diagnosis = Diagnosis(
            runner,
            inventory,
            setup.credentials,
            jobs=request.jobs,
            no_submit=request.no_submit,
            slots=slots,
        )
        other: OtherBrowser | None = None
        try:
            verdict = await diagnosis.decide()
            # Not where each login costs a security code the person types (a code budget):
            # the answer would cost one more.
            if setup.other is not None and request.other_browser and codes is None:
                info = setup.other.info(headless=not request.headed)
                label = f"{info.product} {info.version}"
                other = await try_other_browser(
                    diagnosis, setup.credentials, setup.other.name, label
                )
                if other is not None:
                    verdict = told(verdict, other)
        finally:
            await runner.drain()
    if codes is not None and guard.code_skips:
        progress.note(codes.afterword(guard.code_skips))
    _keep_traces(diagnosis.runs, {"current", diagnosis.proof or "current"}, setup.report_dir)
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
    return Report(
        probe_version=__version__,
        created_at=created,
        lang=request.lang,
        portal=PortalInfo(url=setup.target.login_url),
        browser=setup.engine.info(headless=not request.headed),
        profile=ProfileInfo(source=None, kind="fresh"),
        credentials=findings,
        verdict=verdict,
        variants=variants + skipped,
        drilldown=diagnosis.drilldown,
        other_browser=other,
        browser_runs=runner.browser_runs,
        browsers_started=runner.browsers_started,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
