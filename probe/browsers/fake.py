"""An engine for fast tests: a given inventory, runs recorded, no browser unless told.

It stands in for ``ChromiumEngine`` and ``FirefoxEngine`` as httpx's ``MockTransport``
stands in for a network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probe.browsers.base import (
    ENGINE_LABELS,
    BrowserReuse,
    EngineName,
    Inventory,
    Launched,
    ProfileCopy,
    RunSpec,
)
from probe.errors import BrowserFailure
from probe.models import BrowserInfo, ProfileInfo

if TYPE_CHECKING:
    from playwright.async_api import Playwright

    from probe.description.target import Target

Launcher = Callable[["Playwright", ProfileCopy[Any] | None, RunSpec], Awaitable[Launched]]


@dataclass
class FakeEngine:
    """An engine for tests: a given inventory, runs recorded, no browser unless
    ``launcher`` starts one; it keeps no browser for reuse."""

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

    def copy_profile(self, dest: Path, sites: tuple[str, ...]) -> ProfileCopy[None]:
        self.copied_to.append(dest)
        return ProfileCopy(inventory=self.inventory, source=None)

    async def launch(
        self, playwright: Playwright, copy: ProfileCopy[Any] | None, spec: RunSpec
    ) -> Launched:
        self.launched.append(spec)
        if self.launcher is None:
            raise BrowserFailure(f"{self.describe()} starts no browser")
        return await self.launcher(playwright, copy, spec)

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
        return None
