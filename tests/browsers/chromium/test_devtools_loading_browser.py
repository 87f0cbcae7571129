"""Extensions loaded through DevTools, the way runs go in a browser that ignores
``--load-extension`` (branded Google Chrome and Edge 137+).

Forced here on Debian's Chromium 156 (``Chromium.loading = "devtools"``): the browser
starts with ``--enable-unsafe-extension-debugging`` and no ``--load-extension``, and each
run's extensions come through ``Extensions.loadUnpacked``. Checked by hand first with a
plain Playwright script: the extensions of a recipe profile loaded so are listed as
``UNPACKED`` and enabled in ``chrome://extensions-internals``; without the call, the same
browser lists none of them. The diagnosis must name the same culprits as with
``--load-extension``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from probe._util import loops
from probe.browsers.base import RunSpec
from probe.browsers.chromium import engine as engine_module
from probe.browsers.chromium.discovery import Chromium, find_chromium
from probe.browsers.chromium.engine import ChromiumEngine
from probe.browsers.chromium.profile import locate_profile
from probe.models import Report

Diagnose = Callable[..., Report]


@pytest.fixture(scope="module")
def probe_chromium() -> Chromium:
    """This machine's Chromium, told that it ignores ``--load-extension``."""
    return dataclasses.replace(find_chromium(), loading="devtools")


def _internals(chromium: Chromium, profile: Path, tmp: Path) -> tuple[list[tuple[str, str]], str]:
    """The extensions a run's browser lists (name, location), and its command line."""

    async def run() -> tuple[list[tuple[str, str]], str]:
        engine = ChromiumEngine(chromium, locate_profile(profile))
        copy = engine.copy_profile(tmp / "copy", ("portal.localhost",))
        kept = frozenset(c.id for c in copy.inventory.components)
        async with async_playwright() as playwright:
            launched = await engine.launch(playwright, copy, RunSpec(kept=kept, folder=tmp / "run"))
            page = await launched.context.new_page()
            await page.goto("chrome://extensions-internals")
            listed = json.loads(await page.inner_text("body"))
            await page.goto("chrome://version")
            command_line = await page.inner_text("#command_line")
            await launched.context.close()
        return sorted(
            (e["name"], e["location"]) for e in listed if e["location"] != "COMPONENT"
        ), command_line

    # loops.run: a thread of its own when pytest-playwright's sync API left a loop running here.
    return loops.run(run())


def test_a_profiles_extensions_load_through_devtools_without_the_flag(
    probe_chromium: Chromium, probe_profile_factory: Callable[..., Path], tmp_path: Path
) -> None:
    profile = probe_profile_factory({"extensions": ["form-filler-pro", "harmless/notes"]})
    listed, command_line = _internals(probe_chromium, profile, tmp_path)
    assert listed == [("Form Filler Pro", "UNPACKED"), ("Notes", "UNPACKED")]
    assert "--load-extension" not in command_line
    assert "--enable-unsafe-extension-debugging" in command_line


def test_without_the_devtools_call_the_same_browser_has_none_of_them(
    probe_chromium: Chromium,
    probe_profile_factory: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: what a Chrome 137+ run was before (no flag honoured, no DevTools call)."""

    async def nothing(context: object, folders: object) -> list[str]:
        return []

    monkeypatch.setattr(engine_module, "load_unpacked", nothing)
    profile = probe_profile_factory({"extensions": ["form-filler-pro", "harmless/notes"]})
    listed, command_line = _internals(probe_chromium, profile, tmp_path)
    assert listed == []
    assert "--load-extension" not in command_line


def test_a_form_breaking_extension_is_named_as_with_the_flag(probe_diagnose: Diagnose) -> None:
    report = probe_diagnose("extension-breaks-form")
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Form Filler Pro"]
    assert report.browser.extension_loading == "devtools"


def test_a_blockers_own_user_filter_survives_devtools_loading(probe_diagnose: Diagnose) -> None:
    """The dynamic rule the browser stored for "my-filters" is carried into the runs."""
    report = probe_diagnose("user-filter-hides-captcha")
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["My Filters"]


def test_reused_browsers_switch_devtools_loaded_extensions(probe_diagnose: Diagnose) -> None:
    """Two extensions that clash only together: narrowing down switches them on and off
    in running browsers (probe's switch, itself loaded through DevTools)."""
    report = probe_diagnose("extensions-clash")
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert {c.id for c in report.verdict.culprits} == {
        e.id for e in report.profile.components if e.name in ("Night Owl Dark Mode", "Glare Guard")
    }
    assert len(report.verdict.culprits) == 2
    started = report.browsers_started
    assert started is not None and started < report.browser_runs  # browsers were reused
