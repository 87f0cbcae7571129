"""From what the person asked for to a running diagnosis: the apps' one resolve step.

The CLI, ``probe ci`` and the pytest plugin all come through here. ``resolve`` turns a
``DiagnosisRequest`` into a ``DiagnosisSetup``: it finds Chromium, locates the profile
(or builds one from a scenario's recipe), starts the embedded mock portal when no portal
URL was given and learns its URLs, and checks the report folder. The core
(``probe.engine``) is then handed the running portal's URLs only: it never starts nor
reads a portal, so it works the same against a real one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from probe.browser_choice import choose_engine, chromium_profile_folder, firefox_profile
from probe.browser_engine import BrowserEngine, EngineName
from probe.chromium import Chromium, find_chromium
from probe.chromium_engine import ChromiumEngine
from probe.credentials import Credentials
from probe.engine import (
    DiagnosisRequest,
    DiagnosisSetup,
    default_report_dir,
    describe_profile,
    diagnose,
    prepare_report_dir,
    private_workdir,
)
from probe.errors import BadInput
from probe.firefox.discovery import Firefox, find_firefox
from probe.firefox.engine import FirefoxEngine
from probe.firefox_recipes import build_firefox_profile
from probe.models import Report
from probe.observation import Target
from probe.portal import EmbeddedPortal
from probe.portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig
from probe.portal_choice import PortalChoice, check_login_page
from probe.portal_description import MOCK_DESCRIPTION, PortalDescription, mock_description
from probe.portal_target import relocated, target_of
from probe.profiles import SourceProfile, locate_profile
from probe.recipes import ProfileRecipe, build_profile
from probe.report.files import discard_partial_report
from probe.variants import Progress, SilentProgress

MOCK_SOURCE = f"probe/portals/{MOCK_DESCRIPTION}"


def demo_credentials() -> Credentials:
    """The embedded portal's demo account, used when the person names none."""
    return Credentials(DEMO_IDENTIFIER, DEMO_PASSWORD)


def embedded_portal(portal: EmbeddedPortal) -> PortalDescription:
    """The mock's description, at the running embedded portal's URL (its three sites,
    the portal, the CAPTCHA vendor and the identity federation, on one loopback port)."""
    return relocated(mock_description(), portal.url)


def embedded_target(portal: EmbeddedPortal) -> Target:
    """What the core is told about a running embedded portal: its URLs and its pages."""
    return target_of(embedded_portal(portal), outbox_url=portal.outbox_url)


@dataclass(frozen=True)
class MockCase:
    """A set-up on the embedded portal given piece by piece (what a scenario file holds).

    The portal starts in ``build_portal`` (default: ``portal``) while the profile is built
    from ``recipe``, then switches to ``portal`` for the diagnosis.
    """

    portal: PortalConfig
    recipe: ProfileRecipe
    credentials: Credentials
    build_portal: PortalConfig | None = None
    scenario: str | None = None  # the scenario's name, shown in the report
    engine: EngineName = "chromium"  # the browser the profile is built for and run in


@contextlib.contextmanager
def resolve(
    request: DiagnosisRequest,
    progress: Progress | None = None,
    *,
    chromium: Chromium | None = None,
    case: MockCase | None = None,
) -> Iterator[DiagnosisSetup]:
    """Resolve ``request`` into a set-up that stays valid (portal running) inside the block.

    ``chromium``: one already found (``probe ci`` shares one between scenarios). ``case``:
    the portal, profile and credentials come from it instead of the request. A report
    folder this creates is removed again if the block fails before writing into it.
    """
    if case is not None and (
        request.profile is not None
        or request.portal_url is not None
        or request.credentials is not None
    ):
        raise ValueError("a MockCase brings its own portal, profile and credentials")
    given = request.portal_url is not None or request.portal_description is not None
    if given and request.credentials is None and not request.no_submit:
        raise BadInput("--portal needs --user (and a password): probe knows no account there")
    progress = progress or SilentProgress()
    if request.report_dir is None:
        wanted, created = default_report_dir(), True
    else:
        wanted, created = request.report_dir, not request.report_dir.exists()
    try:
        with contextlib.ExitStack() as stack:
            yield _resolve(request, progress, stack, chromium, case, wanted)
    except BaseException:
        # A run that stopped early (bad input, Ctrl-C, SIGTERM) leaves no partial report.
        discard_partial_report(wanted, created=created)
        raise


