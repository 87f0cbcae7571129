"""A portal description: everything probe knows about one login portal, as a person sees it.

A description is a TOML file validated into these models (``extra="forbid"``): the login
URL, the hosts that belong to the portal, the journey as an ordered list of declared steps
(a pydantic discriminated union on ``kind``), where messages appear and what they mean,
the browser language, and the remedy texts that are specific to this portal. The mock
portal's description ships inside the package (``probe/description/portals/ameli-mock.toml``).

Loading errors are one line naming the file, the line and the field (``load_description``).
``probe schema portal`` prints ``json_schema()``.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from probe.description.selectors import check_selector
from probe.errors import BadInput
from probe.models import Lang, Symptom

MOCK_DESCRIPTION = "ameli-mock.toml"
# How reports and messages name the mock's description (it ships inside probe).
MOCK_SOURCE = f"probe/description/portals/{MOCK_DESCRIPTION}"


def _selector(value: str) -> str:
    problem = check_selector(value)
    if problem:
        raise ValueError(f"not a CSS selector: {problem}")
    return value


def _template_selector(value: str) -> str:
    # "#partner-{partner}": the partner's name is put in at run time.
    _selector(value.replace("{partner}", "x"))
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host name")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{value!r}: the port is not a number") from exc
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc
    return value


Selector = Annotated[str, AfterValidator(_selector)]
SelectorTemplate = Annotated[str, AfterValidator(_template_selector)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Pattern = Annotated[str, AfterValidator(_regex)]
Millis = Annotated[int, Field(ge=0, le=600_000)]


class DescriptionModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Host(DescriptionModel):
    """A host name whose cookies and site data belong to the portal."""

    name: str = Field(pattern=r"^[A-Za-z0-9.-]+$")
    port: int | None = Field(default=None, ge=1, le=65535)  # None: the login URL's port
    role: Literal["portal", "captcha", "identity", "other"] = "portal"


class Mark(DescriptionModel):
    """How a state shows in the page: an element, optionally with an attribute value or text."""

    selector: Selector
    attribute: str | None = None
    values: list[str] = Field(default_factory=list)  # the attribute has one of these values
    text: Pattern | None = None  # a regular expression on its folded visible text

    def css(self) -> str:
        """The mark as one CSS selector list (the text condition is not expressible in CSS)."""
        if self.attribute is None:
            return self.selector
        if not self.values:
            return f"{self.selector}[{self.attribute}]"
        return ", ".join(f'{self.selector}[{self.attribute}="{v}"]' for v in self.values)


class OpenStep(DescriptionModel):
    """Opening the login page: the form to find, and the warning shown without JavaScript."""

    kind: Literal["open"]
    form: Selector
    noscript: Selector | None = None


class CaptchaStep(DescriptionModel):
    """A CAPTCHA widget, in an iframe (``frame_url``) or in the page itself."""

    kind: Literal["captcha"]
    where: Literal["iframe", "page"]
    container: Selector  # on the page; absent from the page: no CAPTCHA this time
    frame_url: str | None = None  # with where = "iframe": a piece of the iframe's URL
    click: Selector  # what a person clicks (in the iframe or in the page)
    verify: Selector | None = None  # a second button some widgets show after the click
    rendered: Mark  # the widget is there and usable
    token: Selector  # a field on the page whose value is the token once solved
    solved: Mark | None = None
    failed: Mark | None = None
    status: Selector | None = None  # where the widget writes what it is doing
    blocked_hosts: list[str] = Field(default_factory=list)  # blocked requests there: "blocked"
    appear_timeout_ms: Millis | None = None  # None: probe's default (5 s)
    token_timeout_ms: Millis | None = None  # None: probe's default (5 s)

    @model_validator(mode="after")
    def _frame_url_with_iframe(self) -> CaptchaStep:
        if self.where == "iframe" and not self.frame_url:
            raise ValueError("where = 'iframe' needs frame_url (a piece of the iframe's URL)")
        if self.where == "page" and self.frame_url:
            raise ValueError("frame_url is only for where = 'iframe'")
        return self


class CredentialsStep(DescriptionModel):
    """Typing the identifier and password and submitting them."""

    kind: Literal["credentials"]
    identifier: Selector
    password: Selector
    submit: Selector
    answer: Literal["navigation", "in-page"] = "navigation"  # in-page: fetch/XHR, no new page
    submit_timeout_ms: Millis | None = None  # None: probe's default (6 s)
    # Nothing at all sent this long after the press: the form is broken (no need to wait
    # for submit_timeout_ms). None: probe's default (2 s); 0: always wait the whole time
    # (a portal that logs in over an already open WebSocket sends no request).
    sent_within_ms: Millis | None = None


class OutboxSource(DescriptionModel):
    """The mock portal's outbox: a JSON list of the messages sent."""

    kind: Literal["outbox"]
    url: str  # absolute, or a path on the login URL's origin


