"""What a run keeps of the person's browser: extension state, manifests read like Chromium,
and what it cannot keep (MV2 extensions, cookies it cannot decrypt) told as limitations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from probe.browsers.chromium.profile import (
    extension_id,
    locate_profile,
    prepare_run_dir,
    reading,
    snapshot_profile,
)
from probe.browsers.chromium.profile.chromium_json import loads_chromium
from probe.diagnosis.limitations import hides_portal_cookies, limitations_of, qualified
from probe.models import Status, Verdict
from tests.helpers.profiles import FIXTURES, install, make_profile, register, write_cookie_db

FILTERS_ID = extension_id(FIXTURES / "my-filters")
NOTES_ID = extension_id(FIXTURES / "harmless" / "notes")

# What Chromium 156 wrote in the entry of an extension that stored a dynamic rule.
DNR_ENTRY = {"dnr_dynamic_ruleset": {"checksum": 1147410962}, "dnr_enabled_ruleset_ids": []}


def _write_manifest(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(text)
    return folder


# ------------------------------------------------------------------ manifests


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1} // after', {"a": 1}),
        ('{/* before */ "a": "x // not a comment"}', {"a": "x // not a comment"}),
        ('{"a": "/* not one either */"}', {"a": "/* not one either */"}),
        ('{"a": "\\x41\\\\x41"}', {"a": "A\\x41"}),  # \\x41 is an escaped backslash, then x41
        ('{"a": "two\nlines"}', {"a": "two\nlines"}),
    ],
)
def test_manifest_json_is_read_the_way_chromium_reads_it(text: str, expected: Any) -> None:
    assert loads_chromium(text) == expected


@pytest.mark.parametrize(
    "text",
    ['{"a": 1,}', '{"a": 1} /* never closed', '{"a": "never closed}', "// only a comment"],
)
def test_what_chromium_refuses_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        loads_chromium(text)


def test_an_extension_whose_manifest_has_comments_is_replayed(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    ext_id, entry = install(profile_dir, "harmless/notes")
    manifest = (profile_dir / "Extensions" / entry["path"] / "manifest.json").read_text()
    commented = manifest.replace("{", "{\n  // Notes, as its source tree has it\n  /* v3 */", 1)
    (profile_dir / "Extensions" / entry["path"] / "manifest.json").write_text(commented)
    register(profile_dir, {ext_id: entry})
    found = locate_profile(profile_dir)
    assert [(e.id, e.name, e.enabled) for e in found.extensions] == [(ext_id, "Notes", True)]
    assert found.warnings == () and found.notes == ()


def test_a_manifest_past_the_size_cap_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    ext_id, entry = install(profile_dir, "harmless/notes")
    register(profile_dir, {ext_id: entry})
    manifest = profile_dir / "Extensions" / entry["path"] / "manifest.json"
    manifest.write_text("/*" + " " * 10_000 + "*/" + manifest.read_text())  # a padded comment
    monkeypatch.setattr(reading, "MAX_JSON_BYTES", 5000)  # Preferences stays under it
    found = locate_profile(profile_dir)
    assert found.extensions == ()
    assert [n.kind for n in found.notes] == ["extension-skipped"]
    assert "larger than 5000 bytes" in found.warnings[0]


def test_an_enabled_manifest_v2_extension_is_a_limitation(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    old = {"manifest_version": 2, "name": "Old Blocker", "version": "1.0"}
    old_id, old_disabled_id = "a" * 32, "b" * 32
    for ext_id in (old_id, old_disabled_id):
        _write_manifest(profile_dir / "Extensions" / ext_id / "1.0_0", json.dumps(old))
    register(
        profile_dir,
        {
            old_id: {"location": 1, "path": f"{old_id}/1.0_0", "disable_reasons": []},
            old_disabled_id: {"location": 1, "path": f"{old_disabled_id}/1.0_0",
                              "disable_reasons": [1]},
        },
    )  # fmt: skip
    found = locate_profile(profile_dir)
    # Chromium 156 would refuse to load it: no run can keep it, and the report says so.
    assert [(e.id, e.enabled) for e in found.extensions] == [(old_disabled_id, False)]
    (note,) = found.notes
    assert note.kind == "extension-unsupported" and "'Old Blocker'" in note.text
    (limitation,) = limitations_of(found.notes)
    assert limitation.kind == "extension-unsupported"
    assert "Old Blocker" in limitation.en and "Manifest V2" in limitation.en
    assert limitation.fr.startswith("L'extension Old Blocker est activée")


# ------------------------------------------------------------------ extension state


def _filters_profile(root: Path, *, secure: bool = False) -> Path:
    """my-filters with the dynamic rule Chromium stored for it, and a second extension."""
    profile_dir = make_profile(root / "ud")
    filters, filters_entry = install(profile_dir, "my-filters", **DNR_ENTRY)
    notes, notes_entry = install(profile_dir, "harmless/notes")
    entries = {filters: filters_entry, notes: notes_entry}
    macs = {"extensions": {"settings": {filters: "F" * 64, notes: "N" * 64}}}
    if secure:  # Chrome on Windows and macOS keeps the entries in Secure Preferences
        register(profile_dir, {})
        data = {"extensions": {"settings": entries}, "protection": {"macs": macs}}
        (profile_dir / "Secure Preferences").write_text(json.dumps(data))
    else:
        register(profile_dir, entries, protection={"macs": macs})
    for ext_id in (filters, notes):
        for relative in (
            f"DNR Extension Rules/{ext_id}/rules.json",
            f"DNR Extension Rules/{ext_id}/rules.fbs",
            f"Local Extension Settings/{ext_id}/000003.log",
            f"IndexedDB/chrome-extension_{ext_id}_0.indexeddb.leveldb/CURRENT",
        ):
            (profile_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (profile_dir / relative).write_text(f"{ext_id} {relative}")
    return profile_dir


@pytest.mark.parametrize("secure", [False, True], ids=["preferences", "secure-preferences"])
def test_a_run_keeps_the_state_of_the_extensions_it_loads(tmp_path: Path, secure: bool) -> None:
    snapshot = snapshot_profile(
        locate_profile(_filters_profile(tmp_path, secure=secure)), tmp_path / "snapshot"
    )
    filters = [e for e in snapshot.extensions if e.id == FILTERS_ID]
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=True,
        keep_site_data=False,  # the extension's IndexedDB is its own, not the portal's
        reset_settings=[],
        extensions=filters,
    )
    prefs = json.loads((run / "Default" / "Preferences").read_text())
    registered = prefs["extensions"]["settings"]
    # Without the checksum Chromium discards the dynamic rules (measured: 0 rules).
    assert registered[FILTERS_ID]["dnr_dynamic_ruleset"] == {"checksum": 1147410962}
    assert registered[FILTERS_ID]["dnr_enabled_ruleset_ids"] == []
    assert registered[FILTERS_ID]["path"] == str(filters[0].path)
    assert registered[FILTERS_ID]["location"] == 8  # what --load-extension records
    assert NOTES_ID not in registered  # not loaded: forgotten
    mac_file = "Secure Preferences" if secure else "Preferences"
    macs = json.loads((run / "Default" / mac_file).read_text())["protection"]["macs"]
    assert macs["extensions"]["settings"] == {}  # stale MACs dropped
    profile = run / "Default"
    for relative in (
        f"DNR Extension Rules/{FILTERS_ID}/rules.json",
        f"DNR Extension Rules/{FILTERS_ID}/rules.fbs",
        f"Local Extension Settings/{FILTERS_ID}/000003.log",
        f"IndexedDB/chrome-extension_{FILTERS_ID}_0.indexeddb.leveldb/CURRENT",
    ):
        assert (profile / relative).read_text() == f"{FILTERS_ID} {relative}", relative
    assert not (profile / "DNR Extension Rules" / NOTES_ID).exists()
    assert not (profile / "IndexedDB" / f"chrome-extension_{NOTES_ID}_0.indexeddb.leveldb").exists()


def test_a_keyless_extension_takes_its_state_to_its_new_id(tmp_path: Path) -> None:
    # Unpacked from a folder of the person's: its id follows the folder, so the copy
    # Chromium loads has another id, and the state goes with it.
    folder = shutil.copytree(FIXTURES / "my-filters", tmp_path / "dev" / "my-filters")
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["key"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    old_id = extension_id(folder)
    profile_dir = make_profile(tmp_path / "ud")
    register(profile_dir, {old_id: {"location": 4, "path": str(folder), **DNR_ENTRY}})
    rules = profile_dir / "DNR Extension Rules" / old_id / "rules.json"
    rules.parent.mkdir(parents=True)
    rules.write_text('[{"id": 1}]')
    snapshot = snapshot_profile(locate_profile(profile_dir), tmp_path / "snapshot")
    (ext,) = snapshot.extensions
    new_id = extension_id(ext.path)
    assert new_id != old_id
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=True,
        keep_site_data=True,
        reset_settings=[],
        extensions=[ext],
    )
    registered = json.loads((run / "Default" / "Preferences").read_text())["extensions"]
    assert list(registered["settings"]) == [new_id]
    assert registered["settings"][new_id]["dnr_dynamic_ruleset"] == {"checksum": 1147410962}
    moved = run / "Default" / "DNR Extension Rules" / new_id / "rules.json"
    assert moved.read_text() == '[{"id": 1}]'


# ------------------------------------------------------------------ cookies


def _cookie_profile(
    root: Path,
    value: bytes,
    *,
    local_state: dict[str, Any] | None = None,
    prefs: dict[str, Any] | None = None,
) -> Path:
    profile_dir = make_profile(root / "ud", prefs)
    if local_state is not None:
        (root / "ud" / "Local State").write_text(json.dumps(local_state))
    rows = [("sid", "portal.localhost", value), ("pref", ".example.fr", value)]
    write_cookie_db(profile_dir / "Cookies", rows)
    return profile_dir


@pytest.mark.parametrize(
    ("value", "local_state", "prefs", "holder"),
    [
        (b"v11" + b"x" * 29, None, None, "keyring"),  # Chrome or Chromium with GNOME Keyring
        (b"v20" + b"x" * 29, None, None, "windows-app-bound"),  # Chrome 127+ on Windows
        (b"\x01\x00\x00\x00\xd0\x8c", None, None, "windows"),  # DPAPI before Chrome 80
        (b"v10" + b"x" * 29, {"os_crypt": {"encrypted_key": "RFBBUEk="}}, None, "windows"),
        (b"v10" + b"x" * 29, None, {"download": {"default_directory": "C:\\Users\\m"}}, "windows"),
        (b"v10" + b"x" * 29, None, {"savefile": {"default_directory": "/Users/m"}}, "macos"),
    ],
)
def test_cookies_this_browser_cannot_decrypt_are_a_limitation(
    tmp_path: Path,
    value: bytes,
    local_state: dict[str, Any] | None,
    prefs: dict[str, Any] | None,
    holder: str,
) -> None:
    profile_dir = _cookie_profile(tmp_path, value, local_state=local_state, prefs=prefs)
    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "snapshot")
    (note,) = copy.notes
    assert note.kind == "cookies-undecryptable"
    assert dict(note.params)["holder"] == holder
    assert dict(note.params)["hosts"] == "example.fr portal.localhost"
    assert hides_portal_cookies(copy.notes, ["portal.localhost"])
    assert not hides_portal_cookies(copy.notes, ["other.localhost"])
    (limitation,) = limitations_of(copy.notes)
    assert limitation.en.startswith("2 cookies (example.fr, portal.localhost) are encrypted")
    assert limitation.fr.startswith("2 cookies (example.fr, portal.localhost) sont chiffrés")


def test_linux_chromium_cookies_are_not_a_limitation(tmp_path: Path) -> None:
    # v10 on Linux: Chromium's fixed key, which probe's browser (--password-store=basic) has.
    profile_dir = _cookie_profile(tmp_path, b"v10" + b"x" * 29)
    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "snapshot")
    assert copy.notes == () and copy.warnings == ()


def _verdict(status: Status = "ok") -> Verdict:
    return Verdict(
        status=status, factor="none", summary_en="Access works.", summary_fr="L'accès fonctionne."
    )


def test_login_without_the_portals_unreadable_cookies_is_not_access_works(
    tmp_path: Path,
) -> None:
    profile_dir = _cookie_profile(tmp_path, b"v11" + b"x" * 29)
    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "snapshot")
    told = qualified(_verdict(), copy.notes, ["portal.localhost", "captcha.localhost"])
    assert (told.status, told.factor) == ("inconclusive", "cookies")
    assert [c.id for c in told.culprits] == ["sid@portal.localhost"]  # not example.fr's
    assert told.summary_en.startswith("Login works in probe's browser without the cookies")
    assert "'sid'" in told.summary_en and "'pref'" not in told.summary_en
    assert told.summary_fr.startswith("La connexion fonctionne dans le navigateur de probe")
    assert [r.id for r in told.remedies][:1] == ["clear-cookies"]
    assert qualified(_verdict(), copy.notes, ["elsewhere.localhost"]) == _verdict()


def test_a_block_found_anyway_is_told_a_cookie_culprit_could_be_hidden(tmp_path: Path) -> None:
    profile_dir = _cookie_profile(tmp_path, b"v11" + b"x" * 29)
    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "snapshot")
    told = qualified(_verdict("blocked"), copy.notes, ["portal.localhost"])
    assert told.status == "blocked"
    assert told.summary_en.startswith("Access works. The portal's cookies could not be read")
    assert told.summary_fr.startswith("L'accès fonctionne. Les cookies du portail n'ont pas pu")


def test_registered_content_scripts_are_a_limitation(tmp_path: Path) -> None:
    # Chromium keeps them for an extension loaded from its Preferences entry, but clears
    # them whenever --load-extension loads it (measured in Chromium 156).
    profile_dir = make_profile(tmp_path / "ud")
    ext_id, entry = install(
        profile_dir, "harmless/notes", persistent_script_url_patterns=["<all_urls>"]
    )
    register(profile_dir, {ext_id: entry})
    found = locate_profile(profile_dir)
    assert [e.id for e in found.extensions] == [ext_id]  # still replayed
    (limitation,) = limitations_of(found.notes)
    assert limitation.kind == "extension-scripts"
    assert limitation.en.startswith("The extension Notes registered scripts of its own")


def test_a_name_from_the_profile_is_cut_in_a_limitation(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    ext_id = "d" * 32
    long_name = "Blocker\n" + "x" * 5000  # a hostile manifest's name
    manifest = {"manifest_version": 2, "name": long_name, "version": "1"}
    _write_manifest(profile_dir / "Extensions" / ext_id / "1_0", json.dumps(manifest))
    register(profile_dir, {ext_id: {"location": 1, "path": f"{ext_id}/1_0"}})
    (limitation,) = limitations_of(locate_profile(profile_dir).notes)
    assert "Blocker?xxx" in limitation.en and len(limitation.en) < 400


@pytest.mark.parametrize(
    ("chosen", "rulesets"), [([], ((), ("filters",))), ([1], None), (None, None)]
)
def test_rule_lists_the_person_turned_off_are_read(
    tmp_path: Path, chosen: list[int] | None, rulesets: Any
) -> None:
    # ad-shield's manifest turns its one list ("filters", number 1) on; Chromium resets
    # the person's choice whenever --load-extension loads it (measured in Chromium 156),
    # so a run turns it back through the extension's worker (probe.browsers.chromium.extension_state).
    profile_dir = make_profile(tmp_path / "ud")
    extra = {} if chosen is None else {"dnr_enabled_ruleset_ids": chosen}
    ext_id, entry = install(profile_dir, "ad-shield", **extra)
    register(profile_dir, {ext_id: entry})
    found = locate_profile(profile_dir)
    assert [e.rulesets for e in found.extensions] == [rulesets]
    assert found.notes == ()


def test_rule_lists_of_an_extension_without_a_worker_are_a_limitation(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    ext_id, entry = install(profile_dir, "ad-shield", dnr_enabled_ruleset_ids=[])
    manifest_file = profile_dir / "Extensions" / entry["path"] / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["background"]
    manifest_file.write_text(json.dumps(manifest))
    register(profile_dir, {ext_id: entry})
    (limitation,) = limitations_of(locate_profile(profile_dir).notes)
    assert limitation.kind == "extension-rulesets"
    assert limitation.en.startswith("The extension Ad Shield turned some of its rule lists")
