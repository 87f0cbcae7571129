"""Launching Firefox through Playwright's WebDriver BiDi driver (``moz-firefox``).

Measured with Playwright 1.64.1 and Firefox ESR 153: 1.65 fails at the first page
("emulation.setMediaFeaturesOverride: unknown command"), so the pin matters.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from probe.firefox.discovery import Firefox
from probe.firefox.prefs import PrefValue

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

CHANNEL = "moz-firefox"
LAUNCH_TIMEOUT_MS = 60_000


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
    prefs: dict[str, str | float | bool] = dict(user_prefs)
    return playwright.firefox.launch_persistent_context(
        str(user_data_dir),
        channel=CHANNEL,
        executable_path=str(firefox.executable),
        headless=headless,
        firefox_user_prefs=prefs,
        timeout=timeout_ms,
    )
