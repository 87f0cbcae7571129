"""The ``probe`` command: a Typer app, one module per command group.

``base`` holds the apps, the shared options and the mapping of errors to exit codes;
``browser``, ``portal``, ``scenarios`` (with ``probe ci``) and ``report`` (with ``probe
schema``) each parse their options, make one call into the app and print the result.
"""

from __future__ import annotations

import os

from probe.app.cli import browser, install, portal, report, scenarios
from probe.app.cli.base import app

__all__ = ["app", "browser", "install", "main", "portal", "report", "scenarios"]


def main() -> None:
    """The ``probe`` console script."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
