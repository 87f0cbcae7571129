"""From a portal description to what the journey drives: a ``Target`` and its ``PageMap``.

The journey reads selectors and message rules from a ``PageMap``; a description says the
same things the way a person declares them (steps, marks, hosts). This module is the one
place that turns the one into the other. A step the description leaves out becomes an
empty selector, which the journey reads as "this portal has no such step".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

from probe.observation import Target, Timeouts
from probe.pagemap import MessageRule, PageMap
from probe.portal_description import PortalDescription


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
    identifier: str = "",
    ask_code: Callable[[str], str] | None = None,
) -> Target:
    """The portal a diagnosis is about, from its description.

    ``outbox_url`` (``--outbox``) wins over the description's code source; the others
    (Mailpit, TOTP, a prompt via ``ask_code``) are made ready here, so that a missing
    TOTP variable or a prompt without a terminal is one line before any browser starts.
    """
    from probe.code_sources import code_source

    sites = tuple(dict.fromkeys((*description.site_hosts(), *extra_sites)))
    second = description.second_factor
    source = None
    declared = second.source if second is not None else None
    if outbox_url is None and declared is not None and declared.kind != "outbox":
        source = code_source(
            declared, login_url=description.login_url, identifier=identifier, ask=ask_code
        )
    return Target(
        url=origin_of(description.login_url),
        sites=sites,
        outbox_url=outbox_url or outbox_url_of(description),
        pagemap=pagemap_of(description),
        code_source=source,
        locale=description.browser_language,
    )
