"""What the HTML page shows, worked out in Python so the templates only lay it out.

Everything here is already translated, formatted and redacted; the templates never see
a raw :class:`~probe.models.Report`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from probe._util.redact import redact_report, redact_text
from probe.models import STEP_NAMES, DrillNode, Lang, Report, Step, VariantRun
from probe.report import vocabulary as vocab
from probe.report.details import (
    browser_details,
    remedy_text,
    render,
    rendered,
    shown,
    skip_text,
    summary_text,
)
from probe.report.i18n import format_bytes, format_datetime, format_duration, format_int, text
from probe.report.images import data_uri


@dataclass(frozen=True)
class Cell:
    outcome: str  # "pass", "fail", "skipped", "not-reached", "not-needed"
    label: str
    step: str


@dataclass(frozen=True)
class Row:
    anchor: str
    label: str
    explanation: str
    outcome: str
    outcome_label: str
    cells: list[Cell]
    skipped_reason: str | None


@dataclass(frozen=True)
class FailedRequestRow:
    url: str
    error: str
    resource_type: str
    blocked_in_browser: bool


@dataclass(frozen=True)
class Screenshot:
    data_uri: str | None  # None: the file was missing, unreadable or not an image
    caption: str


@dataclass(frozen=True)
class Card:
    anchor: str
    label: str
    explanation: str
    outcome: str
    outcome_label: str
    stop: str  # "Stopped at: …" or "Went all the way through"
    symptom: str | None
    detail: str | None  # what probe noticed at the stop, in plain English
    message: str | None
    screenshot: Screenshot | None
    timing_text: str
    bar_left: float  # percent of the whole diagnosis
    bar_width: float
    requests: list[FailedRequestRow]
    console_errors: list[str]
    cookies: str | None
    detail_lang: Lang = "en"
    trace: str | None = None  # href of the run's Playwright trace
    trace_how: str | None = None


@dataclass(frozen=True)
class DrillItem:
    label: str
    outcome: str
    outcome_label: str
    kept: str
    note: str | None
    children: list[DrillItem] = field(default_factory=list)


@dataclass(frozen=True)
class BlockerView:
    step: str | None  # "At the step “Security check”"
    summary: str


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class PageView:
    lang: Lang
    title: str
    status: str
    status_word: str
    summary: str
    intro: str
    culprits: list[str]
    remedies: list[str]
    if_that_fails: list[str]
    steps: list[tuple[str, str]]  # (step name, label) columns of the grid
    rows: list[Row]
    cards: list[Card]
    drilldown: list[DrillItem]
    facts: list[Fact]
    components: list[Fact]
    credential_findings: list[str]
    footer: str
    blockers: list[BlockerView] = field(default_factory=list)  # only when there are several
    limitations: list[str] = field(default_factory=list)  # what no run could reproduce


def build_view(report: Report, out_dir: Path, lang: Lang) -> PageView:
    """Translate, format and redact ``report`` for the page, reading screenshots from ``out_dir``."""
    report = redact_report(report)
    verdict = report.verdict
    names = {
        c.id: vocab.component_name(c.kind, c.id, c.name, lang) for c in report.profile.components
    }
    total_ms = max(
        [report.duration_ms, *(run.started_ms + run.duration_ms for run in report.variants)]
    )
    runs = sum(run.outcome != "skipped" for run in report.variants)
    duration = format_duration(report.duration_ms, lang)
    intro = (
        text("what-we-did-one", lang, duration=duration)
        if runs <= 1
        else text("what-we-did", lang, runs=format_int(runs, lang), duration=duration)
    )
    steps = _grid_steps(report.variants)
    return PageView(
        lang=lang,
        title=text("title", lang, host=urlsplit(report.portal.url).netloc or report.portal.url),
        status=verdict.status,
        status_word=text(f"status.{verdict.status}", lang),
        summary=summary_text(verdict, lang),
        intro=intro,
        culprits=[
            _labelled(
                vocab.pick(vocab.CULPRIT_KINDS, c.kind, lang),
                vocab.component_name(c.kind, c.id, c.name, lang),
                lang,
            )
            for c in verdict.culprits
        ],
        remedies=[remedy_text(r, lang) for r in verdict.remedies],
        if_that_fails=[remedy_text(r, lang) for r in verdict.if_that_fails],
        steps=[(name, vocab.step_label(name, lang)) for name in steps],
        rows=[_row(run, steps, names, lang) for run in report.variants],
        cards=[_card(run, out_dir, total_ms, names, lang) for run in report.variants],
        drilldown=_drill_tree(report.drilldown, names, lang),
        facts=_facts(report, lang),
        components=_components(report, lang),
        credential_findings=[
            _labelled(
                vocab.pick(vocab.CREDENTIAL_FIELDS, f.field, lang),
                f"{vocab.pick(vocab.CREDENTIAL_ISSUES, f.issue, lang)} "
                f"({render(f.says, lang) if f.says else f.detail})",
                lang,
            )
            for f in report.credentials
        ],
        footer=text("made-by", lang, version=report.probe_version),
        blockers=[
            BlockerView(
                step=text("blocker-at", lang, step=vocab.step_label(b.step, lang))
                if b.step
                else None,
                summary=rendered(b.summary, lang)
                if b.summary
                else (b.summary_fr if lang == "fr" else b.summary_en),
            )
            for b in verdict.blockers
        ]
        if len(verdict.blockers) > 1
        else [],
        limitations=_unique(
            redact_text(
                render(item.says, lang) if item.says else (item.fr if lang == "fr" else item.en)
            )
            for item in report.limitations
        ),
    )


def _labelled(label: str, value: str, lang: Lang) -> str:
    return text("labelled", lang, label=label, value=value)


def _anchor(run: VariantRun) -> str:
    return "run-" + "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in run.name)


def _grid_steps(runs: list[VariantRun]) -> list[str]:
    """The journey's stages as columns: every stage any run reached, or all if none got through.

    A stage no run reached is still shown while no run completed the journey, so a reader
    sees how far from the end every attempt stopped.
    """
    seen = {step.name for run in runs for step in run.steps}
    someone_finished = any(run.outcome == "pass" for run in runs)
    return [name for name in STEP_NAMES if name in seen or not someone_finished]


def _run_label(run: VariantRun, names: dict[str, str], lang: Lang) -> tuple[str, str]:
    """``(label, explanation)``; a narrowing-down run is explained by what it kept."""
    label, explanation = vocab.variant_label(run.name, lang, run.description)
    if vocab.is_drill(run.name) or run.name.startswith("suspects-only"):
        explanation = _kept_text([names.get(item, item) for item in run.kept], lang)
    elif vocab.is_removal(run.name):
        removed = [name for cid, name in names.items() if cid not in set(run.kept)]
        explanation = text("kept-without", lang, items=", ".join(removed))
    return label, explanation


def _kept_text(kept: list[str], lang: Lang) -> str:
    return text("kept", lang, items=", ".join(kept)) if kept else text("kept-nothing", lang)


def _row(run: VariantRun, steps: list[str], names: dict[str, str], lang: Lang) -> Row:
    label, explanation = _run_label(run, names, lang)
    by_name: dict[str, Step] = {step.name: step for step in run.steps}
    cells: list[Cell] = []
    for name in steps:
        step = by_name.get(name)
        if run.outcome == "skipped":
            outcome = "skipped"
        elif step is None:
            outcome = "not-needed" if run.outcome == "pass" else "not-reached"
        elif step.outcome == "skipped" and run.outcome == "fail":
            # The journey records the stages after a failure as skipped: nobody got there.
            outcome = "not-reached"
        else:
            outcome = step.outcome
        cells.append(Cell(outcome, vocab.pick(vocab.OUTCOMES, outcome, lang), name))
    reason = skip_text(run, lang) if run.outcome == "skipped" else None
    return Row(
        anchor=_anchor(run),
        label=label,
        explanation=explanation,
        outcome=run.outcome,
        outcome_label=vocab.pick(vocab.OUTCOMES, run.outcome, lang),
        cells=cells,
        skipped_reason=reason,
    )


def _stop_step(run: VariantRun) -> Step | None:
    if run.failed_step is not None:
        for step in run.steps:
            if step.name == run.failed_step:
                return step
    return run.steps[-1] if run.steps else None


def _card(run: VariantRun, out_dir: Path, total_ms: int, names: dict[str, str], lang: Lang) -> Card:
    label, explanation = _run_label(run, names, lang)
    stop = _stop_step(run)
    if run.outcome == "pass":
        stop_text = text("went-through", lang)
    elif run.outcome == "skipped":
        reason = skip_text(run, lang)
        stop_text = (
            text("skipped-because", lang, reason=reason) if reason else text("not-tried", lang)
        )
    else:
        stop_name = run.failed_step or (stop.name if stop else None)
        stop_text = text("stopped-at", lang, step=vocab.step_label(stop_name or "?", lang))
    message = run.message or (stop.message if stop and stop.outcome == "fail" else None)
    symptom = None
    if run.outcome == "fail" and run.symptom != "none":
        symptom = text(
            "what-went-wrong", lang, symptom=vocab.pick(vocab.SYMPTOMS, run.symptom, lang)
        )
    start = format_duration(run.started_ms, lang)
    took = format_duration(run.duration_ms, lang)
    scale = 100.0 / total_ms if total_ms > 0 else 0.0
    left = min(max(run.started_ms * scale, 0.0), 100.0)
    width = min(max(run.duration_ms * scale, 0.5), 100.0 - left)
    cookies = None
    if stop is not None and stop.cookies.count:
        cookies = text(
            "cookie-at-stop-one" if stop.cookies.count == 1 else "cookies-at-stop",
            lang,
            count=format_int(stop.cookies.count, lang),
            size=format_bytes(stop.cookies.total_bytes, lang),
        )
    detail = (
        shown(stop.note, stop.detail, lang) if stop is not None and run.outcome != "pass" else None
    )
    return Card(
        anchor=_anchor(run),
        label=label,
        explanation=explanation,
        outcome=run.outcome,
        outcome_label=vocab.pick(vocab.OUTCOMES, run.outcome, lang),
        stop=stop_text,
        symptom=symptom,
        detail=detail.text if detail else None,
        detail_lang=detail.lang if detail else lang,
        trace=run.trace,
        trace_how=text("trace-how", lang, file=run.trace) if run.trace else None,
        message=message,
        screenshot=_screenshot(run, out_dir, lang),
        timing_text=(
            text("timing-bar", lang, start=start, duration=took)
            if run.started_ms > 0
            else text("timing-bar-first", lang, duration=took)
        ),
        bar_left=round(left, 2),
        bar_width=round(width, 2),
        requests=[
            FailedRequestRow(r.url, r.error, r.resource_type, r.blocked_by_client)
            for step in run.steps
            for r in step.failed_requests
        ],
        console_errors=_unique(line for step in run.steps for line in step.console_errors),
        cookies=cookies,
    )


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _screenshot(run: VariantRun, out_dir: Path, lang: Lang) -> Screenshot | None:
    """The picture of the page where the run stopped: its last step that has one."""
    shot = next((step for step in reversed(run.steps) if step.screenshot), None)
    if shot is None or shot.screenshot is None:
        return None
    caption = text("screenshot-of", lang, step=vocab.step_label(shot.name, lang))
    return Screenshot(data_uri=data_uri(out_dir, shot.screenshot), caption=caption)


def _drill_tree(nodes: list[DrillNode], names: dict[str, str], lang: Lang) -> list[DrillItem]:
    by_run = {node.run: node for node in nodes}
    children: dict[str | None, list[DrillNode]] = {}
    for index, node in enumerate(nodes):
        parent = node.parent if node.parent in by_run and node.parent != node.run else None
        if parent is None:
            parent = _inferred_parent(node, nodes[:index])
        children.setdefault(parent, []).append(node)

    def build(node: DrillNode, seen: frozenset[str]) -> DrillItem:
        kept = [names.get(item, item) for item in node.kept]
        note = None
        if node.parent is not None and node.parent not in by_run:
            note = text("tried-after", lang, run=vocab.variant_label(node.parent, lang)[0])
        seen = seen | {node.run}
        return DrillItem(
            label=vocab.variant_label(node.run, lang)[0],
            outcome=node.outcome,
            outcome_label=vocab.pick(vocab.OUTCOMES, node.outcome, lang),
            kept=_kept_text(kept, lang),
            note=note,
            children=[build(c, seen) for c in children.get(node.run, []) if c.run not in seen],
        )

    roots = children.get(None, [])
    if not roots and nodes:  # parent links form a loop: show them flat rather than nothing
        roots = nodes
    return [build(root, frozenset()) for root in roots]


def _inferred_parent(node: DrillNode, earlier: list[DrillNode]) -> str | None:
    """The run ``node`` most likely split: the smallest earlier failing run that kept more.

    Older engines leave ``parent`` empty; delta debugging only ever splits a failing set,
    so that run is where this one came from.
    """
    kept = set(node.kept)
    candidates = [
        other
        for other in earlier
        if other.outcome == "fail" and kept < set(other.kept) and other.run != node.run
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda other: len(other.kept)).run


def _facts(report: Report, lang: Lang) -> list[Fact]:
    portal = report.portal.url
    extras = []
    if report.portal.embedded:
        extras.append(text("portal-embedded", lang))
    if report.portal.scenario:
        extras.append(f"{text('scenario', lang)} {report.portal.scenario}")
    if extras:
        portal = f"{portal} ({', '.join(extras)})"
    browser = report.browser
    mode = text("headless", lang) if browser.headless else text("with-window", lang)
    profile = vocab.pick(vocab.PROFILE_KINDS, report.profile.kind, lang)
    facts = [
        Fact(text("date", lang), format_datetime(report.created_at, lang)),
        Fact(text("portal", lang), portal),
        Fact(
            text("browser", lang),
            f"{rendered(browser_details(browser), lang)} {mode[:1].upper()}{mode[1:]}.",
        ),
        Fact(text("profile", lang), profile),
    ]
    if report.profile.source:
        facts.append(Fact(text("profile-source", lang), report.profile.source))
    facts += [
        Fact(text("factor", lang), vocab.pick(vocab.FACTORS, report.verdict.factor, lang)),
        Fact(text("browser-runs", lang), runs_text(report, lang)),
        *(
            [Fact(text("login-submissions", lang), format_int(report.login_submissions, lang))]
            if report.login_submissions is not None
            else []
        ),
        Fact(text("total-time", lang), format_duration(report.duration_ms, lang)),
        Fact(
            text("report-version", lang), f"{report.schema_version} (probe {report.probe_version})"
        ),
    ]
    return facts


def _components(report: Report, lang: Lang) -> list[Fact]:
    groups: dict[str, list[str]] = {}
    for c in report.profile.components:
        groups.setdefault(c.kind, []).append(vocab.component_name(c.kind, c.id, c.name, lang))
    none = text("none", lang)
    cookie_count = len(groups.get("cookie", []))
    return [
        Fact(text("extensions", lang), ", ".join(groups.get("extension", [])) or none),
        Fact(text("settings", lang), ", ".join(groups.get("setting", [])) or none),
        Fact(text("cookies", lang), format_int(cookie_count, lang)),
        Fact(text("site-data", lang), text("present", lang) if "site-data" in groups else none),
    ]


def runs_text(report: Report, lang: Lang) -> str:
    """The journeys run, and the browsers started for them when runs reused browsers."""
    runs = format_int(report.browser_runs, lang)
    started = report.browsers_started
    if started is None or started == report.browser_runs:
        return runs
    return text("runs-in-browsers", lang, runs=runs, browsers=format_int(started, lang))
