"""Finding a browser: option, environment variable, Playwright's download, the system's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from probe.browsers.chromium import discovery as chromium_module
from probe.browsers.chromium.discovery import (
    Chromium,
    find_chromium,
    headed_user_agent,
    launch_args,
)
from probe.errors import BadInput, ChromiumMissing
from tests.helpers.fake_browsers import fake_browser


@pytest.fixture
def empty_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No browser anywhere: empty PATH and home, no Playwright download."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PROBE_CHROMIUM", raising=False)
    monkeypatch.delenv("PLAYWRIGHT_BROWSERS_PATH", raising=False)
    monkeypatch.setattr(chromium_module, "_DEBIAN_WRAPPER_TARGETS", {})
    chromium_module._read_version.cache_clear()
    return tmp_path


def test_no_browser_at_all_says_how_to_install_one(empty_machine: Path) -> None:
    with pytest.raises(ChromiumMissing) as caught:
        find_chromium()
    assert caught.value.exit_code == 2
    assert "probe install chromium" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_option_wins_over_everything(empty_machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = fake_browser(empty_machine, "opt/chrome", "Chromium 150.0.1.2")
    fake_browser(empty_machine, "bin/chromium", "Chromium 156.0.0.1")
    monkeypatch.setenv(
        "PROBE_CHROMIUM", str(fake_browser(empty_machine, "env/chrome", "Chromium 155.0.0.1"))
    )
    found = find_chromium(chosen)
    assert (found.executable, found.version, found.source) == (chosen, "150.0.1.2", "option")


def test_env_var_then_playwright_then_system(
    empty_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = fake_browser(empty_machine, "bin/chromium", "Chromium 156.0.0.1")
    assert find_chromium().source == "system"
    downloaded = fake_browser(
        empty_machine,
        "home/.cache/ms-playwright/chromium-1200/chrome-linux/chrome",
        "Chromium 159.0.0.1",
    )
    assert find_chromium().executable == downloaded
    env = fake_browser(empty_machine, "env/chrome", "Chromium 155.0.0.1")
    monkeypatch.setenv("PROBE_CHROMIUM", str(env))
    assert find_chromium().executable == env
    assert system.exists()


def test_bad_option_and_env_var_are_bad_input(
    empty_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(BadInput, match="--chromium"):
        find_chromium(empty_machine / "nope")
    monkeypatch.setenv("PROBE_CHROMIUM", str(empty_machine))
    with pytest.raises(BadInput, match="PROBE_CHROMIUM"):
        find_chromium()


def test_branded_chrome_137_cannot_side_load_extensions(empty_machine: Path) -> None:
    chrome = fake_browser(empty_machine, "bin/google-chrome", "Google Chrome 140.0.7339.80")
    found = find_chromium()
    assert found.executable == chrome and found.product == "Google Chrome"
    assert not found.can_side_load_extensions
    # A Chromium beside it is preferred.
    fake_browser(empty_machine, "bin/chromium", "Chromium 156.0.0.1")
    assert find_chromium().product == "Chromium"


def test_old_branded_chrome_still_side_loads() -> None:
    assert Chromium(Path("/x"), "136.0.1", "Google Chrome", "system").can_side_load_extensions


def test_launch_args_keep_chromium_quiet_and_run_as_root() -> None:
    args = launch_args(as_root=True)
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-sandbox",
    ):
        assert flag in args
    assert "--no-sandbox" not in launch_args(as_root=False)


def test_launch_args_leave_no_robot_marks() -> None:
    chromium = Chromium(Path("/x"), "156.0.8078.129", "Chromium", "system")
    headed = launch_args(as_root=False)
    assert "--disable-blink-features=AutomationControlled" in headed  # navigator.webdriver
    assert not any(a.startswith("--user-agent=") for a in headed)  # headed: its own
    headless = launch_args(as_root=False, headless_of=chromium)
    assert (
        "--user-agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/156.0.0.0 Safari/537.36" in headless
    )
    assert "Windows NT 10.0; Win64; x64" in headed_user_agent(chromium, "win32")


@pytest.mark.skipif(
    not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium not installed"
)
def test_debian_wrapper_resolves_to_the_binary() -> None:
    chromium_module._read_version.cache_clear()
    found = find_chromium("/usr/bin/chromium")
    assert found.executable == Path("/usr/lib/chromium/chromium")
    assert found.major >= 100
