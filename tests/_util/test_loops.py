"""probe._util.loops: asyncio code run from synchronous callers, and stopped in bounded time."""

from __future__ import annotations

import asyncio
import time
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
