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
from collections.abc import Coroutine
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
    """Cancel every task of ``loop`` and let them clean up for at most ``seconds``."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    # A second interrupt during the grace period ends the wait early, nothing more.
    with contextlib.suppress(BaseException):
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=seconds))
        for task in pending:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: asyncio would log "never retrieved"
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), seconds))


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does after the main task: close generators and the executor."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
