"""Reusing running browsers changes no verdict.

Every scenario is diagnosed with reuse on by the acceptance run (``ci_run``), which checks
its expected verdict. The scenarios where a browser served more than one run are
diagnosed here again with every run in a browser of its own (``reuse_browsers=False``),
and must get the verdict, blockers and culprits the acceptance run got with reuse; a
last test checks that no scenario where reuse happens is missing from that list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from probe.chromium import Chromium
from probe.ci import diagnose_scenario, take_shard
from probe.engine import DiagnosisRequest
from probe.scenarios import load_all
from tests.ci_run import CiRun
from tests.conftest import CI_SHARDS

pytestmark = pytest.mark.browser

# The scenarios where runs reuse a browser (measured: probe ci, Chromium 156).
REUSING = [
    "ad-blocker-among-sixteen",
    "ad-blocker-hides-captcha",
    "captcha-blocked-and-wrong-password",
    "extension-breaks-form",
    "extensions-clash",
    "identifier-trailing-space",
    "javascript-off-and-ad-blocker",
    "oversized-cookies",
    "oversized-cookies-and-ad-blocker",
    "sixteen-large-cookies",
    "user-filter-hides-captcha",
]


def verdict_of(report: dict[str, Any]) -> tuple[str, str, list[str], list[str]]:
    verdict = report["verdict"]
    return (
        verdict["status"],
        verdict["factor"],
        sorted(c["id"] for c in verdict["culprits"]),
        [b["factor"] for b in verdict["blockers"]],
    )


def reused_report(ci_run: CiRun, name: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        (ci_run.root / "reports" / name / "report.json").read_text()
    )
    return report


def shard_of(name: str) -> str:
    """The ``probe ci`` shard (``ci_run``'s parameter) that diagnoses ``name``."""
    scenarios = load_all()
    for i in range(1, CI_SHARDS + 1):
        if name in {s.name for s in take_shard(scenarios, f"{i}/{CI_SHARDS}")}:
            return f"{i}/{CI_SHARDS}"
    raise LookupError(name)


# Each scenario is compared with the acceptance run of the shard that diagnosed it (the
# ids keep xdist's shard grouping in tests/conftest.py: one shard, one worker).
@pytest.mark.parametrize(
    ("name", "ci_run"),
    [(name, shard_of(name)) for name in REUSING],
    ids=[f"shard{shard_of(n).replace('/', 'of')}-{n}" for n in REUSING],
    indirect=["ci_run"],
)
def test_reusing_browsers_gives_the_verdict_of_a_browser_per_run(
    name: str, ci_run: CiRun, probe_chromium: Chromium, tmp_path: Path
) -> None:
    reused = reused_report(ci_run, name)
    assert reused["browsers_started"] < reused["browser_runs"], "no run reused a browser"
    request = DiagnosisRequest(report_dir=tmp_path, reuse_browsers=False, trace=False)
    launched, _ = diagnose_scenario(name, request, chromium=probe_chromium)
    assert launched.browsers_started == launched.browser_runs
    assert verdict_of(launched.model_dump(mode="json")) == verdict_of(reused)


def test_every_scenario_where_runs_reuse_a_browser_is_compared(ci_run: CiRun) -> None:
    """In this shard, every scenario whose runs reuse a browser is in ``REUSING``."""
    reusing = [
        s.name
        for s in ci_run.scenarios
        if (r := reused_report(ci_run, s.name))["browsers_started"] < r["browser_runs"]
    ]
    assert set(reusing) <= set(REUSING), sorted(set(reusing) - set(REUSING))
