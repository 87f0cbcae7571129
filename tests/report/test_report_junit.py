"""What CI sees: JUnit XML and the GitHub Actions job summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from probe.models import Report
from probe.report import append_github_summary, github_summary, write_junit
from tests.helpers.report_examples import example_reports

EXAMPLES = example_reports()


def suites(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    return {suite.get("name", ""): suite for suite in root.findall("testsuite")}


def test_one_suite_per_report_with_the_right_counts(tmp_path: Path) -> None:
    reports = list(EXAMPLES.values())
    path = tmp_path / "out" / "junit.xml"
    write_junit(reports, path, suite_name="ameli")
    root = ET.parse(path).getroot()
    found = root.findall("testsuite")
    assert len(found) == len(reports)
    for report, suite in zip(reports, found, strict=True):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [v.name for v in report.variants] + ["verdict"]
        failed_variants = sum(v.outcome == "fail" for v in report.variants)
        expected_failures = failed_variants + (report.verdict.status != "ok")
        assert suite.get("tests") == str(len(report.variants) + 1)
        assert suite.get("failures") == str(expected_failures)
        assert suite.get("skipped") == str(sum(v.outcome == "skipped" for v in report.variants))
        assert len(suite.findall("testcase/failure")) == expected_failures
        assert suite.get("name", "").startswith("ameli: portal.localhost:8123")
    total = sum(len(r.variants) + 1 for r in reports)
    assert root.get("tests") == str(total)


def test_failures_carry_the_portal_message_and_the_failed_step(tmp_path: Path) -> None:
    write_junit([EXAMPLES["account-locked"]], tmp_path / "j.xml")
    (suite,) = suites(tmp_path / "j.xml").values()
    current = suite.find("testcase[@name='current']")
    assert current is not None
    failure = current.find("failure")
    assert failure is not None
    assert failure.get("message") == "credentials: Compte verrouillé après plusieurs tentatives"
    assert failure.get("type") == "account-locked"
    assert "failed step: credentials" in (failure.text or "")
    assert "http status: 403" in (failure.text or "")
    verdict = suite.find("testcase[@name='verdict']/failure")
    assert verdict is not None
    assert verdict.get("message") == EXAMPLES["account-locked"].verdict.summary_en


def test_skipped_variants_say_why_and_ok_verdict_passes(tmp_path: Path) -> None:
    write_junit([EXAMPLES["ok"]], tmp_path / "j.xml")
    (suite,) = suites(tmp_path / "j.xml").values()
    skipped = suite.find("testcase[@name='private']/skipped")
    assert skipped is not None
    assert skipped.get("message") == "your browser already works, so no other set-up was needed"
    verdict = suite.find("testcase[@name='verdict']")
    assert verdict is not None and len(verdict) == 0
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["status"] == "ok"
    assert properties["portal"] == "http://portal.localhost:8123/connexion"


def test_text_that_looks_like_markup_stays_text(tmp_path: Path) -> None:
    report = EXAMPLES["maintenance"]
    run = report.variants[0].model_copy(update={"message": 'a <b>&</b> "quoted" ]]>'})
    report = report.model_copy(update={"variants": [run, *report.variants[1:]]})
    write_junit([report], tmp_path / "j.xml")
    (suite,) = suites(tmp_path / "j.xml").values()
    failure = suite.find("testcase[@name='current']/failure")
    assert failure is not None
    assert failure.get("message") == 'open-login: a <b>&</b> "quoted" ]]>'


def test_github_summary_only_when_running_on_actions(tmp_path: Path) -> None:
    report = EXAMPLES["extension"]
    assert append_github_summary(report, env={}) is False
    assert append_github_summary(report, env={"GITHUB_STEP_SUMMARY": ""}) is False
    assert list(tmp_path.iterdir()) == []

    target = tmp_path / "step_summary.md"
    target.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(target)}
    assert append_github_summary(report, env=env) is True
    assert append_github_summary(EXAMPLES["ok"], env=env) is True
    text = target.read_text()
    assert text.startswith("earlier step\n")
    assert "Login blocked" in text and "Login works" in text
    assert report.verdict.summary_en in text.replace("\\_", "_")
    assert "`extension`" in text
    assert "Extension “Ad Shield”" in text


def table_rows(markdown: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").replace("\\|", "\x00").split("|")]
            rows.append([c.replace("\x00", "|") for c in cells])
    return rows


def test_github_summary_table_has_one_row_per_attempt() -> None:
    report: Report = EXAMPLES["maintenance"]
    run = report.variants[0].model_copy(update={"message": "Service | indisponible <b>now</b>"})
    report = report.model_copy(update={"variants": [run, *report.variants[1:]]})
    rows = table_rows(github_summary(report))
    assert rows[0] == ["Attempt", "Result", "Stopped at", "Portal message"]
    assert len(rows) == 1 + len(report.variants)
    assert all(len(row) == 4 for row in rows)
    assert rows[1][0] == "Your browser as it is (`current`)"
    assert rows[1][1] == "❌ failed"
    assert rows[1][2] == "Open the login page"
    assert rows[1][3] == "Service | indisponible &lt;b&gt;now&lt;/b&gt;"
    assert rows[3][1] == "⏭️ not tried"


def test_github_summary_speaks_the_report_language() -> None:
    text = github_summary(EXAMPLES["cookies"])
    assert "Connexion bloquée" in text
    assert "| Tentative | Résultat | Arrêt à | Message du portail |" in text
