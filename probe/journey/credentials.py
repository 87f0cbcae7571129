"""The credentials a person types, and the slips that can be seen without a browser.

Findings never quote the password: they say what is wrong and where.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

from probe.models import CredentialFinding, CredentialIssue, Detail, ParamValue
from probe.report.details import english

# Characters that look like ASCII letters or digits but are not: the usual suspects
# of text pasted from a PDF, a word processor or a phone keyboard.
# What each is called: ``detail.odd.<name>`` in the catalogs.
_LOOK_ALIKES = {
    "\u00a0": "non-breaking-space",
    "\u2007": "figure-space",
    "\u202f": "narrow-non-breaking-space",
    "\u200b": "zero-width-space",
    "\ufeff": "byte-order-mark",
    "\u2013": "en-dash",
    "\u2014": "em-dash",
    "\u2019": "curly-apostrophe",
}


@dataclass(frozen=True)
class Credentials:
    """What the person types on the login page, exactly as typed."""

    identifier: str
    password: str = ""
    provisional_code: str | None = None
    method: Literal["password", "franceconnect"] = "password"
    partner: str | None = None  # FranceConnect partner id

    def normalized(self) -> Credentials:
        """The same credentials with stray spaces around them removed."""
        return replace(self, identifier=self.identifier.strip(), password=self.password.strip())

    @property
    def key(self) -> tuple[str, str]:
        return (self.identifier, self.password)


def _field_findings(
    field: Literal["identifier", "password"], value: str
) -> list[CredentialFinding]:
    issues: list[tuple[CredentialIssue, dict[str, ParamValue]]] = []
    if value[:1].isspace():
        issues.append(("leading-space", {}))
    if value[-1:].isspace():
        issues.append(("trailing-space", {}))
    if _looks_like_caps_lock(field, value):
        issues.append(("caps-lock", {}))
    odd = [said for char in value.strip() if (said := _odd(field, char)) is not None]
    if odd:
        unique = {english(said): said for said in odd}
        issues.append(("look-alike", {"what": [unique[text] for text in sorted(unique)]}))
    return [_finding(field, issue, params) for issue, params in issues]


def _finding(
    field: Literal["identifier", "password"], issue: CredentialIssue, params: dict[str, ParamValue]
) -> CredentialFinding:
    says = Detail(key=f"detail.credential.{field}.{issue}", params=params)
    return CredentialFinding(field=field, issue=issue, says=says, detail=english(says))


def _odd(field: str, char: str) -> Detail | None:
    """What ``char`` is, when it is a character one would not expect to type there."""
    if char in _LOOK_ALIKES:
        return Detail(key=f"detail.odd.{_LOOK_ALIKES[char]}")
    if ord(char) > 127 and unicodedata.category(char) in ("Zs", "Cf"):
        return Detail(
            key="detail.odd.unusual-space", params={"name": unicodedata.name(char, "unnamed")}
        )
    if field == "identifier" and ord(char) > 127 and unicodedata.category(char) == "Nd":
        return Detail(key="detail.odd.other-digit")
    if (
        ord(char) > 127
        and unicodedata.category(char).startswith("L")
        and (field == "identifier" or _is_confusable(char))
    ):
        return Detail(
            key="detail.odd.look-alike",
            params={"char": char, "name": unicodedata.name(char, "?")},
        )
    return None


def _looks_like_caps_lock(field: str, value: str) -> bool:
    # Caps Lock inverts case: "Blue-Sky" comes out as "bLUE-sKY".
    words = [w for w in re.split(r"[^\w]|\d|_", value) if len(w) >= 2 and w.isalpha()]
    inverted = [w for w in words if w[0].islower() and w[1:].isupper()]
    if inverted and len(inverted) == len(words):
        return True
    letters = [c for c in value if c.isalpha()]
    return field == "password" and len(letters) >= 4 and all(c.isupper() for c in letters)


def _is_confusable(char: str) -> bool:
    # Latin letters with accents are normal in French passwords; Cyrillic or Greek
    # letters that look Latin are not.
    name = unicodedata.name(char, "")
    return name.startswith(("CYRILLIC", "GREEK", "FULLWIDTH"))


def check_credentials(credentials: Credentials) -> list[CredentialFinding]:
    """Slips in the typed credentials that a person would not see on screen."""
    findings = _field_findings("identifier", credentials.identifier)
    if credentials.password:
        findings += _field_findings("password", credentials.password)
    return findings
