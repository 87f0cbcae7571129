"""A scenario whose expectation is wrong makes ``probe ci`` fail, in real Chromium."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app.ci import CiOptions, run_ci
from probe.app.cli import app
from probe.app.scenarios import default_directory


@pytest.fixture
def wrong_expectation(tmp_path: Path) -> Path:
    """The maintenance scenario, copied with a wrong expected factor."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    copy = folder / "maintenance.toml"
    shutil.copy(default_directory() / "maintenance.toml", copy)
    text = copy.read_text(encoding="utf-8")
    assert 'factor = "maintenance"' in text
    copy.write_text(text.replace('factor = "maintenance"', 'factor = "rate-limited"'))
    return folder


def test_run_ci_reports_the_wrong_expectation(wrong_expectation: Path, tmp_path: Path) -> None:
    summary = run_ci(
        CiOptions(jobs=1, directory=wrong_expectation, report_dir=tmp_path / "reports")
    )
    assert (summary.passed, summary.failed) == (0, 1)
    result = summary.results[0]
    assert result.mismatch == "expected blocked / rate-limited, got blocked / maintenance"
    assert summary.rows[0][-1] == "FAIL"
    assert "expected blocked / rate-limited, got blocked / maintenance" in summary.index.read_text()


def test_cli_exits_1_and_junit_carries_the_mismatch(
    wrong_expectation: Path, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(
        app,
        [
            "ci",
            "--dir",
            str(wrong_expectation),
            "--report-dir",
            str(tmp_path / "reports"),
            "--junit",
            str(junit),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "0 passed, 1 failed" in result.output
    failure = ET.parse(junit).getroot().find("./testsuite/testcase[@name='maintenance']/failure")
    assert failure is not None
    assert failure.get("message") == "expected blocked / rate-limited, got blocked / maintenance"
