"""Launching Firefox through Playwright's WebDriver BiDi driver (``moz-firefox``).

Measured with Playwright 1.64.1 and Firefox ESR 153: 1.65 fails at the first page
("emulation.setMediaFeaturesOverride: unknown command"), so the pin matters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from probe.firefox.discovery import Firefox
from probe.firefox.prefs import PrefValue

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

CHANNEL = "moz-firefox"
LAUNCH_TIMEOUT_MS = 60_000
# Needed to drive Firefox 153 over BiDi, whatever the profile says: with site isolation
# (fission) on, click() inside a cross-site iframe (the CAPTCHA checkbox) returns
# without error and does nothing; with it off, the click lands.
DRIVING_PREFS: dict[str, PrefValue] = {"fission.autostart": False}

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


def launch_persistent(
    playwright: Playwright,
    firefox: Firefox,
    user_data_dir: Path,
    user_prefs: dict[str, PrefValue],
    *,
    headless: bool = True,
    timeout_ms: float = LAUNCH_TIMEOUT_MS,
) -> BrowserContext:
    """Start Firefox on a run folder (never on the person's profile: Playwright writes
    user.js and prefs.js.playwright into the folder it gets)."""
    # Playwright's stub types floats where Firefox has 32-bit integers.
    prefs: dict[str, str | float | bool] = {**user_prefs, **DRIVING_PREFS}
    home = user_data_dir / HOME_FOLDER
    home.mkdir(mode=0o700, exist_ok=True)
    env: dict[str, str | float | bool] = dict(private_environment(home))
    return playwright.firefox.launch_persistent_context(
        str(user_data_dir),
        channel=CHANNEL,
        executable_path=str(firefox.executable),
        headless=headless,
        firefox_user_prefs=prefs,
        timeout=timeout_ms,
        env=env,
    )
