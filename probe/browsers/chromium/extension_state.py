"""What Chromium resets when it loads an extension from a folder, set back in a run.

``--load-extension`` counts as a reinstall: Chromium keeps the extension's dynamic rules
(``probe.browsers.chromium.profile.prepare_run_dir`` keeps the checksum they need) but turns its static
rule lists (rulesets) back to those its manifest turns on (measured in Chromium 156).
A person who turned a list off, or another on, would then be diagnosed with the lists
they do not have; so each such extension's own service worker is asked to turn them as
the person had them, before the journey starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from playwright.async_api import BrowserContext, Worker
from playwright.async_api import Error as PlaywrightError

from probe.browsers.chromium.profile import Extension, extension_id

WORKER_TIMEOUT_MS = 5000

_TURN = """([on, off]) => chrome.declarativeNetRequest.updateEnabledRulesets(
    {enableRulesetIds: on, disableRulesetIds: off})"""


async def restore_rulesets(context: BrowserContext, extensions: Iterable[Extension]) -> None:
    """Turn each extension's rule lists on and off as in the person's browser.

    An extension whose worker does not answer keeps its manifest's lists (the profile
    reader told it as a limitation only for extensions without a worker).
    """
    for ext in extensions:
        if ext.rulesets is None:
            continue
        try:
            run_id = extension_id(ext.path)
        except ValueError:
            continue
        worker = await _worker(context, run_id)
        if worker is None:
            continue
        on, off = ext.rulesets
        with contextlib.suppress(PlaywrightError):
            await worker.evaluate(_TURN, [list(on), list(off)])


async def _worker(context: BrowserContext, ext_id: str) -> Worker | None:
    prefix = f"chrome-extension://{ext_id}/"
    for worker in context.service_workers:
        if worker.url.startswith(prefix):
            return worker
    try:
        found: Worker = await context.wait_for_event(
            "serviceworker",
            predicate=lambda w: w.url.startswith(prefix),
            timeout=WORKER_TIMEOUT_MS,
        )
    except PlaywrightError:
        return None
    return found
