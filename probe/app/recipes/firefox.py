"""Firefox test profiles built from a recipe (``probe.app.recipes.chromium.ProfileRecipe``), by Firefox.

The same recipe as for Chromium: fixture extensions become side-loaded add-ons
(``<profile>/extensions/<id>.xpi``, the id ``<fixture>@probe.fixtures``, the manifest
given the Gecko id Firefox needs and a background page instead of Chromium's service
worker, the hosts of its content scripts granted), Firefox is started once on the folder
so that it registers them in extensions.json, visits the pages and keeps the cookies,
and the settings are written into prefs.js as Firefox writes them. What Playwright leaves
in a profile it launched (its user.js and prefs.js.playwright) is removed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from probe.app.recipes.chromium import (
    DEAD_PROXY,
    CookieSeed,
    ProfileRecipe,
    _extension_fixture,
    _fixture,
    _portal_url,
    fixtures_dir,
    load_cookie_jar,
    visit_and_plant,
)
from probe.browsers.chromium.profile import SettingId
from probe.browsers.firefox.discovery import Firefox
from probe.browsers.firefox.engine import launch_failure
from probe.browsers.firefox.launch import HOME_FOLDER, launch_options
from probe.browsers.firefox.prefs import PrefValue, format_prefs, parse_prefs
from probe.browsers.firefox.rundir import SIDE_LOAD_PREFS, make_private_dir, side_load_addon
from probe.errors import BadInput, BrowserFailure

GECKO_SUFFIX = "@probe.fixtures"

# What each setting of a recipe is in Firefox's prefs.
SETTING_PREFS: dict[SettingId, dict[str, PrefValue]] = {
    "javascript": {"javascript.enabled": False},
    "cookies": {"network.cookie.cookieBehavior": 2},
    "third-party-cookies": {"network.cookie.cookieBehavior": 1},
    "proxy": {
        "network.proxy.type": 1,
        "network.proxy.http": DEAD_PROXY.rsplit(":", 1)[0].split("//")[1],
        "network.proxy.http_port": int(DEAD_PROXY.rsplit(":", 1)[1]),
        "network.proxy.ssl": DEAD_PROXY.rsplit(":", 1)[0].split("//")[1],
        "network.proxy.ssl_port": int(DEAD_PROXY.rsplit(":", 1)[1]),
    },
}


def gecko_id(fixture: str) -> str:
    """The add-on id of a fixture extension: ``harmless/notes`` -> ``notes@probe.fixtures``."""
    return fixture.rstrip("/").rsplit("/", 1)[-1] + GECKO_SUFFIX


def xpi_files(folder: Path, addon_id: str) -> tuple[dict[str, bytes], list[str]]:
    """The files of the add-on made from the Chromium fixture ``folder``, and the host
    patterns its content scripts and host permissions ask for."""
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    manifest.pop("key", None)
    manifest["browser_specific_settings"] = {"gecko": {"id": addon_id}}
    background = manifest.get("background")
    if isinstance(background, dict) and "service_worker" in background:
        # Firefox runs an MV3 background as a page (event page), not a service worker.
        manifest["background"] = {"scripts": [background["service_worker"]]}
    origins = [str(h) for h in manifest.get("host_permissions", [])]
    for script in manifest.get("content_scripts", []):
        origins += [str(m) for m in script.get("matches", [])]
    files = {"manifest.json": json.dumps(manifest).encode()}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != "manifest.json" and not rel.startswith("_metadata"):
            files[rel] = path.read_bytes()
    return files, sorted(set(origins))


def build_firefox_profile(
    recipe: ProfileRecipe, profile_dir: Path, *, firefox: Firefox, portal_url: str | None = None
) -> Path:
    """Make a Firefox profile folder holding what ``recipe`` says; returns its path.

    Firefox is started once, in a thread of its own (a caller's Playwright may be
    running), so that the profile is one Firefox wrote.
    """
    extensions_root = fixtures_dir() / "extensions"
    incognito = {_fixture(extensions_root, n) for n in recipe.incognito_extensions}
    seeds = list(recipe.cookies)
    for jar in recipe.cookie_jars:
        seeds += load_cookie_jar(jar).cookies
    visits = [_portal_url(url, portal_url) for url in recipe.visit]
    if profile_dir.exists() and any(profile_dir.iterdir()):
        raise BadInput(f"{profile_dir} is not empty")
    make_private_dir(profile_dir)
    disabled = set()
    for name in recipe.extensions + recipe.disabled_extensions:
        folder = _extension_fixture(extensions_root, name)
        addon_id = gecko_id(name)
        files, origins = xpi_files(folder, addon_id)
        side_load_addon(
            profile_dir, addon_id, files, origins=origins, private_allowed=folder in incognito
        )
        if name in recipe.disabled_extensions:
            disabled.add(addon_id)
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(_start_once, profile_dir, firefox, seeds, visits).result()
    for name in ("user.js", "prefs.js.playwright"):
        (profile_dir / name).unlink(missing_ok=True)
    _turn_off(profile_dir / "extensions.json", disabled)
    prefs_file = profile_dir / "prefs.js"
    values = parse_prefs(prefs_file.read_text()).values if prefs_file.exists() else {}
    for setting in recipe.settings:
        values.update(SETTING_PREFS[setting])
    prefs_file.write_text(format_prefs(values), encoding="utf-8")
    if recipe.blocked_cookie_sites:
        _block_cookies(profile_dir / "permissions.sqlite", recipe.blocked_cookie_sites, portal_url)
    return profile_dir


def _block_cookies(database: Path, hosts: list[str], portal_url: str | None) -> None:
    """What Firefox's cookie "Manage Exceptions" keeps for "Block" on each host: a
    ``cookie`` permission at 2 for its http and https origins, in the permissions.sqlite
    Firefox created when it started (its own schema). Firefox applies such a row to that
    exact origin, port included, so the portal's own origin gets one too."""
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    portal = urlsplit(portal_url) if portal_url else None
    if portal is not None and portal.hostname in hosts and portal.port:
        origins.append(f"{portal.scheme}://{portal.hostname}:{portal.port}")
    if not database.is_file():
        raise BrowserFailure("Firefox wrote no permissions.sqlite (while building a profile)")
    now = int(time.time() * 1000)
    connection = sqlite3.connect(database)
    try:
        connection.executemany(
            "INSERT INTO moz_perms (origin, type, permission, expireType, expireTime,"
            " modificationTime) VALUES (?, 'cookie', 2, 0, 0, ?)",
            [(origin, now) for origin in origins],
        )
        connection.commit()
    finally:
        connection.close()


