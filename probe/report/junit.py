"""JUnit XML for CI, the one writer of that format.

``write_junit`` (``probe browser --junit``): one suite per diagnosis, one test case per
attempt, plus the verdict. A portal team's pipeline turns red on the ``verdict`` case;
the per-attempt cases say which browser set-ups failed, at which step, with the
portal's own message.

``write_scenario_junit`` (``probe ci --junit``): one test case per scenario; a wrong
verdict is its failure, a diagnosis that could not finish its error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from probe._util.redact import redact_report, redact_text, strip_controls
from probe.models import Report, VariantRun
from probe.report import vocabulary as vocab
from probe.report.checks import CheckedScenario
from probe.report.details import remedy_text, shown, skip_text, summary_text
from probe.report.files import write_text


def write_junit(reports: Sequence[Report], path: Path, *, suite_name: str = "probe") -> None:
    """Write ``reports`` as a JUnit XML file at ``path`` (e.g. for ``--junit results.xml``)."""
    root = ET.Element("testsuites", name=suite_name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for report in reports:
        suite = _suite(redact_report(report), suite_name)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        seconds += report.duration_ms / 1000
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(seconds))
    write_xml(root, path)


def write_scenario_junit(
    results: Sequence[CheckedScenario],
    path: Path,
    *,
    seconds: float,
    suite_name: str = "probe ci",
) -> Path:
    """Write ``probe ci``'s results at ``path``: one test case per scenario.

    A verdict other than the expected one is the case's ``failure`` (its message says
    how they differ); a diagnosis that raised is its ``error``.
    """
    attrs = {
        "name": suite_name,
        "tests": str(len(results)),
        "failures": str(sum(r.mismatch is not None and r.error is None for r in results)),
        "errors": str(sum(r.error is not None for r in results)),
        "skipped": "0",
        "time": _seconds(seconds),
    }
    root = ET.Element("testsuites", attrs)
    suite = ET.SubElement(root, "testsuite", attrs)
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="probe.app.scenarios",
            name=result.name,
            time=_seconds(result.seconds),
        )
        details = _scenario_details(result)
        if result.error is not None:
            node = ET.SubElement(
                case, "error", message=redact_text(result.error), type="diagnosis-error"
            )
            node.text = details
        elif result.mismatch is not None:
            node = ET.SubElement(case, "failure", message=result.mismatch, type="verdict-mismatch")
            node.text = details
        else:
            ET.SubElement(case, "system-out").text = details
    write_xml(root, path)
    return path


def _scenario_details(result: CheckedScenario) -> str:
    lines = [
        f"scenario: {result.name} ({result.description})",
        f"expected: {result.expected}",
        f"got: {result.got}",
    ]
    if result.report is not None:
        verdict = redact_report(result.report).verdict
        lines += [f"culprit: {c.kind} {c.name} ({c.id})" for c in verdict.culprits]
        lines.append(f"summary: {summary_text(verdict, 'en')}")
        lines.append(f"browser runs: {result.report.browser_runs}")
    if result.report_dir is not None:
        lines.append(f"report: {result.report_dir / 'index.html'}")
    return "\n".join(lines)


def write_xml(root: ET.Element, path: Path) -> None:
    """Write ``root`` at ``path``: well-formed whatever its texts held, never through a link.

    XML 1.0 cannot carry most control characters, even escaped; a portal's message or an
    extension's name may hold them, so they are removed from every text and attribute.
    """
    for element in root.iter():
        if element.text:
            element.text = strip_controls(element.text)
        if element.tail:
            element.tail = strip_controls(element.tail)
        for key, value in element.attrib.items():
            element.set(key, strip_controls(value))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    write_text(path, "<?xml version='1.0' encoding='utf-8'?>\n" + body + "\n")


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _suite(report: Report, suite_name: str) -> ET.Element:
    host = urlsplit(report.portal.url).netloc or report.portal.url
    classname = f"{suite_name}.{host}"
    suite = ET.Element(
        "testsuite",
        name=f"{suite_name}: {host}",
        timestamp=report.created_at.isoformat(),
        time=_seconds(report.duration_ms / 1000),
    )
    properties = ET.SubElement(suite, "properties")
    verdict = report.verdict
    for name, value in (
        ("portal", report.portal.url),
        ("browser", f"{report.browser.product} {report.browser.version}"),
        ("profile", report.profile.kind),
        ("status", verdict.status),
        ("factor", verdict.factor),
        ("culprits", ", ".join(c.name for c in verdict.culprits)),
        ("browser_runs", str(report.browser_runs)),
    ):
        ET.SubElement(properties, "property", name=name, value=value)

    failures = skipped = 0
    for run in report.variants:
        case = _variant_case(run, classname)
        failures += run.outcome == "fail"
        skipped += run.outcome == "skipped"
        suite.append(case)

    verdict_case = ET.SubElement(
        suite, "testcase", classname=classname, name="verdict", time=_seconds(0)
    )
    if verdict.status != "ok":
        failures += 1
        failure = ET.SubElement(
            verdict_case, "failure", message=summary_text(verdict, "en"), type=verdict.factor
        )
        lines = [f"status: {verdict.status}", f"factor: {verdict.factor}"]
        lines += [f"culprit: {c.kind} {c.name} ({c.id})" for c in verdict.culprits]
        lines += [f"remedy {n}: {remedy_text(r, 'en')}" for n, r in enumerate(verdict.remedies, 1)]
        lines += [f"if that fails: {remedy_text(r, 'en')}" for r in verdict.if_that_fails]
        failure.text = "\n".join(lines)
    suite.set("tests", str(len(report.variants) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return suite


def _variant_case(run: VariantRun, classname: str) -> ET.Element:
    case = ET.Element(
        "testcase", classname=classname, name=run.name, time=_seconds(run.duration_ms / 1000)
    )
    if run.outcome == "skipped":
        ET.SubElement(case, "skipped", message=skip_text(run, "en") or "not tried")
        return case
    if run.outcome == "pass":
        return case
    step = next((s for s in run.steps if s.name == run.failed_step), None)
    if step is None and run.steps:
        step = run.steps[-1]
    message = run.message or (step.message if step else None)
    where = run.failed_step or (step.name if step else "unknown step")
    summary = f"{where}: {message}" if message else f"{where}: {run.symptom}"
    failure = ET.SubElement(case, "failure", message=summary, type=run.symptom)
    lines = [
        f"variant: {run.name} ({vocab.variant_label(run.name, 'en', run.description)[0]})",
        f"failed step: {where}",
        f"symptom: {run.symptom} ({vocab.pick(vocab.SYMPTOMS, run.symptom, 'en')})",
    ]
    if message:
        lines.append(f"portal message: {message}")
    if step is not None:
        if step.url:
            lines.append(f"url: {step.url}")
        if step.http_status is not None:
            lines.append(f"http status: {step.http_status}")
        noticed = shown(step.note, step.detail, "en")
        if noticed is not None:
            lines.append(f"detail: {noticed.text}")
        if step.screenshot:
            lines.append(f"screenshot: {step.screenshot}")
    for s in run.steps:
        lines += [f"failed request: {r.url} {r.error}" for r in s.failed_requests]
        lines += [f"console error: {line}" for line in s.console_errors]
    failure.text = "\n".join(lines)
    return case
