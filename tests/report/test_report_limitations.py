"""What probe could not replay, in report.json (and its schema) and on the HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from probe._util.files import Notes
from probe.diagnosis.limitations import limitations_of
from probe.models import Lang, Report
from probe.report import json_schema, render_html, rerender, write_report
from tests.helpers.report_dom import parse
from tests.helpers.report_examples import ok_report, write_screenshots


def _with_limitations() -> Report:
    notes = Notes()
    notes.add(
        "extension-unsupported",
        "extension 'Old Blocker' (aaaa) is Manifest V2, which this Chromium refuses",
        name="Old Blocker",
    )
    notes.add(
        "cookies-undecryptable",
        "2 cookies (portal.localhost) are encrypted with a key held by the macOS Keychain",
        count=2,
        hosts="portal.localhost",
        listed="portal.localhost",
        holder="macos",
    )
    return ok_report().model_copy(update={"limitations": limitations_of(notes)})


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema())


def test_report_json_carries_the_limitations_and_the_schema_knows_them(tmp_path: Path) -> None:
    write_screenshots(_with_limitations(), tmp_path)
    write_report(_with_limitations(), tmp_path)
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    _validator().validate(document)
    kinds = [item["kind"] for item in document["limitations"]]
    assert kinds == ["extension-unsupported", "cookies-undecryptable"]
    assert "macOS Keychain" in document["limitations"][1]["en"]
    assert "trousseau de macOS" in document["limitations"][1]["fr"]
    document["limitations"][0]["kind"] = "made-up"
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(document)
    # A report.json written before limitations existed still renders.
    del document["limitations"]
    assert Report.model_validate(document).limitations == []


@pytest.mark.parametrize(
    ("lang", "heading", "sentence"),
    [
        ("en", "What probe could not reproduce", "The extension Old Blocker is turned on"),
        ("fr", "Ce que probe n'a pas pu reproduire", "L'extension Old Blocker est activée"),
    ],
)
def test_the_page_has_a_short_section_of_limitations(
    tmp_path: Path, lang: Lang, heading: str, sentence: str
) -> None:
    report = _with_limitations()
    write_screenshots(report, tmp_path)
    page = parse(render_html(report, tmp_path, lang=lang))
    section = page.find("section", cls="limitations")
    assert section.find("h2").text() == heading
    items = [li.text() for li in section.find_all("li")]
    assert len(items) == 2 and items[0].startswith(sentence)


def test_no_section_when_everything_was_replayed(tmp_path: Path) -> None:
    report = ok_report()
    write_screenshots(report, tmp_path)
    html = render_html(report, tmp_path, lang="en")
    assert 'class="limitations"' not in html


def test_rerendering_keeps_the_limitations(tmp_path: Path) -> None:
    report = _with_limitations()
    write_screenshots(report, tmp_path)
    write_report(report, tmp_path)
    rerender(tmp_path, lang="fr")
    page = parse((tmp_path / "index.html").read_text(encoding="utf-8"))
    heading = page.find("section", cls="limitations").find("h2").text()
    assert heading == "Ce que probe n'a pas pu reproduire"
