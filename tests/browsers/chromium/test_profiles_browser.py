"""Profiles against real Chromium: extension ids, copying a profile in use, run folders."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright

from probe.app.recipes.chromium import (
    ProfileRecipe,
    build_profile,
    fixtures_dir,
    harmless_extensions,
)
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import (
    Extension,
    extension_id,
    locate_profile,
    prepare_run_dir,
    read_cookies,
    snapshot_profile,
)
from tests.helpers.profiles import launch_profile, no_writes_under, serve_site

HAND_WRITTEN = ["ad-shield", "form-filler-pro", "my-filters", "pair-a", "pair-b", "private-ok"]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_site() as serving:
        yield serving


def test_fixture_ids_are_the_ids_chromium_gives(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path
) -> None:
    loaded: list[Extension] = []
    for name in HAND_WRITTEN + harmless_extensions():
        # Loaded from copies: Chromium writes indexed rules into an unpacked folder.
        folder = shutil.copytree(fixtures_dir() / "extensions" / name, tmp_path / "ext" / name)
        loaded.append(Extension(extension_id(folder), name, "", folder, True, False, "unpacked"))
    keyless = shutil.copytree(
        fixtures_dir() / "extensions" / "harmless" / "tab-counter", tmp_path / "keyless"
    )
    manifest = json.loads((keyless / "manifest.json").read_text())
    del manifest["key"]
    (keyless / "manifest.json").write_text(json.dumps(manifest))
    keyless_id = extension_id(keyless)
    loaded.append(Extension(keyless_id, "keyless", "", keyless, True, False, "unpacked"))
    assert len({e.id for e in loaded}) == len(loaded)

    context = launch_profile(playwright, probe_chromium, tmp_path / "profile", loaded)
    try:
        page = context.new_page()
        for ext in loaded:
            response = page.goto(f"chrome-extension://{ext.id}/manifest.json")
            assert response is not None and response.ok, ext.path
            served = json.loads(page.locator("body").inner_text())
            expected = json.loads((ext.path / "manifest.json").read_text())
            assert served["name"] == expected["name"]
        worker = next(
            (w for w in context.service_workers if keyless_id in w.url), None
        ) or context.wait_for_event(
            "serviceworker", predicate=lambda w: keyless_id in w.url, timeout=5000
        )
        assert worker.url == f"chrome-extension://{keyless_id}/background.js"
        with pytest.raises(PlaywrightError):
            page.goto(f"chrome-extension://{'p' * 32}/manifest.json")  # and a wrong id fails
    finally:
        context.close()


def test_snapshot_of_a_profile_chromium_is_using(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path, port: int
) -> None:
    recipe = ProfileRecipe(
        extensions=["ad-shield"],
        cookie_jars=["harmless.json"],
        visit=["{portal}/site-data"],
    )
    source_dir = build_profile(
        recipe,
        tmp_path / "source",
        chromium=probe_chromium,
        portal_url=f"http://a.localhost:{port}",
    )
    source = locate_profile(source_dir)
    running = launch_profile(playwright, probe_chromium, source_dir, source.extensions)
    try:
        page = running.new_page()
        page.goto(f"http://a.localhost:{port}/js")
        # Keep the browser writing to the profile while it is being copied.
        page.evaluate(
            "window.busyWrites = 0; setInterval(() => { window.busyWrites += 1;"
            " localStorage.setItem('busy', String(Date.now()));"
            " document.cookie = 'busy=' + Date.now() + '; max-age=3600'; }, 5)"
        )
        page.wait_for_function("window.busyWrites >= 20")
        with no_writes_under(source_dir) as writes:
            snapshot = snapshot_profile(source, tmp_path / "snapshot")
        assert writes == []
    finally:
        running.close()
    assert [e.id for e in snapshot.extensions] == [e.id for e in source.extensions]
    run = prepare_run_dir(
        snapshot, tmp_path / "run", keep_cookies=True, keep_site_data=True, reset_settings=[]
    )
    context = launch_profile(playwright, probe_chromium, run, snapshot.extensions)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"http://a.localhost:{port}/js")
        assert page.evaluate("localStorage.getItem('probe-mark')") == "kept"
        portal_cookies = [c for c in context.cookies() if c["domain"] == "portal.localhost"]
        assert len(portal_cookies) == 4
    finally:
        context.close()


@pytest.mark.parametrize(
    ("keep_cookies", "keep_site_data"), [(True, True), (False, True), (True, False)]
)
def test_run_dir_variants_in_chromium(
    playwright: Playwright,
    probe_chromium: Chromium,
    tmp_path: Path,
    port: int,
    keep_cookies: bool,
    keep_site_data: bool,
) -> None:
    recipe = ProfileRecipe(cookie_jars=["harmless.json"], visit=["{portal}/site-data"])
    built = build_profile(
        recipe, tmp_path / "built", chromium=probe_chromium, portal_url=f"http://a.localhost:{port}"
    )
    snapshot = snapshot_profile(locate_profile(built), tmp_path / "snapshot")
    assert len(read_cookies(snapshot)) == 4
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=keep_cookies,
        keep_site_data=keep_site_data,
        reset_settings=[],
    )
    context = launch_profile(playwright, probe_chromium, run)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"http://a.localhost:{port}/js")
        mark = page.evaluate("localStorage.getItem('probe-mark')")
        registrations = page.evaluate(
            "navigator.serviceWorker.getRegistrations().then((r) => r.length)"
        )
        assert (mark == "kept") is keep_site_data
        assert (registrations == 1) is keep_site_data
        assert len(context.cookies()) == (4 if keep_cookies else 0)
    finally:
        context.close()


def test_only_the_extensions_given_run(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path, port: int
) -> None:
    recipe = ProfileRecipe(extensions=["ad-shield", "harmless/tab-counter"])
    snapshot = snapshot_profile(
        locate_profile(build_profile(recipe, tmp_path / "built", chromium=probe_chromium)),
        tmp_path / "snapshot",
    )
    shield = [e for e in snapshot.extensions if e.name == "Ad Shield"]
    counter = next(e for e in snapshot.extensions if e.name == "Tab Counter")
    run = prepare_run_dir(
        snapshot, tmp_path / "run", keep_cookies=True, keep_site_data=True, reset_settings=[]
    )
    context = launch_profile(playwright, probe_chromium, run, shield)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.failure or ""))
        page.goto(f"http://portal.localhost:{port}/connexion")
        assert "net::ERR_BLOCKED_BY_CLIENT" in failed  # Ad Shield's rules are active
        # Ad Shield's own worker running shows extension workers had their chance to start.
        if not [w for w in context.service_workers if shield[0].id in w.url]:
            context.wait_for_event("serviceworker", lambda w: shield[0].id in w.url)
        assert not [w for w in context.service_workers if counter.id in w.url]
        with pytest.raises(PlaywrightError):
            page.goto(f"chrome-extension://{counter.id}/manifest.json")
    finally:
        context.close()
