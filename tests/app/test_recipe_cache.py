"""probe.app.recipes.cache: a recipe's profile built once, keyed by everything that shapes it.

Recipes here plant no cookies and visit nothing, so building them starts no browser; the
browser tier (test_ci_all_scenarios.py, the plugin's tests) builds the others through it.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from probe.app.recipes.cache import ProfileCache, recipe_key
from probe.app.recipes.chromium import ProfileRecipe, fixtures_dir
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import locate_profile

NO_BROWSER = Chromium(Path("/nonexistent/chromium"), "156.0.0.0", "Chromium", "test")
RECIPE = ProfileRecipe(extensions=["ad-shield", "harmless/notes"], settings=["javascript"])


def test_the_same_recipe_is_built_once_and_read_from_the_same_folder(tmp_path: Path) -> None:
    cache = ProfileCache(tmp_path / "cache")
    first = cache.profile(RECIPE, chromium=NO_BROWSER)
    again = cache.profile(ProfileRecipe.model_validate(RECIPE.model_dump()), chromium=NO_BROWSER)
    assert first == again and (cache.builds, cache.reuses) == (1, 1)
    profile = locate_profile(first)
    assert sorted(e.name for e in profile.extensions) == ["Ad Shield", "Notes"]
    assert [s.id for s in profile.settings] == ["javascript"]
    other = cache.profile(ProfileRecipe(extensions=["ad-shield"]), chromium=NO_BROWSER)
    assert other != first and cache.builds == 2
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.endswith(".partial")] == []


def test_threads_asking_for_one_recipe_at_once_share_one_build(tmp_path: Path) -> None:
    cache = ProfileCache(tmp_path / "cache")
    got: list[Path] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.profile(RECIPE, chromium=NO_BROWSER)))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(got)) == 1 and (cache.builds, cache.reuses) == (1, 5)


def test_processes_sharing_the_folder_reuse_each_others_builds(tmp_path: Path) -> None:
    built = ProfileCache(tmp_path / "cache").profile(RECIPE, chromium=NO_BROWSER)
    other = ProfileCache(tmp_path / "cache")  # as a second pytest-xdist worker sees it
    assert other.profile(RECIPE, chromium=NO_BROWSER) == built and other.builds == 0


def test_a_copy_is_private_to_whoever_opens_it(tmp_path: Path) -> None:
    cache = ProfileCache(tmp_path / "cache")
    mine = cache.copy(RECIPE, tmp_path / "mine", chromium=NO_BROWSER)
    theirs = cache.copy(RECIPE, tmp_path / "theirs", chromium=NO_BROWSER)
    (mine / "Default" / "Preferences").write_text("{}")  # what a browser run would change
    shutil.rmtree(mine / "Default" / "Extensions")
    assert cache.builds == 1
    shared = cache.profile(RECIPE, chromium=NO_BROWSER)
    for intact in (shared, theirs):
        assert len(locate_profile(intact).extensions) == 2


def test_the_key_follows_the_recipe_the_chromium_and_the_fixtures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = recipe_key(RECIPE, chromium=NO_BROWSER)
    assert recipe_key(RECIPE, chromium=NO_BROWSER) == key
    assert recipe_key(RECIPE.model_copy(update={"settings": []}), chromium=NO_BROWSER) != key
    newer = Chromium(NO_BROWSER.executable, "157.0.0.0", "Chromium", "test")
    assert recipe_key(RECIPE, chromium=newer) != key
    # The same fixtures elsewhere: same key; one byte changed in one file: another key.
    copied = tmp_path / "fixtures"
    shutil.copytree(fixtures_dir(), copied)
    monkeypatch.setenv("PROBE_FIXTURES", str(copied))
    assert recipe_key(RECIPE, chromium=NO_BROWSER) == key
    page = copied / "extensions" / "harmless" / "notes" / "popup.html"
    page.write_text(page.read_text() + "\n")
    assert recipe_key(RECIPE, chromium=NO_BROWSER) != key
    jar = ProfileRecipe(cookie_jars=["harmless.json"])
    before = recipe_key(jar, chromium=NO_BROWSER)
    (copied / "cookies" / "harmless.json").write_text(
        (copied / "cookies" / "harmless.json").read_text().replace('"size": ', '"size": 1')
    )
    assert recipe_key(jar, chromium=NO_BROWSER) != before


def test_the_portal_counts_only_for_a_recipe_that_visits_it() -> None:
    still = recipe_key(RECIPE, chromium=NO_BROWSER)
    assert recipe_key(RECIPE, chromium=NO_BROWSER, portal_url="http://a/", portal_state="x") == (
        still
    )
    visits = ProfileRecipe(visit=["{portal}/connexion"])
    key = recipe_key(visits, chromium=NO_BROWSER, portal_url="http://a/", portal_state="{}")
    assert key != recipe_key(visits, chromium=NO_BROWSER, portal_url="http://b/", portal_state="{}")
    assert key != recipe_key(
        visits, chromium=NO_BROWSER, portal_url="http://a/", portal_state='{"maintenance": 1}'
    )
