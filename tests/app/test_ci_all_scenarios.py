"""The acceptance test: every committed scenario, diagnosed in real Chromium (and in real
Firefox, those whose ``browsers`` lists it), gets its verdict.

This is ``probe ci --shard I/N`` through the real CLI (two browsers at a time, each
scenario with its own portal), once per shard, shared with the secrets test (``ci_run``
in conftest.py); the shards together are every scenario, once. It takes minutes;
``pytest tests/app/test_ci_all_scenarios.py -s`` prints each shard's table.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from probe.app.ci import browser_runs, take_shard
from probe.app.scenarios import expected_culprits, load_all
from tests.conftest import CI_SHARDS
from tests.helpers.ci_run import CiRun


def test_the_shards_together_are_every_scenario_once() -> None:
    shards = [take_shard(load_all(), f"{i}/{CI_SHARDS}") for i in range(1, CI_SHARDS + 1)]
    names = [s.name for shard in shards for s in shard]
    assert sorted(names) == sorted(s.name for s in load_all())
    assert all(shards), "no shard is empty"
    # Firefox is checked too: some scenarios run in it (each shard runs both browsers of its
    # scenarios).
    assert any(engine == "firefox" for _, engine in browser_runs(load_all(), None))


@pytest.mark.browser
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
