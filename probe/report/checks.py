"""What the CI writers are handed: one scenario's diagnosis checked against its expectation.

``probe ci`` (``probe/app/ci.py``) produces these; the JUnit and GitHub summary writers of
this package read them through this Protocol, so the report layer never imports the
scenario runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from probe.models import Report


class CheckedScenario(Protocol):
    """One scenario's result: what was expected, what the diagnosis found, why they differ."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def seconds(self) -> float: ...

    @property
    def expected(self) -> str: ...  # "blocked / extension [ad-shield]"

    @property
    def got(self) -> str: ...  # the same shape, or "error"

    @property
    def report(self) -> Report | None: ...  # None when the diagnosis itself failed

    @property
    def report_dir(self) -> Path | None: ...

    @property
    def mismatch(self) -> str | None: ...  # why the verdict is not the expected one

    @property
    def error(self) -> str | None: ...  # why there is no verdict at all

    @property
    def passed(self) -> bool: ...

    @property
    def runs(self) -> int: ...
