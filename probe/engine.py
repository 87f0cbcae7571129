"""One diagnosis, end to end: portal, profile, browser runs, verdict, report.

The CLI, ``probe ci`` and the pytest plugin all call ``diagnose``. It never reads the
portal's configuration: what it knows about a portal is its description (the mock's is
shipped in the package); when it starts the embedded portal it only learns its URLs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import async_playwright

from probe import __version__, loops
from probe.account_guard import LEADER, AccountGuard
from probe.chromium import Chromium, find_chromium
from probe.credentials import Credentials, check_credentials
from probe.diagnosis import Diagnosis
from probe.errors import BadInput
from probe.models import (
    BrowserInfo,
    Lang,
    PortalInfo,
    ProfileInfo,
    Report,
    VariantRun,
)
from probe.observation import Target, Timeouts
from probe.portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig
from probe.portal_choice import PortalChoice, check_login_page
from probe.portal_description import MOCK_DESCRIPTION, PortalDescription, mock_description
from probe.portal_remedies import with_portal_texts
from probe.portal_target import relocated, target_of, timeouts_of
from probe.profiles import SourceProfile, locate_profile, snapshot_profile
from probe.variants import Inventory, Progress, Runner, SilentProgress, take_inventory


@dataclass
class DiagnosisRequest:
    """Everything one diagnosis needs, as the person gave it."""

    profile: Path | None = None
    profile_kind: str | None = None  # set when the caller built the profile ("recipe")
    portal_url: str | None = None  # where the portal is; None: the description's URL
    # What probe knows about the portal; None: the mock's (started here if no portal_url).
    portal_description: PortalDescription | None = None
    portal_source: str | None = None  # the description's file, for error messages
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
    timeouts: Timeouts = field(default_factory=Timeouts)
    scenario: str | None = None
    no_submit: bool = False  # every variant up to the CAPTCHA; credentials never typed
    ask_code: Callable[[str], str] | None = None  # asks the person for a security code


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


def _portal_target(request: DiagnosisRequest, description: PortalDescription) -> Target:
    """The portal as the journey drives it: selectors, hosts, code source, language."""
    from probe.code_sources import code_source

    second = description.second_factor
    target = target_of(description, extra_sites=request.extra_sites, outbox_url=request.outbox_url)
    source = None
    if request.outbox_url is None:
        source = code_source(
            second.source if second else None,
            login_url=description.login_url,
            identifier=request.credentials.identifier,
            ask=request.ask_code,
        )
    return dataclasses.replace(target, code_source=source, locale=description.browser_language)


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
    description = request.portal_description or mock_description()
    source = request.portal_source or (
        f"probe/portals/{MOCK_DESCRIPTION}"
        if request.portal_description is None
        else "the portal description"
    )
    with contextlib.ExitStack() as stack:
        if request.portal_url is None and request.portal_description is None:
            from probe.portal import EmbeddedPortal

            portal = stack.enter_context(EmbeddedPortal(request.portal_config))
            description = relocated(description, portal.url)
            embedded = True
        else:
            if request.portal_url is not None:
                description = relocated(description, request.portal_url)
            embedded = request.portal_embedded
            check_login_page(PortalChoice(description, source))
        target = _portal_target(request, description)
        progress.note(f"Portal: {target.login_url} (described by {source})")
        if (
            description.second_factor is not None
            and target.code_source is None
            and target.outbox_url is None
            and not request.no_submit
        ):
            progress.note(
                "Note: the portal asks for a security code and its description names no "
                "source: every variant that logs in would trigger a code probe cannot read. "
                "Declare second-factor.source (mailpit, totp or prompt), or run --no-submit."
            )
        work = stack.enter_context(private_workdir())
        snapshot = snapshot_profile(profile, work / "snapshot")
        for warning in snapshot.warnings:  # what copying found (damaged or changing files)
            if warning not in profile.warnings:
                progress.note(f"Note: {warning}")
        inventory = take_inventory(snapshot, target)
        report = loops.run(
            _diagnose_async(
                request,
                chromium,
                target,
                timeouts_of(description, request.timeouts),
                inventory,
                work,
                report_dir,
                progress,
            )
        )
    report.verdict = with_portal_texts(report.verdict, description)
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
    timeouts: Timeouts,
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
            timeouts=timeouts,
            screenshots=(report_dir / "screenshots") if request.screenshots else None,
            headed=request.headed,
            origin=started,
            progress=progress,
            no_submit=request.no_submit,
        )
        diagnosis = Diagnosis(
            runner, inventory, request.credentials, jobs=request.jobs, no_submit=request.no_submit
        )
        try:
            verdict = await diagnosis.decide()
        finally:
            await runner.drain()
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
