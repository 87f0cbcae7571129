"""The two tiers, and shared fixtures: real Chromium for pytest-playwright, the embedded
portal, the ci run.

The browser tier is the tests in files named ``*_browser.py``, and only those: the ``browser``
mark is set here, from the file name (``pytest_collection_modifyitems``), and nowhere else. A
test elsewhere that asks for a fixture starting a browser fails (``BROWSER_FIXTURES``); its
place is a ``<name>_browser.py`` sibling. ``pytest -m "not browser"`` is the fast tier.

The Chromium is the plugin's ``probe_chromium`` (probe/app/pytest_plugin.py), the one a portal
team's tests get too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from probe.browsers.chromium.discovery import Chromium, launch_args

if TYPE_CHECKING:
    from probe.mock_portal import EmbeddedPortal
    from tests.helpers.ci_run import CiRun


BROWSER_SUFFIX = "_browser.py"
# Fixtures that start a browser, Playwright's driver or whole diagnoses when a test asks for
# them (pytest-playwright's, the plugin's probe_diagnose, the ci run below).
BROWSER_FIXTURES = frozenset(
    {
        "page",
        "context",
        "browser",
        "new_context",
        "launch_browser",
        "browser_type",
        "playwright",
        "probe_diagnose",
        "ci_run",
    }
)
_MISPLACED = pytest.StashKey[str]()


def in_browser_tier(item: pytest.Item) -> bool:
    return item.path.name.endswith(BROWSER_SUFFIX)


def starting_fixtures(item: pytest.Item) -> set[str]:
    """The fixtures ``item`` asks for (itself or through other fixtures) that start a browser;
    a parametrized argument of the same name (``browser``, a value) is not one."""
    callspec = getattr(item, "callspec", None)
    given = set(callspec.params) if callspec is not None else set()
    return set(BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ()))) - given


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``browser`` mark, from the file name: the one place that sets it."""
    for item in items:
        if in_browser_tier(item):
            item.add_marker(pytest.mark.browser)
            continue
        starting = sorted(starting_fixtures(item))
        if starting:
            item.stash[_MISPLACED] = (
                f"{item.nodeid} starts a browser (fixture {', '.join(starting)}) outside the "
                f"browser tier: move it to a file named *{BROWSER_SUFFIX}"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _MISPLACED in item.stash:
        pytest.fail(item.stash[_MISPLACED], pytrace=False)


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
    from probe.mock_portal import EmbeddedPortal

    with EmbeddedPortal() as running:
        yield running


# The one costly run, split so that pytest-xdist spreads it over the workers: each shard's
# tests stay on one worker (``pytest_xdist_make_scheduler`` below), so each shard runs once.
CI_SHARDS = 4
_SHARD_ID = re.compile(r"\[(?:[^\]]*-)?(shard\d+of\d+)(?:-[^\]]*)?\]$")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``-n``'s default (``--dist load``), except that a ci shard's tests are one unit.

    ``--dist loadgroup`` would do, but with pytest 9.2 its ``xdist_group`` marks are lost
    (xdist 3.8 renames the tests through an attribute pytest no longer reads). Units go out
    largest first, so the shards start at once and the other tests fill in around them.
    """
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist is the caller's choice
    from xdist.scheduler import LoadScopeScheduling

    class ShardScheduling(LoadScopeScheduling):  # type: ignore[misc]  # untyped
        def _split_scope(self, nodeid: str) -> str:
            found = _SHARD_ID.search(nodeid)
            return found.group(1) if found else nodeid

    return ShardScheduling(config, log)


_SHARDS_RUN: set[str] = set()  # the shards this process ran


@pytest.fixture(
    scope="session",
    params=[f"{i}/{CI_SHARDS}" for i in range(1, CI_SHARDS + 1)],
    ids=[f"shard{i}of{CI_SHARDS}" for i in range(1, CI_SHARDS + 1)],
)
def ci_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CiRun:
    """``probe ci --shard I/N`` over one shard of the scenarios, once per test session
    (see tests/helpers/ci_run.py); the tests that use it run once per shard."""
    from tests.helpers.ci_run import watched_ci_run

    shard: str = request.param
    if shard in _SHARDS_RUN:
        # Minutes lost: a test parametrizing ci_run without scope="session" (see
        # tests.helpers.ci_run.in_its_shard) makes pytest start the shard again for its module.
        pytest.fail(f"probe ci shard {shard} would run a second time in this process")
    _SHARDS_RUN.add(shard)
    return watched_ci_run(tmp_path_factory.mktemp(f"ci{shard.replace('/', 'of')}"), shard)
