"""Snapshots and run folders, on hand-made profile folders (no browser)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from probe._util.files import CopyBudget
from probe.browsers.chromium.profile import (
    Extension,
    extension_id,
    extension_launch_args,
    locate_profile,
    prepare_run_dir,
    read_cookies,
    snapshot_profile,
)
from probe.errors import BadInput
from tests.helpers.paths import REPO
from tests.helpers.profiles import (
    FIXTURES,
    fingerprint,
    install,
    make_profile,
    no_writes_under,
    register,
    write_cookie_db,
)

SHIELD_ID = extension_id(FIXTURES / "ad-shield")
KEPT = [
    "Local Storage/leveldb/000003.log",
    "IndexedDB/http_portal.localhost_0.indexeddb.leveldb/CURRENT",
    "Service Worker/Database/CURRENT",
    "Service Worker/CacheStorage/abc/index",
    "Session Storage/CURRENT",
    f"Local Extension Settings/{SHIELD_ID}/000003.log",
]
LEFT_BEHIND = [
    "Cache/Cache_Data/index",
    "Code Cache/js/index",
    "GPUCache/data_0",
    "History",
    "Login Data",
    "Local Storage/leveldb/LOCK",
    "Favicons",
]


def rich_profile(root: Path, *, name: str = "Default") -> Path:
    """A profile with extensions, cookies, site data, caches and a browser's lock files."""
    user_data_dir = root / "source"
    profile_dir = make_profile(user_data_dir, name=name, last_used=name)
    shield, shield_entry = install(profile_dir, "ad-shield")
    notes, notes_entry = install(profile_dir, "harmless/notes", disable_reasons=[1])
    prefs = {
        "profile": {"default_content_setting_values": {"javascript": 2}, "cookie_controls_mode": 1},
        "proxy": {"mode": "fixed_servers", "server": "127.0.0.1:9"},
        "session": {"restore_on_startup": 4, "startup_urls": ["https://example.org/"]},
    }
    register(profile_dir, {shield: shield_entry, notes: notes_entry}, **prefs)
    (profile_dir / "Secure Preferences").write_text(json.dumps({"protection": {}}))
    write_cookie_db(profile_dir / "Cookies", [("sid", "portal.localhost", b"v10xxxx")])
    (profile_dir / "Cookies-journal").write_bytes(b"")
    for relative in KEPT + LEFT_BEHIND:
        (profile_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (profile_dir / relative).write_bytes(relative.encode())
    (user_data_dir / "SingletonLock").symlink_to("host-1234")
    (user_data_dir / "Crashpad").mkdir()
    return user_data_dir


def test_snapshot_copies_what_logins_need_and_never_writes_to_the_source(tmp_path: Path) -> None:
    source = locate_profile(rich_profile(tmp_path))
    before = fingerprint(source.user_data_dir)
    with no_writes_under(source.user_data_dir) as writes:
        copy = snapshot_profile(source, tmp_path / "snapshot")
    assert writes == []
    assert fingerprint(source.user_data_dir) == before
    profile_dir = copy.user_data_dir / "Default"
    for relative in [*KEPT, "Cookies", "Cookies-journal", "Preferences", "Secure Preferences"]:
        assert (profile_dir / relative).is_file(), relative
    for relative in LEFT_BEHIND:
        assert not (profile_dir / relative).exists(), relative
    assert not (copy.user_data_dir / "SingletonLock").exists()
    assert not (copy.user_data_dir / "Crashpad").exists()
    assert stat.S_IMODE(copy.user_data_dir.stat().st_mode) == 0o700
    assert [e.id for e in copy.extensions] == [e.id for e in source.extensions]
    assert all(e.path.is_relative_to(copy.user_data_dir) for e in copy.extensions)
    assert all((e.path / "manifest.json").is_file() for e in copy.extensions)
    assert locate_profile(copy.user_data_dir).extensions == copy.extensions
    assert copy.settings == source.settings and copy.warnings == ()


def test_snapshot_of_a_read_only_profile(tmp_path: Path) -> None:
    source_dir = rich_profile(tmp_path)
    subprocess.run(["chmod", "-R", "a-w", str(source_dir)], check=True)
    try:
        source = locate_profile(source_dir)
        before = fingerprint(source_dir)
        with no_writes_under(source_dir) as writes:
            copy = snapshot_profile(source, tmp_path / "snapshot")
        assert writes == [] and fingerprint(source_dir) == before
        preferences = copy.user_data_dir / "Default" / "Preferences"
        assert stat.S_IMODE(preferences.stat().st_mode) == 0o600  # the copy is writable
        run = prepare_run_dir(
            copy, tmp_path / "run", keep_cookies=True, keep_site_data=True, reset_settings=[]
        )
        assert (run / "Default" / "Cookies").is_file()
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(source_dir)], check=True)


