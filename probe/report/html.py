"""The report folder: ``report.json`` for machines and one self-contained ``index.html`` for people."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from pydantic import ValidationError

from probe._util.redact import redact_report
from probe.errors import BadInput
from probe.models import Lang, Report
from probe.report.files import INDEX_HTML, REPORT_JSON, write_text
from probe.report.i18n import text
from probe.report.view import build_view


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("probe.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_html(report: Report, out_dir: Path, *, lang: Lang) -> str:
    """The page for ``report`` in ``lang``; screenshots are read from ``out_dir`` and inlined."""
    page = build_view(report, out_dir, lang)

    def translate(key: str, **values: object) -> str:
        return text(key, lang, **values)

    template = _environment().get_template("index.html.j2")
    return template.render(page=page, t=translate)


def write_report(report: Report, out_dir: Path, *, lang: Lang | None = None) -> Path:
    """Write ``report.json`` and ``index.html`` into ``out_dir``; return the page's path.

    Example: ``write_report(report, Path("probe-report"))`` then open
    ``probe-report/index.html``. URLs lose their query strings on the way out.
    """
    safe = redact_report(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / REPORT_JSON, safe.model_dump_json(indent=2) + "\n")
    return _write_page(safe, out_dir, lang or safe.lang)


def load_report(report_dir: Path) -> Report:
    """The report saved in ``report_dir`` (or the ``report.json`` given), validated."""
    path = report_dir if report_dir.suffix == ".json" else report_dir / REPORT_JSON
    if not path.is_file():
        raise BadInput(f"no {REPORT_JSON} in {report_dir}: give the folder 'probe browser' wrote")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path}: {error}") from None
    try:
        return Report.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise BadInput(
            f"{path} is not a probe report: {where}: {first['msg']}"
            f" ({error.error_count()} problem(s))"
        ) from None


def rerender(report_dir: Path, *, lang: Lang | None) -> Path:
    """Rebuild ``index.html`` from the ``report.json`` in ``report_dir``, e.g. in another language.

    Example: ``probe report probe-report --lang fr``.
    """
    report = redact_report(load_report(report_dir))
    out_dir = report_dir.parent if report_dir.suffix == ".json" else report_dir
    return _write_page(report, out_dir, lang or report.lang)


def _write_page(report: Report, out_dir: Path, lang: Lang) -> Path:
    page = out_dir / INDEX_HTML
    return write_text(page, render_html(report, out_dir, lang=lang))
