"""Reading profiles: extensions, settings, versions and bad inputs, on hand-made folders."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from probe.browsers.chromium.profile import (
    extension_id,
    locate_profile,
)
from probe.errors import BadInput
from tests.helpers.profiles import FIXTURES, install, make_profile, register

# ---------------------------------------------------------------- extension ids


def test_extension_id_comes_from_the_manifest_key() -> None:
    key = json.loads((FIXTURES / "ad-shield" / "manifest.json").read_text())["key"]
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    expected = digest.translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))
    assert extension_id(FIXTURES / "ad-shield") == expected


def test_extension_id_without_a_key_comes_from_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "ext1"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"manifest_version": 3, "name": "x", "version": "1"}')
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:32]
    assert extension_id(folder) == "".join(chr(97 + int(c, 16)) for c in digest)
    assert extension_id(folder) != extension_id(FIXTURES / "ad-shield")


# ---------------------------------------------------------------- locating


def test_reads_extensions_with_state_incognito_and_names(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    shield, shield_entry = install(profile_dir, "ad-shield")
    filler, filler_entry = install(profile_dir, "form-filler-pro", disable_reasons=[1])
    reading, reading_entry = install(profile_dir, "private-ok", incognito=True)
    legacy, legacy_entry = install(profile_dir, "pair-a", state=0, disable_reasons=1)
    component = {"location": 5, "path": "/usr/lib/chromium/resources/pdf"}
    register(
        profile_dir,
        {
            shield: shield_entry,
            filler: filler_entry,
            reading: reading_entry,
            legacy: legacy_entry,
            "mhjfbmdgcfjbbpaeojofohoefgiehjai": component,
        },
    )
    found = {e.name: e for e in locate_profile(tmp_path / "ud").extensions}
    assert set(found) == {"Ad Shield", "Form Filler Pro", "Reading Time", "Night Owl Dark Mode"}
    assert found["Ad Shield"].id == shield and found["Ad Shield"].enabled
    assert found["Ad Shield"].version == "3.4.1" and found["Ad Shield"].source == "webstore"
    assert not found["Form Filler Pro"].enabled
    assert found["Reading Time"].incognito and not found["Ad Shield"].incognito
    assert not found["Night Owl Dark Mode"].enabled
    assert (found["Ad Shield"].path / "manifest.json").is_file()


def test_localised_names_and_unpacked_extensions_elsewhere(tmp_path: Path) -> None:
    unpacked = tmp_path / "dev" / "my-extension"
    (unpacked / "_locales" / "fr").mkdir(parents=True)
    manifest = {"manifest_version": 3, "name": "__MSG_appName__", "version": "0.1",
                "default_locale": "fr"}  # fmt: skip
    (unpacked / "manifest.json").write_text(json.dumps(manifest))
    messages = {"APPNAME": {"message": "Mon extension"}}  # names match case-insensitively
    (unpacked / "_locales" / "fr" / "messages.json").write_text(json.dumps(messages))
    profile_dir = make_profile(tmp_path / "ud")
    entry = {"location": 4, "path": str(unpacked), "disable_reasons": []}
    register(profile_dir, {extension_id(unpacked): entry})
    (ext,) = locate_profile(profile_dir).extensions
    assert ext.name == "Mon extension" and ext.source == "unpacked" and ext.path == unpacked


def test_broken_manifest_is_skipped_with_a_warning(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    good, good_entry = install(profile_dir, "ad-shield")
    bad, bad_entry = install(profile_dir, "pair-b")
    (profile_dir / "Extensions" / bad_entry["path"] / "manifest.json").write_text("{oops")
    register(profile_dir, {good: good_entry, bad: bad_entry})
    found = locate_profile(profile_dir)
    assert [e.id for e in found.extensions] == [good]
    (warning,) = found.warnings
    assert bad in warning and "not valid JSON" in warning and "\n" not in warning


@pytest.mark.parametrize(
    ("prefs", "expected"),
    [
        ({}, []),
        ({"profile": {"default_content_setting_values": {"javascript": 2}}}, ["javascript"]),
        ({"profile": {"default_content_setting_values": {"javascript": 1}}}, []),
        ({"profile": {"default_content_setting_values": {"cookies": 2}}}, ["cookies"]),
        ({"profile": {"cookie_controls_mode": 1}}, ["third-party-cookies"]),
        ({"profile": {"cookie_controls_mode": 2}}, []),
        # Chromium 156 ignores the old preference (measured), so it is not a setting.
        ({"profile": {"block_third_party_cookies": True}}, []),
        ({"proxy": {"mode": "fixed_servers", "server": "10.0.0.1:3128"}}, ["proxy"]),
        ({"proxy": {"mode": "pac_script", "pac_url": "http://wpad/wpad.dat"}}, ["proxy"]),
        ({"proxy": {"mode": "system"}}, []),
        ({"profile": {"default_content_setting_values": {"popups": 2}}}, []),
    ],
)
def test_reads_settings_that_can_stop_a_login(
    tmp_path: Path, prefs: dict[str, Any], expected: list[str]
) -> None:
    found = locate_profile(make_profile(tmp_path / "ud", prefs))
    assert [s.id for s in found.settings] == expected
    assert all(s.name and s.name[0].isupper() for s in found.settings)


def test_user_data_dir_opens_the_last_used_profile(tmp_path: Path) -> None:
    make_profile(tmp_path / "ud", name="Default")
    make_profile(tmp_path / "ud", {"proxy": {"mode": "fixed_servers"}}, name="Profile 2",
                 last_used="Profile 2")  # fmt: skip
    found = locate_profile(tmp_path / "ud")
    assert found.profile_name == "Profile 2" and found.kind == "given"
    assert found.user_data_dir == tmp_path / "ud"
    assert [s.id for s in found.settings] == ["proxy"]


def test_user_data_dir_without_default_takes_the_first_numbered_profile(tmp_path: Path) -> None:
    make_profile(tmp_path / "ud", name="Profile 10")
    make_profile(tmp_path / "ud", name="Profile 3")
    assert locate_profile(tmp_path / "ud").profile_name == "Profile 3"


def test_browser_version_from_last_version_or_preferences(tmp_path: Path) -> None:
    found = locate_profile(make_profile(tmp_path / "a"))
    assert found.chromium_version == "156.0.8078.108"
    assert found.made_by_newer_browser("155.0.1.2") and not found.made_by_newer_browser("156.1")
    prefs = {"extensions": {"last_chrome_version": "157.0.1.0"}}
    assert (
        locate_profile(make_profile(tmp_path / "b", prefs, last_version=None)).chromium_version
        == "157.0.1.0"
    )


def test_default_profile_chromium_then_chrome_then_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "chromium" / "Crash Reports").mkdir(parents=True)  # not a profile
    fresh = locate_profile(None)
    assert fresh.kind == "fresh" and fresh.extensions == () and fresh.settings == ()
    assert (fresh.profile_dir / "Preferences").is_file()
    make_profile(tmp_path / "google-chrome")
    assert locate_profile(None).kind == "default-chrome"
    make_profile(tmp_path / "chromium")
    found = locate_profile(None)
    assert found.kind == "default-chromium" and found.user_data_dir == tmp_path / "chromium"


def bad_input_line(path: Path) -> str:
    with pytest.raises(BadInput) as caught:
        locate_profile(path)
    message = str(caught.value)
    assert "\n" not in message and str(path.name) in message
    return message


def test_bad_inputs_give_one_clear_line(tmp_path: Path) -> None:
    assert "not found" in bad_input_line(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    assert "is a file" in bad_input_line(tmp_path / "file.txt")
    (tmp_path / "photos").mkdir()
    assert "not a browser profile" in bad_input_line(tmp_path / "photos")
    profile_dir = make_profile(tmp_path / "ud")
    (profile_dir / "Preferences").write_text('{"profile": ')
    assert "not valid JSON" in bad_input_line(tmp_path / "ud")
    (profile_dir / "Preferences").write_text("[1, 2]")
    assert "not a JSON object" in bad_input_line(profile_dir)
