"""docs/pytest.md's examples, run as a portal team would run them, and --output on failure.

Each ``python`` block of the page that starts with ``# <file name>`` is written as that
file; pytest runs them in a subprocess (pytest-playwright cannot run nested in this
session's own), with ``--browser chromium --browser firefox``.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.paths import REPO

pytest_plugins = ["pytester"]

BLOCK = re.compile(r"```python\n# (?P<name>[\w.]+)\n(?P<code>.*?)```", re.S)


def examples() -> dict[str, str]:
    text = (REPO / "docs" / "pytest.md").read_text()
    return {m["name"]: m["code"] for m in BLOCK.finditer(text)}


def test_the_page_has_its_examples() -> None:
    assert set(examples()) == {"test_scenarios.py", "test_set_up.py", "test_page.py", "conftest.py"}


def test_the_examples_of_docs_pytest_md_pass_as_written(pytester: pytest.Pytester) -> None:
    for name, code in examples().items():
        (pytester.path / name).write_text(code)
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--browser", "chromium", "--browser", "firefox"
    )
    # test_scenarios and test_set_up in each browser; test_page in Chromium only (its
    # only_browser marker: the conftest points page at probe's Chromium).
    result.assert_outcomes(passed=5, skipped=1)
    assert not (pytester.path / "test-results").exists(), "a passing test keeps nothing"


def test_a_failing_test_keeps_its_report_trace_and_screenshots_under_output(
    pytester: pytest.Pytester,
) -> None:
    """Without pytest-playwright (``-p no:playwright``): probe's own --browser/--output."""
    pytester.makepyfile(
        test_wrong="""
        def test_expects_the_wrong_factor(probe_diagnose):
            assert probe_diagnose("maintenance").verdict.factor == "none"
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:playwright", "-p", "no:randomly", "--output", "kept", "--probe-lang", "fr"
    )
    result.assert_outcomes(failed=1)
    kept = pytester.path / "kept" / "test-wrong-py-test-expects-the-wrong-factor-chromium"
    folder = kept / "probe-maintenance"
    assert (folder / "index.html").is_file()
    assert '"lang": "fr"' in (folder / "report.json").read_text()
    assert list((folder / "screenshots").glob("*.jpg"))
    assert list((folder / "traces").glob("*.zip"))
