"""How the journey recognises the portal's pages and reads its answers.

This is everything probe knows about a portal's markup: element selectors and the
messages the portal shows, matched the way a person reads them. It holds no portal
configuration; to drive another portal, describe its pages in another ``PageMap``.
The defaults follow the ameli-like mock portal (``docs/portal-contract.md``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from probe.models import Symptom


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Compte verrouillé" matches "compte verrouille"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_fold = fold


@dataclass(frozen=True)
class MessageRule:
    pattern: str  # a regular expression on the folded message text
    symptom: Symptom


# Order matters: the first rule that matches wins.
DEFAULT_MESSAGE_RULES: tuple[MessageRule, ...] = (
    MessageRule(r"momentanement indisponible|maintenance", "maintenance"),
    MessageRule(r"trop de (requetes|tentatives)", "rate-limited"),
    MessageRule(r"trop volumineux", "headers-too-large"),
    MessageRule(r"verrouille", "account-locked"),
    MessageRule(r"droits (ne sont pas|non) ouverts|non creable", "rights-not-open"),
    MessageRule(r"code provisoire", "stale-provisional-code"),
    MessageRule(r"code de securite expire", "security-code-expired"),
    MessageRule(r"code de securite incorrect", "security-code-rejected"),
    MessageRule(r"obsolete", "stale-form"),
    MessageRule(r"cookies?", "cookies-refused"),
    MessageRule(r"anti-robot|robot", "captcha-rejected"),
    MessageRule(r"franceconnect|partenaire|identite", "identity-provider-error"),
    MessageRule(
        r"identifiant ou mot de passe incorrect|erreur d'?authentification", "invalid-credentials"
    ),
    MessageRule(r"non active", "stale-provisional-code"),
)

STATUS_SYMPTOMS: dict[int, Symptom] = {
    503: "maintenance",
    429: "rate-limited",
    431: "headers-too-large",
}


@dataclass(frozen=True)
class PageMap:
    """Selectors and messages of one portal's login journey."""

    login_path: str = "connexion"
    login_form: str = "#login-form"
    identifier: str = "#identifiant"
    password: str = "#mot-de-passe"
    submit: str = "#se-connecter"
    message: str = "#message"
    noscript: str = "#noscript-warning"
    captcha_container: str = "#captcha"
    captcha_token: str = "#captcha-token"
    captcha_frame_url: str = "/widget"
    captcha_checkbox: str = "#captcha-checkbox"
    captcha_verify: str = "#captcha-verify"
    captcha_status: str = "#captcha-status"
    code_form: str = "#code-form"
    code_input: str = "#code"
    code_submit: str = "#valider-code"
    home_marker: str = "#titre-compte"
    attestation_link: str = "#telecharger-attestation"
    franceconnect_button: str = "#franceconnect"
    partner_button: str = "#partenaire-{partner}"
    partner_identifier: str = "#partenaire-identifiant"
    partner_password: str = "#partenaire-mot-de-passe"
    partner_submit: str = "#partenaire-valider"
    # Fields whose content must never appear in a screenshot: secrets, and the
    # identifier too (a social-security number is personal data in a shared report).
    masked_fields: tuple[str, ...] = (
        "input[type=password]",
        "#identifiant",
        "#partenaire-identifiant",
        "#code",
        "#code-provisoire",
        "#partenaire-mot-de-passe",
    )
    message_rules: tuple[MessageRule, ...] = field(default=DEFAULT_MESSAGE_RULES)
    # What a portal description adds (probe/portal_description.py); the defaults keep
    # the journey as it was before descriptions existed.
    status_rules: tuple[tuple[int, Symptom], ...] = tuple(STATUS_SYMPTOMS.items())
    field_messages: tuple[str, ...] = ()  # errors attached to one field
    captcha_rendered: str = "#captcha-checkbox"  # the widget is there and usable
    captcha_solved: str = ""  # shown once solved, besides a non-empty token ("": token only)
    captcha_failed: str = "#captcha-status"  # shown when the widget failed this browser...
    captcha_failed_text: str = "chec"  # ...with this text (regex on folded text; "": any)
    captcha_blocked_hosts: tuple[str, ...] = ()  # blocked requests there ((): any host)
    answer_in_page: bool = False  # the login answers without a page navigation
    code_on_same_form: bool = False
    default_partner: str = "impots"
    download_name: str = "attestation"
    download_starts_with: str = "%PDF-"

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
