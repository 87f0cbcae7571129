"""Which add-ons a running Firefox can switch (``probe.browsers.firefox.warm``), and
Marionette's wire format (``probe.browsers.firefox.marionette``), without a browser."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from probe._util import loops
from probe.browsers.firefox.marionette import MarionetteError, encode, read_message
from probe.browsers.firefox.profile import PRIVATE_PERMISSION, Addon, FirefoxProfile
from probe.browsers.firefox.warm import (
    HELPER_ID,
    HELPER_UUID,
    UUIDS_PREF,
    install_grants,
    switch_prefs,
    switch_sources,
)

ADDON_ID = "tidy@example.org"


def _profile(
    path: Path, addons: tuple[Addon, ...] = (), prefs: dict[str, Any] | None = None
) -> FirefoxProfile:
    return FirefoxProfile(
        path=path,
        prefs=prefs or {},
        user_js={},
        settings=(),
        addons=addons,
        permissions=(),
        cookies=(),
        site_data=(),
        last_version=None,
        warnings=(),
    )


def _xpi(folder: Path, manifest: dict[str, Any]) -> Path:
    extensions = folder / "extensions"
    extensions.mkdir(parents=True, exist_ok=True)
    xpi = extensions / f"{ADDON_ID}.xpi"
    with zipfile.ZipFile(xpi, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
    return xpi


def _addon(xpi: Path | None, **grants: frozenset[str]) -> Addon:
    return Addon(
        id=ADDON_ID,
        name="Tidy",
        version="1.0",
        active=True,
        user_disabled=False,
        location="app-profile",
        signed_state=None,
        private_allowed=False,
        xpi=xpi,
        storage_uuid=None,
        **grants,
    )


MV3 = {
    "manifest_version": 3,
    "name": "Tidy",
    "version": "1.0",
    "host_permissions": ["https://api.example.org/*"],
    "content_scripts": [{"matches": ["*://portal.example.fr/*"], "css": ["a.css"]}],
    "browser_specific_settings": {"gecko": {"id": ADDON_ID}},
}
GRANTED = frozenset({"https://api.example.org/*", "*://portal.example.fr/*"})


def test_an_mv3_addon_with_the_hosts_an_install_grants_can_be_switched(tmp_path: Path) -> None:
    xpi = _xpi(tmp_path, MV3)
    assert install_grants(MV3) == set(GRANTED)
    addon = _addon(
        xpi, granted_origins=GRANTED, granted_permissions=frozenset({PRIVATE_PERMISSION})
    )
    assert switch_sources(_profile(tmp_path, (addon,)), [addon]) == {ADDON_ID: xpi}


@pytest.mark.parametrize(
    ("manifest", "grants"),
    [
        # The person took host access away: an install would grant it back.
        (MV3, {"granted_origins": frozenset({"*://portal.example.fr/*"})}),
        # An optional permission the person granted: an uninstall forgets it.
        (MV3, {"granted_origins": GRANTED, "granted_permissions": frozenset({"tabs"})}),
        # No id in its files: a temporary install would get another id.
        ({k: v for k, v in MV3.items() if k != "browser_specific_settings"}, {}),
    ],
)
def test_an_addon_an_install_would_change_is_not_switched(
    tmp_path: Path, manifest: dict[str, Any], grants: dict[str, frozenset[str]]
) -> None:
    addon = _addon(_xpi(tmp_path, manifest), **grants)
    assert switch_sources(_profile(tmp_path, (addon,)), [addon]) is None


def test_an_unpacked_addon_is_installed_from_its_folder_and_a_missing_one_is_not(
    tmp_path: Path,
) -> None:
    mv2 = {**MV3, "manifest_version": 2}
    folder = tmp_path / "extensions" / ADDON_ID
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(mv2))
    addon = _addon(None)
    assert install_grants(mv2) == set()
    assert switch_sources(_profile(tmp_path, (addon,)), [addon]) == {ADDON_ID: folder}
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    assert switch_sources(_profile(elsewhere, (addon,)), [addon]) is None


def test_the_person_addresses_are_kept_and_the_helper_gets_its_own(tmp_path: Path) -> None:
    person = {ADDON_ID: "0a1b2c3d-0000-4000-8000-000000000001"}
    prefs = switch_prefs(_profile(tmp_path, prefs={UUIDS_PREF: json.dumps(person)}))
    assert json.loads(str(prefs[UUIDS_PREF])) == {**person, HELPER_ID: HELPER_UUID}
    assert prefs["extensions.webextensions.keepUuidOnUninstall"] is True
    assert prefs["extensions.webextensions.keepStorageOnUninstall"] is True


def _read(data: bytes) -> Any:
    async def read() -> Any:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_message(reader)

    return loops.run(read())


def test_marionette_messages_are_length_prefixed_json() -> None:
    sent = encode(3, "Addon:Uninstall", {"id": ADDON_ID})
    length, _, body = sent.partition(b":")
    assert int(length) == len(body)
    assert json.loads(body) == [0, 3, "Addon:Uninstall", {"id": ADDON_ID}]
    assert _read(b"15:[1,3,null,null]") == [1, 3, None, None]
    with pytest.raises(MarionetteError):
        _read(b"x:[]")
    with pytest.raises(MarionetteError):
        _read(b"999999999:[]")
