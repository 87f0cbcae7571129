"""Reports a person can read: the HTML page, ``report.json`` and its schema, JUnit, GitHub summary.

The engine hands over a :class:`probe.models.Report`; everything here is presentation.
"""

from probe.report.html import load_report, render_html, rerender, write_report
from probe.report.i18n import default_lang
from probe.report.junit import write_junit
from probe.report.schema import json_schema
from probe.report.summary import append_github_summary, github_summary

__all__ = [
    "append_github_summary",
    "default_lang",
    "github_summary",
    "json_schema",
    "load_report",
    "render_html",
    "rerender",
    "write_junit",
    "write_report",
]