def test_snapshot_copies_again_a_file_that_changes_while_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = locate_profile(rich_profile(tmp_path))
    log = source.profile_dir / "Local Storage" / "leveldb" / "000003.log"
    real_copy = CopyBudget.copy
    writes = iter(range(2))

    def copy_while_a_browser_writes(budget: CopyBudget, src: Path, dst: Path) -> bool:
        result = real_copy(budget, src, dst)
        if Path(src) == log and next(writes, None) is not None:
            with log.open("ab") as stream:  # the browser appends a record meanwhile
                stream.write(b"+record")
            os.utime(log, ns=(log.stat().st_atime_ns, log.stat().st_mtime_ns + 1_000_000))
        return result

    monkeypatch.setattr(CopyBudget, "copy", copy_while_a_browser_writes)
    copy = snapshot_profile(source, tmp_path / "snapshot")
    copied = copy.profile_dir / "Local Storage" / "leveldb" / "000003.log"
    assert copied.read_bytes() == log.read_bytes()
    assert copied.read_bytes().endswith(b"+record+record")
    assert copy.warnings == ()


def test_snapshot_copies_unpacked_extensions_kept_elsewhere(tmp_path: Path) -> None:
    unpacked = tmp_path / "dev" / "my-extension"
    shutil.copytree(REPO / "fixtures" / "extensions" / "pair-a", unpacked)
    (unpacked / ".git").mkdir()
    (unpacked / ".git" / "HEAD").write_text("ref: refs/heads/main")
    profile_dir = make_profile(tmp_path / "ud")
    ext_id = extension_id(unpacked)
    register(profile_dir, {ext_id: {"location": 4, "path": str(unpacked)}})
    source = locate_profile(tmp_path / "ud")
    with no_writes_under(unpacked) as writes:
        copy = snapshot_profile(source, tmp_path / "snapshot")
    assert writes == []
    (ext,) = copy.extensions
    assert ext.path == copy.user_data_dir / "Unpacked Extensions" / ext_id
    assert (ext.path / "content.js").is_file() and not (ext.path / ".git").exists()
    assert extension_id(ext.path) == ext_id  # the fixture has a key, so the id survives


def test_snapshot_warns_about_cookies_locked_by_the_desktop_keyring(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "ud")
    rows = [("a", "portal.localhost", b"v11abc"), ("b", "portal.localhost", b"v11def"),
            ("c", "portal.localhost", b"v10ghi")]  # fmt: skip
    write_cookie_db(profile_dir / "Cookies", rows)
    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "snapshot")
    (warning,) = copy.warnings
    assert warning.startswith(
        "2 cookies (portal.localhost) are encrypted with a key held by the desktop keyring"
    )
    assert [(c.name, c.encrypted_with) for c in read_cookies(copy)] == [
        ("a", "v11"),
        ("b", "v11"),
        ("c", "v10"),
    ]


def test_snapshot_refuses_a_folder_that_is_not_empty_or_inside_the_source(tmp_path: Path) -> None:
    source = locate_profile(rich_profile(tmp_path))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(BadInput, match="not empty"):
        snapshot_profile(source, tmp_path / "busy")
    with pytest.raises(BadInput, match="inside the profile"):
        snapshot_profile(source, source.user_data_dir / "copy")


