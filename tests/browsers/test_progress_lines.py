"""The progress lines that say which profile, browser and portal a run uses, in the
person's language (``--lang fr`` printed "Profile:", "Browser:" and "Portal:" before)."""

from __future__ import annotations

import json
from pathlib import Path

from probe.browsers.chromium.profile import describe_profile, locate_profile
from probe.browsers.registry import firefox_profile
from probe.report.details import render


def test_a_given_chromium_profile_is_said_in_each_language(tmp_path: Path) -> None:
    user_data = tmp_path / "ud"
    (user_data / "Default").mkdir(parents=True)
    (user_data / "Default" / "Preferences").write_text(json.dumps({}), encoding="utf-8")
    line = describe_profile(locate_profile(user_data))
    where = user_data / "Default"
    assert render(line, "en") == f"Profile: given ({where}), read from a private copy"
    assert render(line, "fr") == f"Profil : celui indiqué ({where}), lu depuis une copie privée"


def test_a_firefox_profile_chosen_in_a_profiles_folder_says_why_in_each_language(
    tmp_path: Path,
) -> None:
    root = tmp_path / "firefox"
    (root / "abc.default-esr").mkdir(parents=True)
    (root / "abc.default-esr" / "prefs.js").write_text("", encoding="utf-8")
    (root / "profiles.ini").write_text(
        "[Profile0]\nName=default-esr\nIsRelative=1\nPath=abc.default-esr\n", encoding="utf-8"
    )
    _, _, line = firefox_profile(root, None)
    assert render(line, "en") == (
        "Profile: Firefox profile 'default-esr' (the only one), read from a private copy"
    )
    assert render(line, "fr") == (
        "Profil : le profil Firefox 'default-esr' (le seul), lu depuis une copie privée"
    )
