"""Reports a person can read: the HTML page, ``report.json`` and its schema, JUnit, GitHub summary.

The engine hands over a :class:`probe.models.Report` (``probe ci`` a list of
:class:`probe.report.checks.CheckedScenario`); everything here is presentation.
"""

from probe.report.checks import CheckedScenario
from probe.report.html import load_report, render_html, rerender, write_report
from probe.report.i18n import default_lang
from probe.report.junit import write_junit, write_scenario_junit
from probe.report.schema import json_schema
from probe.report.summary import (
    append_github_outputs,
    append_github_summary,
    append_scenarios_summary,
    github_annotations,
    github_outputs,
    github_summary,
    scenarios_summary,
)

__all__ = [
    "CheckedScenario",
    "append_github_outputs",
    "append_github_summary",
    "append_scenarios_summary",
    "default_lang",
    "github_annotations",
    "github_outputs",
    "github_summary",
    "json_schema",
    "load_report",
    "render_html",
    "rerender",
    "scenarios_summary",
    "write_junit",
    "write_report",
    "write_scenario_junit",
]
