"""The browser tier is the ``*_browser.py`` files, set in one place (tests/conftest.py).

A test that starts a browser elsewhere would make the fast tier (``-m "not browser"``) slow,
or make it need a browser at all; a ``browser`` mark set by hand would be a second rule.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import BROWSER_FIXTURES, BROWSER_SUFFIX, in_browser_tier, starting_fixtures

TESTS = Path(__file__).parent
TEST_FILES = sorted(TESTS.rglob("test_*.py"))
BY_HAND = re.compile(r"mark\s*\.\s*browser\b|add_marker\(\s*[\"']browser\b")


def test_no_test_file_marks_the_browser_tier_itself() -> None:
    found = _lines_matching(BY_HAND)
    assert found == [], "the browser mark comes from the file name (tests/conftest.py)"


def _lines_matching(pattern: re.Pattern[str]) -> list[str]:
    """``file:line`` of every line of the tests and their helpers that ``pattern`` finds."""
    return [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TEST_FILES + sorted((TESTS / "helpers").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def _parametrized(decorator: ast.expr) -> set[str]:
    """The argument names a ``@pytest.mark.parametrize(...)`` gives values to itself."""
    if not (
        isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize")
    ):
        return set()
    names = ast.literal_eval(decorator.args[0]) if decorator.args else ""
    listed = names.split(",") if isinstance(names, str) else list(names)
    return {name.strip() for name in listed}


def _parameters(path: Path) -> dict[str, set[str]]:
    """Each test's and fixture's fixture names in ``path``: what it asks pytest for."""
    asked: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
            if node.name.startswith("test_") or fixture:
                given = set().union(*map(_parametrized, node.decorator_list))
                names = {a.arg for a in node.args.args + node.args.kwonlyargs}
                asked[node.name] = names - given
    return asked


def test_no_test_outside_the_browser_files_names_a_browser_fixture() -> None:
    """Read from the source, so that it holds whichever tests this session collected."""
    found = {
        f"{path.relative_to(TESTS)}::{name}": sorted(names & BROWSER_FIXTURES)
        for path in TEST_FILES
        if not path.name.endswith(BROWSER_SUFFIX)
        for name, names in _parameters(path).items()
        if names & BROWSER_FIXTURES
    }
    assert found == {}, f"these start a browser: move them to a *{BROWSER_SUFFIX} sibling"


def test_the_collected_tests_carry_the_mark_iff_their_file_is_a_browser_file(
    request: pytest.FixtureRequest,
) -> None:
    """Over this session's tests (``-m "not browser"``: no test of a browser file is left)."""
    wrong = [
        item.nodeid
        for item in request.session.items
        if (item.get_closest_marker("browser") is not None) != in_browser_tier(item)
    ]
    assert wrong == []
    asking = {
        item.nodeid: sorted(starting_fixtures(item))
        for item in request.session.items
        if not in_browser_tier(item)
    }
    assert {nodeid: names for nodeid, names in asking.items() if names} == {}


def test_every_browser_file_holds_tests() -> None:
    browser_files = [path for path in TEST_FILES if path.name.endswith(BROWSER_SUFFIX)]
    assert browser_files, "the browser tier has files"
    empty = [
        str(path.relative_to(TESTS))
        for path in browser_files
        if not any(name.startswith("test_") for name in _parameters(path))
    ]
    assert empty == []


def test_no_test_starts_an_event_loop_with_asyncio_run() -> None:
    # pytest-playwright's sync API keeps a loop running in the worker for the rest of the
    # session: ``asyncio.run`` then raises, and the coroutine it was handed is reported
    # "never awaited" in whichever test comes next. ``probe._util.loops.run`` works in both.
    called = re.compile(r"\basyncio\s*\.\s*run\s*\(")
    assert _lines_matching(called) == [], "use probe._util.loops.run"
