"""probe.browsers.driver: one Playwright driver and one browser budget shared by diagnoses in threads."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.async_api import Playwright

from probe.browsers.driver import RunStopped, SharedDriver


class Peak:
    """How many pieces of work held a browser slot at once, at most."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.drivers: set[int] = set()
        self.loops: set[int] = set()

    async def browser_run(self, playwright: Playwright, slots: asyncio.Semaphore) -> str:
        self.drivers.add(id(playwright))
        self.loops.add(id(asyncio.get_running_loop()))
        for _ in range(2):  # a diagnosis makes several runs, each in a slot of its own
            async with slots:
                self.now += 1
                self.most = max(self.most, self.now)
                await asyncio.sleep(0.05)
                self.now -= 1
        return threading.current_thread().name


@pytest.mark.timeout(60)
@pytest.mark.parametrize("browsers", [1, 2])
def test_the_budget_bounds_browsers_across_every_thread(browsers: int) -> None:
    peak = Peak()
    with SharedDriver(browsers) as driver, ThreadPoolExecutor(max_workers=5) as pool:
        names = list(pool.map(lambda _: driver.run(peak.browser_run), range(5)))
    assert peak.most == browsers  # reached, never exceeded, though 5 threads asked at once
    assert names == ["probe-driver"] * 5  # the work ran on the shared loop
    assert len(peak.drivers) == len(peak.loops) == 1
    assert driver.driver_starts == 1


@pytest.mark.timeout(60)
def test_closing_stops_the_work_under_way_and_refuses_more() -> None:
    cleaned: list[str] = []
    started = threading.Event()

    async def endless(playwright: Playwright, slots: asyncio.Semaphore) -> None:
        try:
            started.set()
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # a browser closing
            cleaned.append("closed")

    driver = SharedDriver(2).start()
    stopped: list[BaseException] = []

    def scenario() -> None:
        try:
            driver.run(endless)
        except BaseException as exc:  # what the scenario's thread sees
            stopped.append(exc)

    thread = threading.Thread(target=scenario)
    thread.start()
    assert started.wait(30)
    begun = time.monotonic()
    driver.close()
    thread.join(10)
    assert time.monotonic() - begun < 5
    assert cleaned == ["closed"]
    assert len(stopped) == 1 and isinstance(stopped[0], RunStopped)
    with pytest.raises(RunStopped):
        driver.run(endless)


@pytest.mark.timeout(60)
def test_a_stubborn_clean_up_is_left_behind_after_the_grace_period() -> None:
    started = threading.Event()

    async def stubborn(playwright: Playwright, slots: asyncio.Semaphore) -> None:
        try:
            started.set()
            await asyncio.sleep(3600)
        finally:
            await asyncio.Event().wait()  # an answer that never comes

    driver = SharedDriver(1).start()
    outcome: list[BaseException] = []
    thread = threading.Thread(target=lambda: outcome.append(_stopped(driver, stubborn)))
    thread.start()
    assert started.wait(30)
    begun = time.monotonic()
    driver.close(grace=0.3)
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - begun < 5
    assert isinstance(outcome[0], RunStopped)


def _stopped(driver: SharedDriver, work: object) -> BaseException:
    try:
        driver.run(work)  # type: ignore[arg-type]
    except BaseException as exc:
        return exc
    raise AssertionError("the work was not stopped")
