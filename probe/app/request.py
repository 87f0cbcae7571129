"""What the person asked for, and the one place where it is decided.

Every way in (``probe browser``, its ``--scenario``, ``probe ci``, the pytest plugin) turns
what it was given into a ``DiagnosisRequest`` (and, for a scenario or a set-up given piece
by piece, a ``ScenarioCase``) through this module: which credentials, which portal (a
``PortalChoice``, the one shape of a description and where it came from), what a scenario
excludes. Every refusal is one ``BadInput`` line. ``probe.app.setup.resolve`` then finds,
starts and checks what the request names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from probe.app.portal_choice import PortalChoice, choose_portal
from probe.app.recipes.chromium import ProfileRecipe
from probe.browsers.base import EngineName
from probe.browsers.chromium.installs import CHANNELS
from probe.description.target import Timeouts
from probe.diagnosis.session import RunSettings
from probe.errors import BadInput
from probe.journey.credentials import Credentials
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig
from probe.models import Lang


@dataclass(frozen=True)
class DiagnosisRequest:
    """What the person asked for: which profile, which portal, as whom, how to report.

    Nothing here is found or started yet; ``probe.app.setup.resolve`` turns it into a
    ``DiagnosisSetup``. Example: ``DiagnosisRequest(portal_url="https://portal.example/",
    credentials=Credentials("1850775123456", "..."), lang="fr")``.
    """

    profile: Path | None = None  # None: the person's default Chromium/Chrome profile
    # What probe knows about the portal. None: the mock portal's description, and
    # (without portal_url) the embedded mock itself.
    portal: PortalChoice | None = None
    # Where the portal runs, when not at its description's login_url (with a scenario:
    # where the portal its portal_description describes runs).
    portal_url: str | None = None
    outbox_url: str | None = None  # a Mailpit-like outbox for codes, with portal_url
    credentials: Credentials | None = None  # needed with a portal probe does not start
    report_dir: Path | None = None  # None: reports/<timestamp>/
    lang: Lang = "en"
    chromium_path: str | None = None  # None: Playwright's Chromium, then the system's
    # An installed branded browser by its Playwright channel ("chrome", "msedge"...,
    # "brave"); None: the browser that wrote the profile when installed, else Chromium.
    channel: str | None = None
    firefox_path: str | None = None  # None: Playwright's Firefox, then the system's
    # The engine: None, the one whose profile ``profile`` is, else Chromium.
    browser: EngineName | None = None
    profile_name: str | None = None  # a profile of a folder holding several (else last used)
    headed: bool = False
    jobs: int = 2
    reuse_browsers: bool = True  # see ``RunSettings``
    reuse_every_run: bool = False
    screenshots: bool = True
    trace: bool = False
    timeouts: Timeouts = field(default_factory=Timeouts)
    no_submit: bool = False  # every variant up to the CAPTCHA; credentials never typed
    other_browser: bool = True  # "try another browser", when both of the person's fail
    ask_code: Callable[[str], str] | None = None  # asks the person for a security code
    # Logins that may make the portal send a code probe cannot read itself (a prompt, or
    # no source): the runs past it stop before logging in (``probe.journey.account_guard``).
    max_codes: int = 1

    @property
    def settings(self) -> RunSettings:
        """How the core runs the browsers for this request."""
        return RunSettings(
            lang=self.lang,
            headed=self.headed,
            jobs=self.jobs,
            reuse_browsers=self.reuse_browsers,
            reuse_every_run=self.reuse_every_run,
            screenshots=self.screenshots,
            trace=self.trace,
            timeouts=self.timeouts,
            no_submit=self.no_submit,
            other_browser=self.other_browser,
        )


@dataclass(frozen=True)
class ScenarioCase:
    """A set-up given piece by piece (what a scenario file holds): a portal, a profile
    recipe, credentials.

    On the embedded portal (no ``described``): it starts in ``build_portal`` (default:
    ``portal``) while the profile is built from ``recipe``, then switches to ``portal``
    for the diagnosis. With ``described``: the portal is one the caller runs and set up
    (at the description's ``login_url``); nothing is started and ``portal`` is unused.
    """

    portal: PortalConfig
    recipe: ProfileRecipe
    credentials: Credentials
    build_portal: PortalConfig | None = None
    scenario: str | None = None  # the scenario's name, shown in the report
    described: PortalChoice | None = None  # a portal probe does not start
    engine: EngineName = "chromium"  # the browser the profile is built for and run in


# ---------------------------------------------------------------- decisions


def demo_credentials() -> Credentials:
    """The embedded portal's demo account, used when the person names none."""
    return Credentials(DEMO_IDENTIFIER, DEMO_PASSWORD)


def credentials_for(given: Credentials | None, *, own_portal: bool, no_submit: bool) -> Credentials:
    """The credentials a diagnosis types: those given; none typed with ``no_submit``; the
    demo account on the embedded portal. A portal probe does not start needs them."""
    if given is not None:
        return given
    if no_submit:
        return Credentials("", "")  # never typed
    if own_portal:
        raise BadInput(
            "--portal needs --user (and a password): probe knows no account there "
            "(or --no-submit, which types none)"
        )
    return demo_credentials()


def scenario_alone(
    *,
    profile_name: bool = False,
    others: bool = False,
    scenario: str = "--scenario",
    names: str = "--user/--portal/--profile",
) -> None:
    """A scenario brings its own portal, profile and credentials: refuse any given too.

    ``scenario`` and ``names``: how the way in calls the scenario and the others."""
    if profile_name:
        raise BadInput(f"{scenario} builds its own profile: drop --profile-name")
    if others:
        raise BadInput(
            f"{scenario} brings its own portal, profile and credentials: "
            f"drop {names}, or drop {scenario}"
        )


def lang_of(value: str | None) -> Lang:
    """``--lang``: fr or en; by default the one of the person's locale."""
    from probe.report import default_lang

    if value is None:
        return default_lang()
    if value in ("fr", "en"):
        return cast(Lang, value)
    raise BadInput(f"--lang {value}: use 'fr' or 'en'")


def engine_of(value: str) -> EngineName:
    """``--browser``: firefox or chromium."""
    if value in ("firefox", "chromium"):
        return cast(EngineName, value)
    raise BadInput(f"--browser {value}: use 'firefox' or 'chromium'")


# ---------------------------------------------------------------- probe browser


@dataclass(frozen=True)
class BrowserOptions:
    """``probe browser``'s options, as typed (see its ``--help``)."""

    profile: Path | None = None
    browser: str | None = None
    profile_name: str | None = None
    portal: str | None = None
    portal_url: str | None = None
    federation: str | None = None
    no_submit: bool = False
    scenario: str | None = None
    user: str | None = None
    password: str | None = None
    report_dir: Path | None = None
    lang: str | None = None
    chromium: str | None = None
    channel: str | None = None
    firefox: str | None = None
    headed: bool = False
    jobs: int = 2
    reuse: bool = True
    outbox: str | None = None
    max_codes: int = 1
    trace: bool = True
    other_browser: bool = True


@dataclass(frozen=True)
class Asking:
    """How to ask the person, when a terminal lets us (None: no one to ask), and how to
    tell them what they should know (a description drafted on the fly)."""

    password: Callable[[], str] | None = None
    code: Callable[[str], str] | None = None
    warn: Callable[[str], object] = lambda _text: None


def channel_of(options: BrowserOptions, engine: EngineName | None) -> str | None:
    """``--channel``, checked: a known channel, not with ``--chromium`` nor Firefox."""
    if options.channel is None:
        return None
    if options.channel not in CHANNELS:
        raise BadInput(
            f"--channel {options.channel}: not a browser channel (use one of: "
            f"{', '.join(CHANNELS)})"
        )
    if options.chromium is not None:
        raise BadInput("--channel and --chromium both name the browser to drive: keep one")
    if engine == "firefox":
        raise BadInput(
            f"--channel {options.channel} names a Chromium-family browser: drop --browser firefox"
        )
    return options.channel


def browser_request(options: BrowserOptions, asking: Asking) -> DiagnosisRequest:
    """What ``probe browser`` was asked, decided: ``BadInput`` before anything starts."""
    lang = lang_of(options.lang)
    engine = engine_of(options.browser) if options.browser is not None else None
    if options.scenario is not None:
        scenario_alone(
            profile_name=options.profile_name is not None,
            others=any(v is not None for v in (options.user, options.portal, options.profile)),
        )
    channel = channel_of(options, engine)
    credentials = _typed_credentials(options, asking)
    portal = None
    if options.scenario is None and (options.portal is not None or options.portal_url is not None):
        portal = choose_portal(options.portal, options.portal_url, chromium_path=options.chromium)
        if portal.note():
            asking.warn(str(portal.note()))
    return DiagnosisRequest(
        profile=options.profile.expanduser() if options.profile else None,
        portal=portal,
        # With --scenario: where the described portal it targets runs.
        portal_url=options.portal_url if options.scenario is not None else None,
        no_submit=options.no_submit,
        ask_code=asking.code,
        max_codes=options.max_codes,
        outbox_url=options.outbox,
        credentials=credentials,
        report_dir=options.report_dir,
        lang=lang,
        chromium_path=options.chromium,
        channel=channel,
        firefox_path=options.firefox,
        browser=engine,
        profile_name=options.profile_name,
        other_browser=options.other_browser,
        headed=options.headed,
        jobs=options.jobs,
        reuse_browsers=options.reuse,
        trace=options.trace,
    )


def _typed_credentials(options: BrowserOptions, asking: Asking) -> Credentials | None:
    """``--user``, its password (asked for when a terminal lets us) and ``--federation``."""
    if options.user is None:
        if options.federation is not None:
            raise BadInput("--federation needs --user (and a password): the partner's account")
        if options.portal is None and not options.no_submit:
            return None  # the embedded portal's demo account, or a scenario's
        # Refused for --portal (probe knows no account there), none typed with --no-submit.
        return credentials_for(None, own_portal=True, no_submit=options.no_submit)
    password = options.password
    if password is None:
        if asking.password is None:
            raise BadInput("--user given without a password: set PROBE_PASSWORD or pass --password")
        password = asking.password()
    if options.federation is None:
        return Credentials(options.user, password)
    partner = None if options.federation == "default" else options.federation
    return Credentials(options.user, password, method="franceconnect", partner=partner)
