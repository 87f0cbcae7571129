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

from probe.chromium import Chromium, find_chromium
from probe.credentials import Credentials
from probe.engine import (
    DiagnosisRequest,
    DiagnosisSetup,
    check_reachable,
    default_report_dir,
    describe_profile,
    diagnose,
    prepare_report_dir,
    private_workdir,
    target_for,
)
from probe.errors import BadInput
from probe.models import Report
from probe.observation import Target
from probe.pagemap import PageMap
from probe.portal import EmbeddedPortal
from probe.portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig
from probe.profiles import SourceProfile, locate_profile
from probe.recipes import ProfileRecipe, build_profile
from probe.variants import Progress, SilentProgress

# The embedded portal's three sites, one loopback port: the portal, the CAPTCHA vendor,
# the identity federation. Cookies and site data of all three belong to the portal.
EMBEDDED_SITES = ("portal.localhost", "captcha.localhost", "idp.localhost")


def demo_credentials() -> Credentials:
    """The embedded portal's demo account, used when the person names none."""
    return Credentials(DEMO_IDENTIFIER, DEMO_PASSWORD)


def embedded_target(portal: EmbeddedPortal) -> Target:
    """What the core is told about a running embedded portal: its URLs and sites."""
    return Target(
        url=portal.url, sites=EMBEDDED_SITES, outbox_url=portal.outbox_url, pagemap=PageMap()
    )


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
    if request.portal_url is not None and request.credentials is None:
        raise BadInput("--portal needs --user (and a password): probe knows no account there")
    progress = progress or SilentProgress()
    wanted = request.report_dir or default_report_dir()
    existed = wanted.exists()
    try:
        with contextlib.ExitStack() as stack:
            yield _resolve(request, progress, stack, chromium, case, wanted)
    except BaseException:
        # A run that stopped early leaves no empty report folder behind.
        if not existed and wanted.is_dir() and not any(wanted.iterdir()):
            wanted.rmdir()
        raise


def _resolve(
    request: DiagnosisRequest,
    progress: Progress,
    stack: contextlib.ExitStack,
    chromium: Chromium | None,
    case: MockCase | None,
    report_dir: Path,
) -> DiagnosisSetup:
    chromium = chromium or find_chromium(request.chromium_path)
    portal: EmbeddedPortal | None = None
    profile_path, credentials = request.profile, request.credentials
    if case is not None:
        portal, profile_path = _set_up_case(case, chromium, stack, progress)
        credentials = case.credentials
    if not chromium.can_side_load_extensions:
        progress.note(
            f"{chromium.describe()} cannot load extensions from a folder (Google Chrome 137+): "
            "extension variants will not reproduce your extensions."
        )
    prepare_report_dir(report_dir)
    profile = _locate(profile_path, chromium, progress, from_recipe=case is not None)
    if request.portal_url is not None:
        target = target_for(request.portal_url, request.outbox_url)
        check_reachable(target.login_url)
    else:
        if portal is None:
            portal = stack.enter_context(EmbeddedPortal())
        target = embedded_target(portal)
    progress.note(f"Portal: {target.login_url}")
    return DiagnosisSetup(
        request=request,
        chromium=chromium,
        profile=profile,
        target=target,
        # A given portal URL always comes with credentials (checked in resolve).
        credentials=credentials or demo_credentials(),
        report_dir=report_dir,
        portal_embedded=portal is not None,
        profile_from_recipe=case is not None,
        scenario=case.scenario if case is not None else None,
    )


def _set_up_case(
    case: MockCase, chromium: Chromium, stack: contextlib.ExitStack, progress: Progress
) -> tuple[EmbeddedPortal, Path]:
    """Start the embedded portal in the case's state and build its profile (private copy)."""
    portal = stack.enter_context(
        EmbeddedPortal(case.build_portal if case.build_portal is not None else case.portal)
    )
    work = stack.enter_context(private_workdir())
    label = f"Scenario {case.scenario}" if case.scenario else "Set-up"
    progress.note(f"{label}: building its browser profile")
    profile_dir = build_profile(
        case.recipe, work / "profile", chromium=chromium, portal_url=portal.url
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
