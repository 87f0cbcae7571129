"""Delta debugging on synthetic failure rules: it must find the culprits, within bounds."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probe._util import loops
from probe.diagnosis.ddmin import ddmin


def run(items: list[str], culprits: set[str], **kw: int) -> tuple[list[str], int, bool]:
    calls: list[list[str]] = []

    async def fails(kept: list[str]) -> bool:
        calls.append(kept)
        return culprits <= set(kept)

    result = loops.run(ddmin(items, fails, **kw))
    assert result.tests == len(calls)
    return result.culprits, result.tests, result.complete


@pytest.mark.parametrize("position", [0, 5, 10, 15])
def test_one_culprit_among_sixteen_within_two_log2_runs(position: int) -> None:
    items = [f"ext{i}" for i in range(16)]
    found, tests, complete = run(items, {items[position]})
    assert found == [items[position]]
    assert complete
    assert tests <= 2 * math.log2(16)


@pytest.mark.parametrize("pair", list(itertools.combinations(range(8), 2)))
def test_two_culprits_that_only_fail_together_within_four_log2_runs(
    pair: tuple[int, int],
) -> None:
    # The module's promise, 4 * log2(8) = 12 runs, given as the bound (the default is 24):
    # the search must finish inside it, not merely stop there.
    items = [f"ext{i}" for i in range(8)]
    culprits = {items[i] for i in pair}
    found, tests, complete = run(items, culprits, max_tests=12)
    assert sorted(found) == sorted(culprits)
    assert complete
    assert tests <= 12


def test_bound_stops_the_search_and_says_so() -> None:
    items = [f"ext{i}" for i in range(16)]
    found, tests, complete = run(items, {"ext3", "ext12"}, max_tests=3)
    assert tests <= 3
    assert not complete
    assert {"ext3", "ext12"} <= set(found)


def test_single_item_needs_no_run() -> None:
    found, tests, _ = run(["only"], {"only"})
    assert found == ["only"] and tests == 0


# ---------------------------------------------------------------- property


@st.composite
def searches(draw: st.DrawFn) -> tuple[int, list[frozenset[int]], int]:
    """A number of components, the culprit groups among them, and a bound on runs.

    Login fails iff the kept components hold a whole group: one culprit (a group of
    one), several that only fail together, or several groups that each fail alone.
    """
    n = draw(st.integers(min_value=1, max_value=20))
    group = st.frozensets(st.integers(min_value=0, max_value=n - 1), min_size=1, max_size=3)
    groups = draw(st.lists(group, min_size=1, max_size=3))
    max_tests = draw(st.integers(min_value=0, max_value=40))
    return n, groups, max_tests


@settings(max_examples=300, deadline=None)
@given(searches())
def test_ddmin_returns_a_one_minimal_failing_subset_within_its_budget(
    search: tuple[int, list[frozenset[int]], int],
) -> None:
    n, groups, max_tests = search
    items = list(range(n))

    def breaks(kept: Iterable[int]) -> bool:
        return any(group <= set(kept) for group in groups)

    calls: list[list[int]] = []

    async def fails(kept: list[int]) -> bool:
        calls.append(kept)
        return breaks(kept)

    result = loops.run(ddmin(items, fails, max_tests=max_tests))

    assert result.tests == len(calls) <= max_tests
    assert len({frozenset(c) for c in calls}) == len(calls), "a configuration ran twice"
    assert [kept for kept, _ in result.trail] == calls
    assert all(failed == breaks(kept) for kept, failed in result.trail)
    found = result.culprits
    assert breaks(found), "the answer must still fail"
    if result.complete:
        # 1-minimal: without any one of its components, login works again.
        for culprit in found:
            assert not breaks(c for c in found if c != culprit), (found, groups)
    else:
        # Stopping early is only honest when the budget is spent.
        assert result.tests == max_tests


@settings(max_examples=100, deadline=None)
@given(searches())
def test_ddmin_with_a_generous_budget_always_completes(
    search: tuple[int, list[frozenset[int]], int],
) -> None:
    n, groups, _ = search
    items = list(range(n))

    async def fails(kept: list[int]) -> bool:
        return any(group <= set(kept) for group in groups)

    # Every subset of 20 components is more than any search needs; 200 is plenty.
    result = loops.run(ddmin(items, fails, max_tests=200))
    assert result.complete
    assert any(group <= set(result.culprits) for group in groups)
