"""``probe install``'s decisions, with the installers replaced by a recorder.

The real installers run in test_install_browser.py; here each way through is taken on
purpose: Playwright's download works, fails with the system's browser there, fails with
nothing there as root (apt runs) and not as root (the command is the answer).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from probe.app.install import NeedsRoot, install_browser, playwright_command
from probe.browsers.base import EngineName
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.registry import Browser
from probe.errors import BrowserFailure

CHROMIUM = Chromium(Path("/opt/chromium/chrome"), "156.0", "Chromium", "test")


class Machine:
    """Commands run, with their exit codes; the browser found once ``appears_after`` ran."""

    def __init__(self, codes: dict[str, int], appears_after: str | None) -> None:
        self.codes = codes
        self.appears_after = appears_after
        self.ran: list[list[str]] = []

    def run(self, command: Sequence[str], quiet: bool) -> int:
        self.ran.append(list(command))
        return self.codes.get(command[0] if command[0] != sys.executable else "playwright", 0)

    def find(self, name: EngineName) -> Browser | None:
        if self.appears_after == "always":
            return CHROMIUM
        ran = {c[0] if c[0] != sys.executable else "playwright" for c in self.ran}
        return (
            CHROMIUM
            if self.appears_after in ran and self.codes.get(self.appears_after, 0) == 0
            else None
        )


def test_playwright_s_installer_runs_under_probe_s_own_python() -> None:
    assert playwright_command("chromium") == [
        sys.executable,
        "-m",
        "playwright",
        "install",
        "chromium",
    ]
    assert playwright_command("firefox", with_deps=True)[-2:] == ["--with-deps", "firefox"]


def test_a_download_that_works_is_playwright_s_browser() -> None:
    machine = Machine({}, appears_after="playwright")
    said: list[str] = []
    installed = install_browser(
        "chromium", said.append, run=machine.run, find=machine.find, as_root=False, has_apt=True
    )
    assert installed.via == "playwright" and installed.browser is CHROMIUM
    assert machine.ran == [playwright_command("chromium")]


def test_a_failed_download_falls_back_to_the_system_s_browser_already_there() -> None:
    machine = Machine({"playwright": 1}, appears_after="always")
    said: list[str] = []
    installed = install_browser(
        "chromium", said.append, run=machine.run, find=machine.find, as_root=False, has_apt=True
    )
    assert installed.via == "system"
    assert machine.ran == [playwright_command("chromium")]  # apt not needed
    assert said[1:] == [
        "Playwright's chromium could not be downloaded here.",
        "The system's chromium is installed: probe will drive it.",
    ]


def test_not_as_root_the_answer_is_the_command_to_run_as_root() -> None:
    machine = Machine({"playwright": 1}, appears_after="apt-get")
    with pytest.raises(NeedsRoot) as refused:
        install_browser(
            "chromium", print, run=machine.run, find=machine.find, as_root=False, has_apt=True
        )
    assert str(refused.value).endswith(
        "as root: sudo apt-get update && sudo apt-get install -y chromium"
    )
    assert machine.ran == [playwright_command("chromium")]  # nothing run that needs root


def test_as_root_the_distribution_s_package_is_installed() -> None:
    machine = Machine({"playwright": 1}, appears_after="apt-get")
    said: list[str] = []
    installed = install_browser(
        "firefox", said.append, run=machine.run, find=machine.find, as_root=True, has_apt=True
    )
    assert installed.via == "system"
    assert machine.ran[1:] == [["apt-get", "update"], ["apt-get", "install", "-y", "firefox-esr"]]
    assert "Installing the distribution's package: apt-get install -y firefox-esr" in said


def test_not_as_root_the_firefox_command_names_firefox_esr() -> None:
    machine = Machine({"playwright": 1}, appears_after="apt-get")
    with pytest.raises(NeedsRoot, match="sudo apt-get install -y firefox-esr$"):
        install_browser(
            "firefox", print, run=machine.run, find=machine.find, as_root=False, has_apt=True
        )


def test_without_apt_the_answer_says_what_to_do() -> None:
    machine = Machine({"playwright": 1}, appears_after="apt-get")
    with pytest.raises(BrowserFailure, match="install firefox from your system's packages"):
        install_browser(
            "firefox", print, run=machine.run, find=machine.find, as_root=False, has_apt=False
        )


def test_a_failing_apt_is_said() -> None:
    machine = Machine({"playwright": 1, "apt-get": 100}, appears_after="apt-get")
    with pytest.raises(BrowserFailure, match="'apt-get install -y chromium' failed"):
        install_browser(
            "chromium", print, run=machine.run, find=machine.find, as_root=True, has_apt=True
        )


def test_the_cli_refuses_another_browser_in_one_line() -> None:
    result = CliRunner().invoke(app, ["install", "webkit"])
    assert result.exit_code == 2
    assert (
        result.output.strip() == "probe: error: probe install webkit: use 'chromium' or 'firefox'"
    )
