"""``probe install chromium|firefox``: a browser probe can drive, installed the way it can be.

Playwright's own build first, downloaded by Playwright's installer run with the Python
probe runs under (``sys.executable``: inside a ``uv tool`` or ``pipx`` install, a bare
``python`` is another Python without Playwright). Where that download is not possible (a
closed network, an OS Playwright has no build for), the distribution's package: on Debian
and Ubuntu ``chromium`` or ``firefox-esr`` with apt, run directly as root, else the exact
command to run as root is the answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from probe.browsers.base import EngineName
from probe.browsers.registry import Browser, find_browser
from probe.errors import BrowserFailure, ProbeError

# The distribution's package of each browser, on systems with apt (Debian, Ubuntu).
APT_PACKAGES: dict[EngineName, str] = {"chromium": "chromium", "firefox": "firefox-esr"}

Run = Callable[[Sequence[str], bool], int]  # a command, quiet: its exit code
Via = Literal["playwright", "system"]


@dataclass(frozen=True)
class Installed:
    """The browser probe will now drive, and where it came from."""

    browser: Browser
    via: Via


class NeedsRoot(BrowserFailure):
    """The distribution's package is the way, and installing it needs root."""


def playwright_command(name: EngineName, *, with_deps: bool = False) -> list[str]:
    """Playwright's installer, run by this very Python; ``with_deps``: the system libraries
    the build needs too, through the package manager (Playwright's ``--with-deps``)."""
    return [sys.executable, "-m", "playwright", "install", *(["--with-deps"] * with_deps), name]


def apt_command(name: EngineName) -> list[str]:
    return ["apt-get", "install", "-y", APT_PACKAGES[name]]


def _run(command: Sequence[str], quiet: bool) -> int:
    # The installers' own progress goes to the terminal, unless -q.
    output = subprocess.DEVNULL if quiet else None
    try:
        return subprocess.run(list(command), check=False, stdout=output, stderr=output).returncode
    except OSError:
        return 127


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _found(name: EngineName) -> Browser | None:
    try:
        return find_browser(name)
    except ProbeError:
        return None


def install_browser(
    name: EngineName,
    say: Callable[[str], object],
    *,
    run: Run = _run,
    quiet: bool = False,
    with_deps: bool = False,
    as_root: bool | None = None,
    has_apt: bool | None = None,
    find: Callable[[EngineName], Browser | None] = _found,
) -> Installed:
    """Install ``name`` (Playwright's build, else the distribution's) and return it found.

    Raises ``NeedsRoot`` (the command to run as root in its message) or ``BrowserFailure``.
    Example: ``install_browser("chromium", print).browser.describe()``.
    """
    root = _is_root() if as_root is None else as_root
    apt = shutil.which("apt-get") is not None if has_apt is None else has_apt
    command = playwright_command(name, with_deps=with_deps)
    say(f"Installing Playwright's {name}: {' '.join(command)}")
    if run(command, quiet) == 0 and (browser := find(name)) is not None:
        return Installed(browser, "playwright")
    say(f"Playwright's {name} could not be downloaded here.")
    if (browser := find(name)) is not None:
        say(f"The system's {name} is installed: probe will drive it.")
        return Installed(browser, "system")
    if not apt:
        raise BrowserFailure(
            f"Playwright's {name} could not be downloaded and no system {name} was found: "
            f"install {name} from your system's packages, then run 'probe install {name}' again "
            f"(or point PROBE_{name.upper()} at its executable)"
        )
    package = apt_command(name)
    if not root:
        raise NeedsRoot(
            f"Playwright's {name} could not be downloaded; install the distribution's package "
            f"as root: sudo apt-get update && sudo {' '.join(package)}"
        )
    say(f"Installing the distribution's package: {' '.join(package)}")
    if run(["apt-get", "update"], quiet) != 0 or run(package, quiet) != 0:
        raise BrowserFailure(f"'{' '.join(package)}' failed: see apt's messages above")
    if (browser := find(name)) is None:
        raise BrowserFailure(f"{APT_PACKAGES[name]} was installed but probe cannot find {name}")
    return Installed(browser, "system")
