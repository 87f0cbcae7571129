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
_CONFIRM = re.compile(r"confirm-(\d+)")
_AGAIN = re.compile(r"(?P<base>[a-z-]+?)-(?P<number>\d+)")


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
    confirm = _CONFIRM.fullmatch(name)
    if confirm is not None:
        return text("confirm.label", lang, number=confirm.group(1)), description
    again = _AGAIN.fullmatch(name)
    if again is not None and has_text(f"{VARIANTS}.{again['base']}", "en"):
        label, why = variant_label(again["base"], lang)
        return text("variant.again", lang, label=label, number=again["number"]), why
    return name, description


def is_removal(name: str) -> bool:
    """Whether ``name`` is a run best told by what it removed (``confirm-2``, ``without-suspects``)."""
    return _CONFIRM.fullmatch(name) is not None or name.startswith("without-suspects")


def component_name(kind: str, component_id: str, name: str, lang: Lang) -> str:
    """What a person calls a component: probe's own names translated, others as they are.

    English shows the name recorded in the report; other languages probe's translation.
    """
    if lang == "en":
        return name
    base, sep, host = component_id.partition(":")
    if kind == "setting" and sep and has_text(f"setting.{base}", "en"):
        return text(f"setting.{base}", lang, host=host)  # a per-site setting
    for key in (f"component.{component_id}", f"setting.{component_id}"):
        if kind in ("site-data", "setting") and has_text(key, "en"):
            return text(key, lang)
    if kind == "credential" and has_text(f"credential-culprit.{component_id}", "en"):
        return text(f"credential-culprit.{component_id}", lang)
    return name
