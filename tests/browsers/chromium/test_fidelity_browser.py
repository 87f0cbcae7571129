"""The ``current`` run is the person's browser: real Chromium keeps an extension's stored
state in probe's run folders, and the diagnosis names a blocker that only a user filter
(a dynamic rule) makes one.

A real ad blocker is tried too when ``PROBE_REAL_EXTENSIONS`` points at a folder holding
uBlock Origin Lite's built extension (``<folder>/chromium/manifest.json``), e.g.::

    git -C /path/to/uBOL-home archive HEAD chromium | tar -x -C /tmp/ubol
    PROBE_REAL_EXTENSIONS=/tmp/ubol pytest tests/browsers/chromium/test_fidelity_browser.py
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright, Worker

from probe.app.recipes.chromium import CookieSeed, ProfileRecipe, build_profile, fixtures_dir
from probe.app.request import DiagnosisRequest
from probe.app.setup import run_diagnosis
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import (
    Extension,
    extension_id,
    locate_profile,
    prepare_run_dir,
    snapshot_profile,
)
from tests.helpers.profiles import launch_profile

FILTERS_ID = extension_id(fixtures_dir() / "extensions" / "my-filters")
USER_RULE = {
    "id": 1,
    "priority": 1,
    "action": {"type": "block"},
    "condition": {"urlFilter": "||captcha.localhost^"},
}
REAL_EXTENSIONS = os.environ.get("PROBE_REAL_EXTENSIONS", "")


def _worker(context: BrowserContext, ext_id: str) -> Worker:
    found = next((w for w in context.service_workers if ext_id in w.url), None)
    if found is not None:
        return found
    worker: Worker = context.wait_for_event(
        "serviceworker", predicate=lambda w: ext_id in w.url, timeout=10_000
    )
    return worker


def _filters_profile(root: Path, chromium: Chromium, **recipe: object) -> Path:
    built = ProfileRecipe.model_validate(
        {"extensions": ["my-filters", "harmless/notes"], "run_extensions": True, **recipe}
    )
    return build_profile(built, root / "person", chromium=chromium)


def test_the_user_filter_survives_in_a_run_folder(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path
) -> None:
    snapshot = snapshot_profile(
        locate_profile(_filters_profile(tmp_path, probe_chromium)), tmp_path / "snapshot"
    )
    filters = [e for e in snapshot.extensions if e.id == FILTERS_ID]
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=True,
        keep_site_data=False,
        reset_settings=[],
        extensions=filters,
    )
    context = launch_profile(playwright, probe_chromium, run, filters)
    try:
        worker = _worker(context, FILTERS_ID)
        worker.evaluate("async () => { await self.ready; }")
        # The rule is the one the person's browser stored, not one added again: the
        # extension's storage says the filter was added long ago.
        assert worker.evaluate("chrome.declarativeNetRequest.getDynamicRules()") == [USER_RULE]
        assert worker.evaluate("chrome.storage.local.get(null)") == {"filtersAdded": True}
    finally:
        context.close()


def _lock_cookies_with_keyring(profile_dir: Path) -> None:
    """Make the portal's cookies look like a desktop Chrome's (encrypted with the keyring)."""
    with sqlite3.connect(profile_dir / "Cookies") as db:
        db.execute("UPDATE cookies SET encrypted_value = ?", (b"v11" + bytes(32),))
    db.close()


def _add_mv2_extension(profile_dir: Path) -> None:
    """An old Manifest V2 extension the person's (older) browser runs."""
    ext_id = "c" * 32
    folder = profile_dir / "Extensions" / ext_id / "2.0_0"
    folder.mkdir(parents=True)
    manifest = {"manifest_version": 2, "name": "Old Toolbar", "version": "2.0"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    prefs_file = profile_dir / "Preferences"
    prefs = json.loads(prefs_file.read_text())
    prefs["extensions"]["settings"][ext_id] = {"location": 1, "path": f"{ext_id}/2.0_0"}
    prefs_file.write_text(json.dumps(prefs))


def test_the_diagnosis_names_the_user_filter_and_says_what_it_could_not_replay(
    probe_chromium: Chromium, tmp_path: Path
) -> None:
    person = _filters_profile(
        tmp_path, probe_chromium, cookies=[CookieSeed(name="pref", domain="portal.localhost")]
    )
    _lock_cookies_with_keyring(person / "Default")
    _add_mv2_extension(person / "Default")
    report, report_dir = run_diagnosis(
        DiagnosisRequest(profile=person, report_dir=tmp_path / "report"), chromium=probe_chromium
    )
    # Before run folders kept the extension's state, `current` logged in: "Access works".
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.id for c in report.verdict.culprits] == [FILTERS_ID]
    kinds = {item.kind for item in report.limitations}
    assert {"extension-unsupported", "cookies-undecryptable"} <= kinds
    assert any("Old Toolbar" in item.en for item in report.limitations)
    assert "The portal's cookies could not be read" in report.verdict.summary_en
    written = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert [item["kind"] for item in written["limitations"]] == [
        item.kind for item in report.limitations
    ]
    assert 'class="limitations"' in (report_dir / "index.html").read_text(encoding="utf-8")


