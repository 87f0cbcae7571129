"""Which browser a person's Chromium-family profile runs in: their own when installed,
else Chromium standing in (fake browsers that print a recorded ``--version``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from probe.app.request import Asking, BrowserOptions, browser_request
from probe.browsers.chromium import discovery, installs
from probe.browsers.registry import person_chromium
from probe.errors import BadInput
from probe.models import BrowserInfo
from probe.report import render_html
from probe.report.details import browser_details, rendered
from tests.helpers.fake_browsers import fake_browser
from tests.helpers.report_examples import example_reports, write_screenshots


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with Debian's Chromium only (a fake one), and Chrome's install paths
    moved under ``tmp_path/opt``."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "pw"))
    for name in ("PROBE_CHROMIUM", "PROBE_CHANNEL", "PROBE_EXTENSION_LOADING", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(discovery, "_DEBIAN_WRAPPER_TARGETS", {})
    paths = {
        "chrome": {"linux": str(tmp_path / "opt/google/chrome/chrome")},
        "brave": {"linux": str(tmp_path / "opt/brave.com/brave/brave")},
    }
    monkeypatch.setattr(installs, "CHANNEL_PATHS", paths)
    discovery._read_version.cache_clear()
    fake_browser(tmp_path, "bin/chromium", "Chromium 156.0.8078.129 built on Debian GNU/Linux 13")
    return tmp_path


def _profile(root: Path) -> Path:
    (root / "Default").mkdir(parents=True)
    (root / "Default" / "Preferences").write_text("{}")
    return root


def test_a_chrome_profile_runs_in_chrome_when_it_is_installed(machine: Path) -> None:
    chrome = fake_browser(machine, "opt/google/chrome/chrome", "Google Chrome 140.0.7339.80 ")
    profile = _profile(machine / "home/.config/google-chrome")
    found = person_chromium(profile)
    assert (found.executable, found.product, found.role) == (chrome, "Google Chrome", "own")
    assert found.extension_loading == "devtools"  # Chrome 137+ ignores --load-extension


def test_without_chrome_installed_chromium_stands_in_and_says_so(machine: Path) -> None:
    found = person_chromium(_profile(machine / "home/.config/google-chrome"))
    assert (found.product, found.role, found.person_product) == (
        "Chromium",
        "stand-in",
        "Google Chrome",
    )
    said = rendered(browser_details(_info(found.role, found.person_product)), "en")
    assert "standing in for your Google Chrome, which is not installed" in said
    assert "à la place de votre Google Chrome" in rendered(
        browser_details(_info(found.role, found.person_product)), "fr"
    )


def test_the_default_profile_tells_the_browser_too(machine: Path) -> None:
    fake_browser(machine, "opt/brave.com/brave/brave", "Brave Browser 140.1.82.166 ")
    _profile(machine / "home/.config/BraveSoftware/Brave-Browser")
    found = person_chromium(None)
    assert (found.product, found.role, found.extension_loading) == (
        "Brave Browser",
        "own",
        "command-line",
    )


def test_a_chromium_profile_in_chromium_is_the_persons_own(machine: Path) -> None:
    found = person_chromium(_profile(machine / "home/.config/chromium"))
    assert (found.product, found.role) == ("Chromium", "own")
    elsewhere = person_chromium(_profile(machine / "copies/p"))
    assert (elsewhere.role, elsewhere.person_product) == ("found", None)


def test_a_channel_named_wins_and_must_be_installed(machine: Path) -> None:
    profile = _profile(machine / "home/.config/chromium")
    with pytest.raises(BadInput, match="--channel chrome: that browser is not installed"):
        person_chromium(profile, channel="chrome")
    fake_browser(machine, "opt/google/chrome/chrome", "Google Chrome 140.0.7339.80 ")
    found = person_chromium(profile, channel="chrome")
    assert (found.product, found.role) == ("Google Chrome", "named")


def _info(role: str | None, person: str | None) -> BrowserInfo:
    return BrowserInfo.model_validate(
        {
            "product": "Chromium",
            "version": "156.0.8078.129",
            "executable": "/usr/lib/chromium/chromium",
            "role": role,
            "person_product": person,
            "extension_loading": "devtools",
        }
    )


def test_the_report_says_how_extensions_were_loaded() -> None:
    said = rendered(browser_details(_info("own", "Chromium")), "en")
    assert said.startswith("Chromium 156.0.8078.129, your own browser.")
    assert "loaded through DevTools" in said
    assert "chargées par DevTools" in rendered(browser_details(_info("own", None)), "fr")


def test_channel_option_errors_are_one_line() -> None:
    def ask(**fields: object) -> None:
        browser_request(BrowserOptions(**fields), Asking())  # type: ignore[arg-type]

    with pytest.raises(BadInput, match="not a browser channel"):
        ask(channel="netscape")
    with pytest.raises(BadInput, match="keep one"):
        ask(channel="chrome", chromium="/usr/bin/chromium")
    with pytest.raises(BadInput, match="drop --browser firefox"):
        ask(channel="chrome", browser="firefox")


def test_the_cli_refuses_an_unknown_channel_with_exit_2() -> None:
    result = CliRunner().invoke(app, ["browser", "--channel", "netscape"])
    assert result.exit_code == 2
    assert "not a browser channel" in result.output


def test_the_html_report_names_the_browser_that_ran(tmp_path: Path) -> None:
    report = example_reports()["maintenance"]
    report = report.model_copy(update={"browser": _info("stand-in", "Microsoft Edge")})
    write_screenshots(report, tmp_path)
    english = render_html(report, tmp_path, lang="en")
    assert "standing in for your Microsoft Edge, which is not installed" in english
    assert "loaded through DevTools" in english
    french = render_html(report, tmp_path, lang="fr")
    assert "à la place de votre Microsoft Edge" in french
