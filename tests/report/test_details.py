"""Text is data until the last moment: the core says keys and values, the catalogs say words.

The journey and the diagnosis record ``Detail`` (a catalog key and its values); the report
renders it in the reader's language. Nothing in the report reads a sentence back into
meaning, and every key the core can say is in every catalog.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from probe.diagnosis.other_browser import judged
from probe.diagnosis.remedies import evidence_details, remedies, summary
from probe.journey.credentials import _LOOK_ALIKES as LOOK_ALIKES
from probe.journey.credentials import Credentials, check_credentials
from probe.journey.observation import noted_step
from probe.models import (
    CookieGroup,
    CredentialIssue,
    Culprit,
    Detail,
    Evidence,
    Factor,
    LimitationKind,
    Report,
    Term,
    VariantRun,
)
from probe.report.details import english, render, skip_text
from probe.report.html import load_report, render_html
from probe.report.i18n import LANGS, messages
from tests.helpers.paths import REPO
from tests.helpers.report_examples import extension_report, write_screenshots

PROBE = REPO / "probe"
# The namespaces of the catalogs whose messages the core says as ``Detail`` keys.
SAID = ("detail", "summary", "remedy", "evidence", "limitation", "other-browser", "size")
KEY = re.compile(rf"(?:{'|'.join(SAID)})\.[a-z0-9.-]*[a-z0-9]")
CORE = ("journey", "diagnosis", "description", "browsers")


def _python(folder: Path) -> Iterator[tuple[Path, ast.AST]]:
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_the_report_reads_no_sentence_back_into_meaning() -> None:
    # A regular expression over words ("The portal answered HTTP (\d+)") would turn the
    # core's sentences back into keys: edit one and the report silently shows English.
    found = []
    for path, tree in _python(PROBE / "report"):
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
            ):
                continue
            for arg in node.args[:1]:
                if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                    found.append(f"{path.name}:{node.lineno} (a pattern built at run time)")
                elif re.search(r" |\\s|[A-Za-z]{3,}\\?\.", arg.value):
                    found.append(f"{path.name}:{node.lineno}: {arg.value}")
    assert found == []


def _core_keys() -> tuple[set[str], set[str]]:
    """Keys the core spells out, and the prefixes of the keys it builds (``summary.``)."""
    keys, prefixes = set(), set()
    for package in CORE:
        for _, tree in _python(PROBE / package):
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if KEY.fullmatch(node.value):
                        keys.add(node.value)
                elif isinstance(node, ast.JoinedStr) and node.values:
                    head = node.values[0]
                    if isinstance(head, ast.Constant) and re.match(
                        rf"(?:{'|'.join(SAID)})\.", str(head.value)
                    ):
                        prefixes.add(str(head.value))
    return keys, prefixes


def _keys_in(detail: Detail) -> Iterator[str]:
    yield detail.key
    for value in detail.params.values():
        if isinstance(value, Detail):
            yield from _keys_in(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Detail):
                    yield from _keys_in(item)
        elif isinstance(value, Term):
            yield f"{value.table}.{value.id}"


def _built_keys() -> set[str]:
    """Every key the core builds from its vocabulary, by asking it for all of them."""
    culprits = [
        [],
        [Culprit(kind="extension", id="a", name="Ad Shield")],
        [Culprit(kind="extension", id=x, name=x) for x in "abcd"],
    ]
    cookies = [None, CookieGroup(host="h", count=3), CookieGroup(host="h", count=3, total_bytes=9)]
    cookies.append(CookieGroup(host="h", count=3, total_bytes=9000))
    notes = ["", "no-submit", "later", "spam", "browser-crashed", "runs-stopped", "captcha", "form"]
    notes.append("headers-too-large")
    said: list[Detail] = []
    for factor, note, named, amount in itertools.product(
        get_args(Factor), notes, culprits, cookies
    ):
        said += summary("blocked", factor, named, note, cookies=amount)
        steps, fallback = remedies(factor, named, note)
        said += [r.says for r in steps + fallback if r.says is not None]
    said += evidence_details(
        [
            Evidence(kind=kind, component="a", name="A", url="http://p/")
            for kind in ("blocks-request", "injects-script", "injects-css")
        ]
    )
    fresh = VariantRun(name="fresh", outcome="fail", symptom="maintenance")
    for run in (
        VariantRun(name="other-browser", outcome="pass"),
        fresh,
        VariantRun(name="other-browser", outcome="fail", symptom="timeout"),
    ):
        other = judged(run, fresh, "firefox", "Firefox")
        assert other is not None
        said.append(Detail(key=f"other-browser.{other.outcome}"))
    said += [Detail(key=f"limitation.{kind}") for kind in get_args(LimitationKind)]
    said.append(Detail(key="limitation.cookies-unreadable.all"))
    # Each look-alike, a thin space, an Arabic 1, a Cyrillic e (not at the ends: stripped).
    odd = "1" + "".join(LOOK_ALIKES) + "\u2009\u0661\u0435" + "1"
    for typed in (" bLUE-sKY ", odd):
        found = check_credentials(Credentials(identifier=typed, password=typed))
        said += [finding.says for finding in found if finding.says is not None]
    return {key for detail in said for key in _keys_in(detail)}


def test_every_key_the_core_says_is_in_every_catalog() -> None:
    spelled, prefixes = _core_keys()
    built = _built_keys()
    assert len(spelled) > 30 and len(built) > 60
    # A key built at run time from a prefix this test does not enumerate would go unchecked.
    assert prefixes <= {
        "summary.",
        "other-browser.",
        "limitation.",
        "evidence.",
        "remedy.",
        "detail.credential.",
        "detail.odd.",
    }
    assert all(any(key.startswith(prefix) for key in built) for prefix in prefixes)
    assert {key for key in built if key.startswith("detail.credential.")} == {
        f"detail.credential.{field}.{issue}"
        for field in ("identifier", "password")
        for issue in get_args(CredentialIssue)
    }
    assert len([key for key in built if key.startswith("detail.odd.")]) == len(LOOK_ALIKES) + 3
    for lang in LANGS:
        missing = sorted(key for key in spelled | built if key not in messages(lang))
        assert missing == [], lang
    # The journey adds ".note" to these when the outbox had more to say.
    for key in ("detail.no-code", "detail.no-code-in-spam"):
        assert key in spelled
        assert all(f"{key}.note" in messages(lang) for lang in LANGS)


def test_a_note_is_rendered_in_the_reader_s_language_with_its_values() -> None:
    note = Detail(
        key="detail.captcha-blocked",
        params={"error": "net::ERR_BLOCKED_BY_CLIENT", "url": "http://captcha.localhost/api.js"},
    )
    assert english(note) == (
        "The security check was blocked inside the browser "
        "(net::ERR_BLOCKED_BY_CLIENT for http://captcha.localhost/api.js)."
    )
    assert render(note, "fr") == (
        "La vérification anti-robot a été bloquée dans le navigateur "
        "(net::ERR_BLOCKED_BY_CLIENT pour http://captcha.localhost/api.js)."
    )
    waited = Detail(key="detail.captcha-missing", params={"seconds": 2.5})
    assert english(waited).endswith("within 2.5 s.")
    assert render(waited, "fr").endswith("en 2,5 s.")
    answer = Detail(
        key="detail.skip-account-answer",
        params={"answer": Term(table="symptom", id="account-locked")},
    )
    assert "account-locked" not in render(answer, "fr")


def test_culprits_are_named_as_a_reader_of_each_language_calls_them() -> None:
    js = Culprit(kind="setting", id="javascript", name="JavaScript blocked")
    (said, *_) = summary("blocked", "browser-setting", [js])
    assert english(said) == "A browser setting, 'JavaScript blocked', blocks the login."
    assert (
        render(said, "fr") == "Un réglage du navigateur, 'JavaScript bloqué', bloque la connexion."
    )


def test_a_report_renders_its_notes_not_their_english_copy(tmp_path: Path) -> None:
    # report.json keeps the English text for its older readers; the report reads the key.
    report = _with_a_note(extension_report())
    write_screenshots(report, tmp_path)
    page = render_html(report, tmp_path, lang="fr")
    assert "Cette étape ne s&#39;est pas terminée en 3 s" in page
    assert "stale English copy" not in page
    skipped = VariantRun(
        name="fresh",
        outcome="skipped",
        skipped_because=Detail(key="detail.skip-rejected"),
        skipped_reason="stale English copy",
    )
    assert skip_text(skipped, "fr") == (
        "le portail a déjà refusé ces identifiants exacts ; les renvoyer pourrait verrouiller "
        "le compte"
    )


def _with_a_note(report: Report) -> Report:
    current = report.variants[0]
    step = noted_step(
        current.failed_step or "captcha",
        "fail",
        Detail(key="detail.step-timeout", params={"seconds": 3.0}),
    ).model_copy(update={"detail": "stale English copy"})
    steps = [s if s.name != step.name else step for s in current.steps]
    variants = [current.model_copy(update={"steps": steps}), *report.variants[1:]]
    return report.model_copy(update={"variants": variants})


NEW_IN_SCHEMA_2 = {"note", "skipped_because", "summary", "says"}


def _as_schema_1(value: object) -> object:
    """``value`` (a report's JSON) without what schema version 2 added."""
    if isinstance(value, dict):
        return {k: _as_schema_1(v) for k, v in value.items() if k not in NEW_IN_SCHEMA_2}
    if isinstance(value, list):
        return [_as_schema_1(item) for item in value]
    return value


@pytest.mark.parametrize("lang", LANGS)
def test_a_schema_1_report_still_loads_and_shows_its_sentences(lang: str, tmp_path: Path) -> None:
    # Written before details existed: only English and French texts, shown as they are.
    written = _with_a_note(extension_report()).model_dump(mode="json")
    old = _as_schema_1({**written, "schema_version": 1})
    (tmp_path / "report.json").write_text(json.dumps(old), encoding="utf-8")
    report = load_report(tmp_path)
    assert report.schema_version == 1 and report.verdict.summary == []
    write_screenshots(report, tmp_path)
    page = render_html(report, tmp_path, lang="fr" if lang == "fr" else "en")
    shown = report.verdict.summary_fr if lang == "fr" else report.verdict.summary_en
    assert shown.replace("'", "&#39;") in page
    assert "stale English copy" in page  # the step's English text, the only one it has
