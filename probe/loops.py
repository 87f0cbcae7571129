"""Running probe's asyncio code from synchronous callers, whatever thread they are in.

A thread may already run an event loop: Playwright's sync API (pytest-playwright's
``page`` fixture, for one) keeps one running for the whole test session, and so does a
notebook. ``asyncio.run`` refuses to start there, so the work moves to a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``, in a worker thread when this one already has a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe-loop") as worker:
        return worker.submit(asyncio.run, coroutine).result()
