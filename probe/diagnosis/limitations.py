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
from probe.diagnosis.remedies import remedies
from probe.models import (
    Culprit,
    Detail,
    Limitation,
    ParamValue,
    Term,
    Verdict,
    cookie_name_host,
)
from probe.report.details import render


def limitations_of(notes: Iterable[Note]) -> list[Limitation]:
    """One limitation per note, in the order they were noticed (duplicates once)."""
    found: dict[tuple[str, str], Limitation] = {}
    for note in notes:
        says = _said(note)
        limitation = Limitation(
            kind=note.kind, says=says, en=render(says, "en"), fr=render(says, "fr")
        )
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


def hidden_portal_cookies(notes: Iterable[Note], sites: Sequence[str]) -> list[Culprit]:
    """The portal's cookies the browser could not decrypt (ids ``name@host``), in order."""
    found: dict[str, Culprit] = {}
    for note in notes:
        if note.kind != "cookies-undecryptable":
            continue
        for cookie_id in str(dict(note.params).get("cookies", "")).split():
            name, host = cookie_name_host(cookie_id)
            if any(site == host or site.endswith("." + host) for site in sites):
                found.setdefault(cookie_id, Culprit(kind="cookie", id=cookie_id, name=name))
    return list(found.values())


def qualified(verdict: Verdict, notes: Iterable[Note], sites: Sequence[str]) -> Verdict:
    """``verdict``, told that a cookie culprit could be hidden when it could be.

    A login that works without the portal's cookies probe could not read is not "access
    works": the person's browser sends them. The verdict is then inconclusive (exit 3),
    names those cookies as the likely blocker and says to clear them.
    """
    notes = list(notes)
    if not hides_portal_cookies(notes, sites):
        return verdict
    hidden = hidden_portal_cookies(notes, sites)
    if verdict.status != "ok" or not hidden:
        return said_after(verdict, Detail(key="limitation.hidden-cookie-culprit"))
    said = [Detail(key="summary.cookies.unreadable", params={"names": hidden})]
    steps, fallback = remedies("cookies", hidden)
    return Verdict(
        status="inconclusive",
        factor="cookies",
        culprits=hidden,
        summary=said,
        summary_en=" ".join(render(d, "en") for d in said),
        summary_fr=" ".join(render(d, "fr") for d in said),
        remedies=steps,
        if_that_fails=fallback,
    )


def said_after(verdict: Verdict, sentence: Detail) -> Verdict:
    """``verdict`` with one more sentence at the end of its summary."""
    said = [*verdict.summary, sentence]
    return verdict.model_copy(
        update={
            "summary": said,
            "summary_en": f"{verdict.summary_en} {render(sentence, 'en')}",
            "summary_fr": f"{verdict.summary_fr} {render(sentence, 'fr')}",
        }
    )


def _said(note: Note) -> Detail:
    params: dict[str, ParamValue] = dict(note.params)
    match note.kind:
        case "cookies-unreadable" if params.get("count") == "all":
            return Detail(key="limitation.cookies-unreadable.all")
        case "cookies-undecryptable":
            params.pop("cookies", None)  # the names are the verdict's, when they matter
            params["holder"] = Term(table="key-holder", id=str(params.get("holder", "keyring")))
    return Detail(key=f"limitation.{note.kind}", params=params)
