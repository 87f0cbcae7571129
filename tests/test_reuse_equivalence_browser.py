"""Reusing running browsers changes no verdict.

Every scenario is diagnosed with reuse on by the acceptance run (``ci_run``), which checks
its expected verdict. The scenarios where a browser served more than one run are
diagnosed here again, both ways (reuse on, and every run in a browser of its own), and
must get the same verdict, blockers and culprits; a last test checks against the
acceptance run that no scenario where reuse happens is missing from that list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probe.chromium import Chromium
from probe.ci import diagnose_scenario
from probe.engine import DiagnosisRequest
from probe.models import Report
from probe.scenarios import expected_culprits, load_all
from tests.ci_run import CiRun

pytestmark = pytest.mark.browser

# The scenarios where runs reuse a browser (measured: probe ci, Chromium 156).
REUSING = [
    "ad-blocker-among-sixteen",
    "ad-blocker-hides-captcha",
    "captcha-blocked-and-wrong-password",
    "extension-breaks-form",
    "extensions-clash",
]


def verdict_of(report: Report) -> tuple[str, str, list[str], list[str]]:
    verdict = report.verdict
    return (
        verdict.status,
        verdict.factor,
        sorted(c.id for c in verdict.culprits),
        [b.factor for b in verdict.blockers],
    )


def diagnose(name: str, reuse: bool, chromium: Chromium, folder: Path) -> Report:
    request = DiagnosisRequest(report_dir=folder, reuse_browsers=reuse, trace=False)
    report, _ = diagnose_scenario(name, request, chromium=chromium)
    return report


@pytest.mark.parametrize("name", REUSING)
def test_reusing_browsers_gives_the_verdict_of_a_browser_per_run(
    name: str, probe_chromium: Chromium, tmp_path: Path
) -> None:
    reused = diagnose(name, True, probe_chromium, tmp_path / "reuse")
    launched = diagnose(name, False, probe_chromium, tmp_path / "no-reuse")
    assert reused.browsers_started is not None and launched.browsers_started is not None
    assert reused.browsers_started < reused.browser_runs, "no run reused a browser"
    assert launched.browsers_started == launched.browser_runs
    assert verdict_of(reused) == verdict_of(launched)
    scenario = next(s for s in load_all() if s.name == name)
    assert (reused.verdict.status, reused.verdict.factor) == (
        scenario.expect.status,
        scenario.expect.factor,
    )
    culprits = expected_culprits(scenario)
    if culprits is not None:
        assert verdict_of(reused)[2] == sorted(culprits)


def test_every_scenario_where_runs_reuse_a_browser_is_compared(ci_run: CiRun) -> None:
    reusing = []
    for scenario in load_all():
        report = json.loads((ci_run.root / "reports" / scenario.name / "report.json").read_text())
        if report["browsers_started"] < report["browser_runs"]:
            reusing.append(scenario.name)
    assert reusing and set(reusing) <= set(REUSING), sorted(set(reusing) - set(REUSING))
