"""Everything probe prints to a terminal. The only module that imports Rich."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.status import Status
from rich.table import Table
from rich.text import Text

from probe._util.redact import strip_controls
from probe.journey.login import NO_SUBMIT
from probe.models import Detail, Lang, Report, VariantRun
from probe.report.details import remedy_text, render, skip_text, summary_text
from probe.report.i18n import format_decimal, text
from probe.report.view import runs_text

# In CI logs (no terminal) Rich would assume 80 columns and cut table cells.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
# Soft wrap: an error stays one line, whatever the terminal width.
err = Console(stderr=True, highlight=False, soft_wrap=True)

# -1 quiet (the verdict line only), 0 normal, 1 verbose (-v): set once by the CLI.
_verbosity = 0


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def verbosity() -> int:
    return _verbosity


def traceback(exc: BaseException) -> None:
    """The traceback behind an unexpected error (``-v``), as plain text to copy."""
    import traceback as tb

    err.print(_text("".join(tb.format_exception(exc)).rstrip()), soft_wrap=True)


_OUTCOME_STYLE = {"pass": ("✔", "green"), "fail": ("✘", "red"), "skipped": ("–", "yellow")}
_STATUS_STYLE = {"ok": "green", "blocked": "red", "inconclusive": "yellow"}


def _text(value: object, style: str = "") -> Text:
    """Printable text: what a portal or a profile wrote may hold terminal escape sequences
    (clear the screen, fake a prompt); their control characters are removed."""
    return Text(strip_controls(str(value)), style=style)


def error(message: str) -> None:
    """One line, no traceback: what was wrong and what to do."""
    err.print(Text("probe: error: ", style="bold red") + _text(message))


def warning(message: str) -> None:
    err.print(Text("probe: ", style="bold yellow") + _text(message))


class LiveProgress:
    """Shows variants as they start and finish (the engine's ``Progress``)."""

    def __init__(self, console: Console | None = None, lang: Lang = "en") -> None:
        self.console = console or err
        self.lang = lang
        self.running: dict[str, float] = {}
        self.status: Status | None = None

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal and _verbosity >= 0:
            self.status = self.console.status(text("console.starting", self.lang))
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def _refresh(self) -> None:
        if self.status is not None:
            names = ", ".join(self.running) or text("console.deciding", self.lang)
            self.status.update(text("console.running", self.lang, names=names))

    def note(self, text: str | Detail) -> None:
        if _verbosity < 0:
            return
        self.console.print(_text(text if isinstance(text, str) else render(text, self.lang), "dim"))

    def started(self, name: str, description: str) -> None:
        self.running[name] = time.monotonic()
        if _verbosity > 0:
            self.console.print(_text(f" → {name:<24}{description}", "dim"))
        self._refresh()

    def finished(self, run: VariantRun) -> None:
        self.running.pop(run.name, None)
        if _verbosity < 0:
            return
        icon, colour = _OUTCOME_STYLE[run.outcome]
        line = Text(f" {icon} ", style=colour)
        line += _text(f"{run.name:<24}", "bold")
        line += Text(f"{run.duration_ms / 1000:5.1f} s  ", style="dim")
        if run.outcome == "fail":
            if run.failed_step:
                line += _text(
                    text("console.failed-at", self.lang, symptom=run.symptom, step=run.failed_step)
                )
            else:
                line += _text(run.symptom)
            if run.message:
                line += _text(f" — “{run.message[:80]}”", "dim")
        elif run.outcome == "skipped":
            line += _text(skip_text(run, self.lang) or text("outcome.skipped", self.lang), "dim")
        elif any(step.note == NO_SUBMIT for step in run.steps):
            line += Text(text("console.no-blocker-before-login", self.lang), style="green")
        else:
            line += Text(text("console.login-works", self.lang), style="green")
        self.console.print(line)
        self._refresh()


def verdict_panel(report: Report, report_dir: Path, lang: Lang) -> None:
    verdict = report.verdict
    colour = _STATUS_STYLE[verdict.status]
    if _verbosity < 0:
        title = text(f"console.title.{verdict.status}", lang)
        out.print(_text(f"{title}: {summary_text(verdict, lang)}", colour), soft_wrap=True)
        return
    body = Text()
    body.append(strip_controls(summary_text(verdict, lang)), "bold")
    body.append("\n")
    if verdict.remedies:
        body.append(f"\n{text('console.what-to-do', lang)}\n", style="bold")
        for number, remedy in enumerate(verdict.remedies, 1):
            body.append(strip_controls(f" {number}. {remedy_text(remedy, lang)}\n"))
    if verdict.if_that_fails:
        body.append(f"\n{text('console.if-that-fails', lang)}\n", style="bold")
        for remedy in verdict.if_that_fails:
            body.append(strip_controls(f" • {remedy_text(remedy, lang)}\n"))
    footer = text(
        "console.footer",
        lang,
        factor=verdict.factor,
        runs=runs_text(report, lang),
        duration=f"{format_decimal(report.duration_ms / 1000, lang)} s",
    )
    body.append(f"\n{footer}\n", style="dim")
    body.append(
        strip_controls(text("console.report", lang, path=report_dir / "index.html")), style="dim"
    )
    title = text(f"console.title.{verdict.status}", lang)
    out.print(Panel(body, title=title, border_style=colour, expand=False))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        # The first column holds names people copy: never cut them.
        grid.add_column(column, no_wrap=index == 0)
    for row in rows:
        grid.add_row(*(_text(cell) for cell in row))
    out.print(grid)


def line(text: str, style: str | None = None) -> None:
    out.print(_text(text, style or ""))


def raw(line: str) -> None:
    """A line for a machine (a GitHub workflow command): never wrapped, never styled."""
    out.print(Text(line), soft_wrap=True, markup=False, highlight=False)


def is_interactive() -> bool:
    return sys.stdin.isatty()


def document(text: str) -> None:
    """A file's text (e.g. a drafted portal description), exactly as is: no wrapping, no markup."""
    out.print(Text(text.rstrip("\n")), soft_wrap=True)
