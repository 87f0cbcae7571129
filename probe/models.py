"""What a diagnosis observes and concludes: the typed core shared by the engine and the reports.

Everything here is data. ``report.json`` is ``Report.model_dump_json()``; its JSON Schema
(``probe schema``) is generated from these models, so the two cannot drift apart.
Nothing secret is ever stored in these models: no cookie value, password, one-time
code, CAPTCHA token or authorization code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# 2: sentences became data (``Detail``: a catalog key and its values) beside the English
# and French texts, which stay as derived fields. Version 1 reports still load.
SCHEMA_VERSION: Literal[2] = 2

Outcome = Literal["pass", "fail", "skipped"]
Status = Literal["ok", "blocked", "inconclusive"]
Lang = Literal["fr", "en"]

# The steps of the login journey, in order.
StepName = Literal[
    "open-login",
    "captcha",
    "credentials",
    "second-factor",
    "account-home",
    "download-check",
]
STEP_NAMES: tuple[StepName, ...] = (
    "open-login",
    "captcha",
    "credentials",
    "second-factor",
    "account-home",
    "download-check",
)

# What blocks access: the verdict vocabulary.
Factor = Literal[
    "none",
    "extension",
    "cookies",
    "site-data",
    "browser-setting",
    "credentials",
    "maintenance",
    "account-locked",
    "rate-limited",
    "invalid-credentials",
    "stale-provisional-code",
    "security-code-undelivered",
    "security-code-expired",
    "rights-not-open",
    "identity-provider",
    "captcha-provider",
    "certificate",  # the person's browser refuses the portal's certificate
    "automation-refused",
    "login-refused",  # the portal refused the login in words no rule explains
    "login-question",  # the login form now asks a question or a CAPTCHA
    "session-lost",  # the portal lost the login session (a session or CSRF check failed)
    "unknown",
]

# Factors that a change of browser environment can remove.
BROWSER_FACTORS: frozenset[str] = frozenset(
    {"extension", "cookies", "site-data", "browser-setting", "credentials"}
)

CulpritKind = Literal["extension", "cookie", "setting", "site-data", "credential"]

# How a single run stopped, as the browser saw it. Derived only from pages, HTTP
# statuses, messages, failed requests and console errors.
Symptom = Literal[
    "none",
    "portal-unreachable",
    "certificate-refused",  # net::ERR_CERT_*, SEC_ERROR_*: the browser refuses the certificate
    "maintenance",  # 503 / "Service momentanément indisponible"
    "rate-limited",  # 429
    "headers-too-large",  # 431: the browser sends too many or too big cookies
    "page-error",  # another HTTP error, or a page the journey does not recognise
    "login-form-missing",
    "javascript-disabled",
    "captcha-blocked",  # the widget's requests were blocked inside the browser
    "captcha-missing",  # the widget never appeared
    "captcha-never-completes",  # it appeared but never yielded a token
    "captcha-rejected",  # the portal refused the token or the vendor failed it
    "automation-refused",  # "you look automated": the portal's bot detection refused
    "form-broken",  # the form could not be filled or submitted
    "cookies-refused",  # the portal says the browser refuses its cookies
    "invalid-credentials",
    "login-refused",  # the form came back with new words, or HTTP 401/403: refused
    "login-question",  # the form gained an input or a frame: a question, a CAPTCHA
    "session-lost",  # a session or CSRF check failed: the login session was lost
    "account-locked",
    "rights-not-open",
    "stale-provisional-code",
    "security-code-undelivered",
    "security-code-expired",
    "security-code-rejected",
    "stale-form",  # the portal refused a form from an outdated page
    "identity-provider-error",
    "download-failed",
    "timeout",
    "browser-crashed",
]


# What a limitation of the replay is about (see ``Limitation``).
LimitationKind = Literal[
    "extension-skipped",  # an installed extension probe could not read or copy safely
    "extension-unsupported",  # enabled in the profile, refused by this Chromium (MV2)
    "extension-scripts",  # content scripts it registered, which Chromium forgets on load
    "extension-rulesets",  # filter lists turned on or off, which Chromium resets on load
    "cookies-unreadable",  # the Cookies database, or rows of it, could not be read
    "cookies-undecryptable",  # values encrypted with a key this browser does not have
    "files-not-copied",  # files left out of the copy (links, special files, size limits)
    "copy-changing",  # files that kept changing while they were copied
    "profile-note",  # anything else read and ignored (Local State, Last Version...)
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Culprit(StrictModel):
    kind: CulpritKind
    id: str
    name: str


class Term(StrictModel):
    """A word of probe's vocabulary inside a sentence: shown in the reader's language.

    ``table`` is a namespace of the catalogs (``symptom``, ``key-holder``...): the word is
    the message ``<table>.<id>``.
    """

    table: str
    id: str


class Detail(StrictModel):
    """Something probe says, as data: a catalog key and the values it is told with.

    The core records these; the report renders them through the gettext catalogs
    (``probe/report/locale``) in the reader's language, as the message ``key``, its
    ``{placeholders}`` filled in from ``params``. A value may be a ``Term``, culprits
    (named as a person calls them), another ``Detail`` or a list of them (joined with
    commas).
    """

    key: str  # e.g. "detail.captcha-blocked", "summary.extension", "remedy.clear-cookies"
    params: dict[str, ParamValue] = Field(default_factory=dict)


ParamValue = str | int | float | Term | Detail | list[Culprit] | list[Detail]
Detail.model_rebuild()


# How each engine says that something inside the browser (an extension) blocked a
# request: Chromium's net::ERR_BLOCKED_BY_CLIENT, Firefox's NS_ERROR_ABORT (measured with
# Firefox ESR 153 and an add-on's blocking rule; Firefox also aborts a page's pending
# requests that way when it navigates away, which the journey's stages do not do while
# they look at what was blocked).
BLOCKED_BY_CLIENT_ERRORS = ("ERR_BLOCKED_BY_CLIENT", "NS_ERROR_ABORT")


def blocked_by_client(error: str) -> bool:
    """True when ``error`` (a browser's error text) says the browser itself blocked it."""
    return any(code in error for code in BLOCKED_BY_CLIENT_ERRORS)


class FailedRequest(StrictModel):
    """A request that did not complete, with the browser's error text."""

    url: str
    resource_type: str
    error: str  # e.g. "net::ERR_BLOCKED_BY_CLIENT" (Chromium), "NS_ERROR_ABORT" (Firefox)

    @property
    def blocked_by_client(self) -> bool:
        return blocked_by_client(self.error)


class CookieGroup(StrictModel):
    """The cookies the browser holds for one host: how many and their size (never values)."""

    host: str
    count: int = 0
    total_bytes: int = 0


class CookieStats(StrictModel):
    """How many cookies the browser holds for the portal's hosts, and their size (never values)."""

    count: int = 0
    total_bytes: int = 0
    hosts: list[CookieGroup] = Field(default_factory=list)  # per host, largest first


class Step(StrictModel):
    name: StepName
    outcome: Outcome
    url: str | None = None  # query strings are dropped: they may carry codes
    http_status: int | None = None
    message: str | None = None  # the message the portal showed, as shown
    note: Detail | None = None  # what probe noticed, as data
    detail: str | None = None  # the same in English (derived, for report.json's readers)
    duration_ms: int = 0
    screenshot: str | None = None  # path relative to the report folder
    console_errors: list[str] = Field(default_factory=list)
    failed_requests: list[FailedRequest] = Field(default_factory=list)
    # How many more the page produced than the lists above keep (a page can make thousands).
    console_errors_dropped: int = 0
    failed_requests_dropped: int = 0
    cookies: CookieStats = Field(default_factory=CookieStats)


class Component(StrictModel):
    """One piece of the person's browser environment that a variant may keep or drop."""

    kind: CulpritKind
    id: str  # extension id, cookie "name@domain", setting id, "site-data", "identifier"/"password"
    name: str  # what a person would call it


def cookie_component(name: str, host: str) -> Component:
    """A cookie as a component: its id is ``name@host``, the host without a leading dot and
    in lower case (browsers compare host names without case), the one form everywhere."""
    return Component(kind="cookie", id=f"{name}@{host.lstrip('.').lower()}", name=name)


def cookie_name_host(cookie_id: str) -> tuple[str, str]:
    """The name and host of a cookie component's id (``cookie_component``'s inverse)."""
    name, _, host = cookie_id.rpartition("@")
    return name, host


class Evidence(StrictModel):
    """What one extension was seen doing in a run, asked of the browser itself.

    ``blocks-request``: a request failed with ``net::ERR_BLOCKED_BY_CLIENT`` and the
    extension's own network rules match it (``declarativeNetRequest.testMatchOutcome``).
    ``injects-script``: the extension ran a content script in one of the portal's frames
    (an isolated world of its origin, seen through the DevTools protocol).
    ``injects-css``: Chromium injected a style sheet into a portal page for which the
    extension's content scripts declare CSS.
    In Firefox, which answers none of these questions, each is read from the add-ons'
    manifests (``probe.browsers.firefox.evidence``): a suspicion the diagnosis confirms.
    """

    kind: Literal["blocks-request", "injects-script", "injects-css"]
    component: str  # the extension's component id
    name: str  # the extension's name
    url: str  # the blocked request, or the frame's page, without its query string


class VariantRun(StrictModel):
    """One real run of the whole journey in one browser environment."""

    name: str  # "current", "private", "no-extensions", ..., or "drill-3"
    description: str = ""
    outcome: Outcome
    symptom: Symptom = "none"
    failed_step: StepName | None = None
    message: str | None = None  # the portal's message at the failing step, if any
    skipped_because: Detail | None = None
    skipped_reason: str | None = None  # the same in English (derived)
    # A run skipped at the credentials because the portal already answered them (e.g.
    # rejected them in another run): the answer on record, which this run would have got.
    answer_on_record: Symptom | None = None
    evidence: list[Evidence] = Field(default_factory=list)  # only ``current`` collects it
    trace: str | None = None  # Playwright trace, relative to the report folder
    kept: list[str] = Field(default_factory=list)  # ids of the components this run kept
    steps: list[Step] = Field(default_factory=list)
    duration_ms: int = 0
    started_ms: int = 0  # offset from the start of the diagnosis, for timing bars


class Remedy(StrictModel):
    """A step to take. ``says`` is probe's sentence as data; a portal's own text has none.

    ``en`` and ``fr`` are the rendered texts, kept for readers of ``report.json``.
    """

    id: str
    says: Detail | None = None
    en: str
    fr: str


class DrillNode(StrictModel):
    """One run tried while narrowing down to the culprits (delta debugging)."""

    run: str  # VariantRun.name
    kept: list[str]  # component ids kept in that run
    outcome: Outcome
    parent: str | None = None


class Blocker(StrictModel):
    """One problem on the way to the account, in the order a person meets them."""

    factor: Factor
    culprits: list[Culprit] = Field(default_factory=list)
    step: StepName | None = None  # where login stops because of it
    symptom: Symptom = "none"
    evidence: list[Evidence] = Field(default_factory=list)
    cookies: CookieGroup | None = None  # an amount: the cookies of one host, as sent
    summary: list[Detail] = Field(default_factory=list)  # its sentences, as data
    summary_en: str  # derived from ``summary``
    summary_fr: str
    remedies: list[Remedy] = Field(default_factory=list)
    if_that_fails: list[Remedy] = Field(default_factory=list)


class Verdict(StrictModel):
    status: Status
    factor: Factor  # the first blocker's
    culprits: list[Culprit] = Field(default_factory=list)  # every blocker's, in order
    blockers: list[Blocker] = Field(default_factory=list)
    summary: list[Detail] = Field(default_factory=list)  # its sentences, as data
    summary_en: str  # derived from ``summary``
    summary_fr: str
    remedies: list[Remedy] = Field(default_factory=list)
    if_that_fails: list[Remedy] = Field(default_factory=list)


CredentialIssue = Literal["leading-space", "trailing-space", "caps-lock", "look-alike"]


class CredentialFinding(StrictModel):
    """A hygiene problem of the typed credentials, found without a browser."""

    field: Literal["identifier", "password"]
    issue: CredentialIssue
    says: Detail | None = None  # what is odd, as data
    detail: str  # the same in English (derived); never contains the password itself


class PortalInfo(StrictModel):
    url: str
    embedded: bool = False
    scenario: str | None = None


class BrowserInfo(StrictModel):
    product: str  # "Chromium", "Google Chrome for Testing", "Google Chrome", "Firefox"...
    version: str
    executable: str
    headless: bool = True
    # How it was chosen: the person's own browser ("own"), Chromium standing in for the
    # person's browser, not installed here ("stand-in": ``person_product`` says which),
    # named by an option ("named"), or the first found ("found"). None: not said (older
    # reports, Firefox).
    role: Literal["own", "stand-in", "named", "found"] | None = None
    person_product: str | None = None  # the browser that wrote the profile, when known
    # How the person's extensions were loaded: ``--load-extension`` ("command-line") or
    # DevTools' Extensions.loadUnpacked ("devtools"), for builds that ignore the flag.
    extension_loading: Literal["command-line", "devtools"] | None = None


class ProfileInfo(StrictModel):
    source: str | None  # the folder read, or None for a fresh profile
    kind: Literal[
        "given",
        "default-chromium",
        "default-chrome",
        "default-edge",
        "default-brave",
        "default-firefox",
        "fresh",
        "recipe",
    ]
    components: list[Component] = Field(default_factory=list)


class Limitation(StrictModel):
    """Something of the person's browser that no run could replay, or that was ignored.

    The runs behave as if it were not there, so a problem it causes would not show.
    """

    kind: LimitationKind
    says: Detail | None = None  # the sentence as data; en and fr are derived from it
    en: str
    fr: str


class OtherBrowser(StrictModel):
    """What a brand-new profile of the other browser engine said ("try another browser").

    Run only when the person's browser and a brand-new profile of it both failed.
    ``helps``: it logs in; ``same``: it fails the same way; ``fails``: it fails too,
    at another point or in another way.
    """

    engine: Literal["chromium", "firefox"]
    browser: str  # as people call it, with its version: "Firefox ESR 153.8.0"
    outcome: Literal["helps", "same", "fails"]
    run: str  # the variant's name in ``variants``
    summary_en: str
    summary_fr: str


class Report(StrictModel):
    schema_version: Literal[1, 2] = SCHEMA_VERSION
    probe_version: str
    created_at: datetime
    lang: Lang = "en"
    portal: PortalInfo
    browser: BrowserInfo
    profile: ProfileInfo
    credentials: list[CredentialFinding] = Field(default_factory=list)
    limitations: list[Limitation] = Field(default_factory=list)
    verdict: Verdict
    variants: list[VariantRun]
    drilldown: list[DrillNode] = Field(default_factory=list)
    other_browser: OtherBrowser | None = None  # "try another browser", when it was tried
    browser_runs: int  # journeys run (one per variant or narrowing-down run)
    # Browsers started for them: fewer when runs reused a running browser. None in
    # reports written before probe counted them apart.
    browsers_started: int | None = None
    # Logins that may have reached the portal (a login stopped in the browser is none);
    # None: an older report that did not count them.
    login_submissions: int | None = None
    duration_ms: int
