"""From a portal description to what the journey drives: a ``Target`` and its ``PageMap``.

The journey reads selectors and message rules from a ``PageMap``; a description says the
same things the way a person declares them (steps, marks, hosts). This module is the one
place that turns the one into the other. A step the description leaves out becomes an
empty selector, which the journey reads as "this portal has no such step".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

from probe.description.model import PortalDescription
from probe.description.pagemap import MessageRule, PageMap
from probe.models import Detail


@dataclass(frozen=True)
class FoundCode:
    code: str | None
    in_spam: bool = False
    note: Detail | None = None  # why no code could be read, when the outbox was odd


class CodeSource(Protocol):
    """One place security codes can be read from (``probe.journey.codes`` has them)."""

    kind: str

    async def code(self, *, since: float, timeout: float) -> FoundCode: ...


@dataclass(frozen=True)
class Target:
    """The portal a diagnosis is about: where it is and how its pages look."""

    url: str  # base URL, e.g. "http://portal.localhost:8000/"
    sites: tuple[str, ...]  # host names whose cookies and site data belong to the portal
    pagemap: PageMap  # how its pages look (from its description)
    outbox_url: str | None = None  # a mock outbox to read security codes from
    code_source: CodeSource | None = None  # where security codes come from (else the outbox)
    locale: str | None = None  # the browser's language; None: the person's own

    @property
    def login_url(self) -> str:
        return self.url.rstrip("/") + "/" + self.pagemap.login_path

    def site_urls(self) -> list[str]:
        scheme, _, rest = self.url.partition("://")
        port = rest.split("/", 1)[0].partition(":")[2]
        suffix = f":{port}" if port else ""
        return [f"{scheme}://{host}{suffix}/" for host in self.sites]


@dataclass(frozen=True)
class Timeouts:
    """How long each wait may last, in milliseconds."""

    navigation: int = 10_000
    captcha_appear: int = 5_000
    captcha_token: int = 5_000
    submit: int = 6_000
    sent_within: int = 2_000  # no request at all after pressing a button: it sent nothing
    code_arrival: int = 4_000
    download: int = 15_000  # the document a check after login downloads, once it started
    step: int = 60_000  # any one step of the journey, whatever it waits for


def pagemap_of(description: PortalDescription) -> PageMap:
    """The selectors and message rules of a description, as the journey reads them."""
    opening = description.open
    captcha = description.captcha
    credentials = description.credentials
    code = description.second_factor
    download = description.download_check
    federation = description.federation
    failed = captcha.failed if captcha else None
    login_path = _login_path(description.login_url)
    return PageMap(
        login_path=login_path,
        # Without a declared form, the password field's presence says the form is there.
        login_form=opening.form if opening else credentials.password,
        identifier=credentials.identifier,
        password=credentials.password,
        submit=credentials.submit,
        message=description.messages.page,
        noscript=(opening.noscript or "") if opening else "",
        captcha_container=captcha.container if captcha else "",
        captcha_token=captcha.token if captcha else "",
        captcha_frame_url=(captcha.frame_url or "") if captcha else "",
        captcha_checkbox=captcha.click if captcha else "",
        captcha_verify=(captcha.verify or "") if captcha else "",
        captcha_status=(captcha.status or "") if captcha else "",
        code_form=code.form if code else "",
        code_input=code.code if code else "",
        code_submit=code.submit if code else "",
        home_marker=description.logged_in.marker,
        download_link=download.link if download else "",
        federation_button=federation.button if federation else "",
        partner_button=federation.partner_button if federation else "",
        partner_identifier=federation.partner_identifier if federation else "",
        partner_password=federation.partner_password if federation else "",
        partner_submit=federation.partner_submit if federation else "",
        masked_fields=tuple(description.masked),
        message_rules=tuple(MessageRule(r.pattern, r.meaning) for r in description.messages.rules),
        status_rules=tuple((r.status, r.meaning) for r in description.messages.status),
        field_messages=tuple(description.messages.fields),
        captcha_rendered=captcha.rendered.css() if captcha else "",
        captcha_solved=captcha.solved.css() if captcha and captcha.solved else "",
        captcha_failed=failed.css() if failed else "",
        captcha_failed_text=(failed.text or "") if failed else "",
        captcha_blocked_hosts=tuple(captcha.blocked_hosts) if captcha else (),
        answer_in_page=credentials.answer == "in-page",
        code_on_same_form=code is not None and code.where == "same-form",
        default_partner=federation.default_partner if federation else "",
        download_name=download.name if download else "",
        download_starts_with=download.starts_with if download else "",
    )


def _login_path(login_url: str) -> str:
    """What follows the origin, path and query kept: ``Target`` puts it after ``url``."""
    parts = urlsplit(login_url)
    path = parts.path.lstrip("/")
    return path + (f"?{parts.query}" if parts.query else "")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def relocated(description: PortalDescription, origin: str) -> PortalDescription:
    """The same portal served elsewhere (the mock started on a free port; ``--portal-url``).

    ``origin`` is a URL: its scheme and host:port replace the login URL's; when it has
    a path, the whole URL replaces the login URL.
    """
    given = urlsplit(origin)
    login = urlsplit(description.login_url)
    if given.path not in ("", "/") or given.query:
        url = origin
    else:
        url = urlunsplit((given.scheme, given.netloc, login.path, login.query, ""))
    return description.model_copy(update={"login_url": url})


def timeouts_of(description: PortalDescription, base: Timeouts | None = None) -> Timeouts:
    """The waits a description declares, over ``base`` for the ones it leaves out."""
    timeouts = base or Timeouts()
    captcha = description.captcha
    code = description.second_factor
    declared = {
        "captcha_appear": captcha.appear_timeout_ms if captcha else None,
        "captcha_token": captcha.token_timeout_ms if captcha else None,
        "submit": description.credentials.submit_timeout_ms,
        "sent_within": description.credentials.sent_within_ms,
        "code_arrival": code.arrival_timeout_ms if code else None,
    }
    return dataclasses.replace(timeouts, **{k: v for k, v in declared.items() if v is not None})


def outbox_url_of(description: PortalDescription) -> str | None:
    """The mock outbox the description reads codes from, as an absolute URL."""
    code = description.second_factor
    if code is None or code.source is None or code.source.kind != "outbox":
        return None
    return urljoin(description.login_url, code.source.url)


def target_of(
    description: PortalDescription,
    *,
    extra_sites: tuple[str, ...] = (),
    outbox_url: str | None = None,
    code_source: CodeSource | None = None,
) -> Target:
    """The portal a diagnosis is about, from its description.

    ``outbox_url`` (``--outbox``) wins over the description's code source; another
    source (Mailpit, TOTP, a prompt) is made ready by the caller and handed in as
    ``code_source``.
    """
    sites = tuple(dict.fromkeys((*description.site_hosts(), *extra_sites)))
    return Target(
        url=origin_of(description.login_url),
        sites=sites,
        outbox_url=outbox_url or outbox_url_of(description),
        pagemap=pagemap_of(description),
        code_source=None if outbox_url else code_source,
        locale=description.browser_language,
    )