def _resolve(
    request: DiagnosisRequest,
    progress: Progress,
    stack: contextlib.ExitStack,
    chromium: Chromium | None,
    case: MockCase | None,
    report_dir: Path,
) -> DiagnosisSetup:
    portal: EmbeddedPortal | None = None
    profile_path, credentials = request.profile, request.credentials
    name = case.engine if case is not None else choose_engine(request.browser, profile_path)
    if name == "firefox":
        firefox = find_firefox(request.firefox_path)
        if case is not None:
            portal, profile_path = _set_up_case(case, firefox, stack, progress)
            credentials = case.credentials
        prepare_report_dir(report_dir)
        engine: BrowserEngine = _firefox_engine(
            firefox, profile_path, request.profile_name, progress, from_recipe=case is not None
        )
    else:
        chromium = chromium or find_chromium(request.chromium_path)
        if case is not None:
            portal, profile_path = _set_up_case(case, chromium, stack, progress)
            credentials = case.credentials
        else:
            profile_path = chromium_profile_folder(profile_path, request.profile_name)
        if not chromium.can_side_load_extensions:
            progress.note(
                f"{chromium.describe()} cannot load extensions from a folder (Google Chrome "
                "137+): extension variants will not reproduce your extensions."
            )
        prepare_report_dir(report_dir)
        profile = _locate(profile_path, chromium, progress, from_recipe=case is not None)
        engine = ChromiumEngine(chromium, profile)
    progress.note(f"Browser: {engine.describe()}")
    identifier = credentials.identifier if credentials is not None else ""
    if request.portal_url is not None or request.portal_description is not None:
        description = request.portal_description or mock_description()
        source = request.portal_source or (
            MOCK_SOURCE if request.portal_description is None else "the portal description"
        )
        if request.portal_url is not None:
            description = relocated(description, request.portal_url)
        check_login_page(PortalChoice(description, source))
        target = target_of(
            description,
            outbox_url=request.outbox_url,
            identifier=identifier,
            ask_code=request.ask_code,
        )
    else:
        if portal is None:
            portal = stack.enter_context(EmbeddedPortal())
        description, source = embedded_portal(portal), MOCK_SOURCE
        target = target_of(description, outbox_url=portal.outbox_url)
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
    return DiagnosisSetup(
        request=request,
        engine=engine,
        target=target,
        description=description,
        # A given portal URL always comes with credentials (checked in resolve).
        credentials=credentials or demo_credentials(),
        report_dir=report_dir,
        portal_embedded=portal is not None,
        profile_from_recipe=case is not None,
        scenario=case.scenario if case is not None else None,
    )


def _firefox_engine(
    firefox: Firefox,
    path: Path | None,
    profile_name: str | None,
    progress: Progress,
    *,
    from_recipe: bool,
) -> FirefoxEngine:
    folder, kind, line = firefox_profile(path, profile_name)
    if from_recipe:
        line = "Profile: built from the scenario's recipe, read from a private copy"
    progress.note(line)
    return FirefoxEngine(firefox, folder, kind)


def _set_up_case(
    case: MockCase, browser: Chromium | Firefox, stack: contextlib.ExitStack, progress: Progress
) -> tuple[EmbeddedPortal, Path]:
    """Start the embedded portal in the case's state and build its profile (private copy)."""
    portal = stack.enter_context(
        EmbeddedPortal(case.build_portal if case.build_portal is not None else case.portal)
    )
    work = stack.enter_context(private_workdir())
    label = f"Scenario {case.scenario}" if case.scenario else "Set-up"
    progress.note(f"{label}: building its browser profile")
    if isinstance(browser, Firefox):
        profile_dir = build_firefox_profile(
            case.recipe, work / "profile", firefox=browser, portal_url=portal.url
        )
    else:
        profile_dir = build_profile(
            case.recipe, work / "profile", chromium=browser, portal_url=portal.url
        )
    if case.build_portal is not None:
        portal.set_config(case.portal)
    return portal, profile_dir


def _locate(
    path: Path | None, chromium: Chromium, progress: Progress, *, from_recipe: bool
) -> SourceProfile:
    profile = locate_profile(path)
    if profile.made_by_newer_browser(chromium.version):
        raise BadInput(
            f"{profile.profile_dir} was last used by Chromium {profile.chromium_version}, newer "
            f"than {chromium.describe()}; point --chromium at that version or newer"
        )
    for warning in profile.warnings:
        progress.note(f"Note: {warning}")
    progress.note(describe_profile(profile, from_recipe=from_recipe))
    return profile


def run_diagnosis(
    request: DiagnosisRequest,
    progress: Progress | None = None,
    *,
    chromium: Chromium | None = None,
    case: MockCase | None = None,
) -> tuple[Report, Path]:
    """Resolve ``request``, diagnose, write the report; returns the report and its folder.

    Example: ``report, folder = run_diagnosis(DiagnosisRequest(report_dir=Path("out")))``
    diagnoses your default profile on the embedded portal with its demo account.
    """
    with resolve(request, progress, chromium=chromium, case=case) as setup:
        return diagnose(setup, progress), setup.report_dir
