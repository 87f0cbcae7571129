"""The seam between the diagnosis and a browser engine: Chromium or Firefox.

The diagnosis (``probe.diagnosis.decisions``) and the journey (``probe.journey.login``) never know which
engine runs: they see an ``Inventory`` (the person's environment split into components)
and a Playwright ``BrowserContext``. An engine is what lies in between, one per browser:

- ``copy_profile``: a private copy of the person's profile, read into an inventory;
- ``launch``: a real browser on a run folder made from that copy, keeping only the
  components a run keeps (``RunSpec``), with the engine's own settings and quirks.

- ``reusable``: running browsers kept for the runs that can reuse one, each set to a
  run while it runs (``BrowserReuse``); None when the engine starts a browser per run.
  As httpx's transport owns its connection pool, the engine owns its pool: the runner
  asks for a browser set to a run and gives it back, and never knows how it is done.

``probe.browsers.chromium.engine.ChromiumEngine`` and ``probe.browsers.firefox.engine.FirefoxEngine`` are
the two implementations; ``probe.browsers.fake.FakeEngine`` stands in for them in fast
tests, as httpx's ``MockTransport`` does for a network (it launches nothing unless given a
launcher). Which engine a diagnosis uses is decided once, by the app (``probe.app.setup``
through ``probe.browsers.registry``), and handed to the runner.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from probe._util.files import Note
from probe.models import BrowserInfo, Component, Evidence, ProfileInfo

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Playwright

    from probe.description.target import Target


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


S = TypeVar("S")


@dataclass(frozen=True)
class ProfileCopy(Generic[S]):
    """A private copy of the person's profile and what it holds.

    ``source`` is the engine's own reading of the copy (a ``ProfileCopy[SourceProfile]``
    for Chromium): only the engine that made it looks inside, everyone else holds a
    ``ProfileCopy[Any]`` and hands it back to that engine.
    """

    inventory: Inventory
    source: S
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


class LentBrowser(Protocol):
    """A running browser an engine lent to one run, already set to it."""

    @property
    def context(self) -> BrowserContext: ...

    @property
    def page(self) -> Page:
        """The run's own new page (the earlier runs' pages are closed)."""
        ...

    @property
    def folder(self) -> Path:
        """The browser's own folder (the run may leave files there: a trace)."""
        ...

    @property
    def downloads(self) -> Path:
        """Where the run's downloads go, emptied before the run."""
        ...

    async def watch(self, kept: frozenset[str], sites: tuple[str, ...]) -> EvidenceWatch | None:
        """Ask the browser who did what during the run (None: nothing to ask)."""
        ...


class BrowserReuse(Protocol):
    """Running browsers an engine keeps for the runs that can reuse one.

    Which run may reuse which browser is ``probe.browsers.pool.refusal``; setting a
    running browser to a run is the engine's own business.
    """

    @property
    def started(self) -> int:
        """Browsers started so far for reuse."""
        ...

    async def lend(self, kept: frozenset[str], *, fresh: bool, start: bool) -> LentBrowser | None:
        """A running browser set to a run keeping ``kept`` (component ids); None: the run
        starts a browser of its own. ``start``: start one for it when none is idle (more
        runs like it follow)."""
        ...

    def give_back(self, lent: LentBrowser, *, sound: bool) -> None:
        """Return ``lent`` after its run; not ``sound`` (stopped half-way, crashed): closed."""
        ...

    async def close(self) -> None:
        """Close every browser kept and wait until they are gone."""
        ...


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

    def copy_profile(self, dest: Path, sites: tuple[str, ...]) -> ProfileCopy[Any]:
        """Copy the person's profile into the empty private folder ``dest`` and read it;
        ``sites``: the portal's hosts (whose cookies become components)."""
        ...

    async def launch(
        self, playwright: Playwright, copy: ProfileCopy[Any] | None, spec: RunSpec
    ) -> Launched:
        """Start a browser on a new run folder made from ``copy`` (None: a brand-new
        profile) keeping what ``spec`` keeps; ``BrowserFailure`` in one line if it cannot."""
        ...

    def reusable(
        self,
        playwright: Playwright,
        copy: ProfileCopy[Any],
        *,
        size: int,
        folder: Path,
        headed: bool,
        target: Target,
    ) -> BrowserReuse | None:
        """At most ``size`` running browsers on ``copy`` kept for the runs that can reuse
        one, their folders in ``folder``; None when this engine starts a browser for each
        run (or ``size`` is 0)."""
        ...


async def discard_browser(context: BrowserContext, folder: Path) -> None:
    """Close a browser whose run folder (profile copy, HOME, downloads) is thrown away,
    then remove the folder.

    Nothing of the browser's state is kept, so a Chromium is killed rather than asked to
    shut down (a graceful close writes its profile first: ~0.3 s, seconds on a loaded
    machine, which the last run of a diagnosis used to wait for), and the folder it made in
    TMPDIR (its ``SingletonSocket``'s, which a graceful close removes) is removed here. A
    browser whose leftovers are not known so (Firefox) closes itself. Files are removed in
    a thread, off the event loop.
    """
    import asyncio
    import contextlib
    import shutil

    from playwright.async_api import Error as PlaywrightError

    from probe._util.process import kill_using

    temporary = _chromium_temporary(folder)
    if temporary is not None:
        kill_using(folder)
    with contextlib.suppress(PlaywrightError):
        await context.close()
    await asyncio.to_thread(shutil.rmtree, folder, True)
    if temporary is not None:
        await asyncio.to_thread(shutil.rmtree, temporary, True)


_CHROMIUM_TEMPORARY = re.compile(r"^\.?(org\.chromium\.Chromium|com\.google\.Chrome)\.\w+$")


def _chromium_temporary(folder: Path) -> Path | None:
    """The folder a Chromium running on ``folder`` made in TMPDIR, when it is one."""
    for socket in (folder / "profile" / "SingletonSocket", folder / "SingletonSocket"):
        try:
            target = Path(os.readlink(socket)).parent
        except OSError:
            continue
        if target.is_absolute() and _CHROMIUM_TEMPORARY.match(target.name):
            return target
    return None
