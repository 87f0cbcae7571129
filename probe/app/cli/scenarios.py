"""``probe ci`` and ``probe scenarios``: scenario files, run and listed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from probe.app import console
from probe.app.cli.base import (
    ChromiumOption,
    FirefoxOption,
    ScenarioDirOption,
    app,
    check_outputs,
    complete_browser,
    complete_scenario,
    reports_errors,
    scenarios_app,
)
from probe.app.request import engine_of


@scenarios_app.command("list")
@reports_errors
def scenarios_list(
    directory: ScenarioDirOption = None,
) -> None:
    """List the scenarios: what each reproduces and the verdict it expects.

    Example: probe scenarios list
    """
    from probe.app.scenarios import load_all

    scenarios = load_all(directory)
    console.table(
        f"{len(scenarios)} scenarios",
        ["name", "reproduces", "expected"],
        ((s.name, s.description, f"{s.expect.status} / {s.expect.factor}") for s in scenarios),
    )


JobsOption = Annotated[
    int, typer.Option(min=1, max=8, help="Browsers at once, across all the scenarios.")
]
ShardOption = Annotated[
    str | None,
    typer.Option(metavar="I/N", help="Run only shard I of N, e.g. 1/2 (for a CI matrix)."),
]
JunitOption = Annotated[Path | None, typer.Option(help="Write JUnit XML here.")]
ReportDirOption = Annotated[
    Path | None,
    typer.Option(
        help="Where each scenario's report and the index go. Default: reports/ci-<timestamp>/."
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="NAME",
        autocompletion=complete_scenario,
        help="Run just these scenarios (repeatable).",
    ),
]
BrowserNamesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--browser",
        metavar="firefox|chromium",
        autocompletion=complete_browser,
        help="Run the scenarios only in this browser (repeatable). Default: each in the browsers its 'browsers' field lists (Chromium when it lists none); Firefox runs are left out, with a line saying so, when Firefox is not installed.",
    ),
]
TraceOption = Annotated[
    bool, typer.Option("--trace", help="Keep Playwright traces (trace.zip) in each report.")
]
PortalUrlOption = Annotated[
    str | None,
    typer.Option(
        "--portal-url",
        metavar="URL",
        help="Where the portal that scenarios with portal_description target runs, when not at its file's login_url (e.g. another port).",
    ),
]


@app.command()
@reports_errors
def ci(
    jobs: JobsOption = 2,
    shard: ShardOption = None,
    junit: JunitOption = None,
    report_dir: ReportDirOption = None,
    directory: ScenarioDirOption = None,
    only: OnlyOption = None,
    chromium: ChromiumOption = None,
    firefox: FirefoxOption = None,
    browser_names: BrowserNamesOption = None,
    trace: TraceOption = False,
    portal_url: PortalUrlOption = None,
) -> None:
    """Run every scenario and check each verdict against the expected one (exit 1 if any differs).

    A scenario targets the embedded portal in the state its [portal] table sets, or, with
    portal_description = "FILE", your own portal (set up by you) described by that file.

    Examples: probe ci --jobs 2 --junit reports/junit.xml ; probe ci --browser firefox ;
    probe ci --dir my-scenarios --portal-url http://staging.example:8001/accounts/login/
    """
    from probe.app.ci import CiOptions, run_ci, workflow_annotations

    check_outputs(junit)
    options = CiOptions(
        jobs=jobs,
        shard=shard,
        junit=junit,
        report_dir=report_dir,
        directory=directory,
        only=only or None,
        chromium_path=chromium,
        firefox_path=firefox,
        trace=trace,
        portal_url=portal_url,
        browsers=[engine_of(b) for b in browser_names] if browser_names else None,
    )
    quiet = console.verbosity() < 0
    summary = run_ci(options, progress=None if quiet else console.line)
    counts = f"probe ci: {summary.passed} passed, {summary.failed} failed"
    if quiet:
        console.line(counts)
    else:
        console.table(
            counts, ["scenario", "expected", "got", "runs", "time", "result"], summary.rows
        )
        console.line(f"index: {summary.index}")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for command in workflow_annotations(summary, directory):
            console.raw(command)
    raise typer.Exit(0 if summary.failed == 0 else 1)