# ---------------------------------------------------------------- run folders


@pytest.fixture
def snapshot(tmp_path: Path) -> Any:
    return snapshot_profile(
        locate_profile(rich_profile(tmp_path, name="Profile 1")), tmp_path / "snapshot"
    )


def preferences(run: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run / "Default" / "Preferences").read_text())
    return data


def test_run_dir_keeps_everything_when_asked(snapshot: Any, tmp_path: Path) -> None:
    shield = [e for e in snapshot.extensions if e.enabled]
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=True,
        keep_site_data=True,
        reset_settings=[],
        extensions=shield,
    )
    assert sorted(p.name for p in run.iterdir()) == ["Default", "Local State"]
    for relative in [*KEPT, "Cookies", "Cookies-journal"]:
        assert (run / "Default" / relative).is_file(), relative
    assert not (run / "Default" / "Extensions").exists()  # loaded from the snapshot instead
    local_state = json.loads((run / "Local State").read_text())
    assert local_state["profile"]["last_used"] == "Default"
    assert list(local_state["profile"]["info_cache"]) == ["Default"]
    found = locate_profile(run)
    assert found.profile_name == "Default"  # "Profile 1" became Default
    assert [s.id for s in found.settings] == [s.id for s in snapshot.settings]
    # Only the extension the run loads is registered, at the folder it is loaded from.
    assert [(e.id, e.path) for e in found.extensions] == [(SHIELD_ID, shield[0].path)]
    assert preferences(run)["session"] == {"restore_on_startup": 5}


def test_run_dir_without_cookies_or_site_data(snapshot: Any, tmp_path: Path) -> None:
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=False,
        keep_site_data=False,
        reset_settings=[],
        extensions=[e for e in snapshot.extensions if e.enabled],
    )
    names = {p.name for p in (run / "Default").iterdir()}
    assert not names & {"Cookies", "Cookies-journal", "Local Storage", "IndexedDB"}
    assert not names & {"Service Worker", "Session Storage"}
    assert "Local Extension Settings" in names  # an extension's own state stays with it
    run2 = prepare_run_dir(
        snapshot, tmp_path / "run2", keep_cookies=True, keep_site_data=False, reset_settings=[]
    )
    assert (run2 / "Default" / "Cookies").is_file()
    assert not (run2 / "Default" / "Local Storage").exists()


def test_run_dir_resets_settings_to_chromium_defaults(snapshot: Any, tmp_path: Path) -> None:
    run = prepare_run_dir(
        snapshot,
        tmp_path / "run",
        keep_cookies=True,
        keep_site_data=True,
        reset_settings=["javascript", "third-party-cookies", "proxy"],
    )
    prefs = preferences(run)
    assert "javascript" not in prefs["profile"]["default_content_setting_values"]
    assert prefs["profile"]["cookie_controls_mode"] == 2  # upstream's default, not Debian's
    assert "proxy" not in prefs
    assert locate_profile(run).settings == ()
    with pytest.raises(BadInput, match="unknown setting"):
        prepare_run_dir(
            snapshot,
            tmp_path / "run3",
            keep_cookies=True,
            keep_site_data=True,
            # Not a SettingId on purpose: what a caller without a type checker could pass.
            reset_settings=["popups"],  # type: ignore[list-item]
        )


def test_extension_launch_args(tmp_path: Path) -> None:
    def ext(path: Path) -> Extension:
        return Extension("a" * 32, "X", "1", path, True, False, "webstore")

    assert extension_launch_args([]) == []
    one, two = tmp_path / "one", tmp_path / "two"
    assert extension_launch_args([ext(one), ext(two), ext(one)]) == [
        f"--disable-extensions-except={one},{two}",
        f"--load-extension={one},{two}",
    ]
    with pytest.raises(BadInput, match="comma"):
        extension_launch_args([ext(tmp_path / "a,b")])
