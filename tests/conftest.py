"""Shared fixtures: real Chromium for pytest-playwright, the embedded portal, one ci run.

The Chromium is the plugin's ``probe_chromium`` (probe/pytest_plugin.py), the one a portal
team's tests get too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from probe.chromium import Chromium, launch_args

if TYPE_CHECKING:
    from probe.portal import EmbeddedPortal
    from tests.ci_run import CiRun


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], probe_chromium: Chromium
) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(probe_chromium.executable),
        "args": launch_args(),
    }


@pytest.fixture
def portal() -> Iterator[EmbeddedPortal]:
    """A fresh embedded portal with the default state, for one test."""
    from probe.portal import EmbeddedPortal

    with EmbeddedPortal() as running:
        yield running


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory: pytest.TempPathFactory) -> CiRun:
    """``probe ci`` over every scenario, once per test session (see tests/ci_run.py)."""
    from tests.ci_run import watched_ci_run

    return watched_ci_run(tmp_path_factory.mktemp("ci"))
