"""From what the person asked for to a running diagnosis: the apps' one resolve step.

The CLI, ``probe ci`` and the pytest plugin all come through here. ``resolve`` turns a
``DiagnosisRequest`` into a ``DiagnosisSetup``: it finds Chromium, locates the profile
(or builds one from a scenario's recipe), starts the embedded mock portal when no portal
URL was given and learns its URLs, and checks the report folder. The core
(``probe.diagnosis.session``) is then handed the running portal's URLs only: it never starts nor
reads a portal, so it works the same against a real one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from probe._util.tls import person_ssl_context
from probe._util.trust import person_trust
from probe._util.workdir import private_workdir
from probe.app.portal_choice import PortalChoice, check_login_page
from probe.app.recipes.cache import ProfileCache
from probe.app.recipes.chromium import build_profile
from probe.app.recipes.firefox import build_firefox_profile
from probe.app.recipes.trusted_ca import person_trusting_a_ca
from probe.app.report_folder import default_report_dir, prepare_report_dir
from probe.app.request import DiagnosisRequest, ScenarioCase, credentials_for, scenario_alone
from probe.browsers.base import BrowserEngine, EngineName, other_engine
from probe.browsers.chromium.discovery import Chromium, find_channel
from probe.browsers.driver import SharedDriver
from probe.browsers.registry import (
    Browser,
    choose_engine,
    find_browser,
    fresh_engine,
    person_chromium,
    person_engine,
)
from probe.description.model import MOCK_SOURCE, PortalDescription, mock_description
from probe.description.target import Target, origin_of, relocated, target_of
from probe.diagnosis.runner import Progress, SilentProgress
from probe.diagnosis.session import DiagnosisSetup, diagnose
from probe.errors import ProbeError
from probe.journey.account_guard import code_budget
from probe.journey.codes.sources import OutboxCodes, code_source
from probe.journey.credentials import Credentials
from probe.mock_portal import EmbeddedPortal
from probe.models import Detail, Report
from probe.report import write_report
from probe.report.details import browser_details
from probe.report.files import discard_partial_report


def embedded_portal(portal: EmbeddedPortal) -> PortalDescription:
    """The mock's description, at the running embedded portal's URL (its three sites,
    the portal, the CAPTCHA vendor and the identity federation, on one loopback port)."""
    return relocated(mock_description(), portal.url)


@contextlib.contextmanager
def resolve(
    request: DiagnosisRequest,
    progress: Progress | None = None,
    *,
    chromium: Chromium | None = None,
    case: ScenarioCase | None = None,
    profiles: ProfileCache | None = None,
) -> Iterator[DiagnosisSetup]:
    """Resolve ``request`` into a set-up that stays valid (portal running) inside the block.

    ``chromium``: one already found (``probe ci`` shares one between scenarios). ``case``:
    the portal, profile and credentials come from it instead of the request (a case on a
    described portal takes ``request.portal_url``: where that portal runs); ``profiles``:
    where the case's profile is built once and reused. A report folder this creates is
    removed again if the block fails before writing into it.
    """
    if case is not None:
        scenario_alone(
            others=request.profile is not None
            or request.credentials is not None
            or request.portal is not None
            or (request.portal_url is not None and case.described is None)
        )
    own_portal = request.portal_url is not None or request.portal is not None
    credentials = credentials_for(
        case.credentials if case is not None else request.credentials,
        own_portal=own_portal,
        no_submit=request.no_submit,
    )
    progress = progress or SilentProgress()
    if request.report_dir is None:
        wanted, created = default_report_dir(), True
    else:
        wanted, created = request.report_dir, not request.report_dir.exists()
    try:
        with contextlib.ExitStack() as stack:
            yield _resolve(request, credentials, progress, stack, chromium, case, wanted, profiles)
    except BaseException:
        # A run that stopped early (bad input, Ctrl-C, SIGTERM) leaves no partial report.
        discard_partial_report(wanted, created=created)
        raise


def _resolve(
    request: DiagnosisRequest,
    credentials: Credentials,
    progress: Progress,
    stack: contextlib.ExitStack,
    chromium: Chromium | None,
    case: ScenarioCase | None,
    report_dir: Path,
    profiles: ProfileCache | None = None,
) -> DiagnosisSetup:
    portal: EmbeddedPortal | None = None
    profile_path = request.profile
    described = _described_portal(request, case)
    name = case.engine if case is not None else choose_engine(request.browser, profile_path)
    if name == "chromium" and request.channel is not None and chromium is None:
        chromium = find_channel(request.channel)
    if name == "chromium" and case is None and chromium is None:
        # The person's own browser when it is installed (else Chromium stands in).
        browser: Browser = person_chromium(
            profile_path, chromium_path=request.chromium_path, channel=request.channel
        )
    else:
        browser = find_browser(
            name,
            chromium_path=request.chromium_path,
            firefox_path=request.firefox_path,
            chromium=chromium,
        )
    trust_home: Path | None = None
    if case is not None and described is not None:
        login_url = described.description.login_url
        profile_path = _build_case_profile(case, browser, stack, progress, login_url, profiles)
    elif case is not None:
        portal, profile_path, trust_home = _set_up_case(case, browser, stack, progress, profiles)
    engine = _engine(
        browser,
        profile_path,
        request,
        progress,
        report_dir,
        from_recipe=case is not None,
        trust_home=trust_home,
    )
    progress.note(Detail(key="progress.browser", params={"browser": engine.describe()}))
    for said in browser_details(engine.info(headless=not request.headed)):
        if said.key != "browser.found":  # the line above says it already
            progress.note(said)
    other = _other_engine(engine.name, request, chromium) if request.other_browser else None
    if described is not None:
        choice = described
    else:
        portal = portal or stack.enter_context(EmbeddedPortal())
        choice = PortalChoice(embedded_portal(portal), MOCK_SOURCE)
    target = _target(choice.description, request, credentials, portal, trust_home)
    progress.note(
        Detail(key="progress.portal", params={"url": target.login_url, "source": choice.source})
    )
    codes = code_budget(
        choice.description, target, no_submit=request.no_submit, allowed=request.max_codes
    )
    if codes is not None:
        progress.note(codes.announcement())
    return DiagnosisSetup(
        settings=request.settings,
        engine=engine,
        other=other,
        target=target,
        description=choice.description,
        credentials=credentials,
        report_dir=report_dir,
        portal_embedded=portal is not None,
        profile_from_recipe=case is not None,
        scenario=case.scenario if case is not None else None,
        codes=codes,
    )


def _target(
    description: PortalDescription,
    request: DiagnosisRequest,
    credentials: Credentials,
    portal: EmbeddedPortal | None,
    trust_home: Path | None = None,
) -> Target:
    """What the core is told about the portal: its URLs, its pages, where codes come from
    (``trust_home``: the scenario's person whose CAs probe trusts reading the outbox)."""
    if portal is not None and trust_home is not None:
        context = person_ssl_context(person_trust(home=trust_home))
        return target_of(description, code_source=OutboxCodes(portal.outbox_url, context))
    if portal is not None:
        return target_of(description, outbox_url=portal.outbox_url)
    declared = description.second_factor.source if description.second_factor else None
    source_of_codes = None
    if request.outbox_url is None and declared is not None and declared.kind != "outbox":
        # Made ready here, so a missing TOTP variable or a prompt without a terminal is
        # one line before any browser starts.
        source_of_codes = code_source(
            declared,
            login_url=description.login_url,
            identifier=credentials.identifier,
            ask=request.ask_code,
        )
    return target_of(description, outbox_url=request.outbox_url, code_source=source_of_codes)


def _described_portal(request: DiagnosisRequest, case: ScenarioCase | None) -> PortalChoice | None:
    """The portal probe does not start (the request's, the case's, or the mock's
    description moved to ``portal_url``), checked to answer; None: the embedded one."""
    given = case.described if case is not None else request.portal
    if request.portal_url is None and given is None:
        return None
    choice = given or PortalChoice(mock_description(), MOCK_SOURCE)
    if request.portal_url is not None:
        choice = choice.moved_to(request.portal_url)
    # A portal probe does not start: its login page must answer before anything else.
    check_login_page(choice)
    return choice


def _engine(
    browser: Browser,
    profile_path: Path | None,
    request: DiagnosisRequest,
    progress: Progress,
    report_dir: Path,
    *,
    from_recipe: bool,
    trust_home: Path | None = None,
) -> BrowserEngine:
    """The engine of ``browser`` on the profile at ``profile_path`` (located, checked);
    ``trust_home``: a scenario's person whose trusted CAs the runs trust."""
    return person_engine(
        browser,
        profile_path,
        request.profile_name,
        from_recipe=from_recipe,
        note=progress.note,
        before_reading=lambda: prepare_report_dir(report_dir),
        trust_home=trust_home,
    )


def _other_engine(
    name: EngineName, request: DiagnosisRequest, chromium: Chromium | None
) -> BrowserEngine | None:
    """The other engine, when installed: it only ever starts brand-new profiles."""
    try:
        return fresh_engine(
            other_engine(name),
            chromium_path=request.chromium_path,
            firefox_path=request.firefox_path,
            chromium=chromium,
        )
    except ProbeError:
        return None


def _set_up_case(
    case: ScenarioCase,
    browser: Browser,
    stack: contextlib.ExitStack,
    progress: Progress,
    profiles: ProfileCache | None = None,
) -> tuple[EmbeddedPortal, Path, Path | None]:
    """Start the embedded portal in the case's state and build its profile; also the
    HOME of a person trusting the CA of the portal's certificate, when the recipe says so."""
    building = case.build_portal if case.build_portal is not None else case.portal
    trusted = None
    if case.recipe.trusts_portal_ca:
        trusted = person_trusting_a_ca(stack.enter_context(private_workdir()))
    tls = trusted.server if trusted is not None else None
    portal = stack.enter_context(EmbeddedPortal(building, tls=tls))
    profile_dir = _build_case_profile(
        case,
        browser,
        stack,
        progress,
        portal.url,
        profiles,
        portal_state=building.model_dump_json(),
    )
    if case.build_portal is not None:
        portal.set_config(case.portal)
    return portal, profile_dir, trusted.home if trusted is not None else None


def _build_case_profile(
    case: ScenarioCase,
    browser: Browser,
    stack: contextlib.ExitStack,
    progress: Progress,
    portal_url: str,
    profiles: ProfileCache | None = None,
    *,
    portal_state: str = "",
) -> Path:
    """The case's profile, built in a private folder removed with ``stack``, or the one
    ``profiles`` holds for the same recipe (the diagnosis only reads it); a recipe's
    ``{portal}`` is the origin of ``portal_url``. ``portal_state``: the embedded portal's
    state while it is built (a described portal's is not known: its URL stands for it)."""
    if case.scenario:
        progress.note(Detail(key="progress.building.scenario", params={"name": case.scenario}))
    else:
        progress.note(Detail(key="progress.building.set-up"))
    origin = origin_of(portal_url)
    if browser.engine == "chromium" and profiles is not None:
        return profiles.profile(
            case.recipe, chromium=browser, portal_url=origin, portal_state=portal_state
        )
    work = stack.enter_context(private_workdir())
    if browser.engine == "firefox":
        return build_firefox_profile(
            case.recipe, work / "profile", firefox=browser, portal_url=origin
        )
    return build_profile(case.recipe, work / "profile", chromium=browser, portal_url=origin)


def run_diagnosis(
    request: DiagnosisRequest,
    progress: Progress | None = None,
    *,
    chromium: Chromium | None = None,
    case: ScenarioCase | None = None,
    driver: SharedDriver | None = None,
    profiles: ProfileCache | None = None,
) -> tuple[Report, Path]:
    """Resolve ``request``, diagnose, write the report; returns the report and its folder.

    ``driver``: a Playwright driver and browser budget shared with other diagnoses;
    ``profiles``: profiles built from recipes, shared with them too.
    Example: ``report, folder = run_diagnosis(DiagnosisRequest(report_dir=Path("out")))``
    diagnoses your default profile on the embedded portal with its demo account.
    """
    with resolve(request, progress, chromium=chromium, case=case, profiles=profiles) as setup:
        report = diagnose(setup, progress, driver=driver)
        write_report(report, setup.report_dir, lang=request.lang)
        return report, setup.report_dir
