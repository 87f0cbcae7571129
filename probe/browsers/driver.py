"""One Playwright driver and one browser budget shared by many diagnoses at once (``probe ci``).

A diagnosis on its own starts Playwright's driver (a Node.js process: ~0.5 s of CPU) in
an event loop of its own and runs at most ``jobs`` browsers. ``probe ci`` runs several
diagnoses side by side, each in a thread of its own (building a profile, copying it and
writing a report are blocking work); with a ``SharedDriver`` their browser work runs on one
event loop, in one driver, and ``browsers`` bounds the browsers running at once across all
of them, so that ``probe ci --jobs 2`` runs two browsers on two cores, not two per scenario.

Stopping (Ctrl-C, SIGTERM) is bounded as in ``probe._util.loops``: ``close`` cancels the
diagnoses still running, gives them ``STOP_GRACE_S`` to close their browsers, stops the
driver, and every thread waiting in ``run`` gets ``RunStopped``, so its own clean-up (the
private folder, a partial report) runs as it would after Ctrl-C.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from playwright.async_api import Playwright, async_playwright

from probe._util.loops import STOP_GRACE_S

T = TypeVar("T")

# What a diagnosis runs on the shared loop: given the driver and the browser slots.
BrowserWork = Callable[[Playwright, asyncio.Semaphore], Coroutine[Any, Any, T]]


_ENVIRONMENT = threading.Lock()  # over TMPDIR while a driver starts


async def start_driver(temporary: Path) -> Playwright:
    """Start Playwright's driver with its temporary folder in ``temporary``; the caller
    stops it (``Playwright.stop``) before removing that folder.

    The driver makes a ``playwright-artifacts-*`` folder in its TMPDIR for each browser it
    launches and removes it once the browser has exited. probe kills a browser it throws
    away (``probe.browsers.base.discard_browser``), and a driver stopped right after may
    exit before that removal: the folder was left in the person's TMPDIR. In ``temporary``
    (a folder of probe's own) it goes with it. The driver takes its environment from
    ``os.environ`` when it starts, so TMPDIR is set there for that moment, one start at a
    time; the browsers get environments of their own.
    """
    # Polled rather than waited for in a thread: a start cancelled while it waits must
    # not leave the lock taken by a thread nobody hears back from.
    while not _ENVIRONMENT.acquire(blocking=False):
        await asyncio.sleep(0.01)
    before = os.environ.get("TMPDIR")
    try:
        os.environ["TMPDIR"] = str(temporary)
        return await async_playwright().start()
    finally:
        if before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before
        _ENVIRONMENT.release()


@contextlib.asynccontextmanager
async def own_driver(temporary: Path) -> AsyncIterator[Playwright]:
    """``start_driver`` for the length of a ``with`` block."""
    playwright = await start_driver(temporary)
    try:
        yield playwright
    finally:
        await playwright.stop()


class RunStopped(BaseException):  # noqa: N818  (a stop, like KeyboardInterrupt, not an error)
    """The shared driver was closed (the run was stopped) before or while this work ran.

    Not ``KeyboardInterrupt``: on that, a diagnosis stops every child process of probe
    (``probe.diagnosis.session.private_workdir``), and here those include the other scenarios'
    profile builds, which must end on their own to clean up after themselves.
    """


class SharedDriver:
    """An event loop in a thread of its own, one Playwright driver, ``browsers`` slots.

    Example::

        with SharedDriver(browsers=2) as driver:
            report = diagnose(setup, driver=driver)  # from any number of threads
    """

    def __init__(self, browsers: int) -> None:
        if browsers < 1:
            raise ValueError("a SharedDriver needs at least one browser slot")
        self.browsers = browsers
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="probe-driver", daemon=True
        )
        self._guard = threading.Lock()  # over _closed and _waiting
        self._closed = False
        self._waiting: set[concurrent.futures.Future[Any]] = set()
        # Bound to the loop at their first use, inside it.
        self._slots = asyncio.Semaphore(browsers)
        self._starting = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._temporary: Path | None = None  # the driver's TMPDIR, made when it starts
        self._work: set[asyncio.Task[Any]] = set()  # the diagnoses running on the loop
        self.driver_starts = 0  # how many times the driver started (once, when used)

    def start(self) -> SharedDriver:
        """Start the loop's thread (the driver itself starts when first used)."""
        self._thread.start()
        return self

    def __enter__(self) -> SharedDriver:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def run(self, work: BrowserWork[T]) -> T:
        """Run ``work(playwright, slots)`` on the shared loop and wait for its result.

        Called from any thread but the loop's. ``RunStopped`` when the driver was closed
        before or while ``work`` ran (the run was stopped).
        """
        with self._guard:
            if self._closed or not self._thread.is_alive():
                raise RunStopped("the run was stopped")
            future = asyncio.run_coroutine_threadsafe(self._call(work), self._loop)
            self._waiting.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise RunStopped("the run was stopped") from None
        finally:
            with self._guard:
                self._waiting.discard(future)

    async def _call(self, work: BrowserWork[T]) -> T:
        task = asyncio.current_task()
        assert task is not None
        self._work.add(task)
        try:
            async with self._starting:
                if self._playwright is None:
                    self._temporary = Path(tempfile.mkdtemp(prefix="probe-driver-"))
                    self._playwright = await start_driver(self._temporary)
                    self.driver_starts += 1
            return await work(self._playwright, self._slots)
        finally:
            self._work.discard(task)

    def close(self, grace: float = STOP_GRACE_S) -> None:
        """Stop: cancel what still runs (``grace`` seconds to clean up), stop the driver."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
        if not self._thread.is_alive():
            self._loop.close()
            return
        stopping = asyncio.run_coroutine_threadsafe(self._shutdown(grace), self._loop)
        with contextlib.suppress(BaseException):
            stopping.result(timeout=2 * grace + 1)
        with self._guard:
            left = list(self._waiting)
        for future in left:  # still running after the grace period: left behind
            future.cancel()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=grace)
        if not self._thread.is_alive():
            self._loop.close()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)

    async def _shutdown(self, grace: float) -> None:
        # Only the diagnoses' work is cancelled: Playwright's own tasks (reading from the
        # driver) must run on until the driver stops. A diagnosis waits in its own
        # ``finally`` for the browsers it closes.
        running = list(self._work)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=grace)
        if self._playwright is not None:
            with contextlib.suppress(Exception, TimeoutError):
                await asyncio.wait_for(self._playwright.stop(), grace)
