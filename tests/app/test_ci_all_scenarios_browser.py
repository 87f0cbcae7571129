"""The acceptance test: every committed scenario, diagnosed in real Chromium (and in real
Firefox, those whose ``browsers`` lists it), gets its verdict.

This is ``probe ci --shard I/N`` through the real CLI (two browsers at a time, each
scenario with its own portal), once per shard, shared with the secrets test (``ci_run``
in conftest.py); the shards together are every scenario, once (checked without a browser in
tests/app/test_ci_all_scenarios.py). It takes minutes;
``pytest tests/app/test_ci_all_scenarios_browser.py -s`` prints each shard's table.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from probe.app.ci import browser_runs
from probe.app.scenarios import expected_culprits
from tests.helpers.ci_run import CiRun


def test_every_scenario_gets_its_expected_verdict(ci_run: CiRun) -> None:
    print(ci_run.terminal)
    scenarios = ci_run.scenarios
    runs = browser_runs(scenarios, None)
    wrong: dict[str, tuple[str, str, list[str]]] = {}
    for scenario, engine in runs:
        folder = scenario.name if engine == "chromium" else f"{scenario.name}-{engine}"
        report = json.loads((ci_run.root / "reports" / folder / "report.json").read_text())
        assert ("Firefox" in report["browser"]["product"]) == (engine == "firefox")
        verdict = report["verdict"]
        got = (verdict["status"], verdict["factor"], sorted(c["id"] for c in verdict["culprits"]))
        # A scenario that names no culprits expects none (a server-side or "ok" verdict):
        # an empty or missing list must not let any culprits through unchecked; one that
        # names its blockers instead is checked on them.
        expected = (
            scenario.expect.status,
            scenario.expect.factor,
            sorted(expected_culprits(scenario, engine) or ()),
        )
        if scenario.expect.blockers is not None:
            factors = [b["factor"] for b in verdict["blockers"]]
            if factors != scenario.expect.blockers:
                wrong[folder] = (*got[:2], factors)
            if scenario.expect.culprits is None:
                expected = (*expected[:2], got[2])
        if got != expected:
            wrong[folder] = got
    assert wrong == {}, f"verdicts differ: {wrong}"
    assert ci_run.exit_code == 0

    # What a CI system reads: one passing test case per scenario, and an index of reports.
    junit = ET.parse(ci_run.junit).getroot()
    assert junit.get("tests") == str(len(runs)) and junit.get("failures") == "0"
    index = (ci_run.root / "reports" / "index.html").read_text(encoding="utf-8")
    for scenario, engine in runs:
        folder = scenario.name if engine == "chromium" else f"{scenario.name}-{engine}"
        assert f'href="{folder}/index.html"' in index
