"""Plain-language names, in French and English, for the words of the diagnosis.

The engine speaks in identifiers (``no-extensions``, ``captcha-blocked``); a person
locked out of their account needs a sentence. Each table below is a namespace of the
gettext catalogs (:mod:`probe.report.i18n`): the label of ``captcha-blocked`` in
:data:`SYMPTOMS` is the message ``symptom.captcha-blocked``.
"""

from __future__ import annotations

import re

from probe.models import Lang
from probe.report.i18n import has_text, text

STEPS = "step"
VARIANTS = "variant"
SYMPTOMS = "symptom"
FACTORS = "factor"
OUTCOMES = "outcome"
CULPRIT_KINDS = "culprit-kind"
CREDENTIAL_FIELDS = "credential-field"
CREDENTIAL_ISSUES = "credential-issue"
PROFILE_KINDS = "profile-kind"

_DRILL = re.compile(r"drill-(\d+)")


def pick(table: str, key: str, lang: Lang) -> str:
    """The label of ``key`` in ``lang``; an unknown key is shown as it is."""
    message = f"{table}.{key}"
    return text(message, lang) if has_text(message, "en") else key


def step_label(name: str, lang: Lang) -> str:
    return pick(STEPS, name, lang)


def is_drill(name: str) -> bool:
    """Whether ``name`` is a narrowing-down run (``drill-3``)."""
    return _DRILL.fullmatch(name) is not None


def variant_label(name: str, lang: Lang, description: str = "") -> tuple[str, str]:
    """``(label, explanation)`` for a run name such as ``no-extensions`` or ``drill-3``."""
    if has_text(f"{VARIANTS}.{name}", "en"):
        return text(f"{VARIANTS}.{name}", lang), text(f"{VARIANTS}.{name}.why", lang)
    drill = _DRILL.fullmatch(name)
    if drill is not None:
        return text("drill.label", lang, number=drill.group(1)), description
    return name, description