def _turn_off(records: Path, disabled: set[str]) -> None:
    """Mark add-ons turned off by the person, as Firefox's add-on manager records it."""
    if not disabled:
        return
    data = json.loads(records.read_text())
    for addon in data.get("addons", []):
        if addon.get("id") in disabled:
            addon.update(userDisabled=True, active=False)
    records.write_text(json.dumps(data))


def _start_once(
    profile_dir: Path, firefox: Firefox, seeds: list[CookieSeed], visits: list[str]
) -> None:
    with _building_firefox(profile_dir, firefox) as context:
        visit_and_plant(context, visits, seeds)
        # Firefox writes extensions.json once its add-on manager has started.
        deadline = time.monotonic() + 10
        while not (profile_dir / "extensions.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)


@contextlib.contextmanager
def _building_firefox(profile_dir: Path, firefox: Firefox) -> Iterator[Any]:
    from playwright.sync_api import Error, sync_playwright

    # Firefox's HOME goes inside the profile while it builds it, and is removed after.
    options = launch_options(firefox, profile_dir, dict(SIDE_LOAD_PREFS))
    try:
        with sync_playwright() as playwright:
            try:
                context = playwright.firefox.launch_persistent_context(**options)
            except Error as exc:
                failure = launch_failure(exc.message, firefox, headed=False)
                raise BrowserFailure(f"{failure} (while building a profile)") from exc
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile_dir / HOME_FOLDER, ignore_errors=True)
