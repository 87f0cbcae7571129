"""The report folder on disk: report.json and its schema, re-rendering, and no secret anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from probe.errors import BadInput
from probe.models import Report
from probe.report import (
    append_github_summary,
    json_schema,
    rerender,
    write_junit,
    write_report,
)
from tests.helpers.report_dom import parse
from tests.helpers.report_examples import (
    SECRETS,
    example_reports,
    extension_report,
    render_examples,
)


def validate(document: Any) -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)


def test_schema_is_draft_2020_12_with_identity() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://")
    assert schema["title"]
    assert schema["type"] == "object"
    assert {"verdict", "variants", "created_at"} <= set(schema["required"])
    json.dumps(schema)  # `probe schema` prints it as JSON


def test_every_written_report_json_matches_the_schema(tmp_path: Path) -> None:
    pages = render_examples(tmp_path)
    for name, page in pages.items():
        document = json.loads((page.parent / "report.json").read_text(encoding="utf-8"))
        validate(document)
        assert Report.model_validate(document).verdict == example_reports()[name].verdict


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("verdict", "status"), "maybe"),
        (("variants", 0, "outcome"), "crashed"),
        (("schema_version",), 3),
        (("unexpected",), 1),
    ],
)
def test_schema_rejects_what_the_model_rejects(path: tuple[str | int, ...], value: Any) -> None:
    document = json.loads(extension_report().model_dump_json())
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_rerender_in_the_other_language_keeps_report_json(tmp_path: Path) -> None:
    report = extension_report()
    page = write_report(report, tmp_path)
    saved = (tmp_path / "report.json").read_bytes()
    assert parse(page.read_text()).find("html").attrs["lang"] == "en"

    again = rerender(tmp_path, lang="fr")
    assert again == page
    french = parse(again.read_text())
    assert french.find("html").attrs["lang"] == "fr"
    assert french.find("h1").text() == report.verdict.summary_fr
    assert (tmp_path / "report.json").read_bytes() == saved

    rerender(tmp_path / "report.json", lang=None)  # the file itself is accepted too
    assert parse(page.read_text()).find("html").attrs["lang"] == report.lang


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no report.json in"),
        ("{not json", "is not a probe report"),
        ('{"probe_version": "0.1.0"}', "is not a probe report"),
        ("[]", "is not a probe report"),
        (b"\xff\xfe\x00", "cannot read"),
    ],
)
def test_rerender_refuses_bad_input_in_one_line(
    content: str | bytes | None, expected: str, tmp_path: Path
) -> None:
    if isinstance(content, str):
        (tmp_path / "report.json").write_text(content)
    elif isinstance(content, bytes):
        (tmp_path / "report.json").write_bytes(content)
    with pytest.raises(BadInput) as caught:
        rerender(tmp_path, lang="en")
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert str(tmp_path) in message
    assert not (tmp_path / "index.html").exists()


def test_rerender_names_the_wrong_field(tmp_path: Path) -> None:
    document = json.loads(extension_report().model_dump_json())
    document["verdict"]["status"] = "maybe"
    (tmp_path / "report.json").write_text(json.dumps(document))
    with pytest.raises(BadInput, match=r"verdict\.status"):
        rerender(tmp_path, lang=None)


def test_no_secret_reaches_any_written_file(tmp_path: Path) -> None:
    reports = example_reports()
    inputs = "".join(report.model_dump_json() for report in reports.values())
    for secret in SECRETS:
        assert secret in inputs, f"fixture no longer carries {secret!r}: the test proves nothing"

    pages = render_examples(tmp_path / "reports")
    for page in pages.values():
        rerender(page.parent, lang="fr")
    write_junit(list(reports.values()), tmp_path / "junit.xml")
    summary = tmp_path / "summary.md"
    for report in reports.values():
        assert append_github_summary(report, env={"GITHUB_STEP_SUMMARY": str(summary)})

    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(written) > 15
    for path in written:
        content = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in content, f"{secret!r} leaked into {path}"
