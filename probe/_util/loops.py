"""Running probe's asyncio code from synchronous callers, whatever thread they are in.

A thread may already run an event loop: Playwright's sync API (pytest-playwright's
``page`` fixture, for one) keeps one running for the whole test session, and so does a
notebook. ``asyncio.run`` refuses to start there, so the work moves to a thread of its own.

Stopping is bounded. ``asyncio.run`` interrupted (Ctrl-C, or SIGTERM/SIGHUP, which the CLI
turns into the same ``KeyboardInterrupt``) cancels every task and then waits, with no
limit, for each to finish: a task cancelled in the middle of a browser launch may wait in
its ``finally`` for a Playwright answer that never comes, and probe then never exits.
Here the tasks get ``STOP_GRACE_S`` to clean up; whatever is still running after that is
left behind, and the caller's own clean-up (the private folder's removal, which also
stops Playwright's driver) runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

STOP_GRACE_S = 5.0


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``, in a worker thread when this one already has a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe-loop") as worker:
        return worker.submit(_run, coroutine).result()


def in_background(
    tasks: set[asyncio.Task[None]], start: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run ``start()`` as a task kept in ``tasks`` until it ends; nothing when no loop runs.

    A run still going at a stop's deadline has its coroutine closed (``_cancel_within``):
    its ``finally`` blocks then run with no loop, and a coroutine made there for a task
    would never be awaited (Python warns so on the terminal, after probe's last line).
    What it would have closed goes with the private folder.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    task = asyncio.create_task(start())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(coroutine)
        try:
            result = loop.run_until_complete(task)
        except BaseException:
            _cancel_within(loop, STOP_GRACE_S)
            raise
        _finish(loop)
        return result
    finally:
        loop.close()


def _cancel_within(loop: asyncio.AbstractEventLoop, seconds: float) -> None:
    """Cancel every task of ``loop`` and let them clean up for at most ``seconds``.

    Clean-up may start tasks of its own (a browser closed in the background): those are
    waited for too, not cancelled, within the same deadline.
    """
    deadline = time.monotonic() + seconds
    for task in asyncio.all_tasks(loop):
        task.cancel()
    # A second interrupt during the grace period ends the wait early, nothing more.
    with contextlib.suppress(BaseException):
        while (pending := asyncio.all_tasks(loop)) and (left := deadline - time.monotonic()) > 0:
            loop.run_until_complete(asyncio.wait(pending, timeout=left))
        loop.run_until_complete(
            asyncio.wait_for(loop.shutdown_asyncgens(), max(deadline - time.monotonic(), 0.1))
        )
    for task in asyncio.all_tasks(loop):
        # Still running at the deadline: left behind. A task that never started would
        # warn "coroutine ... was never awaited" at exit; close its coroutine instead.
        coroutine = task.get_coro()
        if not task.done() and isinstance(coroutine, Coroutine):
            with contextlib.suppress(BaseException):
                coroutine.close()


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does after the main task: close generators and the executor."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
