"""The credentials a person types, and the slips that can be seen without a browser.

Findings never quote the password: they say what is wrong and where.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

from probe.models import CredentialFinding

# Characters that look like ASCII letters or digits but are not: the usual suspects
# of text pasted from a PDF, a word processor or a phone keyboard.
_LOOK_ALIKES = {
    "\u00a0": "a non-breaking space",
    "\u2007": "a figure space",
    "\u202f": "a narrow non-breaking space",
    "\u200b": "a zero-width space",
    "\ufeff": "an invisible byte-order mark",
    "\u2013": "an en dash instead of a hyphen",
    "\u2014": "an em dash instead of a hyphen",
    "\u2019": "a curly apostrophe",
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
    findings: list[CredentialFinding] = []
    label = "identifier" if field == "identifier" else "password"
    if value[:1].isspace():
        findings.append(
            CredentialFinding(
                field=field, issue="leading-space", detail=f"The {label} starts with a space."
            )
        )
    if value[-1:].isspace():
        findings.append(
            CredentialFinding(
                field=field, issue="trailing-space", detail=f"The {label} ends with a space."
            )
        )
    if _looks_like_caps_lock(field, value):
        findings.append(
            CredentialFinding(
                field=field,
                issue="caps-lock",
                detail=f"The {label}'s letters look typed with Caps Lock on.",
            )
        )
    odd = []
    for char in value.strip():
        if char in _LOOK_ALIKES:
            odd.append(_LOOK_ALIKES[char])
        elif ord(char) > 127 and unicodedata.category(char) in ("Zs", "Cf"):
            odd.append(f"an unusual space ({unicodedata.name(char, 'unnamed')})")
        elif field == "identifier" and ord(char) > 127 and unicodedata.category(char) == "Nd":
            odd.append("a digit from another script")
        elif (
            ord(char) > 127
            and unicodedata.category(char).startswith("L")
            and (field == "identifier" or _is_confusable(char))
        ):
            odd.append(f"the look-alike character '{char}' ({unicodedata.name(char, '?')})")
    if odd:
        findings.append(
            CredentialFinding(
                field=field,
                issue="look-alike",
                detail=f"The {label} contains {', '.join(sorted(set(odd)))}.",
            )
        )
    return findings


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