class MailpitSource(DescriptionModel):
    """A Mailpit server's HTTP API: the latest message to the account."""

    kind: Literal["mailpit"]
    url: HttpUrl  # Mailpit's base URL, e.g. http://localhost:8025
    to: str | None = None  # the address the codes go to (default: the identifier)
    pattern: Pattern = r"\b(\d{6})\b"


class TotpSource(DescriptionModel):
    """An RFC 6238 one-time password computed from a secret held in an environment variable."""

    kind: Literal["totp"]
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class PromptSource(DescriptionModel):
    """The person types the code they received."""

    kind: Literal["prompt"]


CodeSource = Annotated[
    OutboxSource | MailpitSource | TotpSource | PromptSource, Field(discriminator="kind")
]


class SecondFactorStep(DescriptionModel):
    """A security code asked for after the password."""

    kind: Literal["second-factor"]
    where: Literal["next-page", "same-form"] = "next-page"
    form: Selector  # its presence means a code is asked for
    code: Selector
    submit: Selector
    source: CodeSource | None = None  # None: from the command line, else none
    arrival_timeout_ms: Millis | None = None  # None: probe's default (4 s)


class LoggedInStep(DescriptionModel):
    """What only a logged-in person sees."""

    kind: Literal["logged-in"]
    marker: Selector
    timeout_ms: Millis | None = None  # None: probe's default (3 s)


class DownloadCheckStep(DescriptionModel):
    """A check after login: download a document and check what it is."""

    kind: Literal["download-check"]
    name: str = Field(min_length=1)  # what the document is called, e.g. "attestation"
    link: Selector
    starts_with: str = "%PDF-"  # the file's first bytes


class FederationStep(DescriptionModel):
    """A login through an identity federation (FranceConnect-like): button, partner, form."""

    kind: Literal["federation"]
    button: Selector
    partner_button: SelectorTemplate  # "{partner}" is replaced by the partner's name
    default_partner: str
    partner_identifier: Selector
    partner_password: Selector
    partner_submit: Selector


JourneyStep = Annotated[
    OpenStep
    | CaptchaStep
    | CredentialsStep
    | SecondFactorStep
    | LoggedInStep
    | DownloadCheckStep
    | FederationStep,
    Field(discriminator="kind"),
]

STEP_ORDER = (
    "open",
    "federation",
    "captcha",
    "credentials",
    "second-factor",
    "logged-in",
    "download-check",
)
REQUIRED_STEPS = ("credentials", "logged-in")


class MessageRule(DescriptionModel):
    """A message the portal shows, and what it means. The first matching rule wins."""

    lang: str = Field(pattern=r"^[a-z]{2}$")
    pattern: Pattern  # a regular expression on the folded text (lower case, no accents)
    meaning: Symptom


class StatusRule(DescriptionModel):
    """An HTTP status of a page, and what it means when no message says more."""

    status: int = Field(ge=100, le=599)
    meaning: Symptom


class Messages(DescriptionModel):
    """Where the portal shows its answers, and how to read them."""

    page: Selector  # the page-level banner
    fields: list[Selector] = Field(default_factory=list)  # errors attached to one field
    rules: list[MessageRule] = Field(default_factory=list)
    status: list[StatusRule] = Field(default_factory=list)


class RemedyText(DescriptionModel):
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)


def _english() -> list[Lang]:
    return ["en"]


