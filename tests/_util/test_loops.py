"""probe._util.loops: asyncio code run from synchronous callers, and stopped in bounded time."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from probe._util import loops


def _interrupt() -> None:
    # What the CLI's SIGTERM/SIGHUP handler (and Ctrl-C) raise in the main thread.
    raise KeyboardInterrupt


async def _run_with_stubborn_clean_up(after: float) -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            # A clean-up that waits for an answer that never comes (a browser launch cut
            # short: Playwright's driver never answers the close).
            await asyncio.Event().wait()

    asyncio.get_running_loop().call_later(after, _interrupt)
    await asyncio.gather(stubborn(), asyncio.sleep(3600))


@pytest.mark.timeout(30)
def test_an_interrupted_run_stops_within_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loops, "STOP_GRACE_S", 0.5, raising=False)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        loops.run(_run_with_stubborn_clean_up(after=0.1))
    # asyncio.run waited for the stubborn clean-up forever (probe never exited on SIGTERM).
    assert time.monotonic() - started < 5


def test_a_clean_up_that_finishes_runs_to_its_end() -> None:
    cleaned: list[str] = []

    async def polite() -> None:
        async def worker() -> None:
            try:
                await asyncio.sleep(3600)
            finally:
                await asyncio.sleep(0.05)
                cleaned.append("closed")

        asyncio.get_running_loop().call_later(0.1, _interrupt)
        await worker()

    with pytest.raises(KeyboardInterrupt):
        loops.run(polite())
    assert cleaned == ["closed"]


def test_a_result_comes_back_from_a_thread_that_has_a_loop_already() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def caller() -> int:
        return loops.run(answer())  # this thread runs a loop: the work moves to a thread

    # A thread of its own runs that loop: the test session's main thread may run one already.
    with ThreadPoolExecutor(max_workers=1) as thread:
        assert thread.submit(asyncio.run, caller()).result() == 42


def test_a_run_closed_at_the_deadline_starts_no_clean_up_task_that_nobody_awaits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A run whose clean-up outlives the grace period has its coroutine closed; its own
    # ``finally`` then asks for a background close (a browser discarded), with no loop.
    monkeypatch.setattr(loops, "STOP_GRACE_S", 0.2)
    closing: set[asyncio.Task[None]] = set()
    started: list[str] = []

    async def close_browser() -> None:
        started.append("close")

    async def a_run() -> None:
        try:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await asyncio.Event().wait()  # a clean-up that never ends
        finally:
            loops.in_background(closing, close_browser)

    async def main() -> None:
        asyncio.get_running_loop().call_later(0.05, _interrupt)
        await a_run()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            loops.run(main())
        gc.collect()
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []
    assert started == [] and closing == set()


def test_a_background_task_runs_and_leaves_the_set_when_done() -> None:
    closing: set[asyncio.Task[None]] = set()
    done: list[str] = []

    async def close_browser() -> None:
        done.append("closed")

    async def main() -> None:
        loops.in_background(closing, close_browser)
        assert len(closing) == 1
        await asyncio.gather(*closing)
        await asyncio.sleep(0)

    loops.run(main())
    assert done == ["closed"] and closing == set()
