"""Firefox without a browser: preference files, profile discovery on Linux, macOS and
Windows layouts, the inventory of a profile, run folders, and hostile profiles."""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from probe._util import files
from probe._util.files import CopyResult, UnsafeFile, read_bounded
from probe.browsers.firefox import discovery, rundir
from probe.browsers.firefox.discovery import (
    choose_profile,
    find_firefox,
    find_profile,
    firefox_roots,
    is_firefox_profile,
)
from probe.browsers.firefox.prefs import format_pref, parse_prefs
from probe.browsers.firefox.profile import (
    origin_of_folder,
    partition_site,
    read_profile,
    read_settings,
)
from probe.browsers.firefox.rundir import (
    SIDE_LOAD_PREFS,
    RunPlan,
    prepare_run_dir,
    side_load_addon,
    snapshot_profile,
)
from probe.errors import BadInput, ChromiumMissing

# --- prefs.js / user.js -------------------------------------------------------------


def test_prefs_values_of_every_kind_and_escapes() -> None:
    text = (
        'user_pref("a.string", "say \\"hi\\" \\\\ \\n\\u00e9\\x41");\n'
        "user_pref('single', 'it\\'s');\n"
        'user_pref("emoji", "\\ud83d\\ude00");\n'
        'user_pref("neg", -42);\n'
        'user_pref("on", true);  user_pref("off",false);\n'
        'pref("default.style", 7, locked);\n'
        'sticky_pref("sticky", "s");\n'
    )
    parsed = parse_prefs(text)
    assert parsed.skipped == 0
    assert parsed.values == {
        "a.string": 'say "hi" \\ \néA',
        "single": "it's",
        "emoji": "\U0001f600",
        "neg": -42,
        "on": True,
        "off": False,
        "default.style": 7,
        "sticky": "s",
    }


def test_prefs_comments_garbage_and_the_last_value_wins() -> None:
    text = (
        "// Mozilla User Preferences\n"
        "# a hash comment\n"
        '/* user_pref("commented", 1); */\n'
        "this is not a pref\n"
        'user_pref("x", 1);\n'
        'user_pref("unterminated, 2);\n'
        'user_pref("too.big", 99999999999);\n'
        'user_pref("x", 2);\n'
        'user_pref("word", maybe);\n'
    )
    parsed = parse_prefs(text)
    assert parsed.values == {"x": 2}
    assert parsed.skipped == 4


@pytest.mark.parametrize(
    "value", ["plain", 'q"uote\\back\nline\u00e9\U0001f600', 0, -7, True, False]
)
def test_a_formatted_pref_parses_back_to_the_same_value(value: str | int | bool) -> None:
    assert parse_prefs(format_pref("k.é", value)).values == {"k.é": value}


@pytest.mark.parametrize(
    ("prefs", "expected"),
    [
        ({"network.cookie.cookieBehavior": 0}, []),
        ({"network.cookie.cookieBehavior": 1}, ["third-party-cookies"]),
        ({"network.cookie.cookieBehavior": 2}, ["cookies"]),
        ({"network.cookie.cookieBehavior": 4}, []),
        ({"network.cookie.cookieBehavior": 5}, []),
        ({"javascript.enabled": False}, ["javascript"]),
        ({"javascript.enabled": True}, []),
        ({"network.proxy.type": 1}, ["proxy"]),
        ({"network.proxy.type": 5}, []),
        ({"dom.security.https_only_mode": True}, ["https-only"]),
        ({"privacy.resistFingerprinting": True}, ["resist-fingerprinting"]),
    ],
)
def test_settings_that_can_stop_a_login(
    prefs: dict[str, str | int | bool], expected: list[str]
) -> None:
    assert [s.id for s in read_settings(prefs)] == expected


# --- discovery ----------------------------------------------------------------------


def _profiles_ini(root: Path, text: str, *folders: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "profiles.ini").write_text(text, encoding="utf-8")
    for folder in folders:
        (root / folder).mkdir(parents=True)
        (root / folder / "prefs.js").write_text("", encoding="utf-8")


