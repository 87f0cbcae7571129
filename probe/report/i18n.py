"""Words of the report and the terminal in French and English; dates, numbers, durations.

Every string a reader sees lives in a gettext catalog,
``probe/report/locale/<lang>/LC_MESSAGES/probe.po``, read at run time with Babel (no compiled
``.mo`` to keep in step). Messages are looked up by stable keys (``status.ok``,
``symptom.captcha-blocked``): most are built from the engine's identifiers, and the
English wording can then change without touching the French catalog. Labels for the
domain vocabulary (steps, variants, symptoms, factors) are looked up through
:mod:`probe.report.vocabulary`. Numbers and dates follow CLDR through Babel.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from typing import get_args

from babel.dates import format_datetime as _babel_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_decimal

from probe.models import Lang

LANGS: tuple[Lang, ...] = get_args(Lang)
CATALOG_DOMAIN = "probe"


def catalog_path(lang: Lang) -> Traversable:
    """Where the catalog of ``lang`` is, inside the installed package."""
    return (
        resources.files("probe.report") / "locale" / lang / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"
    )


@functools.cache
def messages(lang: Lang) -> Mapping[str, str]:
    """Every translated message of ``lang``: key -> text (fuzzy or empty ones left out)."""
    with catalog_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=CATALOG_DOMAIN)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def has_text(key: str, lang: Lang) -> bool:
    return key in messages(lang)


def text(key: str, lang: Lang, **values: object) -> str:
    """The UI string ``key`` in ``lang``, with ``{placeholders}`` filled in.

    A key missing from ``lang`` falls back to English, then to the key itself, so a
    half-translated catalog shows words rather than failing a run (the catalog tests
    catch the gap).
    """
    found = template(key, lang)
    return found.format(**values) if values else found


def template(key: str, lang: Lang) -> str:
    """The message ``key`` in ``lang`` as written, with its ``{placeholders}``: English when
    ``lang`` lacks it, the key itself when no catalog has it."""
    return messages(lang).get(key) or messages("en").get(key) or key


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
    """``12,345`` / ``12 345`` (French groups with a narrow no-break space)."""
    return str(_babel_decimal(value, locale=lang))


def format_decimal(value: float, lang: Lang, digits: int = 1) -> str:
    """``1.5`` / ``1,5``, with exactly ``digits`` decimals."""
    pattern = "#,##0." + "0" * digits if digits > 0 else "#,##0"
    return str(_babel_decimal(value, format=pattern, locale=lang))


def format_duration(ms: int, lang: Lang) -> str:
    """A duration as a person reads it: ``850 ms``, ``1.5 s`` / ``1,5 s``, ``2 min 05 s``.

    Not Babel's ``format_timedelta``: it rounds to one unit ("2 minutes"), and a
    report compares durations that differ by seconds.
    """
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
    if size < 1024:
        return f"{format_int(size, lang)} {text('unit.byte', lang)}"
    return f"{format_decimal(size / 1024, lang)} {text('unit.kilobyte', lang)}"


def format_datetime(moment: datetime, lang: Lang) -> str:
    """``26 November 2026, 20:45`` / ``26 novembre 2026 à 20:45``, plus the UTC offset if known.

    The pattern is in the catalog (``format.datetime``), month names come from CLDR.
    The time is shown as recorded: converting to the reader's zone would make the same
    report say different things on different machines.
    """
    key = "format.datetime-first-day" if moment.day == 1 else "format.datetime"
    # Babel would convert an aware moment to its tzinfo anyway; a naive one is taken as is.
    shown = str(_babel_datetime(moment.replace(tzinfo=None), text(key, lang), locale=lang))
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
