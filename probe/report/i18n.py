"""Words of the report in French and English, and dates, numbers and durations per language.

Every string a reader sees is here, as an ``(en, fr)`` pair, so a missing translation is
visible in review rather than at run time. Labels for the domain vocabulary (steps,
variants, symptoms, factors) live in :mod:`probe.report.vocabulary`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from probe.models import Lang

# French typography puts a narrow no-break space between groups of thousands.
_FR_THOUSANDS = "\u202f"

_MONTHS: dict[Lang, tuple[str, ...]] = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip

UI: dict[str, tuple[str, str]] = {
    "title": ("Login check for {host}", "Vérification de connexion à {host}"),
    "made-by": ("Report made by probe {version}", "Rapport établi par probe {version}"),
    "status.ok": ("Login works", "La connexion fonctionne"),
    "status.blocked": ("Login blocked", "Connexion bloquée"),
    "status.inconclusive": ("Cause not found", "Cause non trouvée"),
    "what-we-did": (
        "We tried to log in {runs} times, each time with a different browser set-up "
        "({duration} in all).",
        "Nous avons tenté de nous connecter {runs} fois, chaque fois avec un navigateur "
        "réglé autrement ({duration} au total).",
    ),
    "what-we-did-one": (
        "We tried to log in once ({duration}).",
        "Nous avons tenté de nous connecter une fois ({duration}).",
    ),
    "found": ("What we found", "Ce que nous avons trouvé"),
    "remedies": ("What to do", "Que faire"),
    "if-that-fails": ("If that does not work", "Si cela ne suffit pas"),
    "evidence": ("What we saw", "Ce que nous avons observé"),
    "evidence-intro": (
        "Each line is one attempt to log in. The columns are the stages of the login, in order.",
        "Chaque ligne est une tentative de connexion. Les colonnes sont les étapes de la "
        "connexion, dans l'ordre.",
    ),
    "attempt": ("Attempt", "Tentative"),
    "result": ("Result", "Résultat"),
    "skipped-because": ("Not tried: {reason}", "Non tentée : {reason}"),
    "not-tried": ("Not tried", "Non tentée"),
    "stopped-pages": ("Where each attempt stopped", "Où chaque tentative s'est arrêtée"),
    "stopped-at": ("Stopped at: {step}", "Arrêt à l'étape : {step}"),
    "went-through": ("Went all the way through", "Parcours complet"),
    "what-went-wrong": ("What went wrong: {symptom}", "Problème constaté : {symptom}"),
    "portal-said": ("The portal said:", "Le portail a affiché :"),
    "no-screenshot": ("No picture of this page.", "Pas de capture de cette page."),
    "missing-screenshot": (
        "The picture of this page could not be read.",
        "La capture de cette page n'a pas pu être lue.",
    ),
    "enlarge": ("Enlarge the picture", "Agrandir la capture"),
    "close": ("Close", "Fermer"),
    "screenshot-of": ("The page at the stage: {step}", "La page à l'étape : {step}"),
    "timing": ("Time taken", "Durée"),
    "timing-bar-first": ("Started first, took {duration}", "Lancée en premier, durée {duration}"),
    "timing-bar": (
        "Started after {start}, took {duration}",
        "Commencée après {start}, durée {duration}",
    ),
    "blocked-requests": ("Requests that did not complete", "Requêtes qui n'ont pas abouti"),
    "blocked-in-browser": (
        "blocked inside the browser (by an extension or a browser setting)",
        "bloquée dans le navigateur (par une extension ou un réglage)",
    ),
    "console-errors": ("Errors reported by the page", "Erreurs signalées par la page"),
    "cookie-at-stop-one": (
        "1 cookie for the portal ({size})",
        "1 cookie pour le portail ({size})",
    ),
    "cookies-at-stop": (
        "{count} cookies for the portal ({size})",
        "{count} cookies pour le portail ({size})",
    ),
    "technical": ("Technical details", "Détails techniques"),
    "technical-count": (
        "Technical traces: failed requests {requests}, page errors {errors}",
        "Traces techniques : requêtes échouées {requests}, erreurs de page {errors}",
    ),
    "drilldown": ("How we narrowed it down", "Comment nous avons cerné la cause"),
    "drilldown-intro": (
        "Each run kept only some parts of your browser. A run that fails still contains the cause.",
        "Chaque essai ne gardait qu'une partie de votre navigateur. Un essai qui échoue "
        "contient encore la cause.",
    ),
    "kept": ("kept: {items}", "conservé : {items}"),
    "kept-nothing": ("kept nothing", "rien de conservé"),
    "tried-after": ("started from “{run}”", "à partir de « {run} »"),
    "details": ("Details", "Détails"),
    "portal": ("Portal", "Portail"),
    "portal-embedded": ("built-in test portal", "portail de test intégré"),
    "scenario": ("scenario", "scénario"),
    "browser": ("Browser", "Navigateur"),
    "headless": ("without a window (headless)", "sans fenêtre (headless)"),
    "with-window": ("with a window", "avec fenêtre"),
    "profile": ("Browser profile", "Profil du navigateur"),
    "profile-source": ("Folder read", "Dossier lu"),
    "components": ("What the profile contains", "Contenu du profil"),
    "extensions": ("Extensions", "Extensions"),
    "settings": ("Settings changed", "Réglages modifiés"),
    "cookies": ("Cookies", "Cookies"),
    "site-data": ("Saved site data", "Données de site enregistrées"),
    "credential-parts": ("Credentials", "Identifiants"),
    "none": ("none", "aucun"),
    "present": ("present", "présentes"),
    "credential-findings": ("Typing problems found", "Problèmes de saisie relevés"),
    "no-credential-findings": ("No typing problem found.", "Aucun problème de saisie relevé."),
    "browser-runs": ("Browser runs", "Lancements du navigateur"),
    "total-time": ("Total time", "Durée totale"),
    "date": ("Date", "Date"),
    "report-version": ("Report format", "Format du rapport"),
    "culprit": ("Cause", "Cause"),
    "factor": ("Kind of problem", "Nature du problème"),
}


def text(key: str, lang: Lang, **values: object) -> str:
    """The UI string ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    en, fr = UI[key]
    template = fr if lang == "fr" else en
    return template.format(**values) if values else template


