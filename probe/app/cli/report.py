"""``probe report`` and ``probe schema``: a report rendered again, the JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from probe.app import console
from probe.app.cli.base import app, reports_errors
from probe.app.request import lang_of
from probe.errors import BadInput


@app.command()
@reports_errors
def report(
    report_dir: Annotated[Path, typer.Argument(help="A folder holding a report.json.")],
    lang: Annotated[
        str | None, typer.Option(help="fr or en. Default: the report's own language.")
    ] = None,
) -> None:
    """Render index.html again from a report.json, e.g. in the other language.

    Example: probe report reports/20261126-204501 --lang fr
    """
    from probe.report import rerender

    path = rerender(report_dir, lang=lang_of(lang) if lang else None)
    console.line(f"wrote {path}")


@app.command()
@reports_errors
def schema(
    what: Annotated[
        str, typer.Argument(metavar="report|portal", help="Which file's schema.")
    ] = "report",
) -> None:
    """Print the JSON Schema of report.json, or of a portal description (probe schema portal).

    Example: probe schema > report.schema.json ; probe schema portal > portal.schema.json
    """
    if what == "portal":
        from probe.description.model import json_schema as portal_schema

        console.out.print_json(json.dumps(portal_schema()))
        return
    if what != "report":
        raise BadInput(f"probe schema {what}: use 'report' or 'portal'")
    from probe.report import json_schema

    console.out.print_json(json.dumps(json_schema()))
