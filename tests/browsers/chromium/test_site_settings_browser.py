"""A per-site cookie block in real Chromium 156: honoured for that site only, kept when
Chromium rewrites Preferences, read back as one component, and lifted alone in a run
folder that leaves it out (the person's profile untouched)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright

from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.engine import take_inventory
from probe.browsers.chromium.profile import locate_profile, prepare_run_dir, snapshot_profile
from tests.helpers.profiles import fingerprint, launch_profile, serve_site

SITE = "site-cookies:a.localhost"


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_site() as serving:
        yield serving


def cookie_names(context: BrowserContext, port: int, host: str) -> list[str]:
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"http://{host}:{port}/cookie")
    return sorted(c["name"] for c in context.cookies() if c["domain"] == host)


def test_cookies_blocked_for_one_site_only(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path, port: int
) -> None:
    recipe = ProfileRecipe(blocked_cookie_sites=["a.localhost"])
    built = build_profile(recipe, tmp_path / "person", chromium=probe_chromium)
    # Chromium itself runs on the profile once: it keeps the exception as written.
    person = launch_profile(playwright, probe_chromium, built)
    assert cookie_names(person, port, "a.localhost") == []
    assert cookie_names(person, port, "b.localhost") == ["from_header", "from_script"]
    person.close()
    prefs = json.loads((built / "Default" / "Preferences").read_text())
    assert (
        prefs["profile"]["content_settings"]["exceptions"]["cookies"]["[*.]a.localhost,*"][
            "setting"
        ]
        == 2
    )

    before = fingerprint(built)
    source = locate_profile(built)
    snapshot = snapshot_profile(source, tmp_path / "snapshot")
    inventory = take_inventory(snapshot, ("a.localhost",))
    assert [(c.kind, c.id, c.name) for c in inventory.of_kind("setting")] == [
        ("setting", SITE, "Cookies blocked for a.localhost")
    ]
    assert take_inventory(snapshot, ("c.localhost",)).of_kind("setting") == []

    def run(name: str, drop: list[str]) -> BrowserContext:
        folder = prepare_run_dir(
            snapshot,
            tmp_path / name,
            keep_cookies=True,
            keep_site_data=True,
            reset_settings=[],
            reset_site_settings=drop,
        )
        return launch_profile(playwright, probe_chromium, folder)

    kept = run("kept", [])
    assert cookie_names(kept, port, "a.localhost") == []
    kept.close()
    dropped = run("dropped", [SITE])
    assert cookie_names(dropped, port, "a.localhost") == ["from_header", "from_script"]
    dropped.close()
    assert fingerprint(built) == before  # the person's profile is never written