def test_linux_install_default_wins_over_the_old_default(tmp_path: Path) -> None:
    root = tmp_path / ".mozilla" / "firefox"
    _profiles_ini(
        root,
        "[Profile1]\nName=default\nIsRelative=1\nPath=abc.default\nDefault=1\n\n"
        "[Profile0]\nName=default-esr\nIsRelative=1\nPath=xyz.default-esr\n\n"
        "[Install3B6073811A6ABF12]\nDefault=xyz.default-esr\nLocked=1\n\n"
        "[General]\nStartWithLastProfile=1\nVersion=2\n",
        "abc.default",
        "xyz.default-esr",
    )
    choice = find_profile(platform="linux", home=tmp_path, env={})
    assert choice is not None
    assert choice.entry.path == root / "xyz.default-esr"
    assert choice.reason == "install default"
    assert [e.name for e in choice.others] == ["default"]


def test_linux_xdg_folder_and_installs_ini(tmp_path: Path) -> None:
    root = tmp_path / "xdg" / "mozilla" / "firefox"
    _profiles_ini(root, "[Profile0]\nName=work\nPath=Profiles/w.work\n", "Profiles/w.work")
    (root / "installs.ini").write_text("[ABC]\nDefault=Profiles/w.work\n", encoding="utf-8")
    choice = find_profile(
        platform="linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    )
    assert choice is not None and choice.entry.name == "work"
    assert choice.reason == "install default"


def test_macos_absolute_path_profile(tmp_path: Path) -> None:
    elsewhere = tmp_path / "Volumes" / "data" / "ff"
    elsewhere.mkdir(parents=True)
    root = tmp_path / "Library" / "Application Support" / "Firefox"
    _profiles_ini(root, f"[Profile0]\nName=moved\nIsRelative=0\nPath={elsewhere}\nDefault=1\n")
    choice = find_profile(platform="darwin", home=tmp_path, env={})
    assert choice is not None
    assert (choice.entry.path, choice.reason) == (elsewhere, "default")


def test_windows_appdata_layout_and_profile_name(tmp_path: Path) -> None:
    appdata = tmp_path / "AppData" / "Roaming"
    root = appdata / "Mozilla" / "Firefox"
    _profiles_ini(
        root,
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=Profiles/a.default-release\n"
        "[Profile1]\nName=Banque\nIsRelative=1\nPath=Profiles/b.banque\n"
        "[InstallE7CF176E110C211B]\nDefault=Profiles/a.default-release\n",
        "Profiles/a.default-release",
        "Profiles/b.banque",
    )
    env = {"APPDATA": str(appdata)}
    assert firefox_roots("win32", tmp_path, env) == [root]
    named = find_profile("Banque", platform="win32", home=tmp_path, env=env)
    assert named is not None and named.entry.path == root / "Profiles" / "b.banque"
    with pytest.raises(BadInput, match="no Firefox profile named 'Perso'.*'Banque'"):
        find_profile("Perso", platform="win32", home=tmp_path, env=env)


def test_several_installs_pick_the_last_used_profile(tmp_path: Path) -> None:
    root = tmp_path / "ff"
    _profiles_ini(
        root,
        "[Profile0]\nName=old\nPath=old\n[Profile1]\nName=new\nPath=new\n"
        "[InstallA]\nDefault=old\n[InstallB]\nDefault=new\n",
        "old",
        "new",
    )
    os.utime(root / "old" / "prefs.js", (1_000_000, 1_000_000))
    choice = choose_profile(root)
    assert (choice.entry.name, choice.reason) == ("new", "last used")


def test_relative_paths_climbing_out_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "ff"
    (tmp_path / "outside").mkdir()
    _profiles_ini(root, "[Profile0]\nName=evil\nIsRelative=1\nPath=../outside\nDefault=1\n")
    with pytest.raises(BadInput, match="no Firefox profile listed"):
        choose_profile(root)


def test_no_profiles_ini_anywhere_means_no_profile(tmp_path: Path) -> None:
    assert find_profile(platform="linux", home=tmp_path, env={}) is None


def test_a_listed_profile_without_folder_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "ff"
    _profiles_ini(root, "[Profile0]\nName=gone\nPath=gone\n")
    with pytest.raises(BadInput, match="have no folder"):
        choose_profile(root)
    with pytest.raises(BadInput, match="folder .* is missing"):
        choose_profile(root, "gone")


def _fake_firefox(folder: Path, version: str, channel: str) -> Path:
    folder.mkdir(parents=True)
    exe = folder / "firefox"
    exe.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    exe.chmod(0o755)
    (folder / "application.ini").write_text(
        f"[App]\nName=Firefox\nVersion={version}\n", encoding="utf-8"
    )
    (folder / "defaults" / "pref").mkdir(parents=True)
    (folder / "defaults" / "pref" / "channel-prefs.js").write_text(
        f'pref("app.update.channel", "{channel}");\n', encoding="utf-8"
    )
    return exe


def test_find_firefox_option_env_and_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discovery, "_SYSTEM_BINARIES", ())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ChromiumMissing, match="probe install firefox"):
        find_firefox(env={})
    esr = _fake_firefox(tmp_path / "esr", "153.8.0", "esr")
    found = find_firefox(env={"PROBE_FIREFOX": str(esr)})
    assert (found.version, found.esr, found.source) == ("153.8.0", True, "env")
    release = _fake_firefox(tmp_path / "release", "160.0", "release")
    found = find_firefox(release, env={"PROBE_FIREFOX": str(esr)})
    assert (found.major, found.esr, found.source, found.honours_unsigned_addons) == (
        160,
        False,
        "option",
        False,
    )
    downloaded = _fake_firefox(tmp_path / "pw" / "firefox-1500" / "firefox", "150.0", "nightly")
    found = find_firefox(env={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")})
    assert (found.executable, found.source) == (downloaded, "playwright")
    with pytest.raises(BadInput, match="PROBE_FIREFOX=.*not an executable"):
        find_firefox(env={"PROBE_FIREFOX": str(tmp_path / "missing")})


# --- the inventory ------------------------------------------------------------------


def _cookie_db(path: Path, rows: list[tuple[object, ...]], *, attributes: bool = True) -> None:
    """A cookies.sqlite as Firefox 153 has it (or, without ``attributes``, before 52)."""
    connection = sqlite3.connect(path)
    extra = ", originAttributes TEXT NOT NULL DEFAULT ''" if attributes else ""
    connection.execute(
        f"CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, host, name, path, value{extra})"
    )
    columns = "host, name, path, value" + (", originAttributes" if attributes else "")
    marks = ",".join("?" * len(rows[0]))
    connection.executemany(f"INSERT INTO moz_cookies ({columns}) VALUES ({marks})", rows)
    connection.commit()
    connection.close()


def _xpi(path: Path, manifest: dict[str, object]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))


PARTITIONED = "^partitionKey=%28http%2Cportal.localhost%2C8000%29"


def _profile(tmp_path: Path) -> Path:
    root = tmp_path / "profile"
    (root / "extensions").mkdir(parents=True)
    uuids = json.dumps({"blocker@x": "1111-aaaa"})
    (root / "prefs.js").write_text(
        'user_pref("network.cookie.cookieBehavior", 2);\n'
        'user_pref("privacy.trackingprotection.enabled", true);\n'
        f'user_pref("extensions.webextensions.uuids", {json.dumps(uuids)});\n',
        encoding="utf-8",
    )
    (root / "user.js").write_text('user_pref("javascript.enabled", false);\n', encoding="utf-8")
    (root / "extensions.json").write_text(
        json.dumps(
            {
                "addons": [
                    {
                        "id": "blocker@x",
                        "type": "extension",
                        "version": "1.2",
                        "active": True,
                        "userDisabled": False,
                        "location": "app-profile",
                        "signedState": 2,
                        "defaultLocale": {"name": "Bloqueur"},
                    },
                    {"id": "fr@dictionaries", "type": "dictionary", "location": "app-profile"},
                    {"id": "pip@mozilla.org", "location": "app-builtin-addons", "active": True},
                    "garbage",
                ]
            }
        ),
        encoding="utf-8",
    )
    (root / "extension-preferences.json").write_text(
        json.dumps(
            {"blocker@x": {"permissions": ["internal:privateBrowsingAllowed"], "origins": []}}
        ),
        encoding="utf-8",
    )
    _xpi(root / "extensions" / "blocker@x.xpi", {"name": "Bloqueur"})
    _xpi(root / "extensions" / "new@x.xpi", {"name": "Dropped In"})
    _cookie_db(
        root / "cookies.sqlite",
        [
            ("portal.localhost", "sid", "/", "SECRET-VALUE", ""),
            (".portal.localhost", "lang", "/", "fr", ""),
            ("other.example", "o", "/", "x", ""),
            ("captcha.example", "tp", "/", "x", PARTITIONED),
            (None, "nullhost", "/", "x", ""),
            ("h", 42, "/", "x", ""),
        ],
    )
    grants = sqlite3.connect(root / "permissions.sqlite")
    grants.execute(
        "CREATE TABLE moz_perms (id INTEGER PRIMARY KEY, origin TEXT, type TEXT,"
        " permission INTEGER, expireType INTEGER, expireTime INTEGER, modificationTime INTEGER)"
    )
    grants.executemany(
        "INSERT INTO moz_perms (origin, type, permission, expireType, expireTime,"
        " modificationTime) VALUES (?, ?, ?, 0, 0, 0)",
        [("http://portal.localhost:8000", "cookie", 2), ("https://other.example", "popup", 1)],
    )
    grants.commit()
    grants.close()
    for name in (
        "http+++portal.localhost+8000",
        "https+++other.example",
        "moz-extension+++1111-aaaa",
        "https+++captcha.example^" + PARTITIONED.lstrip("^"),
    ):
        (root / "storage" / "default" / name / "ls").mkdir(parents=True)
        (root / "storage" / "default" / name / "ls" / "data.sqlite").write_bytes(b"x" * 100)
    return root


def test_the_inventory_of_a_profile(tmp_path: Path) -> None:
    profile = read_profile(_profile(tmp_path))
    assert [s.id for s in profile.settings] == ["javascript", "cookies"]  # user.js read too
    by_id = {a.id: a for a in profile.addons}
    assert set(by_id) == {"blocker@x", "pip@mozilla.org", "new@x"}
    blocker = by_id["blocker@x"]
    assert (blocker.name, blocker.active, blocker.signed_state, blocker.private_allowed) == (
        "Bloqueur",
        True,
        2,
        True,
    )
    assert blocker.storage_uuid == "1111-aaaa" and blocker.xpi is not None
    assert by_id["pip@mozilla.org"].builtin
    assert (by_id["new@x"].name, by_id["new@x"].active) == ("Dropped In", False)
    assert sorted(
        (c.host, c.name, c.value_bytes) for c in profile.cookies_for("portal.localhost")
    ) == [
        (".portal.localhost", "lang", 2),
        ("portal.localhost", "sid", 12),
    ]
    assert len(profile.cookies) == 4  # the NULL host and the integer name are skipped
    assert [c.partition for c in profile.cookies if c.host == "captcha.example"] == [PARTITIONED]
    assert {(p.origin, p.type, p.permission) for p in profile.permissions} == {
        ("http://portal.localhost:8000", "cookie", 2),
        ("https://other.example", "popup", 1),
    }
    assert "SECRET-VALUE" not in repr(profile)
    assert {(d.origin, d.addon_id, d.partition) for d in profile.site_data} == {
        ("http://portal.localhost:8000", None, ""),
        ("https://other.example", None, ""),
        ("moz-extension://1111-aaaa", "blocker@x", ""),
        ("https://captcha.example", None, "portal.localhost"),
    }
    assert profile.site_data_for("portal.localhost")[0].bytes == 100


def test_cookies_of_an_old_schema_are_read(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    _cookie_db(tmp_path / "p" / "cookies.sqlite", [("a.fr", "n", "/", "v")], attributes=False)
    assert [(c.host, c.partition) for c in read_profile(tmp_path / "p").cookies] == [("a.fr", "")]


@pytest.mark.parametrize(
    ("attributes", "site"),
    [
        ("", ""),
        ("^userContextId=1", ""),
        ("^partitionKey=%28https%2Cimpots.gouv.fr%29", "impots.gouv.fr"),
        ("^userContextId=2&partitionKey=%28http%2Clocalhost%2C8000%29", "localhost"),
        ("^partitionKey=garbage", ""),
    ],
)
def test_partition_keys(attributes: str, site: str) -> None:
    assert partition_site(attributes) == site


@pytest.mark.parametrize(
    ("folder", "origin", "host"),
    [
        ("https+++www.impots.gouv.fr", "https://www.impots.gouv.fr", "www.impots.gouv.fr"),
        ("http+++127.0.0.1+8000^userContextId=2", "http://127.0.0.1:8000", "127.0.0.1"),
        ("http+++[++1]+8080", "http://[++1]:8080", "[++1]"),
        ("file++++home+u+page.html", "file://+home+u+page.html", "+home+u+page.html"),
        ("nonsense", "nonsense", ""),
    ],
)
def test_site_data_folder_names(folder: str, origin: str, host: str) -> None:
    assert origin_of_folder(folder) == (origin, host)


# --- hostile profiles ---------------------------------------------------------------


def test_links_and_special_files_are_not_read(tmp_path: Path) -> None:
    root = tmp_path / "profile"
    root.mkdir()
    secret = tmp_path / "secret.js"
    secret.write_text('user_pref("javascript.enabled", false);\n', encoding="utf-8")
    (root / "prefs.js").symlink_to(secret)
    os.mkfifo(root / "user.js")  # reading a FIFO would wait forever
    (root / "extensions.json").symlink_to("/dev/zero")
    profile = read_profile(root)
    assert profile.settings == ()
    assert any("symbolic link" in w for w in profile.warnings)
    assert any("user.js is not a regular file" in w for w in profile.warnings)


def test_bounded_reads_refuse_large_files(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    assert read_bounded(big, 4096) == b"x" * 2048
    with pytest.raises(UnsafeFile, match="larger than"):
        read_bounded(big, 1024)


def test_damaged_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "profile"
    root.mkdir()
    (root / "extensions.json").write_text("[" * 100_000, encoding="utf-8")
    (root / "extension-preferences.json").write_text("[1, 2]", encoding="utf-8")
    (root / "cookies.sqlite").write_bytes(b"not a database" * 100)
    (root / "permissions.sqlite").write_bytes(b"")
    (root / "prefs.js").write_bytes(b"\xff\xfe garbage \x00\x01;;;")
    profile = read_profile(root)
    assert profile.addons == () and profile.cookies == () and profile.permissions == ()
    text = " | ".join(profile.warnings)
    assert "extensions.json is not valid JSON" in text
    assert "extension-preferences.json is not a JSON object" in text
    assert "cookies.sqlite could not be read" in text


def test_a_profile_path_that_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a folder"):
        read_profile(tmp_path / "nope")


# --- run folders --------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_a_run_folder_keeps_what_the_plan_keeps(tmp_path: Path) -> None:
    source = _profile(tmp_path)
    before = _tree(source)
    profile = read_profile(source)
    run = prepare_run_dir(
        profile,
        tmp_path / "run",
        RunPlan(
            addons=frozenset({"new@x"}),
            drop_cookies_for=("portal.localhost",),
            drop_site_data_for=("portal.localhost",),
            reset_settings=frozenset({"cookies"}),
        ),
    )
    copy = read_profile(run.path)
    assert {a.id for a in copy.addons if not a.builtin} == {"new@x"}
    assert not (run.path / "extensions" / "blocker@x.xpi").exists()
    # The portal's own cookies and site data go, and the third-party ones kept under it.
    assert {c.host for c in copy.cookies} == {"other.example"}
    assert {d.host for d in copy.site_data} == {"other.example", "1111-aaaa"}
    # The reset setting is gone from prefs.js and forced to Firefox's default; the
    # person's user.js (which Playwright overwrites) and their tracking protection
    # (which Playwright's defaults turn off) are carried in the launch prefs.
    assert "network.cookie.cookieBehavior" not in copy.prefs
    assert run.user_prefs["network.cookie.cookieBehavior"] == 5
    assert run.user_prefs["javascript.enabled"] is False
    assert run.user_prefs["privacy.trackingprotection.enabled"] is True
    assert SIDE_LOAD_PREFS.items() <= run.user_prefs.items()
    assert run.kept_addons == ("new@x",)
    assert _tree(source) == before


def test_a_copy_leaves_out_links_fifos_and_locks(tmp_path: Path) -> None:
    source = _profile(tmp_path)
    (source / "etc").symlink_to("/etc")
    (source / "storage" / "default" / "https+++other.example" / "zero").symlink_to("/dev/zero")
    os.mkfifo(source / "pipe")
    (source / "lock").symlink_to("127.0.0.1:+4242")
    (source / ".parentlock").write_bytes(b"")
    (source / "cache2").mkdir()
    run = prepare_run_dir(read_profile(source), tmp_path / "run", RunPlan())
    names = set(os.listdir(run.path))
    assert not names & {"etc", "pipe", "lock", ".parentlock", "cache2"}
    assert not (run.path / "storage" / "default" / "https+++other.example" / "zero").exists()
    assert any("etc: symbolic link" in w for w in run.warnings)
    assert any("pipe: not a regular file" in w for w in run.warnings)


def test_a_hostile_addon_id_touches_nothing_outside_the_copy(tmp_path: Path) -> None:
    source = tmp_path / "profile"
    source.mkdir()
    victim = tmp_path / "victim.xpi"
    victim.write_bytes(b"keep me")
    (source / "extensions.json").write_text(
        json.dumps({"addons": [{"id": "../../victim", "location": "app-profile"}]}),
        encoding="utf-8",
    )
    run = prepare_run_dir(read_profile(source), tmp_path / "a" / "run", RunPlan(addons=frozenset()))
    assert victim.read_bytes() == b"keep me"
    assert json.loads((run.path / "extensions.json").read_text(encoding="utf-8")) == {"addons": []}


def test_a_run_folder_must_start_empty(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x").write_bytes(b"")
    with pytest.raises(BadInput, match="not empty"):
        prepare_run_dir(read_profile(_profile(tmp_path)), tmp_path / "run", RunPlan())


@pytest.mark.parametrize("bad", ["", "../x", "a/b", ".hidden", "a\\b"])
def test_side_load_refuses_ids_that_are_paths(tmp_path: Path, bad: str) -> None:
    with pytest.raises(BadInput, match="not a usable add-on id"):
        side_load_addon(tmp_path, bad, {"manifest.json": b"{}"})


def test_a_firefox_profile_is_told_from_a_chromium_folder(tmp_path: Path) -> None:
    firefox = tmp_path / "ff"
    firefox.mkdir()
    (firefox / "times.json").write_text("{}", encoding="utf-8")
    chromium = tmp_path / "chromium"
    (chromium / "Default").mkdir(parents=True)
    (chromium / "Local State").write_text("{}", encoding="utf-8")
    linked = tmp_path / "linked"
    linked.symlink_to(firefox)
    assert [is_firefox_profile(p) for p in (firefox, chromium, linked)] == [True, False, False]


def test_a_private_run_asks_for_permanent_private_browsing(tmp_path: Path) -> None:
    profile = read_profile(_profile(tmp_path))
    normal = prepare_run_dir(profile, tmp_path / "normal", RunPlan())
    private = prepare_run_dir(profile, tmp_path / "private", RunPlan(private=True))
    assert "browser.privatebrowsing.autostart" not in normal.user_prefs
    assert private.user_prefs["browser.privatebrowsing.autostart"] is True


def test_a_snapshot_is_made_again_when_the_profile_changes_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _profile(tmp_path)
    (source / "lock").symlink_to("127.0.0.1:+4242")
    calls: list[int] = []
    real_copy = files.copy_tree

    def copy_while_firefox_writes(src: Path, dst: Path, **kwargs: Any) -> CopyResult:
        result = real_copy(src, dst, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # Firefox writes its cookie log during the first copy
            (source / "cookies.sqlite-wal").write_bytes(b"new")
        return result

    monkeypatch.setattr(rundir, "copy_tree", copy_while_firefox_writes)
    copy, notes = snapshot_profile(source, tmp_path / "snap")
    assert len(calls) == 2
    assert (copy / "cookies.sqlite-wal").read_bytes() == b"new"
    assert not (copy / "lock").exists() and notes == []


def test_a_snapshot_of_a_profile_that_never_settles_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _profile(tmp_path)
    real_copy = files.copy_tree
    counter = iter(range(100))

    def copy_while_firefox_writes(src: Path, dst: Path, **kwargs: Any) -> CopyResult:
        result = real_copy(src, dst, **kwargs)
        (source / "prefs.js").write_text(f"// {next(counter)}\n" * 3, encoding="utf-8")
        return result

    monkeypatch.setattr(rundir, "copy_tree", copy_while_firefox_writes)
    _, notes = snapshot_profile(source, tmp_path / "snap")
    assert notes == ["the profile changed while it was copied (is Firefox open?): the copy may lag"]