def _ubol_folder() -> Path:
    if not REAL_EXTENSIONS:
        pytest.skip("PROBE_REAL_EXTENSIONS is not set: no real ad blocker to try")
    folder = Path(REAL_EXTENSIONS) / "chromium"
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"no uBlock Origin Lite build at {folder} (PROBE_REAL_EXTENSIONS)")
    return folder


def test_ublock_origin_lite_with_a_custom_filter_is_named(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path
) -> None:
    # The person loaded uBOL unpacked and added a custom filter on its dashboard; uBOL
    # compiles it into a dynamic rule and does not add it again when it restarts.
    ubol = shutil.copytree(_ubol_folder(), tmp_path / "ubol")
    person = tmp_path / "person"
    ext = Extension(extension_id(ubol), "uBOL", "", ubol, True, False, "unpacked")
    context = launch_profile(playwright, probe_chromium, person, [ext])
    try:
        worker = _worker(context, ext.id)
        page = context.new_page()
        page.goto(f"chrome-extension://{ext.id}/dashboard.html", wait_until="load")
        page.evaluate(
            "text => chrome.runtime.sendMessage({what: 'setSandboxFilters', text})",
            "||captcha.localhost^\n",
        )
        rules = worker.evaluate(
            """async () => {
                for (let i = 0; i < 100; i++) {
                    const rules = await chrome.declarativeNetRequest.getDynamicRules();
                    const user = rules.filter(r =>
                        (r.condition.requestDomains || []).includes('captcha.localhost'));
                    if (user.length) return user;
                    await new Promise(resolve => setTimeout(resolve, 100));
                }
                return [];
            }"""
        )
        assert rules, "uBOL did not turn the custom filter into a dynamic rule"
    finally:
        context.close()
    report, _ = run_diagnosis(
        DiagnosisRequest(profile=person, report_dir=tmp_path / "report"), chromium=probe_chromium
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["uBlock Origin Lite"]


def test_one_cookie_it_cannot_decrypt_takes_its_site_s_cookies_with_it(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path
) -> None:
    # What the cookies-undecryptable limitation says: Chromium 156 drops the cookie it
    # cannot decrypt and the other cookies of the same site, silently.
    seeds = [CookieSeed(name=n, domain=d) for n, d in
             [("a", "portal.localhost"), ("b", "portal.localhost"), ("c", "other.localhost")]]  # fmt: skip
    person = build_profile(
        ProfileRecipe(cookies=seeds), tmp_path / "person", chromium=probe_chromium
    )
    with sqlite3.connect(person / "Default" / "Cookies") as db:
        db.execute("UPDATE cookies SET encrypted_value = ? WHERE name = 'a'", (b"v11" + bytes(32),))
    db.close()
    context = launch_profile(playwright, probe_chromium, person)
    try:
        assert [(c["name"], c["domain"]) for c in context.cookies()] == [("c", "other.localhost")]
    finally:
        context.close()


def test_a_rule_list_the_person_turned_off_stays_off(
    playwright: Playwright, probe_chromium: Chromium, tmp_path: Path
) -> None:
    # The person turned Ad Shield's only list off: their browser logs in. Chromium turns
    # it back on when --load-extension loads the extension; the run turns it off again.
    person = build_profile(
        ProfileRecipe(extensions=["ad-shield"]), tmp_path / "person", chromium=probe_chromium
    )
    shield = list(locate_profile(person).extensions)
    context = launch_profile(playwright, probe_chromium, person, shield)
    try:
        worker = _worker(context, shield[0].id)
        worker.evaluate(
            "chrome.declarativeNetRequest.updateEnabledRulesets({disableRulesetIds: ['filters']})"
        )
        assert worker.evaluate("chrome.declarativeNetRequest.getEnabledRulesets()") == []
    finally:
        context.close()
    report, _ = run_diagnosis(
        DiagnosisRequest(profile=person, report_dir=tmp_path / "report"), chromium=probe_chromium
    )
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")
    assert report.limitations == []
