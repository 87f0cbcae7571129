"""Launching Firefox through Playwright's WebDriver BiDi driver (``moz-firefox``).

Measured with Playwright 1.64.1 and Firefox ESR 153: 1.65 fails at the first page
("emulation.setMediaFeaturesOverride: unknown command"), so the pin matters. The
``moz-firefox`` channel looks for Firefox at /snap/bin/firefox on Linux only: the
executable is always given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probe.browsers.firefox.discovery import Firefox
from probe.browsers.firefox.prefs import PrefValue

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext as AsyncBrowserContext
    from playwright.async_api import Playwright as AsyncPlaywright
    from playwright.sync_api import BrowserContext, Playwright

CHANNEL = "moz-firefox"
LAUNCH_TIMEOUT_MS = 60_000

# Needed to drive Firefox 153 over BiDi, whatever the profile says: with site isolation
# (fission) on, click() inside a cross-site iframe (the CAPTCHA checkbox) returns
# without error and does nothing; with it off, the click lands.
DRIVING_PREFS: dict[str, PrefValue] = {"fission.autostart": False}

# Firefox sets navigator.webdriver while its remote agent runs (BiDi included), and no
# preference turns that off any more (``dom.webdriver.enabled`` is gone): the one way
# left is a script before every page's own. The person's Firefox has it false.
NOT_DRIVEN_SCRIPT = (
    "Object.defineProperty(Navigator.prototype, 'webdriver', "
    "{get: () => false, configurable: true, enumerable: true});"
)

# Inside the run folder: Firefox's own files outside the profile go there.
HOME_FOLDER = "probe-home"


def private_environment(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Firefox with its home moved to ``home``.

    Firefox 153 writes "Crash Reports" and "Pending Pings" into
    ``~/.config/mozilla/firefox`` (the very folder holding the person's profiles.ini
    since Firefox 147), a cache into ``~/.cache/mozilla`` and creates ``~/Downloads``,
    whatever profile it is given.
    """
    env = dict(os.environ if base is None else base)
    for sub in (".config", ".cache", ".local/share", ".local/state"):
        (home / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_STATE_HOME=str(home / ".local/state"),
    )
    return env


def launch_options(
    firefox: Firefox,
    user_data_dir: Path,
    user_prefs: dict[str, PrefValue],
    *,
    headless: bool = True,
    timeout_ms: float = LAUNCH_TIMEOUT_MS,
) -> dict[str, Any]:
    """Keyword arguments of ``launch_persistent_context`` for a run folder.

    Never the person's profile: Playwright writes user.js and prefs.js.playwright into
    the folder it gets. Context options (viewport, locale, accept_downloads) work over
    BiDi with 1.64 and ESR 153 and are the caller's to add.
    """
    home = user_data_dir / HOME_FOLDER
    home.mkdir(mode=0o700, exist_ok=True)
    return {
        "user_data_dir": str(user_data_dir),
        "channel": CHANNEL,
        "executable_path": str(firefox.executable),
        "headless": headless,
        "firefox_user_prefs": {**user_prefs, **DRIVING_PREFS},
        "timeout": timeout_ms,
        "env": private_environment(home),
    }


def launch_persistent(
    playwright: Playwright,
    firefox: Firefox,
    user_data_dir: Path,
    user_prefs: dict[str, PrefValue],
    *,
    headless: bool = True,
    **context_options: Any,
) -> BrowserContext:
    """Start Firefox on a run folder (sync API)."""
    options = launch_options(firefox, user_data_dir, user_prefs, headless=headless)
    return playwright.firefox.launch_persistent_context(**options, **context_options)


async def launch_persistent_async(
    playwright: AsyncPlaywright,
    firefox: Firefox,
    user_data_dir: Path,
    user_prefs: dict[str, PrefValue],
    *,
    headless: bool = True,
    **context_options: Any,
) -> AsyncBrowserContext:
    """Start Firefox on a run folder (async API, as probe's runner uses it)."""
    options = launch_options(firefox, user_data_dir, user_prefs, headless=headless)
    return await playwright.firefox.launch_persistent_context(**options, **context_options)
