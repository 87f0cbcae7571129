"""The JSON Schema of ``report.json``, generated from the models so the two cannot drift."""

from __future__ import annotations

from typing import Any

from probe.models import SCHEMA_VERSION, Report

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"https://probe.invalid/schemas/report-{SCHEMA_VERSION}.json"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the report written by ``probe browser``."""
    generated = Report.model_json_schema(mode="serialization")
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        **generated,
        "title": "probe login diagnosis report",
        "description": (
            "What probe observed while replaying a portal login under several browser "
            "set-ups, and its verdict. Holds no secrets: no cookie value, password, "
            "one-time code or token."
        ),
    }
