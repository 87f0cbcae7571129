"""Shared fixtures: real Chromium for pytest-playwright, and the embedded portal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from probe.chromium import Chromium, find_chromium, launch_args


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    return find_chromium()


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium: Chromium
) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(chromium.executable),
        "args": launch_args(),
    }


@pytest.fixture
def portal() -> Iterator[EmbeddedPortal]:
    """A fresh embedded portal with the default state, for one test."""
    from probe.portal import EmbeddedPortal

    with EmbeddedPortal() as running:
        yield running


if False:  # pragma: no cover - typing only
    from probe.portal import EmbeddedPortal
