"""Per-site settings (content-setting exceptions) read from Preferences and dropped alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from probe.browsers.chromium.engine import take_inventory
from probe.browsers.chromium.profile import locate_profile, prepare_run_dir
from probe.browsers.chromium.profile.site_settings import (
    parse_site_setting_id,
    read_site_settings,
)
from tests.helpers.profiles import make_profile

STAMP = {"last_modified": "13380000000000000"}


def exceptions(**by_type: dict[str, int]) -> dict[str, Any]:
    """Preferences holding ``{type: {pattern: setting}}`` exceptions, as Chromium writes them."""
    written = {
        kind: {pattern: {**STAMP, "setting": value} for pattern, value in patterns.items()}
        for kind, patterns in by_type.items()
    }
    return {"profile": {"content_settings": {"exceptions": written}}}


def test_a_block_for_the_portal_or_a_parent_domain_is_read() -> None:
    prefs = exceptions(
        cookies={
            "[*.]wiki.example,*": 2,  # the host and all under it
            "https://other.example:443,*": 2,  # another site
            "login.wiki.example,*": 1,  # allowed: not a block
        },
        javascript={"https://login.wiki.example:443,*": 2},
    )
    found = read_site_settings(prefs, ["login.wiki.example"])
    assert [(s.id, s.name) for s in found] == [
        ("site-cookies:wiki.example", "Cookies blocked for wiki.example"),
        ("site-javascript:login.wiki.example", "JavaScript blocked for login.wiki.example"),
    ]


def test_a_block_for_a_parent_domain_without_wildcard_or_as_embedded_site_is_not() -> None:
    prefs = exceptions(cookies={"wiki.example,*": 2, "*,[*.]login.wiki.example": 2})
    assert read_site_settings(prefs, ["login.wiki.example"]) == []


def test_ids_round_trip_and_others_are_refused() -> None:
    parsed = parse_site_setting_id("site-cookies:wiki.example")
    assert parsed is not None and parsed.id == "site-cookies:wiki.example"
    assert parse_site_setting_id("cookies") is None
    assert parse_site_setting_id("site-popups:wiki.example") is None


def test_the_run_folder_drops_only_the_exception_left_out(tmp_path: Path) -> None:
    prefs = exceptions(
        cookies={"[*.]portal.localhost,*": 2, "[*.]tracker.example,*": 2},
        javascript={"portal.localhost,*": 2},
    )
    profile_dir = make_profile(tmp_path / "person", prefs)
    original = (profile_dir / "Preferences").read_bytes()
    profile = locate_profile(profile_dir)
    inventory = take_inventory(profile, ("portal.localhost",))
    ids = {c.id for c in inventory.of_kind("setting")}
    assert ids == {"site-cookies:portal.localhost", "site-javascript:portal.localhost"}
    run = prepare_run_dir(
        profile,
        tmp_path / "run",
        keep_cookies=True,
        keep_site_data=True,
        reset_settings=[],
        reset_site_settings=["site-cookies:portal.localhost"],
    )
    left = json.loads((run / "Default" / "Preferences").read_text())
    kept = left["profile"]["content_settings"]["exceptions"]
    assert list(kept["cookies"]) == ["[*.]tracker.example,*"]
    assert list(kept["javascript"]) == ["portal.localhost,*"]
    assert (profile_dir / "Preferences").read_bytes() == original