def default_lang(env: Mapping[str, str] = os.environ) -> Lang:
    """The reader's language from the locale variables, in POSIX precedence order.

    >>> default_lang({"LANG": "fr_FR.UTF-8"})
    'fr'
    """
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def format_int(value: int, lang: Lang) -> str:
    grouped = f"{value:,}"
    return grouped.replace(",", _FR_THOUSANDS) if lang == "fr" else grouped


def format_decimal(value: float, lang: Lang, digits: int = 1) -> str:
    shown = f"{value:.{digits}f}"
    return shown.replace(".", ",") if lang == "fr" else shown


def format_duration(ms: int, lang: Lang) -> str:
    """A duration as a person reads it: ``850 ms``, ``1.5 s`` / ``1,5 s``, ``2 min 05 s``."""
    ms = max(ms, 0)
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 10:
        return f"{format_decimal(seconds, lang)} s"
    if seconds < 60:
        return f"{round(seconds)} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_bytes(size: int, lang: Lang) -> str:
    unit_b, unit_kb = ("o", "Ko") if lang == "fr" else ("B", "KB")
    if size < 1024:
        return f"{format_int(size, lang)} {unit_b}"
    return f"{format_decimal(size / 1024, lang)} {unit_kb}"


def format_datetime(moment: datetime, lang: Lang) -> str:
    """``26 November 2026, 20:45`` / ``26 novembre 2026 à 20:45``, plus the UTC offset if known.

    The time is shown as recorded: converting to the reader's zone would make the same
    report say different things on different machines.
    """
    month = _MONTHS[lang][moment.month - 1]
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if lang == "fr":
        day = "1er" if moment.day == 1 else str(moment.day)
        shown = f"{day} {month} {moment.year} à {clock}"
    else:
        shown = f"{moment.day} {month} {moment.year}, {clock}"
    offset = moment.utcoffset()
    if offset is None:
        return shown
    return f"{shown} ({_utc_label(offset)})"


def _utc_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"
