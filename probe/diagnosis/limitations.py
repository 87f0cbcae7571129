"""What the replay could not reproduce of the person's browser, said in the report.

The profile reader and the copy note what they skip (``SourceProfile.notes``): an
extension that could not be copied safely, a Manifest V2 extension this Chromium
refuses, cookies it cannot decrypt. The terminal prints them as notes; here they
become ``report.json``'s ``limitations``, each with a stable ``kind`` and a sentence in
every language, and, when the portal's own cookies cannot be read, a sentence of the
verdict: a problem caused by those cookies would not show in any run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from probe._util.files import Note
from probe.models import Lang, Limitation, Verdict
from probe.report.i18n import text


def limitations_of(notes: Iterable[Note]) -> list[Limitation]:
    """One limitation per note, in the order they were noticed (duplicates once)."""
    found: dict[tuple[str, str], Limitation] = {}
    for note in notes:
        limitation = Limitation(kind=note.kind, en=_sentence(note, "en"), fr=_sentence(note, "fr"))
        found.setdefault((limitation.kind, limitation.en), limitation)
    return list(found.values())


def hides_portal_cookies(notes: Iterable[Note], sites: Sequence[str]) -> bool:
    """True if cookies of the portal's sites are among those the browser cannot decrypt."""
    for note in notes:
        if note.kind != "cookies-undecryptable":
            continue
        hosts = dict(note.params).get("hosts", "").split()
        if any(site == host or site.endswith("." + host) for host in hosts for site in sites):
            return True
    return False


def qualified(verdict: Verdict, notes: Iterable[Note], sites: Sequence[str]) -> Verdict:
    """``verdict``, told that a cookie culprit could be hidden when it could be."""
    if not hides_portal_cookies(notes, sites):
        return verdict
    key = "limitation.hidden-cookie-culprit"
    return verdict.model_copy(
        update={
            "summary_en": f"{verdict.summary_en} {text(key, 'en')}",
            "summary_fr": f"{verdict.summary_fr} {text(key, 'fr')}",
        }
    )


def _sentence(note: Note, lang: Lang) -> str:
    params = dict(note.params)
    match note.kind:
        case "cookies-unreadable" if params.get("count") == "all":
            return text("limitation.cookies-unreadable.all", lang)
        case "cookies-undecryptable":
            params["holder"] = text(f"key-holder.{params.get('holder', 'keyring')}", lang)
    return text(f"limitation.{note.kind}", lang, **params)
