"""A short Markdown summary for the GitHub Actions job page (``$GITHUB_STEP_SUMMARY``).

The one writer of that format: ``github_summary`` for one diagnosis (``probe browser``),
``scenarios_summary`` for ``probe ci``'s results. Both escape table cells the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from probe._util.redact import redact_report, redact_text, strip_controls
from probe.models import Report
from probe.report import vocabulary as vocab
from probe.report.checks import CheckedScenario
from probe.report.details import remedy_text, skip_text, summary_text
from probe.report.files import append_text
from probe.report.i18n import format_duration, text

ENV_VAR = "GITHUB_STEP_SUMMARY"

_STATUS_MARK = {"ok": "✅", "blocked": "❌", "inconclusive": "⚠️"}
_OUTCOME_MARK = {"pass": "✅", "fail": "❌", "skipped": "⏭️"}


def append_github_summary(report: Report, *, env: Mapping[str, str] = os.environ) -> bool:
    """Append the verdict and the attempts table to the job summary; False when not on Actions."""
    return _append(github_summary(report), env)


def append_scenarios_summary(
    results: Sequence[CheckedScenario], *, env: Mapping[str, str] = os.environ
) -> bool:
    """Append ``probe ci``'s counts and one row per scenario; False when not on Actions."""
    return _append(scenarios_summary(results), env)


def _append(markdown: str, env: Mapping[str, str]) -> bool:
    target = env.get(ENV_VAR, "")
    if not target:
        return False
    append_text(Path(target), markdown)
    return True


def _cell(value: str) -> str:
    """Text safe inside a Markdown table cell: GitHub renders HTML, pipes split columns."""
    flat = " ".join(strip_controls(value).split())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        flat = flat.replace(raw, escaped)
    for mark in ("*", "_", "`", "[", "]"):
        flat = flat.replace(mark, "\\" + mark)
    return flat


def _code(value: str) -> str:
    """``value`` as a code span in a table cell: shown verbatim, so only pipes are escaped."""
    flat = " ".join(value.split()).replace("`", "'").replace("|", "\\|")
    return f"`{flat}`"


def github_summary(report: Report) -> str:
    """The Markdown appended by :func:`append_github_summary`."""
    report = redact_report(report)
    lang = report.lang
    verdict = report.verdict
    summary = summary_text(verdict, lang)
    mark = _STATUS_MARK.get(verdict.status, "")
    lines = [
        f"### {mark} probe — {_cell(text(f'status.{verdict.status}', lang))}",
        "",
        f"**{_cell(summary)}**",
        "",
        f"- {text('factor', lang)}: `{verdict.factor}` ({_cell(vocab.pick(vocab.FACTORS, verdict.factor, lang))})",
    ]
    if verdict.culprits:
        names = ", ".join(
            f"{vocab.pick(vocab.CULPRIT_KINDS, c.kind, lang)} "
            f"“{_cell(vocab.component_name(c.kind, c.id, c.name, lang))}”"
            for c in verdict.culprits
        )
        lines.append(f"- {text('culprit', lang)}: {names}")
    lines.append(f"- {text('portal', lang)}: {_cell(report.portal.url)}")
    lines.append(
        f"- {text('browser-runs', lang)}: {report.browser_runs}, "
        f"{format_duration(report.duration_ms, lang)}"
    )
    for number, remedy in enumerate(verdict.remedies, 1):
        if number == 1:
            lines += ["", f"**{text('remedies', lang)}**", ""]
        lines.append(f"{number}. {_cell(remedy_text(remedy, lang))}")
    columns = ("attempt", "result", "summary.stopped-at", "summary.portal-message")
    header = [text(key, lang) for key in columns]
    lines += ["", "| " + " | ".join(header) + " |", "|---|---|---|---|"]
    for run in report.variants:
        label = vocab.variant_label(run.name, lang, run.description)[0]
        outcome = f"{_OUTCOME_MARK[run.outcome]} {vocab.pick(vocab.OUTCOMES, run.outcome, lang)}"
        stopped = vocab.step_label(run.failed_step, lang) if run.failed_step else ""
        message = run.message or (skip_text(run, lang) if run.outcome == "skipped" else "") or ""
        lines.append(
            f"| {_cell(label)} ({_code(run.name)}) | {outcome} | {_cell(stopped)} | {_cell(message)} |"
        )
    return "\n".join(lines) + "\n\n"


def scenarios_summary(results: Sequence[CheckedScenario]) -> str:
    """The Markdown appended by :func:`append_scenarios_summary`."""
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    mark = "✅" if failed == 0 else "❌"
    lines = [
        f"### {mark} probe ci: {passed} passed, {failed} failed",
        "",
        "| scenario | expected | got | runs | time | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        problem = r.error or r.mismatch
        got = redact_text(r.got + (f" — {problem}" if problem else ""))
        lines.append(
            f"| {_code(r.name)} | {_cell(r.expected)} | {_cell(got)} | {r.runs} "
            f"| {r.seconds:.1f} s | {'✅' if r.passed else '❌'} |"
        )
    return "\n".join(lines) + "\n\n"


# ------------------------------------------------------- GitHub Actions: outputs, annotations

OUTPUT_VAR = "GITHUB_OUTPUT"


def github_outputs(results: Sequence[CheckedScenario], index: Path) -> str:
    """``probe ci``'s step outputs, ``name=value`` lines: counts, the verdicts as JSON."""
    failed = [r.name for r in results if not r.passed]
    verdicts = {r.name: redact_text(r.got) for r in results}
    lines = [
        f"passed={len(results) - len(failed)}",
        f"failed={len(failed)}",
        # One line each: json.dumps never writes a newline, so no multi-line delimiter.
        f"failed-scenarios={json.dumps(failed, ensure_ascii=False)}",
        f"verdicts={json.dumps(verdicts, ensure_ascii=False)}",
        f"index={' '.join(str(index).split())}",
    ]
    return "\n".join(lines) + "\n"


def append_github_outputs(
    results: Sequence[CheckedScenario], index: Path, *, env: Mapping[str, str] = os.environ
) -> bool:
    """Append the step outputs to ``$GITHUB_OUTPUT``; False when not on Actions."""
    target = env.get(OUTPUT_VAR, "")
    if not target:
        return False
    append_text(Path(target), github_outputs(results, index))
    return True


def _command_data(value: str) -> str:
    # GitHub's workflow-command escaping: a newline would end the command.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(value: str) -> str:
    return _command_data(value).replace(":", "%3A").replace(",", "%2C")


def github_annotations(
    results: Sequence[CheckedScenario], files: Mapping[str, str] | None = None
) -> list[str]:
    """One ``::error`` workflow command per scenario whose verdict differs (or could not be
    reached); ``files``: each result's scenario file, relative to the repository."""
    lines = []
    for r in results:
        if r.passed:
            continue
        # "got" names the culprits too, so it says what a culprit mismatch is.
        message = f"expected {r.expected}, got {redact_text(r.got)}"
        if r.error:
            message += f": {redact_text(strip_controls(r.error))}"
        where = (files or {}).get(r.name)
        file = f"file={_command_property(where)}," if where else ""
        title = _command_property(f"probe ci: {r.name}")
        lines.append(f"::error {file}title={title}::{_command_data(message)}")
    return lines
