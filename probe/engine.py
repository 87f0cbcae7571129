"""One diagnosis, end to end: portal, profile, browser runs, verdict, report.

The CLI, ``probe ci`` and the pytest plugin all call ``diagnose``. It never reads the
portal's configuration: when it starts the embedded portal it only learns its URLs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import async_playwright

from probe import __version__, loops
from probe.account_guard import LEADER, AccountGuard
from probe.chromium import Chromium, find_chromium
from probe.credentials import Credentials, check_credentials
from probe.diagnosis import Diagnosis
from probe.errors import BadInput, PortalFailure
from probe.models import (
    BrowserInfo,
    Lang,
    PortalInfo,
    ProfileInfo,
    Report,
    VariantRun,
)
from probe.observation import Target, Timeouts
from probe.pagemap import PageMap
from probe.portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig
from probe.profiles import SourceProfile, locate_profile, snapshot_profile
from probe.variants import Inventory, Progress, Runner, SilentProgress, take_inventory

EMBEDDED_SITES = ("portal.localhost", "captcha.localhost", "idp.localhost")


@dataclass
class DiagnosisRequest:
    """Everything one diagnosis needs, as the person gave it."""

    profile: Path | None = None
    profile_kind: str | None = None  # set when the caller built the profile ("recipe")
    portal_url: str | None = None  # None: start the embedded portal
    portal_config: PortalConfig | None = None  # state of the embedded portal
    portal_embedded: bool = False  # portal_url is an embedded portal the caller started
    extra_sites: tuple[str, ...] = ()
    outbox_url: str | None = None
    credentials: Credentials = field(
        default_factory=lambda: Credentials(DEMO_IDENTIFIER, DEMO_PASSWORD)
    )
    report_dir: Path | None = None
    lang: Lang = "en"
    chromium: Chromium | None = None
    chromium_path: str | None = None
    headed: bool = False
    jobs: int = 2
    screenshots: bool = True
    trace: bool = False  # Playwright traces of ``current`` and of the run proving the verdict
    timeouts: Timeouts = field(default_factory=Timeouts)
    scenario: str | None = None


def default_report_dir() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("reports") / stamp


@contextlib.contextmanager
def private_workdir() -> Iterator[Path]:
    """A 0700 temporary folder for profile copies, removed whatever happens."""
    path = Path(tempfile.mkdtemp(prefix="probe-"))
    os.chmod(path, 0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _target_for(url: str, extra_sites: tuple[str, ...], outbox_url: str | None) -> Target:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--portal {url}: not an http(s) URL")
    base = f"{parts.scheme}://{parts.netloc}/"
    sites = (parts.hostname, *extra_sites)
    return Target(url=base, sites=sites, outbox_url=outbox_url, pagemap=PageMap())


def _check_reachable(url: str) -> None:
    """Fail in one line, before starting any browser, when nothing answers at ``url``."""
    import httpx

    from probe.second_factor import loopback_request

    real_url, headers = loopback_request(url)
    try:
        httpx.get(real_url, headers=headers, timeout=5.0, follow_redirects=False)
    except httpx.HTTPError as exc:
        reason = type(exc).__name__.replace("Error", " error").lower()
        raise PortalFailure(f"--portal {url}: nothing answers there ({reason})") from exc


def _prepare_report_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe_file = path / ".write-test"
        probe_file.write_text("")
        probe_file.unlink()
    except OSError as exc:
        raise BadInput(f"--report-dir {path}: cannot write there ({exc.strerror})") from exc
    return path


def diagnose(request: DiagnosisRequest, progress: Progress | None = None) -> tuple[Report, Path]:
    """Run a whole diagnosis and write its report; returns the report and its folder."""
    wanted = request.report_dir or default_report_dir()
    existed = wanted.exists()
    try:
        return _diagnose(request, progress or SilentProgress(), wanted)
    except BaseException:
        # A run that stopped early leaves no empty report folder behind.
        if not existed and wanted.is_dir() and not any(wanted.iterdir()):
            wanted.rmdir()
        raise


def _diagnose(request: DiagnosisRequest, progress: Progress, wanted: Path) -> tuple[Report, Path]:
    chromium = request.chromium or find_chromium(request.chromium_path)
    if not chromium.can_side_load_extensions:
        progress.note(
            f"{chromium.describe()} cannot load extensions from a folder (Google Chrome 137+): "
            "extension variants will not reproduce your extensions."
        )
    report_dir = _prepare_report_dir(wanted)
    profile = locate_profile(request.profile)
    if profile.made_by_newer_browser(chromium.version):
        raise BadInput(
            f"{profile.profile_dir} was last used by Chromium {profile.chromium_version}, newer "
            f"than {chromium.describe()}; point --chromium at that version or newer"
        )
    for warning in profile.warnings:
        progress.note(f"Note: {warning}")
    progress.note(_describe_profile(profile, request.profile_kind))
    with contextlib.ExitStack() as stack:
        if request.portal_url is None:
            from probe.portal import EmbeddedPortal

            portal = stack.enter_context(EmbeddedPortal(request.portal_config))
            target = Target(
                url=portal.url,
                sites=EMBEDDED_SITES,
                outbox_url=portal.outbox_url,
                pagemap=PageMap(),
            )
            embedded = True
        else:
            target = _target_for(request.portal_url, request.extra_sites, request.outbox_url)
            embedded = request.portal_embedded
            _check_reachable(target.login_url)
        progress.note(f"Portal: {target.login_url}")
        work = stack.enter_context(private_workdir())
        snapshot = snapshot_profile(profile, work / "snapshot")
        for warning in snapshot.warnings:  # what copying found (damaged or changing files)
            if warning not in profile.warnings:
                progress.note(f"Note: {warning}")
        inventory = take_inventory(snapshot, target)
        report = loops.run(
            _diagnose_async(request, chromium, target, inventory, work, report_dir, progress)
        )
    report.portal = PortalInfo(url=target.login_url, embedded=embedded, scenario=request.scenario)
    report.profile = ProfileInfo(
        source=str(profile.profile_dir)
        if profile.kind != "fresh" and request.profile_kind != "recipe"
        else None,
        kind="recipe" if request.profile_kind == "recipe" else profile.kind,
        components=inventory.components,
    )
    from probe.report import write_report

    write_report(report, report_dir, lang=request.lang)
    return report, report_dir


def _keep_traces(runs: list[VariantRun], wanted: set[str], report_dir: Path) -> None:
    """Only the traces of ``current`` and of the run that proves the verdict stay."""
    for run in runs:
        if run.trace is not None and run.name not in wanted:
            (report_dir / run.trace).unlink(missing_ok=True)
            run.trace = None


def _describe_profile(profile: SourceProfile, kind: str | None) -> str:
    if kind == "recipe":
        return "Profile: built from the scenario's recipe, read from a private copy"
    if profile.kind == "fresh":
        return "Profile: none found, using a brand-new one"
    where = profile.user_data_dir / profile.profile_name
    label = {
        "given": "given",
        "default-chromium": "your Chromium's",
        "default-chrome": "your Chrome's",
    }
    return f"Profile: {label.get(profile.kind, profile.kind)} ({where}), read from a private copy"


async def _diagnose_async(
    request: DiagnosisRequest,
    chromium: Chromium,
    target: Target,
    inventory: Inventory,
    work: Path,
    report_dir: Path,
    progress: Progress,
) -> Report:
    started = time.monotonic()
    created = datetime.now(UTC)
    findings = check_credentials(request.credentials)
    async with async_playwright() as playwright:
        runner = Runner(
            playwright,
            chromium,
            inventory,
            target,
            work / "runs",
            gate=AccountGuard(leader=LEADER),
            timeouts=request.timeouts,
            screenshots=(report_dir / "screenshots") if request.screenshots else None,
            traces=(report_dir / "traces") if request.trace else None,
            headed=request.headed,
            origin=started,
            progress=progress,
        )
        diagnosis = Diagnosis(runner, inventory, request.credentials, jobs=request.jobs)
        try:
            verdict = await diagnosis.decide()
        finally:
            await runner.drain()
    _keep_traces(diagnosis.runs, {"current", diagnosis.proof or "current"}, report_dir)
    ran = {r.name for r in diagnosis.runs}
    skipped = [
        VariantRun(
            name=env.name,
            description=env.description,
            outcome="skipped",
            skipped_reason="not needed: the verdict was already certain",
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
        portal=PortalInfo(url=target.login_url),
        browser=BrowserInfo(
            product=chromium.product,
            version=chromium.version,
            executable=str(chromium.executable),
            headless=not request.headed,
        ),
        profile=ProfileInfo(source=None, kind="fresh"),
        credentials=findings,
        verdict=verdict,
        variants=variants + skipped,
        drilldown=diagnosis.drilldown,
        browser_runs=runner.browser_runs,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
