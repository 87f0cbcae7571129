"""Running scenarios: one (``probe browser --scenario``, ``probe_diagnose``) or all (``probe ci``).

``diagnose_scenario`` diagnoses one scenario: the embedded portal in its state, a profile
built from its recipe, its credentials. ``run_ci`` diagnoses many in real Chromium and
checks each verdict: they run ``jobs`` at a time, each in a worker thread with its own
embedded portal and its own asyncio loop. Each one's report lands in
``REPORT_DIR/<name>/``; the run writes an ``index.html`` linking them (expected vs got)
and, on request, JUnit XML with one test case per scenario. A diagnosis that raises
counts as a failed scenario and the run goes on.
"""

from __future__ import annotations

import dataclasses
import re
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from probe._util.workdir import private_workdir
from probe.app.recipes.cache import ProfileCache
from probe.app.request import DiagnosisRequest, ScenarioCase
from probe.app.scenarios import (
    Scenario,
    closest_names,
    default_directory,
    expected_culprits,
    load_all,
    load_scenario,
)
from probe.app.setup import run_diagnosis
from probe.browsers.base import EngineName
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.driver import SharedDriver
from probe.browsers.registry import Browser, find_browser
from probe.diagnosis.runner import Progress
from probe.errors import BadInput, ProbeError
from probe.models import Lang, Report, Verdict
from probe.report import (
    append_github_outputs,
    append_scenarios_summary,
    github_annotations,
    write_scenario_junit,
)
from probe.report.files import write_text

INDEX_HTML = "index.html"
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's diagnosis compared with what it expects."""

    scenario: Scenario
    seconds: float
    report: Report | None = None
    report_dir: Path | None = None  # where its index.html is, when it was written
    mismatch: str | None = None  # why it failed; None when the verdict is as expected
    error: str | None = None  # the diagnosis itself failed (then there is no report)
    engine: EngineName = "chromium"  # the browser it ran in

    @property
    def passed(self) -> bool:
        return self.mismatch is None and self.error is None

    @property
    def name(self) -> str:
        """The scenario's name; ``name [firefox]`` for its run in Firefox."""
        return self.scenario.name + (f" [{self.engine}]" if self.engine != "chromium" else "")

    @property
    def description(self) -> str:
        return self.scenario.description

    @property
    def expected(self) -> str:
        expect = self.scenario.expect
        culprits = f" [{', '.join(sorted(expect.culprits))}]" if expect.culprits else ""
        return f"{expect.status} / {expect.factor}{culprits}"

    @property
    def got(self) -> str:
        if self.report is None:
            return "error"
        verdict = self.report.verdict
        culprits = ", ".join(sorted(c.name for c in verdict.culprits))
        return f"{verdict.status} / {verdict.factor}" + (f" [{culprits}]" if culprits else "")

    @property
    def runs(self) -> int:
        return self.report.browser_runs if self.report is not None else 0

    @property
    def result(self) -> str:
        return "pass" if self.passed else "FAIL"

    @property
    def problem(self) -> str | None:
        return self.error or self.mismatch

    def row(self) -> tuple[str, str, str, str, str, str]:
        return (
            self.name,
            self.expected,
            self.got,
            str(self.runs),
            f"{self.seconds:.1f} s",
            self.result,
        )


@dataclass(frozen=True)
class CiSummary:
    results: list[ScenarioResult]
    index: Path
    junit: Path | None
    seconds: float

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """scenario, expected, got, runs, time, result: for the console table."""
        return [r.row() for r in self.results]


# ---------------------------------------------------------------- comparing


def compare(scenario: Scenario, verdict: Verdict, engine: EngineName = "chromium") -> str | None:
    """Why ``verdict`` (in ``engine``) is not the one ``scenario`` expects, or None when it is."""
    expect = scenario.expect
    problems = []
    if (verdict.status, verdict.factor) != (expect.status, expect.factor):
        problems.append(
            f"expected {expect.status} / {expect.factor}, got {verdict.status} / {verdict.factor}"
        )
    wanted = expected_culprits(scenario, engine)
    if wanted is not None:
        got = {c.id for c in verdict.culprits}
        if got != wanted:
            missing = sorted(wanted - got)
            extra = sorted(got - wanted)
            parts = [f"missing {', '.join(missing)}"] if missing else []
            parts += [f"unexpected {', '.join(extra)}"] if extra else []
            problems.append("culprits differ: " + "; ".join(parts))
    if expect.blockers is not None:
        got_blockers = [b.factor for b in verdict.blockers]
        if got_blockers != expect.blockers:
            problems.append(
                f"expected blockers {', '.join(expect.blockers)}, got {', '.join(got_blockers)}"
            )
    return "; ".join(problems) or None


