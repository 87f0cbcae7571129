"""The shards of ``probe ci --shard I/N`` are every committed scenario, once.

The acceptance test that runs them (every scenario gets its verdict, in real Chromium and
Firefox) is tests/app/test_ci_all_scenarios_browser.py.
"""

from __future__ import annotations

from probe.app.ci import browser_runs, take_shard
from probe.app.scenarios import load_all
from tests.conftest import CI_SHARDS


def test_the_shards_together_are_every_scenario_once() -> None:
    shards = [take_shard(load_all(), f"{i}/{CI_SHARDS}") for i in range(1, CI_SHARDS + 1)]
    names = [s.name for shard in shards for s in shard]
    assert sorted(names) == sorted(s.name for s in load_all())
    assert all(shards), "no shard is empty"
    # Firefox is checked too: some scenarios run in it (each shard runs both browsers of its
    # scenarios).
    assert any(engine == "firefox" for _, engine in browser_runs(load_all(), None))
