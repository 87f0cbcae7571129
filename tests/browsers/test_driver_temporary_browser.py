"""probe.browsers.driver.start_driver: the driver's per-browser folders go in probe's own folder.

Under load, a diagnosis left a ``playwright-artifacts-*`` folder in the person's TMPDIR: the
driver removes a browser's folder once the browser has exited, and probe kills its last
browser and stops the driver right after (seen on a clean-clone suite run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from probe._util import loops
from probe.browsers.base import discard_browser
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.driver import own_driver


def test_the_artifacts_folder_of_a_browser_is_in_the_drivers_folder_and_tmpdir_is_restored(
    tmp_path: Path, probe_chromium: Chromium, browser_type_launch_args: dict[str, Any]
) -> None:
    temporary = tmp_path / "driver"
    temporary.mkdir()
    run = tmp_path / "run"
    before = os.environ.get("TMPDIR")

    # probe gives each browser an environment of its own (its TMPDIR the person's), as here.
    async def launch_and_discard() -> tuple[list[str], str | None]:
        async with own_driver(temporary) as playwright:
            during = os.environ.get("TMPDIR")
            context = await playwright.chromium.launch_persistent_context(
                str(run / "profile"), env=dict(os.environ), **browser_type_launch_args
            )
            made = sorted(p.name for p in temporary.iterdir())
            await discard_browser(context, run)
        return made, during

    made, during = loops.run(launch_and_discard())

    assert len(made) == 1 and made[0].startswith("playwright-artifacts-"), made
    assert during == before  # set only while the driver started
    assert os.environ.get("TMPDIR") == before