# ---------------------------------------------------------------- choosing


def parse_shard(shard: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N) with 1 <= I <= N; ``BadInput`` otherwise."""
    match = _SHARD.match(shard)
    if match is None:
        raise BadInput(f"--shard {shard}: expected I/N, e.g. 1/2 (shard I of N)")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise BadInput(f"--shard {shard}: I must be between 1 and N (e.g. 1/2 or 2/2)")
    return index, count


def take_shard(scenarios: Sequence[Scenario], shard: str | None) -> list[Scenario]:
    """Shard I of N: every N-th scenario by sorted name, starting at the I-th.

    Deterministic, so that the N jobs of a CI matrix together run each scenario once.
    """
    ordered = sorted(scenarios, key=lambda s: s.name)
    if shard is None:
        return ordered
    index, count = parse_shard(shard)
    return ordered[index - 1 :: count]


def select(scenarios: Sequence[Scenario], only: Sequence[str] | None) -> list[Scenario]:
    if not only:
        return list(scenarios)
    by_name = {s.name: s for s in scenarios}
    for name in only:
        if name not in by_name:
            raise BadInput(f"--only {name}: unknown scenario; {closest_names(name, by_name)}")
    return [by_name[name] for name in dict.fromkeys(only)]


# ---------------------------------------------------------------- running


def diagnose_scenario(
    scenario: str | Scenario,
    request: DiagnosisRequest,
    progress: Progress | None = None,
    *,
    directory: Path | None = None,
    chromium: Chromium | None = None,
    driver: SharedDriver | None = None,
    profiles: ProfileCache | None = None,
) -> tuple[Report, Path]:
    """Diagnose one scenario: portal in its state, profile built from its recipe.

    ``request`` says where and how to report (folder, language, Chromium path, jobs...);
    the scenario brings the portal, the profile and the credentials, so the request
    names none (but ``portal_url``: where a described portal the scenario targets runs).
    ``chromium``: one already found; ``driver``: a Playwright driver and browser budget
    shared with other scenarios; ``profiles``: profiles built from recipes, shared with
    them too. Returns the report and its folder.

    Example: ``report, folder = diagnose_scenario("maintenance", DiagnosisRequest())``.
    """
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, directory)
    check_portal_url([loaded], request.portal_url)
    if loaded.no_submit:
        request = dataclasses.replace(request, no_submit=True)
    case = scenario_case(loaded, request.browser or "chromium")
    return run_diagnosis(
        request, progress, chromium=chromium, case=case, driver=driver, profiles=profiles
    )


def scenario_case(scenario: Scenario, engine: EngineName = "chromium") -> ScenarioCase:
    """What a scenario sets up: the embedded portal's state, or the described portal it
    targets (``portal_description``), with its profile recipe and credentials."""
    return ScenarioCase(
        portal=scenario.portal,
        build_portal=scenario.build_portal,
        recipe=scenario.profile,
        credentials=scenario.credentials.typed(),
        scenario=scenario.name,
        described=scenario.described_portal,
        engine=engine,
    )


def check_portal_url(scenarios: Sequence[Scenario], portal_url: str | None) -> None:
    """``--portal-url`` moves the described portal the scenarios target; it means nothing
    to scenarios on the embedded portal."""
    if portal_url is None:
        return
    if not portal_url.startswith(("http://", "https://")):
        raise BadInput(f"--portal-url {portal_url}: not an http(s) URL")
    if not any(s.described_portal is not None for s in scenarios):
        raise BadInput(
            f"--portal-url {portal_url}: none of these scenarios targets a described portal "
            "(portal_description); they run on the embedded one"
        )


def _run_one(
    scenario: Scenario,
    engine: EngineName,
    browser: Browser,
    root: Path,
    options: CiOptions,
    shared: _Shared,
) -> ScenarioResult:
    out_dir = root / (scenario.name if engine == "chromium" else f"{scenario.name}-{engine}")
    started = time.monotonic()
    request = DiagnosisRequest(
        report_dir=out_dir,
        lang=options.lang,
        trace=options.trace,
        portal_url=options.portal_url if scenario.described_portal is not None else None,
        browser=engine,
        firefox_path=str(browser.executable) if browser.engine == "firefox" else None,
        # A scenario's verdict does not depend on it: left out to keep probe ci short.
        other_browser=False,
    )
    chromium = browser if browser.engine == "chromium" else None
    try:
        report, written = diagnose_scenario(
            scenario, request, chromium=chromium, driver=shared.driver, profiles=shared.profiles
        )
    except ProbeError as exc:
        return ScenarioResult(scenario, time.monotonic() - started, error=str(exc), engine=engine)
    except Exception as exc:  # a bug in probe: keep the run going, keep the evidence
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return ScenarioResult(
            scenario,
            time.monotonic() - started,
            error=f"probe crashed: {type(exc).__name__}: {exc} (see {out_dir / 'error.txt'})",
            engine=engine,
        )
    return ScenarioResult(
        scenario,
        time.monotonic() - started,
        report=report,
        report_dir=written,
        mismatch=compare(scenario, report.verdict, engine),
        engine=engine,
    )


def browser_runs(
    scenarios: Sequence[Scenario], browsers: Sequence[EngineName] | None
) -> list[tuple[Scenario, EngineName]]:
    """Each scenario in each of its browsers (only ``browsers`` when given)."""
    return [
        (s, engine)
        for s in scenarios
        for engine in s.browsers
        if browsers is None or engine in browsers
    ]


def _line(result: ScenarioResult, done: int, total: int) -> str:
    mark = "✔" if result.passed else "✘"
    text = f"[{done}/{total}] {mark} {result.name} ({result.seconds:.1f} s): got {result.got}"
    if not result.passed:
        text += f" — {result.problem}"
    return text


@dataclass(frozen=True)
class CiOptions:
    """What ``probe ci`` was asked (see its ``--help``)."""

    jobs: int = 2  # browsers at once across the whole run
    shard: str | None = None  # "I/N": only shard I of N
    junit: Path | None = None
    report_dir: Path | None = None  # None: reports/ci-<timestamp>/
    directory: Path | None = None  # the scenario folder; None: scenarios/
    only: Sequence[str] | None = None  # just these scenarios
    chromium_path: str | None = None
    firefox_path: str | None = None
    lang: Lang = "en"
    trace: bool = False
    # Where the described portal that scenarios with ``portal_description`` target runs,
    # when not at its file's ``login_url``.
    portal_url: str | None = None
    browsers: Sequence[EngineName] | None = None  # only these; None: each scenario's own


@dataclass(frozen=True)
class _Shared:
    """What the scenarios of one run share: a Playwright driver and built profiles."""

    driver: SharedDriver
    profiles: ProfileCache


def run_ci(options: CiOptions, progress: Callable[[str], object] | None = None) -> CiSummary:
    """Diagnose the scenarios (all, ``only`` some, or one shard) and compare verdicts.

    ``jobs``: browsers at once across the whole run. The scenarios share one Playwright
    driver and that budget; ``jobs + 1`` of them are under way at once, so that one
    builds its profile or writes its report while the others' browsers run. Scenarios
    with the same recipe share one Chromium profile, built once into a private temporary
    folder. Each runs in each browser its ``browsers`` lists (only those of ``browsers``
    when given). Without ``browsers``, the Firefox runs are left out, with a line saying
    so, when no Firefox is installed.

    Example: ``run_ci(CiOptions(jobs=2, shard="1/2", junit=Path("junit.xml"))).failed == 0``.
    """
    if options.jobs < 1:
        raise BadInput(f"--jobs {options.jobs}: at least 1")
    say = progress or (lambda _text: None)
    chosen = take_shard(select(load_all(options.directory), options.only), options.shard)
    check_portal_url(chosen, options.portal_url)
    root = _report_root(options.report_dir)
    runs, found = _installed(browser_runs(chosen, options.browsers), options, say)
    where = ", ".join(b.describe() for b in found.values())
    say(f"probe ci: {len(runs)} scenario run(s), {options.jobs} browser(s) at a time, in {where}")
    started = time.monotonic()
    results = _run_all(runs, found, root, options, say)
    summary = CiSummary(
        results=sorted(results, key=lambda r: r.name),
        index=root / INDEX_HTML,
        junit=options.junit,
        seconds=time.monotonic() - started,
    )
    write_index(summary, root, shard=options.shard)
    if options.junit is not None:
        write_scenario_junit(summary.results, options.junit, seconds=summary.seconds)
    append_scenarios_summary(summary.results)
    append_github_outputs(summary.results, summary.index)
    return summary


def workflow_annotations(summary: CiSummary, directory: Path | None = None) -> list[str]:
    """GitHub's ``::error`` lines for the scenarios whose verdict differs, each pointing at
    its scenario file when that file is under the current folder (the repository)."""
    folder = (directory or default_directory()).resolve()
    here = Path.cwd().resolve()
    files: dict[str, str] = {}
    for result in summary.results:
        path = folder / f"{result.scenario.name}.toml"
        if path.is_relative_to(here):
            files[result.name] = path.relative_to(here).as_posix()
    return github_annotations(summary.results, files)


def _report_root(report_dir: Path | None) -> Path:
    root = report_dir or Path("reports") / datetime.now().strftime("ci-%Y%m%d-%H%M%S")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--report-dir {root}: cannot write there ({exc.strerror})") from None
    return root


def _installed(
    runs: list[tuple[Scenario, EngineName]], options: CiOptions, say: Callable[[str], object]
) -> tuple[list[tuple[Scenario, EngineName]], dict[EngineName, Browser]]:
    """The browsers the runs need, found; Firefox runs left out (and said) when it is not
    installed and no one asked for it."""
    found: dict[EngineName, Browser] = {}
    if any(engine == "chromium" for _, engine in runs):
        found["chromium"] = find_browser("chromium", chromium_path=options.chromium_path)
    if any(engine == "firefox" for _, engine in runs):
        try:
            found["firefox"] = find_browser("firefox", firefox_path=options.firefox_path)
        except ProbeError as exc:
            if options.browsers is not None or options.firefox_path is not None:
                raise
            left = sum(engine == "firefox" for _, engine in runs)
            say(f"probe ci: {left} Firefox run(s) left out ({exc})")
            runs = [(s, engine) for s, engine in runs if engine != "firefox"]
    return runs, found


def _run_all(
    runs: list[tuple[Scenario, EngineName]],
    found: dict[EngineName, Browser],
    root: Path,
    options: CiOptions,
    say: Callable[[str], object],
) -> list[ScenarioResult]:
    """Every run, ``jobs + 1`` under way at once, each result said as it comes."""
    results: list[ScenarioResult] = []
    with private_workdir() as scratch:
        profiles = ProfileCache(scratch / "profiles")
        shared = _Shared(SharedDriver(browsers=options.jobs).start(), profiles)
        pool = ThreadPoolExecutor(max_workers=options.jobs + 1, thread_name_prefix="scenario")
        try:
            futures = [
                pool.submit(_run_one, s, engine, found[engine], root, options, shared)
                for s, engine in runs
            ]
            for future in as_completed(futures):
                results.append(future.result())
                say(_line(results[-1], len(results), len(runs)))
        finally:
            # Stopped (Ctrl-C, SIGTERM): scenarios not started never start, those under
            # way are cancelled and clean up in their threads, which are waited for.
            pool.shutdown(wait=False, cancel_futures=True)
            shared.driver.close()
            pool.shutdown(wait=True)
    return results


# ---------------------------------------------------------------- writing


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("probe.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def write_index(summary: CiSummary, root: Path, *, shard: str | None = None) -> Path:
    """``index.html``: one row per scenario linking its report, expected vs got."""
    rows = []
    for result in summary.results:
        link = None
        if result.report_dir is not None:
            target = result.report_dir / "index.html"
            try:
                link = target.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                link = target.resolve().as_uri()
        rows.append({"result": result, "link": link})
    page = (
        _environment()
        .get_template("ci_index.html")
        .render(
            summary=summary,
            rows=rows,
            shard=shard,
            created=datetime.now().strftime("%Y-%m-%d %H:%M"),
        )
    )
    return write_text(root / INDEX_HTML, page)
