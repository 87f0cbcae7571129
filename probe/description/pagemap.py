"""How the journey recognises the portal's pages and reads its answers.

This is everything the journey knows about a portal's markup: element selectors and the
messages the portal shows, matched the way a person reads them. It is built from the
portal's description file (``probe/description/model.py``, ``probe/description/target.py``);
it holds nothing of its own about any portal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from probe.models import Symptom


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Réessayez" matches "reessayez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_fold = fold


@dataclass(frozen=True)
class MessageRule:
    pattern: str  # a regular expression on the folded message text
    symptom: Symptom


# What an HTTP status means whatever the portal (RFC 9110, RFC 6585).
STATUS_SYMPTOMS: dict[int, Symptom] = {
    503: "maintenance",
    429: "rate-limited",
    431: "headers-too-large",
}


@dataclass(frozen=True)
class PageMap:
    """Selectors and messages of one portal's login journey, from its description.

    ``probe.description.target.pagemap_of`` builds it from a portal description; an empty
    selector means the portal has no such element (no CAPTCHA, no security code...).
    """

    login_path: str  # path and query of the login page, after the portal's origin
    login_form: str
    identifier: str
    password: str
    submit: str
    message: str  # the page-level banner
    noscript: str
    captcha_container: str
    captcha_token: str
    captcha_frame_url: str  # "": the widget is in the page itself
    captcha_checkbox: str  # what a person clicks
    captcha_verify: str
    captcha_status: str
    code_form: str
    code_input: str
    code_submit: str
    home_marker: str
    download_link: str  # the document a check after login downloads
    federation_button: str  # the identity federation's button
    partner_button: str  # "{partner}" is the partner's name
    partner_identifier: str
    partner_password: str
    partner_submit: str
    # Fields whose content must never appear in a screenshot.
    masked_fields: tuple[str, ...] = ("input[type=password]",)
    message_rules: tuple[MessageRule, ...] = ()  # the first rule that matches wins
    status_rules: tuple[tuple[int, Symptom], ...] = tuple(STATUS_SYMPTOMS.items())
    field_messages: tuple[str, ...] = ()  # errors attached to one field
    captcha_rendered: str = ""  # the widget is there and usable ("": captcha_checkbox)
    captcha_solved: str = ""  # shown once solved, besides a non-empty token ("": token only)
    captcha_failed: str = ""  # shown when the widget failed this browser...
    captcha_failed_text: str = ""  # ...with this text (regex on folded text; "": any)
    captcha_blocked_hosts: tuple[str, ...] = ()  # blocked requests there ((): any host)
    answer_in_page: bool = False  # the login answers without a page navigation
    code_on_same_form: bool = False
    default_partner: str = ""
    download_name: str = ""
    download_starts_with: str = ""

    def symptom_of(self, message: str | None, status: int | None = None) -> Symptom | None:
        """What a portal answer means, from its visible message first, then its HTTP status."""
        if message:
            folded = _fold(message)
            for rule in self.message_rules:
                if re.search(rule.pattern, folded):
                    return rule.symptom
        if status is not None:
            meanings = dict(self.status_rules)
            if status in meanings:
                return meanings[status]
            if status >= 400:
                return "page-error"
        return None


CODE_PATTERN = re.compile(r"\b(\d{6})\b")


def public_url(url: str | None) -> str | None:
    """A URL fit for a report: query string and fragment dropped (they may carry codes)."""
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
