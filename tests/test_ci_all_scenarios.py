"""The acceptance test: every committed scenario, diagnosed in real Chromium, gets its verdict.

This is ``probe ci`` in-process (two scenarios at a time, each with its own portal and
up to two browsers). It takes minutes; run it alone with
``pytest tests/test_ci_all_scenarios.py -s`` to watch the scenarios finish.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from probe.scenarios import load_all, run_ci


def table(rows: list[tuple[str, str, str, str, str, str]]) -> str:
    header = ("scenario", "expected", "got", "runs", "time", "result")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    )


@pytest.mark.browser
def test_every_scenario_gets_its_expected_verdict(tmp_path: Path) -> None:
    summary = run_ci(
        jobs=2,
        report_dir=tmp_path / "reports",
        junit=tmp_path / "junit.xml",
        progress=lambda text: print(text, flush=True),
    )
    print()
    print(table(summary.rows))
    print(f"{summary.passed} passed, {summary.failed} failed in {summary.seconds:.0f} s")

    names = [s.name for s in load_all()]
    assert [r.name for r in summary.results] == names
    wrong = {r.name: r.problem for r in summary.results if not r.passed}
    assert wrong == {}, "verdicts differ:\n" + table(summary.rows)

    # What a CI system reads: one passing test case per scenario, and an index of reports.
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("tests") == str(len(names)) and junit.get("failures") == "0"
    index = summary.index.read_text(encoding="utf-8")
    for name in names:
        assert f'href="{name}/index.html"' in index
        assert (tmp_path / "reports" / name / "report.json").is_file()
