"""What probe says, rendered in the reader's language at the last moment.

The journey and the diagnosis never write sentences: they record a ``Detail`` (a catalog
key and its values: ``detail.captcha-blocked`` with the blocked URL). Here a detail
becomes a sentence through the gettext catalogs; ``report.json`` keeps the detail and,
for its older readers, the English (and French) texts rendered from it.

A report written before details existed (schema 1) only has the English sentence: it
is shown as it is, marked as English.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.numbers import get_decimal_symbol

from probe.models import (
    BrowserInfo,
    Culprit,
    Detail,
    Lang,
    ParamValue,
    Remedy,
    Term,
    VariantRun,
    Verdict,
)
from probe.report.i18n import template
from probe.report.vocabulary import component_name, pick

# Culprits named in one sentence; more are counted ("+2").
NAMES_SHOWN = 3


def render(detail: Detail, lang: Lang) -> str:
    """The sentence ``detail`` says, in ``lang``."""
    values = {name: _value(value, lang) for name, value in detail.params.items()}
    return template(detail.key, lang).format(**values)


def rendered(details: Iterable[Detail], lang: Lang) -> str:
    """Sentences one after the other."""
    return " ".join(render(detail, lang) for detail in details)


def browser_details(browser: BrowserInfo) -> list[Detail]:
    """Which browser ran, and whether it is the person's own (``browser.<role>``), then
    how the person's extensions were loaded into it (``browser.loading.<way>``)."""
    params: dict[str, ParamValue] = {"product": browser.product, "version": browser.version}
    role = browser.role or "found"
    if role == "stand-in":
        params["person"] = browser.person_product or "?"
    found = [Detail(key=f"browser.{role}", params=params)]
    if browser.extension_loading is not None:
        found.append(Detail(key=f"browser.loading.{browser.extension_loading}"))
    return found


def english(detail: Detail) -> str:
    """The English text kept beside a detail in ``report.json``."""
    return render(detail, "en")


def en_fr(details: Sequence[Detail]) -> tuple[str, str]:
    """The texts kept beside details in ``report.json`` (``summary_en``, ``summary_fr``)."""
    return rendered(details, "en"), rendered(details, "fr")


def remedy(rid: str, key: str, **params: ParamValue) -> Remedy:
    """One of probe's remedies: its id, what it says, and the texts derived from it."""
    says = Detail(key=f"remedy.{key}", params=params)
    return Remedy(id=rid, says=says, en=render(says, "en"), fr=render(says, "fr"))


def remedy_text(item: Remedy, lang: Lang) -> str:
    """A remedy in ``lang``: probe's from the catalog, a portal's own text as it wrote it."""
    if item.says is not None:
        return render(item.says, lang)
    return item.fr if lang == "fr" else item.en


def summary_text(verdict: Verdict, lang: Lang) -> str:
    """The verdict's sentences in ``lang``."""
    if verdict.summary:
        return rendered(verdict.summary, lang)
    return verdict.summary_fr if lang == "fr" else verdict.summary_en


def names(culprits: Sequence[Culprit], lang: Lang) -> str:
    """``'A'``, ``'A' + 'B'``, ``'A', 'B', 'C' (+2)``: culprits as a person calls them."""
    quoted = [f"'{component_name(c.kind, c.id, c.name, lang)}'" for c in culprits]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) > NAMES_SHOWN:
        return ", ".join(quoted[:NAMES_SHOWN]) + f" (+{len(quoted) - NAMES_SHOWN})"
    return ", ".join(quoted[:-1]) + " + " + quoted[-1]


def _value(value: ParamValue, lang: Lang) -> object:
    match value:
        case Detail():
            return render(value, lang)
        case Term():
            return pick(value.table, value.id, lang)
        case list() if all(isinstance(item, Detail) for item in value):
            return ", ".join(render(item, lang) for item in value if isinstance(item, Detail))
        case list():
            return names([item for item in value if isinstance(item, Culprit)], lang)
        case float():
            return f"{value:g}".replace(".", get_decimal_symbol(lang))
        case _:
            return value


@dataclass(frozen=True)
class Shown:
    text: str
    lang: Lang  # the language the text is in: "en" for a report without details


def shown(detail: Detail | None, sentence: str | None, lang: Lang) -> Shown | None:
    """What probe noticed, in ``lang``; a schema-1 report's English sentence as it is."""
    if detail is not None:
        return Shown(render(detail, lang), lang)
    return Shown(sentence, "en") if sentence else None


def skip_text(run: VariantRun, lang: Lang) -> str | None:
    """Why a run was skipped, in ``lang`` (None when it was not)."""
    reason = shown(run.skipped_because, run.skipped_reason, lang)
    return reason.text if reason is not None else None
