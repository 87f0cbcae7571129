"""Delta debugging (Zeller's ddmin): the smallest set of components that still breaks login.

Each test is a real browser run, so the search is bounded, batches its tests so that
``parallel`` runs go at once, never repeats a configuration, and stops at the first
failing batch. One culprit among 16 takes 2 * log2(16) = 8 runs; culprits that only
break login together are found too (ddmin then tests complements at a finer grain).
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


def _split(items: Sequence[T], n: int) -> list[list[T]]:
    size, extra = divmod(len(items), n)
    parts, start = [], 0
    for index in range(n):
        end = start + size + (1 if index < extra else 0)
        if end > start:
            parts.append(list(items[start:end]))
        start = end
    return parts


async def ddmin(
    items: Sequence[T],
    fails: Callable[[list[T]], Awaitable[bool]],
    *,
    max_tests: int = 24,
    parallel: int = 2,
) -> DdminResult[T]:
    """Find a 1-minimal subset of ``items`` for which ``fails`` is true.

    ``fails(subset)`` runs the journey keeping only ``subset`` of the components and
    says whether login still fails. ``items`` as a whole is known to fail.
    """
    known: dict[frozenset[int], bool] = {frozenset(range(len(items))): True, frozenset(): False}
    result: DdminResult[T] = DdminResult(culprits=list(items), tests=0, complete=True)

    async def test(indices: list[int]) -> bool:
        key = frozenset(indices)
        if key not in known:
            result.tests += 1
            kept = [items[i] for i in indices]
            known[key] = await fails(kept)
            result.trail.append((kept, known[key]))
        return known[key]

    async def first_failing(candidates: list[list[int]]) -> list[int] | None:
        fresh = [c for c in candidates if frozenset(c) not in known]
        for c in candidates:
            if known.get(frozenset(c)) is True:
                return c
        for start in range(0, len(fresh), parallel):
            budget = max_tests - result.tests
            if budget <= 0:
                result.complete = False
                return None
            batch = fresh[start : start + min(parallel, budget)]
            outcomes = await asyncio.gather(*(test(c) for c in batch))
            for candidate, failed in zip(batch, outcomes, strict=True):
                if failed:
                    return candidate
        return None

    current = list(range(len(items)))
    n = 2
    while len(current) >= 2 and result.complete:
        subsets = _split(current, n)
        found = await first_failing(subsets)
        if found is not None:
            current, n = found, 2
            continue
        if n > 2 and result.complete:
            complements = [[i for i in current if i not in set(s)] for s in subsets]
            found = await first_failing(complements)
            if found is not None:
                current, n = found, max(n - 1, 2)
                continue
        if n >= len(current):
            break
        n = min(len(current), n * 2)
    result.culprits = [items[i] for i in current]
    return result
