"""pytest fixtures for portal teams: the mock portal, built browser profiles, whole diagnoses.

Loaded in every pytest run through the ``pytest11`` entry point, so this module imports
nothing heavy at import time (no Playwright, no Starlette): each fixture imports what it
needs when a test asks for it.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "probe_portal(**state): the state of the probe_portal fixture "
        "(PortalConfig fields, e.g. maintenance={'enabled': True}).",
    )
