"""Reusing running browsers changes no verdict.

Every scenario is diagnosed by the acceptance run (``ci_run``, the default: narrowing down
reuses switchable browsers, a run alone starts a plain one), which checks its expected
verdict. The scenarios listed here are diagnosed again the other way: where the acceptance
run reused a browser, with every run in a browser of its own (``reuse_browsers=False``);
where it did not, with a switchable browser for every run that can take one
(``reuse_every_run``, so that switching extensions, cookies and site data is put to work
on every scenario that has any). Both must get the same verdict, blockers and culprits; a
last test checks that no scenario where reuse happens by default is missing from the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from probe.app.ci import diagnose_scenario
from probe.app.request import DiagnosisRequest
from probe.browsers.chromium.discovery import Chromium
from tests.helpers.ci_run import CiRun, in_its_shard

# The scenarios where runs can share a browser: extensions, cookies or site data to switch
# (measured: probe ci, Chromium 156; with reuse_every_run each of them reuses one).
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
    return ci_run.report(name).model_dump(mode="json")


@in_its_shard(REUSING)
def test_reusing_browsers_gives_the_verdict_of_a_browser_per_run(
    name: str, ci_run: CiRun, probe_chromium: Chromium, tmp_path: Path
) -> None:
    default = reused_report(ci_run, name)
    reused_by_default = default["browsers_started"] < default["browser_runs"]
    request = DiagnosisRequest(
        report_dir=tmp_path,
        reuse_browsers=not reused_by_default,
        reuse_every_run=not reused_by_default,
        trace=False,
    )
    other, _ = diagnose_scenario(name, request, chromium=probe_chromium)
    if reused_by_default:
        assert other.browsers_started == other.browser_runs
    else:
        started = other.browsers_started
        assert started is not None and started < other.browser_runs, "no run reused a browser"
    assert verdict_of(other.model_dump(mode="json")) == verdict_of(default)


def test_every_scenario_where_runs_reuse_a_browser_is_compared(ci_run: CiRun) -> None:
    """In this shard, every scenario whose runs reuse a browser is in ``REUSING``."""
    reusing = [
        s.name
        for s in ci_run.scenarios
        if (r := reused_report(ci_run, s.name))["browsers_started"] < r["browser_runs"]
    ]
    assert set(reusing) <= set(REUSING), sorted(set(reusing) - set(REUSING))
