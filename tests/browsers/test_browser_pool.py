"""Which run may reuse which running browser, and the pool's bookkeeping (no browser)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError

from probe._util import loops
from probe.browsers.base import SITE_DATA_ID, EvidenceWatch, Inventory
from probe.browsers.pool import BrowserPool, BrowserSetup, Reuse, RunNeeds, refusal
from probe.models import Component

ALL = frozenset({"a", "b", "c"})


class FakeBrowser:
    """Stands in for a running Chromium: records what the pool did with it."""

    def __init__(self, setup: BrowserSetup, number: int) -> None:
        self.setup = setup
        self.used = False
        self.clean = not setup.site_data
        self.number = number
        self.closed = False

    async def close(self) -> None:
        self.closed = True


class FakeLauncher:
    def __init__(self) -> None:
        self.started: list[FakeBrowser] = []

    async def __call__(self, setup: BrowserSetup) -> FakeBrowser:
        await asyncio.sleep(0)
        browser = FakeBrowser(setup, len(self.started) + 1)
        self.started.append(browser)
        return browser


def needs(
    extensions: set[str] | frozenset[str] = ALL,
    resets: frozenset[str] = frozenset(),
    site_data: bool = False,
    fresh: bool = False,
) -> RunNeeds:
    return RunNeeds(frozenset(extensions), resets, site_data, fresh)


def setup(
    extensions: frozenset[str] = ALL, resets: frozenset[str] = frozenset(), site_data: bool = False
) -> BrowserSetup:
    return BrowserSetup(extensions, resets, site_data)


PERSON = setup(site_data=True)  # started with the person's site data


@pytest.mark.parametrize(
    ("browser", "used", "clean", "run", "reason"),
    [
        (setup(), True, True, needs({"a"}), None),  # a subset of the extensions: switched live
        (setup(), True, True, needs(set()), None),  # no extension at all
        (setup(), True, True, needs(fresh=True), "a brand-new profile"),
        (setup(), False, True, needs(resets=frozenset({"javascript"})), "other settings"),
        (setup(frozenset({"a"})), False, True, needs({"a", "b"}), "did not load"),
        (setup(), False, True, needs(site_data=True), "started without"),
        # The person's site data for the portal: one run keeping it, untouched since start.
        (PERSON, False, False, needs(site_data=True), None),
        (PERSON, True, False, needs(site_data=True), "an earlier run may have changed"),
        (PERSON, False, False, needs(site_data=False), "holds the person's site data"),
        # None for the portal: cleared after each run, it is as it started.
        (PERSON, True, True, needs(site_data=True), None),
        (PERSON, True, True, needs(site_data=False), None),
    ],
)
def test_refusal_names_why_a_run_needs_a_browser_of_its_own(
    browser: BrowserSetup, used: bool, clean: bool, run: RunNeeds, reason: str | None
) -> None:
    said = refusal(browser, used, run, clean)
    if reason is None:
        assert said is None
    else:
        assert said is not None and reason in said


def test_a_browser_is_started_with_every_extension_and_the_run_s_settings() -> None:
    run = needs({"a"}, resets=frozenset({"proxy"}), site_data=True)
    assert BrowserSetup.for_run(run, ALL) == BrowserSetup(ALL, frozenset({"proxy"}), True)


def test_narrowing_down_runs_reuse_the_browsers_and_never_run_two_in_one() -> None:
    async def scenario() -> tuple[FakeLauncher, list[int]]:
        launcher = FakeLauncher()
        pool: BrowserPool[FakeBrowser] = BrowserPool(launcher, 2, extensions=ALL)
        order = []
        first = await pool.lease(needs())  # current: a browser started
        assert first is not None
        first.used = True
        second = await pool.lease(needs({"a"}))  # beside it: the first is busy
        assert second is not None and second is not first
        order += [first.number, second.number]
        pool.give_back(first)
        pool.give_back(second)
        for subset in ({"a"}, {"b"}, {"a", "c"}, set()):
            lent = await pool.lease(needs(subset))
            assert lent is not None
            order.append(lent.number)
            pool.give_back(lent)
        await pool.close()
        assert all(b.closed for b in launcher.started)
        assert (pool.launches, pool.reuses) == (2, 4)
        return launcher, order

    launcher, order = loops.run(scenario())
    assert len(launcher.started) == 2
    assert order[:2] == [1, 2]
    assert set(order[2:]) <= {1, 2}


def test_a_full_pool_of_busy_browsers_lets_the_run_start_its_own() -> None:
    async def scenario() -> None:
        pool: BrowserPool[FakeBrowser] = BrowserPool(FakeLauncher(), 1, extensions=ALL)
        lent = await pool.lease(needs())
        assert lent is not None
        assert await pool.lease(needs()) is None  # the only browser is busy
        pool.give_back(lent)
        assert await pool.lease(needs(fresh=True)) is None  # a fresh profile never comes from it
        await pool.close()

    loops.run(scenario())


def test_a_browser_that_does_not_fit_makes_room_for_one_that_does() -> None:
    async def scenario() -> None:
        launcher = FakeLauncher()
        pool: BrowserPool[FakeBrowser] = BrowserPool(launcher, 1, extensions=ALL)
        lent = await pool.lease(needs())
        assert lent is not None
        pool.give_back(lent)
        other = await pool.lease(needs(resets=frozenset({"javascript"})))
        assert other is not None and other is not lent
        await asyncio.sleep(0)
        assert lent.closed  # the idle one was closed to keep at most 1 running
        assert other.setup.reset_settings == {"javascript"}
        await pool.close()

    loops.run(scenario())


def test_a_browser_holding_the_person_s_portal_data_serves_one_run_only() -> None:
    async def scenario() -> None:
        launcher = FakeLauncher()
        pool: BrowserPool[FakeBrowser] = BrowserPool(launcher, 2, extensions=ALL)
        lent = await pool.lease(needs(site_data=True))
        assert lent is not None
        assert not lent.clean  # the person's data for the portal, as the browser found it
        lent.used = True
        pool.give_back(lent)
        again = await pool.lease(needs(site_data=True))
        assert again is not None and again is not lent
        again.used = True
        pool.give_back(again)
        await pool.close()
        assert len(launcher.started) == 2

    loops.run(scenario())


def test_a_discarded_browser_is_closed_and_never_lent_again() -> None:
    async def scenario() -> None:
        launcher = FakeLauncher()
        pool: BrowserPool[FakeBrowser] = BrowserPool(launcher, 1, extensions=ALL)
        lent = await pool.lease(needs())
        assert lent is not None
        pool.discard(lent)
        fresh = await pool.lease(needs())
        assert fresh is not None and fresh is not lent
        await pool.close()
        assert lent.closed and fresh.closed

    loops.run(scenario())


def test_a_browser_whose_portal_origins_were_empty_serves_every_run_keeping_site_data() -> None:
    async def scenario() -> None:
        launcher = FakeLauncher()
        pool: BrowserPool[FakeBrowser] = BrowserPool(launcher, 2, extensions=ALL)
        lent = await pool.lease(needs(site_data=True))
        assert lent is not None
        lent.clean, lent.used = True, True
        pool.give_back(lent)
        for run in (needs({"a"}, site_data=True), needs(site_data=False)):
            again = await pool.lease(run)
            assert again is lent
            pool.give_back(again)
        await pool.close()
        assert len(launcher.started) == 1

    loops.run(scenario())


def test_a_run_alone_starts_no_pooled_browser_but_takes_an_idle_one() -> None:
    # A run that no series follows (``start=False``): a pooled browser costs it more to
    # start than a plain one, so none is started for it; an idle one that fits is used.
    async def scenario() -> None:
        launcher = FakeLauncher()
        pool: BrowserPool[FakeBrowser] = BrowserPool(launcher, 2, extensions=ALL)
        assert await pool.lease(needs(), start=False) is None
        assert launcher.started == []
        lent = await pool.lease(needs({"a"}))  # a series: started
        assert lent is not None
        pool.give_back(lent)
        assert await pool.lease(needs({"b"}), start=False) is lent
        await pool.close()

    loops.run(scenario())


INVENTORY = Inventory(
    components=[
        Component(kind="extension", id="a", name="A"),
        Component(kind="extension", id="b", name="B"),
        Component(kind="cookie", id="sid@portal.localhost", name="sid"),
        Component(kind="site-data", id=SITE_DATA_ID, name="Site data and cache"),
        Component(kind="setting", id="javascript", name="JavaScript blocked"),
    ]
)


def test_a_run_s_needs_come_from_what_it_keeps_of_the_inventory() -> None:
    kept = frozenset({"a", "sid@portal.localhost", SITE_DATA_ID})
    assert RunNeeds.of(INVENTORY, kept, fresh=False) == RunNeeds(
        frozenset({"a"}), frozenset({"javascript"}), site_data=True
    )
    assert RunNeeds.of(INVENTORY, INVENTORY.ids, fresh=True) == RunNeeds(
        frozenset({"a", "b"}), frozenset({"javascript"}), site_data=False, fresh=True
    )


class FakeSwitchable(FakeBrowser):
    """A pooled browser that records what each run set it to (stands in for Chromium's)."""

    def __init__(self, setup: BrowserSetup, number: int, fails: bool = False) -> None:
        super().__init__(setup, number)
        self.context: Any = None
        self.run_dir = Path(f"browser-{number}")
        self.downloads = self.run_dir / "downloads"
        self.prepared: list[tuple[frozenset[str], list[str]]] = []
        self.fails = fails

    async def prepare(self, kept: frozenset[str], dropped_cookies: Iterable[str]) -> Any:
        if self.fails:
            raise PlaywrightError("Target page, context or browser has been closed")
        self.prepared.append((kept, list(dropped_cookies)))
        self.used = True
        return f"page {len(self.prepared)}"

    async def watch(self, kept: frozenset[str], sites: tuple[str, ...]) -> EvidenceWatch | None:
        return None


def test_reuse_lends_a_browser_set_to_the_run_and_closes_one_given_back_unsound() -> None:
    started: list[FakeSwitchable] = []

    async def launch(setup: BrowserSetup) -> FakeSwitchable:
        started.append(FakeSwitchable(setup, len(started) + 1))
        return started[-1]

    async def scenario() -> None:
        reuse = Reuse(launch, 1, INVENTORY)
        lent = await reuse.lend(frozenset({"a"}), fresh=False, start=True)
        assert lent is not None and str(lent.page) == "page 1"
        assert lent.folder == Path("browser-1") and lent.downloads.name == "downloads"
        # Every extension loaded, the run's set switched on; the portal cookie it drops, gone.
        assert started[0].setup.extensions == {"a", "b"}
        assert started[0].prepared == [(frozenset({"a"}), ["sid@portal.localhost"])]
        assert await reuse.lend(frozenset({"a"}), fresh=True, start=True) is None
        reuse.give_back(lent, sound=True)
        again = await reuse.lend(frozenset({"b"}), fresh=False, start=True)
        assert again is not None and again.folder == lent.folder
        reuse.give_back(again, sound=False)  # crashed: closed, never lent again
        await asyncio.sleep(0)
        assert started[0].closed
        third = await reuse.lend(frozenset(), fresh=False, start=True)
        assert third is not None and third.folder == Path("browser-2")
        reuse.give_back(third, sound=True)
        await reuse.close()
        assert reuse.started == 2 and all(b.closed for b in started)

    loops.run(scenario())


def test_a_browser_that_does_not_answer_ends_reuse_or_is_discarded() -> None:
    async def broken(setup: BrowserSetup) -> FakeSwitchable:
        raise PlaywrightError("the switch did not answer")

    async def unanswering(setup: BrowserSetup) -> FakeSwitchable:
        return FakeSwitchable(setup, 1, fails=True)

    async def scenario() -> None:
        reuse = Reuse(broken, 1, INVENTORY)
        assert await reuse.lend(frozenset(), fresh=False, start=True) is None
        assert await reuse.lend(frozenset(), fresh=False, start=True) is None
        assert reuse.started == 1  # no more tries: every run starts its own browser
        other = Reuse(unanswering, 1, INVENTORY)
        assert await other.lend(frozenset(), fresh=False, start=True) is None
        assert await other.lend(frozenset(), fresh=False, start=True) is None
        assert other.started == 2  # the one that no longer answered was discarded
        await reuse.close()
        await other.close()

    loops.run(scenario())
