"""A running Chromium lent to run after run starts each run as a new browser would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from probe.app.ci import diagnose_scenario
from probe.app.request import DiagnosisRequest
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.warm import ChromiumWarmBrowser


def test_no_service_worker_of_an_earlier_run_is_left_running(
    probe_chromium: Chromium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The embedded portal registers a service worker on its login page. Clearing its site
    # data unregisters it but once left each earlier run's worker running (a process each).
    prepare = ChromiumWarmBrowser.prepare
    left: list[list[str]] = []

    async def counting(self: ChromiumWarmBrowser, *args: Any, **kwargs: Any) -> Page:
        page = await prepare(self, *args, **kwargs)
        _, session = await self._control()
        targets = (await session.send("Target.getTargets"))["targetInfos"]
        workers = [t["url"] for t in targets if t["type"] == "service_worker"]
        left.append([url for url in workers if url.endswith("/sw.js")])
        return page

    monkeypatch.setattr(ChromiumWarmBrowser, "prepare", counting)
    request = DiagnosisRequest(report_dir=tmp_path, reuse_every_run=True, trace=False)

    report, _ = diagnose_scenario("extensions-clash", request, chromium=probe_chromium)

    assert report.verdict.factor == "extension"
    assert len(left) >= 3, "too few runs in reused browsers to tell"
    assert left == [[]] * len(left)
