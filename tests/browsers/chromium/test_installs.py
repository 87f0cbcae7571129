"""Where Chromium-family browsers are, what each build is, which one wrote a profile:
on recorded ``--version`` outputs and fake folders, for Linux, macOS and Windows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from probe.browsers.chromium import discovery
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.installs import (
    channel_candidates,
    channel_executable,
    channel_product,
    ignores_load_extension,
    parse_version_output,
    playwright_chromium_candidates,
    playwright_registry,
    profile_channel,
)

# What each build's --version printed (Debian's Chromium here; the others as recorded
# from their vendors' builds).
VERSION_OUTPUTS = {
    "Chromium 156.0.8078.129 built on Debian GNU/Linux 13 (trixie)\n": (
        "Chromium",
        "156.0.8078.129",
    ),
    "Google Chrome for Testing 156.0.8078.4 \n": ("Google Chrome for Testing", "156.0.8078.4"),
    "Google Chrome 140.0.7339.80 \n": ("Google Chrome", "140.0.7339.80"),
    "Microsoft Edge 140.0.3485.54 \n": ("Microsoft Edge", "140.0.3485.54"),
    "Brave Browser 140.1.82.166 \n": ("Brave Browser", "140.1.82.166"),
    "something 12.3\n": ("Chromium", "12.3"),
}


@pytest.mark.parametrize(("output", "expected"), sorted(VERSION_OUTPUTS.items()))
def test_each_build_is_named_from_its_version_output(
    output: str, expected: tuple[str, str]
) -> None:
    assert parse_version_output(output) == expected


def test_chrome_for_testing_keeps_load_extension_branded_chrome_137_does_not() -> None:
    def loading(product: str, version: str) -> str:
        return Chromium(Path("/x"), version, product, "system").extension_loading

    assert loading("Google Chrome for Testing", "156.0.8078.4") == "command-line"
    assert loading("Chromium", "156.0.8078.129") == "command-line"
    assert loading("Google Chrome", "136.0.7103.92") == "command-line"
    assert loading("Google Chrome", "137.0.7151.55") == "devtools"
    assert loading("Microsoft Edge", "140.0.3485.54") == "devtools"
    assert loading("Brave Browser", "140.1.82.166") == "command-line"
    assert not ignores_load_extension("Google Chrome for Testing", 160)


def test_the_loading_can_be_forced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chromium = Chromium(Path("/x"), "156.0.1", "Chromium", "system")
    assert dataclasses.replace(chromium, loading="devtools").extension_loading == "devtools"
    monkeypatch.setenv("PROBE_EXTENSION_LOADING", "sideways")
    with pytest.raises(Exception, match="PROBE_EXTENSION_LOADING=sideways"):
        discovery._forced_loading()
    monkeypatch.setenv("PROBE_EXTENSION_LOADING", "devtools")
    assert discovery._forced_loading() == "devtools"


def test_channels_are_where_playwright_looks_on_each_platform() -> None:
    assert channel_candidates("chrome", "linux") == [Path("/opt/google/chrome/chrome")]
    assert channel_candidates("msedge", "darwin") == [
        Path("/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge")
    ]
    windows = channel_candidates(
        "chrome",
        "win32",
        {"LOCALAPPDATA": r"C:\Users\ana\AppData\Local", "PROGRAMFILES": r"C:\Program Files"},
    )
    assert [str(p) for p in windows] == [
        r"C:\Users\ana\AppData\Local\Google\Chrome\Application\chrome.exe",
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    ]
    assert channel_candidates("msedge-canary", "linux") == []  # no Linux build
    assert "/usr/bin/brave-browser" in [str(p) for p in channel_candidates("brave", "linux")]


def test_an_installed_channel_is_the_first_path_that_exists() -> None:
    env = {"LOCALAPPDATA": r"C:\L", "PROGRAMFILES": r"C:\P"}
    present = {r"C:\P\BraveSoftware\Brave-Browser\Application\brave.exe"}
    found = channel_executable("brave", "win32", env, exists=lambda p: str(p) in present)
    assert str(found) == r"C:\P\BraveSoftware\Brave-Browser\Application\brave.exe"
    assert channel_executable("chrome", "win32", env, exists=lambda p: False) is None


@pytest.mark.parametrize(
    ("folder", "platform", "channel"),
    [
        ("/home/ana/.config/google-chrome", "linux", "chrome"),
        ("/home/ana/.config/google-chrome/Profile 2", "linux", "chrome"),
        ("/home/ana/.config/google-chrome-beta/Default", "linux", "chrome-beta"),
        ("/home/ana/.config/microsoft-edge", "linux", "msedge"),
        ("/home/ana/.config/BraveSoftware/Brave-Browser", "linux", "brave"),
        ("/home/ana/.config/chromium", "linux", "chromium"),
        ("/home/ana/copies/profile", "linux", None),
        ("/Users/ana/Library/Application Support/Google/Chrome", "darwin", "chrome"),
        ("/Users/ana/Library/Application Support/Microsoft Edge/Default", "darwin", "msedge"),
        (r"C:\Users\ana\AppData\Local\Google\Chrome\User Data", "win32", "chrome"),
        (r"C:\Users\ana\AppData\Local\Microsoft\Edge\User Data\Default", "win32", "msedge"),
        (r"C:\Users\ana\AppData\Local\Google\Chrome SxS\User Data", "win32", "chrome-canary"),
        (r"C:\Users\ana\AppData\Local\BraveSoftware\Brave-Browser\User Data", "win32", "brave"),
    ],
)
def test_the_browser_that_wrote_a_profile_is_told_by_its_folder(
    folder: str, platform: str, channel: str | None
) -> None:
    assert profile_channel(Path(folder), platform) == channel


def test_channel_products() -> None:
    assert channel_product("chrome-beta") == "Google Chrome"
    assert channel_product("msedge") == "Microsoft Edge"
    assert channel_product("brave") == "Brave Browser"
    assert channel_product("chromium") == "Chromium"


def test_playwrights_folder_as_playwright_finds_it(tmp_path: Path) -> None:
    home, package = tmp_path / "home", tmp_path / "package"
    assert playwright_registry("linux", {}, home) == home / ".cache" / "ms-playwright"
    assert playwright_registry("linux", {"XDG_CACHE_HOME": "/c"}, home) == Path("/c/ms-playwright")
    assert playwright_registry("darwin", {}, home) == home / "Library" / "Caches" / "ms-playwright"
    assert (
        playwright_registry("win32", {"LOCALAPPDATA": r"C:\L"}, home)
        == Path(r"C:\L") / "ms-playwright"
    )
    assert playwright_registry("linux", {"PLAYWRIGHT_BROWSERS_PATH": "/b"}, home) == Path("/b")
    zero = {"PLAYWRIGHT_BROWSERS_PATH": "0"}
    assert playwright_registry("linux", zero, home, package) == package / ".local-browsers"


def test_playwrights_own_revision_comes_first(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "browsers.json").write_text(
        '{"browsers": [{"name": "chromium", "revision": "1248"}]}'
    )
    registry = tmp_path / "browsers"
    for revision in ("1300", "1100", "1248"):
        (registry / f"chromium-{revision}").mkdir(parents=True)
    env = {"PLAYWRIGHT_BROWSERS_PATH": str(registry)}
    found = playwright_chromium_candidates("linux", env, tmp_path, package)
    folders = list(dict.fromkeys(p.parents[1].name for p in found))
    assert folders == ["chromium-1248", "chromium-1300", "chromium-1100"]
    assert found[0] == registry / "chromium-1248" / "chrome-linux64" / "chrome"
    mac = playwright_chromium_candidates("darwin", env, tmp_path, package)
    assert mac[0].name == "Google Chrome for Testing"
    windows = playwright_chromium_candidates("win32", env, tmp_path, package)
    assert windows[0].parts[-2:] == ("chrome-win64", "chrome.exe")
