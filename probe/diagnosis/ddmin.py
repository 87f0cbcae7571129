"""Delta debugging: the smallest set of components that still breaks login.

Each test is a real browser run, so the search is built for few culprits among many:
split the suspects in halves and keep the half that still fails on its own (one
culprit among 16 takes 2 * log2(16) = 8 runs, and both halves run at once). When
neither half fails alone the culprits act together; then each half is minimised while
the other stays in place (Zeller and Hildebrandt's recursive scheme, as in QuickXplain),
which finds pairs in about 4 * log2(n) runs instead of ddmin's quadratic worst case.
The search never repeats a configuration and stops at ``max_tests`` runs, saying so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class DdminResult(Generic[T]):
    culprits: list[T]
    tests: int  # browser runs made by the search
    complete: bool  # False when the bound on runs stopped the search early
    trail: list[tuple[list[T], bool]] = field(default_factory=list)  # (kept, failed) per run


class _OutOfRuns(Exception):
    pass


async def ddmin(
    items: Sequence[T],
    fails: Callable[[list[T]], Awaitable[bool]],
    *,
    max_tests: int = 24,
    parallel: int = 2,
) -> DdminResult[T]:
    """Find a minimal subset of ``items`` for which ``fails`` is true.

    ``fails(kept)`` runs the journey keeping only ``kept`` of the suspects and says
    whether login still fails. ``items`` as a whole is known to fail, none of them passes.
    """
    known: dict[frozenset[int], bool] = {frozenset(range(len(items))): True, frozenset(): False}
    result: DdminResult[T] = DdminResult(culprits=list(items), tests=0, complete=True)

    async def test(indices: frozenset[int]) -> bool:
        if indices not in known:
            if result.tests >= max_tests:
                raise _OutOfRuns
            result.tests += 1
            kept = [items[i] for i in sorted(indices)]
            known[indices] = await fails(kept)
            result.trail.append((kept, known[indices]))
        return known[indices]

    async def both(first: frozenset[int], second: frozenset[int]) -> tuple[bool, bool]:
        """Whether each half fails; the second is only tested when needed (or for free)."""
        fresh = first not in known and second not in known
        if parallel >= 2 and fresh and result.tests + 2 <= max_tests:
            a, b = await asyncio.gather(test(first), test(second))
            return a, b
        if await test(first):
            return True, False
        return False, await test(second)

    async def minimise(suspects: list[int], fixed: frozenset[int]) -> list[int]:
        # Invariant: fixed + suspects fails, fixed alone passes.
        if len(suspects) == 1:
            return suspects
        half = len(suspects) // 2
        left, right = suspects[:half], suspects[half:]
        left_fails, right_fails = await both(fixed | set(left), fixed | set(right))
        if left_fails:
            return await minimise(left, fixed)
        if right_fails:
            return await minimise(right, fixed)
        # Neither half breaks login alone: culprits sit on both sides.
        needed_left = await minimise(left, fixed | set(right))
        needed_right = await minimise(right, fixed | set(needed_left))
        return needed_left + needed_right

    best = list(range(len(items)))
    try:
        if len(items) > 1:
            best = await minimise(best, frozenset())
    except _OutOfRuns:
        result.complete = False
        # The smallest configuration seen failing is still a valid (if not minimal) answer.
        failing: list[frozenset[int]] = [k for k, failed in known.items() if failed]
        smallest: frozenset[int] = min(failing, key=len)
        best = sorted(smallest)
    result.culprits = [items[i] for i in sorted(best)]
    return result
