"""Loading the person's extensions through DevTools, for browsers that ignore ``--load-extension``.

Branded Google Chrome (and Microsoft Edge) 137+ ignore ``--load-extension``. What they
still allow, started with ``--enable-unsafe-extension-debugging`` and driven over a
DevTools pipe (Playwright always drives Chromium over ``--remote-debugging-pipe``), is
the browser-level command ``Extensions.loadUnpacked``: it loads an extension folder as
"Load unpacked" in ``chrome://extensions`` does. Measured with Debian's Chromium 156
(``tests/browsers/chromium/test_devtools_loading_browser.py``): the extension is then
``UNPACKED`` and enabled, with the same id as from ``--load-extension`` (from its
manifest's key, else from its folder), and the run folder's Preferences entry written by
``prepare_run_dir`` is kept as for a ``--load-extension`` start.

The other way, starting the browser on entries of extensions "installed" in the run
folder's Preferences, was tried and left: Chromium 156 loads a Web Store entry only when
the entry carries the manifest and the granted permissions Chromium wrote at install
(without them: "Manifest file is missing or unreadable", or disabled for a permissions
increase), and branded builds on Windows and macOS check those entries against MACs
that a copy made elsewhere cannot carry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError

from probe.errors import BrowserFailure

# The switch that lets a DevTools client load extensions (Chromium 126+).
DEVTOOLS_LOADING_ARG = "--enable-unsafe-extension-debugging"


async def load_unpacked(context: BrowserContext, folders: Sequence[Path]) -> list[str]:
    """Load each extension folder into the browser of ``context``; their ids, in order.

    ``BrowserFailure`` in one line when the browser refuses one (a run without one of
    the person's extensions would be diagnosed as something it is not).
    """
    if not folders:
        return []
    browser = context.browser
    if browser is None:
        raise BrowserFailure("Chromium gave no browser-level DevTools session to load extensions")
    session = await browser.new_browser_cdp_session()
    ids = []
    try:
        for folder in folders:
            try:
                answer = await session.send("Extensions.loadUnpacked", {"path": str(folder)})
            except PlaywrightError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "refused"
                raise BrowserFailure(
                    f"the browser refused to load the extension in {folder} through "
                    f"DevTools ({first[:200]})"
                ) from None
            ids.append(str(answer.get("id", "")))
    finally:
        with contextlib.suppress(PlaywrightError):
            await session.detach()
    return ids
