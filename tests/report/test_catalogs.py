"""The gettext catalogs the report and the terminal share: complete, and really used."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from probe.app import console
from probe.models import Lang
from probe.report import render_html
from probe.report.i18n import LANGS, catalog_path, messages, text
from tests.helpers.paths import REPO
from tests.helpers.report_examples import example_reports, write_screenshots


def _catalog_ids(lang: Lang) -> dict[str, str]:
    with catalog_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang)
    # Babel's own checks (what `pybabel compile` would refuse).
    assert [problem for problem in catalog.check()] == [], lang
    return {str(m.id): str(m.string) for m in catalog if m.id}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_catalog_has_every_message_translated_with_the_same_placeholders() -> None:
    english = _catalog_ids("en")
    assert len(english) > 150
    for lang in LANGS:
        catalog = _catalog_ids(lang)
        assert set(catalog) == set(english), lang
        empty = [key for key, value in catalog.items() if not value.strip()]
        assert empty == [], lang
        differing = [k for k in english if _fields(catalog[k]) != _fields(english[k])]
        assert differing == [], lang


def test_no_message_is_fuzzy() -> None:
    # A fuzzy message is skipped at run time: it would silently fall back to English.
    for lang in LANGS:
        assert set(messages(lang)) == set(_catalog_ids(lang)), lang


def _english_only_words() -> list[str]:
    """English UI texts that French would never show: differ from French, no placeholders."""
    english, french = messages("en"), messages("fr")
    return sorted(
        value
        for key, value in english.items()
        if value != french[key]
        and not _fields(value)
        and len(value) > 6
        and not key.startswith("format.")
    )


@pytest.mark.parametrize("name", sorted(example_reports()))
def test_a_french_report_contains_no_english_ui_string(name: str, tmp_path: Path) -> None:
    words = _english_only_words()
    assert "What we found" in words and "Login blocked" in words
    report = example_reports()[name]
    write_screenshots(report, tmp_path)
    # What a reader sees: the stylesheet's comments are not for them.
    page = re.sub(r"<style.*?</style>", "", render_html(report, tmp_path, lang="fr"), flags=re.S)
    # The same page in English does show them: the check would catch a regression.
    english_page = render_html(report, tmp_path, lang="en")
    assert len([word for word in words if word in english_page]) >= 5
    assert [word for word in words if word in page] == []


def test_the_terminal_verdict_uses_the_same_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = example_reports()["maintenance"]
    cases: tuple[tuple[Lang, str], ...] = (("fr", "Accès bloqué"), ("en", "Access blocked"))
    for lang, expected in cases:
        console.verdict_panel(report, tmp_path, lang)
        shown = capsys.readouterr().out
        assert expected in shown
        assert text("console.report", lang, path=tmp_path / "index.html") in shown
        other: Lang = "en" if lang == "fr" else "fr"
        assert text("console.what-to-do", other) not in shown


def test_the_catalogs_are_package_data() -> None:
    # Read at run time from the installed package: a wheel without them has no words.
    root = REPO
    with (root / "pyproject.toml").open("rb") as source:
        globs = tomllib.load(source)["tool"]["setuptools"]["package-data"]["probe"]
    for lang in LANGS:
        relative = Path(str(catalog_path(lang))).relative_to(root / "probe")
        assert any(relative.match(glob) for glob in globs), relative


@pytest.mark.parametrize("lang", LANGS)
def test_no_verdict_summary_repeats_the_title_printed_before_it(lang: Lang) -> None:
    # The terminal prints "<title>: <summary>" (-q) or the title over the summary: a
    # summary that starts with its own title reads "Access works: Access works: ...".
    catalog = _catalog_ids(lang)
    titles = [fold(v) for k, v in catalog.items() if k.startswith("console.title.")]
    summaries = {k: fold(v) for k, v in catalog.items() if k.startswith("summary.")}
    repeating = [k for k, v in summaries.items() if any(v.startswith(t) for t in titles)]
    assert repeating == []


def fold(words: str) -> str:
    return re.sub(r"\W+", " ", words.lower()).strip()
