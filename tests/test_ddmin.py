"""Delta debugging on synthetic failure rules: it must find the culprits, within bounds."""

from __future__ import annotations

import math

import pytest

from probe import loops
from probe.ddmin import ddmin


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


def test_two_culprits_that_only_fail_together() -> None:
    items = [f"ext{i}" for i in range(8)]
    found, tests, complete = run(items, {"ext1", "ext6"})
    assert sorted(found) == ["ext1", "ext6"]
    assert complete
    assert tests <= 24


def test_bound_stops_the_search_and_says_so() -> None:
    items = [f"ext{i}" for i in range(16)]
    found, tests, complete = run(items, {"ext3", "ext12"}, max_tests=3)
    assert tests <= 3
    assert not complete
    assert {"ext3", "ext12"} <= set(found)


def test_single_item_needs_no_run() -> None:
    found, tests, _ = run(["only"], {"only"})
    assert found == ["only"] and tests == 0
