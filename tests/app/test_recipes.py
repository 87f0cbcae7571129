"""Recipes and fixtures without a browser: validation, loaders, and profiles that need no
Chromium start (extensions and settings only)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from probe.app.recipes.chromium import (
    CookieSeed,
    ProfileRecipe,
    build_profile,
    fixtures_dir,
    harmless_extensions,
    load_cookie_jar,
    load_recipe,
)
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import extension_id, locate_profile
from probe.errors import BadInput

# build_profile starts no browser when a recipe plants no cookies and visits nothing.
NO_BROWSER = Chromium(Path("/nonexistent/chromium"), "156.0.0.0", "Chromium", "test")
HAND_WRITTEN = [
    "ad-shield",
    "cosmetic-filter",
    "form-filler-pro",
    "my-filters",
    "pair-a",
    "pair-b",
    "private-ok",
    "typed-css-filter",
    "ua-switcher",
]


def all_extensions() -> list[str]:
    return HAND_WRITTEN + harmless_extensions()


def test_fixtures_dir_is_the_repository_folder_or_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (fixtures_dir() / "extensions" / "ad-shield" / "manifest.json").is_file()
    monkeypatch.setenv("PROBE_FIXTURES", str(tmp_path))
    assert fixtures_dir() == tmp_path
    monkeypatch.setenv("PROBE_FIXTURES", str(tmp_path / "missing"))
    with pytest.raises(BadInput, match="PROBE_FIXTURES"):
        fixtures_dir()


def test_there_are_enough_harmless_extensions() -> None:
    names = harmless_extensions()
    assert len(names) >= 16 and all(n.startswith("harmless/") for n in names)


def load_generator() -> ModuleType:
    path = fixtures_dir() / "extensions" / "make_harmless.py"
    spec = importlib.util.spec_from_file_location("make_harmless", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_committed_harmless_extensions_match_their_generator() -> None:
    rendered: dict[Path, bytes] = load_generator().render()
    for path, content in rendered.items():
        assert path.read_bytes() == content, f"{path} differs: run make_harmless.py"
    harmless_root = fixtures_dir() / "extensions" / "harmless"
    committed = {p for p in harmless_root.rglob("*") if p.is_file()}
    assert committed <= set(rendered), "files in harmless/ that the generator does not write"


@pytest.mark.parametrize("name", all_extensions())
def test_fixture_extension_is_a_complete_mv3_extension(name: str) -> None:
    folder = fixtures_dir() / "extensions" / name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert manifest["name"] and manifest["version"] and manifest["description"]
    assert "key" in manifest  # fixed id wherever the folder is copied
    for icon in manifest["icons"].values():
        assert (folder / icon).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    for script in manifest.get("content_scripts", []):
        assert all((folder / js).is_file() for js in script.get("js", []))
        assert all((folder / css).is_file() for css in script.get("css", []))
    if "background" in manifest:
        assert (folder / manifest["background"]["service_worker"]).is_file()


def test_fixture_ids_are_all_different() -> None:
    ids = [extension_id(fixtures_dir() / "extensions" / n) for n in all_extensions()]
    assert len(set(ids)) == len(ids)


def test_readme_has_one_line_per_fixture() -> None:
    readme = (fixtures_dir() / "README.md").read_text()
    lines = [line for line in readme.splitlines() if line.startswith("- `")]
    named = [line.split("`")[1].rstrip("/") for line in lines]
    expected = [f"extensions/{n}" for n in all_extensions()]
    expected += [f"cookies/{p.name}" for p in sorted((fixtures_dir() / "cookies").glob("*.json"))]
    expected += [f"scenarios/{p.name}" for p in (fixtures_dir() / "scenarios").glob("*.toml")]
    assert sorted(named) == sorted(expected)


def cookie_header_bytes(seeds: list[CookieSeed]) -> int:
    return len("; ".join(f"{s.name}={s.value()}" for s in seeds).encode())


def test_cookie_jars() -> None:
    oversized = load_cookie_jar("oversized.json")
    assert {c.domain for c in oversized.cookies} == {"portal.localhost"}
    assert cookie_header_bytes(oversized.cookies) > 8 * 1024
    assert cookie_header_bytes(load_cookie_jar("harmless.json").cookies) < 1024
    with pytest.raises(BadInput, match="no fixture 'missing.json'"):
        load_cookie_jar("missing.json")
    with pytest.raises(BadInput, match="no fixture"):
        load_cookie_jar("../README.md")


def test_cookie_values_are_generated_filler() -> None:
    seed = CookieSeed(name="tc_cj_v2", domain="portal.localhost", size=100)
    assert seed.value() == seed.value() and len(seed.value()) == 100
    assert seed.value().replace("-", "").replace("_", "").isalnum()
    other = CookieSeed(name="utag_main", domain="portal.localhost", size=100)
    assert other.value() != seed.value()
    with pytest.raises(ValidationError, match="exceed 4096"):
        CookieSeed(name="big", domain="portal.localhost", size=4094)
    with pytest.raises(ValidationError, match="cannot"):
        CookieSeed(name="two words", domain="portal.localhost")


def test_recipe_validation() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        ProfileRecipe.model_validate({"extension": ["ad-shield"]})
    with pytest.raises(ValidationError, match="not installed"):
        ProfileRecipe(extensions=["ad-shield"], incognito_extensions=["private-ok"])
    with pytest.raises(ValidationError, match="both enabled and disabled"):
        ProfileRecipe(extensions=["ad-shield"], disabled_extensions=["ad-shield"])
    with pytest.raises(ValidationError):
        ProfileRecipe.model_validate({"settings": ["popups"]})
    ProfileRecipe(disabled_extensions=["private-ok"], incognito_extensions=["private-ok"])


def test_load_recipe_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({"extensions": ["ad-shield"], "settings": ["javascript"]}))
    assert load_recipe(path).settings == ["javascript"]
    path.write_text(json.dumps({"cookies": [{"name": "a", "domain": "x", "size": "big"}]}))
    with pytest.raises(BadInput) as caught:
        load_recipe(path)
    message = str(caught.value)
    assert str(path) in message and "cookies.0.size" in message and "\n" not in message
    path.write_text("{not json")
    with pytest.raises(BadInput, match="recipe.json"):
        load_recipe(path)
    with pytest.raises(BadInput, match="cannot read"):
        load_recipe(tmp_path / "missing.json")


def test_recipe_round_trip_without_a_browser(tmp_path: Path) -> None:
    recipe = ProfileRecipe(
        extensions=["ad-shield", "private-ok", *harmless_extensions()[:3]],
        disabled_extensions=["form-filler-pro"],
        incognito_extensions=["private-ok", "form-filler-pro"],
        settings=["javascript", "cookies", "third-party-cookies", "proxy"],
    )
    built = build_profile(recipe, tmp_path / "profile", chromium=NO_BROWSER)
    found = locate_profile(built)
    assert found.profile_name == "Default" and found.warnings == ()
    expected = {}
    for name in recipe.extensions + recipe.disabled_extensions:
        folder = fixtures_dir() / "extensions" / name
        manifest = json.loads((folder / "manifest.json").read_text())
        expected[extension_id(folder)] = (
            manifest["name"],
            manifest["version"],
            name not in recipe.disabled_extensions,
            name in recipe.incognito_extensions,
        )
    assert {e.id: (e.name, e.version, e.enabled, e.incognito) for e in found.extensions} == expected
    assert all(e.source == "webstore" for e in found.extensions)
    assert [s.id for s in found.settings] == recipe.settings


def test_build_profile_bad_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BadInput, match="no fixture 'ad-blocker'.*ad-shield"):
        build_profile(ProfileRecipe(extensions=["ad-blocker"]), tmp_path / "a", chromium=NO_BROWSER)
    with pytest.raises(BadInput, match="harmless has no readable manifest"):
        build_profile(ProfileRecipe(extensions=["harmless"]), tmp_path / "e", chromium=NO_BROWSER)
    with pytest.raises(BadInput, match="no portal URL"):
        build_profile(
            ProfileRecipe(visit=["{portal}/connexion"]), tmp_path / "b", chromium=NO_BROWSER
        )
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("x")
    with pytest.raises(BadInput, match="not empty"):
        build_profile(ProfileRecipe(), tmp_path / "c", chromium=NO_BROWSER)
    fixtures = tmp_path / "fixtures"
    shutil.copytree(fixtures_dir() / "extensions" / "pair-a", fixtures / "extensions" / "nokey")
    manifest = json.loads((fixtures / "extensions" / "nokey" / "manifest.json").read_text())
    del manifest["key"]
    (fixtures / "extensions" / "nokey" / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("PROBE_FIXTURES", str(fixtures))
    with pytest.raises(BadInput, match="no 'key'"):
        build_profile(ProfileRecipe(extensions=["nokey"]), tmp_path / "d", chromium=NO_BROWSER)
