"""The seam between the diagnosis and a browser engine: Chromium or Firefox.

The diagnosis (``probe.diagnosis.decisions``) and the journey (``probe.journey.login``) never know which
engine runs: they see an ``Inventory`` (the person's environment split into components)
and a Playwright ``BrowserContext``. An engine is what lies in between, one per browser:

- ``copy_profile``: a private copy of the person's profile, read into an inventory;
- ``launch``: a real browser on a run folder made from that copy, keeping only the
  components a run keeps (``RunSpec``), with the engine's own settings and quirks.

``probe.browsers.chromium.engine.ChromiumEngine`` and ``probe.browsers.firefox.engine.FirefoxEngine`` are
the two implementations; ``FakeEngine`` stands in for them in fast tests, as httpx's
``MockTransport`` does for a network (it launches nothing unless given a launcher).
Which engine a diagnosis uses is decided once, by the app (``probe.app.setup``), and handed
to the runner.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from probe._util.files import Note
from probe.errors import BrowserFailure
from probe.models import BrowserInfo, Component, Evidence, ProfileInfo

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Playwright


EngineName = Literal["chromium", "firefox"]
ENGINE_NAMES: tuple[EngineName, ...] = ("chromium", "firefox")
# What a person calls each engine, in the report and the terminal.
ENGINE_LABELS: dict[EngineName, str] = {"chromium": "Chromium", "firefox": "Firefox"}

SITE_DATA_ID = "site-data"


def playwright_error_lines(message: str) -> tuple[str, list[str]]:
    """Playwright's error ``message`` as its first line (without the
    ``BrowserType.launch_persistent_context:`` naming Playwright's call, not the cause)
    and the lines after it."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    first = re.sub(r"^BrowserType\.\w+: ", "", lines[0]) if lines else "unknown error"
    return first, lines[1:]


def other_engine(name: EngineName) -> EngineName:
    return "firefox" if name == "chromium" else "chromium"


class EvidenceWatch(Protocol):
    """What an engine that can tell who did what in a run answers when the run ends."""

    async def conclude(self) -> list[Evidence]: ...


@dataclass
class Inventory:
    """The person's environment, split into components (the same for every engine)."""

    components: list[Component] = field(default_factory=list)
    # Extensions (add-ons) the person allowed in private windows: a private window keeps
    # them and the settings, nothing else.
    private: frozenset[str] = frozenset()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.components)

    def of_kind(self, kind: str) -> list[Component]:
        return [c for c in self.components if c.kind == kind]

    def by_id(self, component_id: str) -> Component:
        return next(c for c in self.components if c.id == component_id)


@dataclass(frozen=True)
class ProfileCopy:
    """A private copy of the person's profile and what it holds.

    ``source`` is the engine's own reading of the copy: only the engine that made it
    looks inside.
    """

    inventory: Inventory
    source: object
    notes: tuple[Note, ...] = ()  # what no run can replay: the report's limitations
    warnings: tuple[str, ...] = ()  # what copying found (one line each, for the terminal)


@dataclass(frozen=True)
class RunSpec:
    """One browser run: which components it keeps, where its files go, how it shows."""

    kept: frozenset[str]  # component ids of the inventory
    folder: Path  # the run's own folder (profile, HOME, downloads), removed afterwards
    fresh: bool = False  # a brand-new profile: nothing of the person's
    private: bool = False  # a private window (the engine's own private mode when it has one)
    headed: bool = False
    locale: str | None = None  # the browser's language; None: the person's own
    watch: bool = False  # ask the browser who did what (whole-journey runs)
    sites: tuple[str, ...] = ()  # the portal's hosts (what the evidence is about)
    # Chromium: a copy of probe's extension switch to load too (a browser kept running
    # for several runs, ``probe.browsers.chromium.warm``); other engines ignore it.
    switch: Path | None = None

    @property
    def downloads(self) -> Path:
        return self.folder / "downloads"

    def context_options(self) -> dict[str, Any]:
        """What every engine's browser context gets (``launch_persistent_context``)."""
        return {
            "viewport": {"width": 1000, "height": 720},
            # The portal's language when its description says, else the person's.
            "locale": self.locale,
            "accept_downloads": True,
            # Inside the run folder, so that the journey can measure a download.
            "downloads_path": str(self.downloads),
        }


@dataclass
class Launched:
    """A started browser: its context, and what watches it (Chromium's evidence)."""

    context: BrowserContext
    watch: EvidenceWatch | None = None


class BrowserEngine(Protocol):
    """One browser engine probe drives (``ChromiumEngine``, ``FirefoxEngine``, a fake)."""

    @property
    def name(self) -> EngineName: ...

    def info(self, *, headless: bool) -> BrowserInfo:
        """The browser, as the report names it."""
        ...

    def describe(self) -> str:
        """One line: product, version and executable."""
        ...

    def profile_info(self) -> ProfileInfo:
        """The profile it reads, as the report names it (components left empty)."""
        ...

    def copy_profile(self, dest: Path, sites: tuple[str, ...]) -> ProfileCopy:
        """Copy the person's profile into the empty private folder ``dest`` and read it;
        ``sites``: the portal's hosts (whose cookies become components)."""
        ...

    async def launch(
        self, playwright: Playwright, copy: ProfileCopy | None, spec: RunSpec
    ) -> Launched:
        """Start a browser on a new run folder made from ``copy`` (None: a brand-new
        profile) keeping what ``spec`` keeps; ``BrowserFailure`` in one line if it cannot."""
        ...


Launcher = Callable[["Playwright", ProfileCopy | None, RunSpec], Awaitable[Launched]]


@dataclass
class FakeEngine:
    """An engine for tests: a given inventory, runs recorded, no browser unless
    ``launcher`` starts one."""

    engine_name: EngineName = "chromium"
    inventory: Inventory = field(default_factory=Inventory)
    launcher: Launcher | None = None
    version: str = "1.0"
    launched: list[RunSpec] = field(default_factory=list)
    copied_to: list[Path] = field(default_factory=list)

    @property
    def name(self) -> EngineName:
        return self.engine_name

    def info(self, *, headless: bool) -> BrowserInfo:
        label = ENGINE_LABELS[self.engine_name]
        return BrowserInfo(
            product=f"Fake {label}", version=self.version, executable="fake", headless=headless
        )

    def describe(self) -> str:
        return f"Fake {ENGINE_LABELS[self.engine_name]} {self.version}"

    def profile_info(self) -> ProfileInfo:
        return ProfileInfo(source=None, kind="fresh")

    def copy_profile(self, dest: Path, sites: tuple[str, ...]) -> ProfileCopy:
        self.copied_to.append(dest)
        return ProfileCopy(inventory=self.inventory, source=None)

    async def launch(
        self, playwright: Playwright, copy: ProfileCopy | None, spec: RunSpec
    ) -> Launched:
        self.launched.append(spec)
        if self.launcher is None:
            raise BrowserFailure(f"{self.describe()} starts no browser")
        return await self.launcher(playwright, copy, spec)