class PortalDescription(DescriptionModel):
    """One login portal, as a person sees it in a browser."""

    name: str = Field(min_length=1)
    login_url: HttpUrl  # used as given: path and query kept
    browser_language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    languages: list[Lang] = Field(default_factory=_english)  # the languages it speaks
    hosts: list[Host] = Field(default_factory=list)
    masked: list[Selector] = Field(default_factory=list)  # fields hidden in screenshots
    steps: list[JourneyStep]
    messages: Messages
    remedies: dict[str, RemedyText] = Field(default_factory=dict)  # by remedy id

    @field_validator("steps")
    @classmethod
    def _journey_is_complete(cls, steps: list[JourneyStep]) -> list[JourneyStep]:
        kinds = [step.kind for step in steps]
        for kind in REQUIRED_STEPS:
            if kind not in kinds:
                raise ValueError(f"the journey needs a '{kind}' step ([[steps]] kind = \"{kind}\")")
        repeated = sorted({k for k in kinds if kinds.count(k) > 1})
        if repeated:
            raise ValueError(f"each step kind appears once; repeated: {', '.join(repeated)}")
        positions = [STEP_ORDER.index(k) for k in kinds]
        if positions != sorted(positions):
            raise ValueError("steps are out of order; the order is " + " > ".join(STEP_ORDER))
        return steps

    def step(self, kind: str) -> Any:
        """The declared step of this kind, or None."""
        return next((s for s in self.steps if s.kind == kind), None)

    @property
    def open(self) -> OpenStep | None:
        step: OpenStep | None = self.step("open")
        return step

    @property
    def captcha(self) -> CaptchaStep | None:
        step: CaptchaStep | None = self.step("captcha")
        return step

    @property
    def credentials(self) -> CredentialsStep:
        step: CredentialsStep = self.step("credentials")
        return step

    @property
    def second_factor(self) -> SecondFactorStep | None:
        step: SecondFactorStep | None = self.step("second-factor")
        return step

    @property
    def logged_in(self) -> LoggedInStep:
        step: LoggedInStep = self.step("logged-in")
        return step

    @property
    def download_check(self) -> DownloadCheckStep | None:
        step: DownloadCheckStep | None = self.step("download-check")
        return step

    @property
    def federation(self) -> FederationStep | None:
        step: FederationStep | None = self.step("federation")
        return step

    def site_hosts(self) -> tuple[str, ...]:
        """The host names of the portal, the login URL's first."""
        first = urlsplit(self.login_url).hostname or ""
        rest = [h.name for h in self.hosts if h.name != first]
        return (first, *dict.fromkeys(rest))


def json_schema() -> dict[str, Any]:
    """The JSON Schema every portal description follows (``probe schema portal``)."""
    return PortalDescription.model_json_schema()


# -- loading ----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=")


def _key_parts(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Where each table and key of a TOML text starts: (path) -> line number (1-based).

    ``tomllib`` gives no positions, so this scans the lines: ``[a.b]`` and ``[[a]]``
    headers (arrays of tables counted) and ``key = ...`` lines. Keys inside inline tables
    and multi-line values are not indexed; an error there names the enclosing key's line.
    """
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header:
            resolved = _resolve(_key_parts(header.group(2)), counts)
            lines.setdefault(resolved, number)
            if header.group(1) == "[[":
                index = counts.get(resolved, 0)
                counts[resolved] = index + 1
                resolved = (*resolved, index)
                lines.setdefault(resolved, number)
            current = resolved
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*current, *_key_parts(key.group(1))), number)
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def _resolve(
    raw: tuple[str, ...], counts: dict[tuple[str | int, ...], int]
) -> tuple[str | int, ...]:
    """``[steps.source]`` after the third ``[[steps]]`` means ``steps[2].source``."""
    out: list[str | int] = []
    for position, part in enumerate(raw):
        out.append(part)
        if position < len(raw) - 1 and tuple(out) in counts:
            out.append(counts[tuple(out)] - 1)
    return tuple(out)


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The part of a pydantic error location that is a path in the data.

    Pydantic puts the tag of a discriminated union into the location
    (``steps.1.captcha.click``); it is dropped. A missing or unknown key ends the path.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                node = node[part]
                path.append(part)
                continue
            if node.get("kind") == part:
                continue
            path.append(part)
            break
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
            continue
        break
    return tuple(path)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int:
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def _explain(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing (required)"
    if kind == "union_tag_invalid":
        found = error.get("ctx", {}).get("tag", "?")
        expected = error.get("ctx", {}).get("expected_tags", "")
        return f"kind {found!r} is not one of {expected}"
    if kind == "union_tag_not_found":
        return "missing 'kind' (which step or source this is)"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def description_error(source: str, text: str, data: Any, exc: ValidationError) -> BadInput:
    """The first validation error as one line: file:line: field: what is wrong."""
    error = exc.errors()[0]
    path = _data_path(data, tuple(error["loc"]))
    line = _line_of(path, key_lines(text))
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return BadInput(f"{source}:{line}: {_dotted(path)}: {_explain(error)}{tail}")


def parse_description(text: str, source: str) -> PortalDescription:
    """Validate a description's TOML text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = found.group(1) if found else "1"
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BadInput(f"{source}:{where}: not valid TOML: {what}") from None
    try:
        return PortalDescription.model_validate(data)
    except ValidationError as exc:
        raise description_error(source, text, data, exc) from None


def load_description(path: Path) -> PortalDescription:
    """Read and validate a portal description file; errors are one line naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such portal description file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read it ({exc})") from None
    return parse_description(text, str(path))


def mock_description() -> PortalDescription:
    """The embedded mock portal's description, shipped inside the package."""
    text = (
        resources.files("probe.description")
        .joinpath("portals", MOCK_DESCRIPTION)
        .read_text(encoding="utf-8")
    )
    return parse_description(text, MOCK_SOURCE)
