"""Hostile and damaged profiles: nothing escapes the private folder, nothing hangs, no traceback.

A profile folder is input from somewhere else: it can be damaged, or made by someone
who wants to harm the person running probe. Each test here plants one trap of issue 11
(B1-B5, B14, Chromium start-up failures) and checks what a person would: the file
outside is untouched, the run ends, the note or the one error line says what was wrong.
These need no browser; the ones that start probe for real are in
test_hostile_profiles_browser.py.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import probe.browsers.chromium.discovery
import probe.browsers.chromium.engine
import probe.browsers.chromium.profile.reading
from probe._util.files import CopyBudget, Unreadable, read_regular
from probe.browsers.chromium.discovery import (
    browser_environment,
    launch_failure,
    with_short_temporary,
)
from probe.browsers.chromium.engine import read_portal_cookies
from probe.browsers.chromium.profile import (
    CopyLimits,
    Extension,
    SourceProfile,
    locate_profile,
    prepare_run_dir,
    read_cookies,
    snapshot_profile,
)
from probe.errors import BadInput, BrowserFailure, NoSpaceLeft
from tests.helpers.hostile_profiles import (
    entry,
    invoke,
    listing,
    one_error_line,
    unpacked_extension,
)
from tests.helpers.profiles import install, make_profile, register


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@contextmanager
def reader_released(fifo: Path, after_s: float = 20.0) -> Iterator[list[str]]:
    """Watch a FIFO: if something still waits on it after ``after_s``, feed it and say so.

    The old code blocked forever opening a FIFO; this turns that hang into a failure.
    """
    done = threading.Event()
    released: list[str] = []

    def release() -> None:
        while not done.wait(after_s):
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody is reading it
                continue
            released.append(str(fifo))
            os.write(writer, b"{}")
            os.close(writer)

    watcher = threading.Thread(target=release, daemon=True)
    watcher.start()
    try:
        yield released
    finally:
        done.set()
        watcher.join()


# ------------------------------------------------------------ B1: ids that are paths


def test_an_extension_id_that_is_a_path_is_refused_and_nothing_is_written_outside(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim" / ".ssh"
    victim.mkdir(parents=True)
    (victim / "authorized_keys").write_text("ORIGINAL\n")
    profile_dir = make_profile(tmp_path / "prof")
    payload = unpacked_extension(profile_dir / "payload", authorized_keys="ssh-ed25519 ATTACKER")
    hostile_id = "../" * 12 + str(victim).lstrip("/")
    register(profile_dir, {hostile_id: entry(payload)})
    before = listing(tmp_path / "victim")

    source = locate_profile(tmp_path / "prof")
    copy = snapshot_profile(source, tmp_path / "work" / "snapshot")

    assert source.extensions == () and copy.extensions == ()
    assert any("not a Chromium extension id" in w for w in source.warnings), source.warnings
    assert listing(tmp_path / "victim") == before
    assert (victim / "authorized_keys").read_text() == "ORIGINAL\n"


def test_notes_hold_no_control_characters_from_the_profile(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "prof")
    register(profile_dir, {"c" * 32: entry("/nowhere/\x1b[2J\nfake line")})

    source = locate_profile(profile_dir)

    (note,) = source.warnings
    assert "\x1b" not in note and "\n" not in note and "?[2J?fake line" in note


def test_a_copy_never_writes_outside_its_folder_even_for_an_unchecked_extension(
    tmp_path: Path,
) -> None:
    # The second line of defence: a SourceProfile made by other code, id never checked.
    (tmp_path / "victim").mkdir()
    profile_dir = make_profile(tmp_path / "prof")
    payload = unpacked_extension(tmp_path / "payload", evil="x")
    sneaky = Extension("../../../victim", "Harmless", "1.0", payload, True, False, "unpacked")
    source = locate_profile(profile_dir)
    source = SourceProfile(**{**source.__dict__, "extensions": (sneaky,)})

    copy = snapshot_profile(source, tmp_path / "work" / "s" / "snapshot")

    assert list((tmp_path / "victim").iterdir()) == []
    assert copy.extensions == ()
    assert any("not a safe path" in w for w in copy.warnings), copy.warnings


# ------------------------------------------------------------ B2: '..' escapes


def test_a_web_store_extension_path_with_dot_dot_is_refused_with_a_note(tmp_path: Path) -> None:
    unpacked_extension(tmp_path / "outside-ext", **{"secret.txt": "SECRET"})
    profile_dir = make_profile(tmp_path / "a" / "b" / "prof")
    (profile_dir / "Extensions").mkdir()  # the kernel walks through it on the way up
    # From Default/Extensions, five steps up is tmp_path: the old code read it from there
    # and wrote its copy five steps up from the snapshot's Default/Extensions.
    register(profile_dir, {"a" * 32: entry("../../../../../outside-ext", location=1)})
    work = tmp_path / "tmp" / "w" / "x"

    source = locate_profile(profile_dir.parent)
    copy = snapshot_profile(source, work / "snapshot")

    assert source.extensions == () and copy.extensions == ()
    assert any("'..'" in w for w in source.warnings), source.warnings
    everything = [p.name for p in tmp_path.rglob("*")]
    assert everything.count("secret.txt") == 1  # the original, nowhere else


@pytest.mark.parametrize("last_used", ["../../other", "/etc", "..", "Default/../../other"])
def test_local_state_last_used_outside_the_folder_is_ignored_with_a_note(
    tmp_path: Path, last_used: str
) -> None:
    user_data_dir = tmp_path / "x" / "y" / "udd"
    make_profile(user_data_dir)
    other = make_profile(tmp_path / "other", name=".")
    (other / "Preferences").write_text(json.dumps({"proxy": {"mode": "fixed_servers"}}))
    (user_data_dir / "Local State").write_text(json.dumps({"profile": {"last_used": last_used}}))

    source = locate_profile(user_data_dir)

    assert source.profile_dir == user_data_dir / "Default"
    assert source.settings == ()  # the proxy setting of the folder outside was not read
    assert any("is not a folder name" in w for w in source.warnings), source.warnings


# ------------------------------------------------------------ B3: links, sizes


def test_links_in_a_profile_are_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (tmp_path / "outside-dir").mkdir()
    (tmp_path / "outside-dir" / "passwd").write_text("TOP-SECRET")
    profile_dir = make_profile(tmp_path / "prof")
    leveldb = profile_dir / "Local Storage" / "leveldb"
    leveldb.mkdir(parents=True)
    (leveldb / "000005.ldb").write_text("kept")
    (leveldb / "000003.log").symlink_to(secret)
    (leveldb / "000004.log").symlink_to("/dev/null")
    (leveldb / "sub").symlink_to(tmp_path / "outside-dir")
    (profile_dir / "IndexedDB").symlink_to(tmp_path / "outside-dir")
    (profile_dir / "Cookies").symlink_to(secret)

    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "work" / "snapshot")

    copied = listing(tmp_path / "work")
    assert all(kind.startswith(("dir", "file")) for kind in copied.values()), copied
    assert b"TOP-SECRET".hex() not in "".join(copied.values())
    assert (copy.profile_dir / "Local Storage" / "leveldb" / "000005.ldb").read_text() == "kept"
    notes = [w for w in copy.warnings if "symbolic links" in w]
    assert len(notes) == 1 and "Default/Cookies" in notes[0] and "and 2 more" in notes[0], notes


def test_an_unpacked_extension_the_person_reaches_through_a_link_is_still_copied(
    tmp_path: Path,
) -> None:
    real = unpacked_extension(tmp_path / "projects" / "ext", **{"secret-link": ""})
    (real / "secret-link").unlink()
    (real / "secret-link").symlink_to(tmp_path / "projects")
    (tmp_path / "dev").symlink_to(tmp_path / "projects")
    profile_dir = make_profile(tmp_path / "prof")
    register(profile_dir, {"b" * 32: entry(tmp_path / "dev" / "ext")})

    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "work" / "s")

    (ext,) = copy.extensions
    assert sorted(p.name for p in ext.path.iterdir()) == ["manifest.json"]


def test_a_copy_skips_files_over_its_limits_with_a_note(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "prof")
    leveldb = profile_dir / "Local Storage" / "leveldb"
    leveldb.mkdir(parents=True)
    (leveldb / "big.ldb").write_bytes(b"x" * 5000)
    for n in range(10):
        (leveldb / f"{n:06}.ldb").write_bytes(b"y" * 900)
    limits = CopyLimits(file_bytes=4000, total_bytes=4000)

    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "work" / "s", limits=limits)

    kept = list((copy.profile_dir / "Local Storage" / "leveldb").iterdir())
    assert sum(p.stat().st_size for p in kept) <= 4000
    assert (
        len(kept) == 4 and not (copy.profile_dir / "Local Storage" / "leveldb" / "big.ldb").exists()
    )
    assert any(
        "larger than 4000 bytes each: 'Default/Local Storage/leveldb/big.ldb'" in w
        for w in copy.warnings
    ), copy.warnings
    assert any(
        "past the 4000 bytes a copy may hold" in w and "and 3 more" in w for w in copy.warnings
    ), copy.warnings


# ------------------------------------------------------------ B4: special files, sizes


def test_a_fifo_manifest_does_not_hang_and_is_noted(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "prof")
    ext_id, ext_entry = install(profile_dir, "harmless/calculator")
    register(profile_dir, {ext_id: ext_entry})
    manifest = profile_dir / "Extensions" / ext_entry["path"] / "manifest.json"
    manifest.unlink()
    os.mkfifo(manifest)

    with reader_released(manifest) as released:
        source = locate_profile(profile_dir)

    assert released == []
    assert source.extensions == ()
    assert any("not a regular file" in w for w in source.warnings), source.warnings


@pytest.mark.parametrize("name", ["Local State", "Last Version"])
def test_a_fifo_local_state_or_last_version_does_not_hang(tmp_path: Path, name: str) -> None:
    make_profile(tmp_path / "udd", last_version=None)
    os.mkfifo(tmp_path / "udd" / name)

    with reader_released(tmp_path / "udd" / name) as released:
        source = locate_profile(tmp_path / "udd")
        snapshot_profile(source, tmp_path / "work" / "s")

    assert released == []
    assert any(w.startswith(f"{name} ignored: not a regular file") for w in source.warnings)


def test_last_version_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("999.0.0.1")
    make_profile(tmp_path / "udd", last_version=None)
    (tmp_path / "udd" / "Last Version").symlink_to(tmp_path / "elsewhere")

    source = locate_profile(tmp_path / "udd")  # was refused as "made by a newer browser"

    assert source.chromium_version is None
    assert any("Last Version ignored: a symbolic link" in w for w in source.warnings)


def test_profile_files_are_read_up_to_a_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probe.browsers.chromium.profile.reading, "MAX_JSON_BYTES", 1000)
    profile_dir = make_profile(tmp_path / "udd", {"padding": "p" * 2000})

    with pytest.raises(BadInput) as caught:
        locate_profile(tmp_path / "udd")

    assert str(caught.value) == f"cannot read {profile_dir / 'Preferences'}: larger than 1000 bytes"
    with pytest.raises(Unreadable, match="not a regular file"):
        read_regular(Path("/dev/zero"), 10)


# ------------------------------------------------------------ B5: damaged input


def test_a_deeply_nested_manifest_skips_the_extension_with_a_note(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "prof")
    ext_id, ext_entry = install(profile_dir, "harmless/calculator")
    register(profile_dir, {ext_id: ext_entry})
    manifest = profile_dir / "Extensions" / ext_entry["path"] / "manifest.json"
    manifest.write_text("[" * 200_000 + "]" * 200_000)

    source = locate_profile(profile_dir)

    assert source.extensions == ()
    assert any("is not valid JSON" in w for w in source.warnings), source.warnings


def test_deeply_nested_preferences_is_one_line_and_exit_2(tmp_path: Path, home: Path) -> None:
    profile_dir = make_profile(tmp_path / "udd")
    (profile_dir / "Preferences").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)

    message = one_error_line(invoke("browser", "--profile", str(profile_dir), home=home), 2)

    assert message == f"{profile_dir / 'Preferences'} is not valid JSON: the profile may be damaged"


def test_damaged_cookie_rows_are_skipped_with_a_note(tmp_path: Path) -> None:
    profile_dir = make_profile(tmp_path / "prof")
    with sqlite3.connect(profile_dir / "Cookies") as db:  # columns without types, like B5
        db.execute("CREATE TABLE cookies (name, host_key, path, encrypted_value)")
        db.execute("INSERT INTO cookies VALUES ('sid', 'portal.localhost', '/', X'763130')")
        db.execute("INSERT INTO cookies VALUES ('a', NULL, '/', NULL)")
        db.execute("INSERT INTO cookies VALUES (7, 'portal.localhost', '/', NULL)")
    db.close()

    copy = snapshot_profile(locate_profile(profile_dir), tmp_path / "work" / "s")

    assert [c.name for c in read_cookies(copy)] == ["sid"]
    assert [c.id for c in read_portal_cookies(copy, ["portal.localhost"])] == [
        "sid@portal.localhost"
    ]
    assert any(w.startswith("2 rows of the Cookies database are damaged") for w in copy.warnings)


def test_a_full_disk_while_copying_is_one_line_and_exit_3(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: CopyBudget, source: Path, dest: Path, limit: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dest))

    monkeypatch.setattr(CopyBudget, "_copy_bytes", disk_full)
    profile_dir = make_profile(tmp_path / "udd")
    (profile_dir / "Secure Preferences").write_text("{}")

    message = one_error_line(invoke("browser", "--profile", str(profile_dir), home=home), 3)

    assert message.startswith("no space left in ") and "TMPDIR" in message


def test_a_full_disk_while_preparing_a_run_is_no_space_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = snapshot_profile(locate_profile(make_profile(tmp_path / "udd")), tmp_path / "s")

    def disk_full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(NoSpaceLeft, match="no space left in "):
        prepare_run_dir(
            copy, tmp_path / "run", keep_cookies=True, keep_site_data=True, reset_settings=[]
        )


# ------------------------------------------------------------ Chromium start-up failures


def test_start_up_failures_say_their_cause() -> None:
    chromium = Path("/usr/lib/chromium/chromium")
    e2big = "BrowserType.launch_persistent_context: spawn E2BIG\nCall log:\n  - <launching> x"
    no_display = (
        "BrowserType.launch_persistent_context: Target page, context or browser has been closed\n"
        "Browser logs:\n\n║ Looks like you launched a headed browser without having a XServer running. ║"
    )
    timeout = "BrowserType.launch_persistent_context: Timeout 60000ms exceeded."
    crash = (
        "BrowserType.launch_persistent_context: Target page, context or browser has been closed\n"
        "Browser logs:\n[pid=1][err] [ERROR:bus.cc] Failed to connect to the bus\n"
        "[pid=1][err] [FATAL:zygote_host_impl_linux.cc] No usable sandbox!"
    )

    socket = (
        "BrowserType.launch_persistent_context: Target page, context or browser has been closed\n"
        "Browser logs:\n[pid=9][err] [FATAL:process_singleton_posix.cc:315] Socket path too "
        "long: /tmp/deep/org.chromium.Chromium.aTEOmN/SingletonSocket.\n"
        "[pid=9][err] [ERROR:file_io_posix.cc:145] open /sys/devices/system/cpu/cpu0: No such file"
    )
    silent_exit = (
        "BrowserType.launch_persistent_context: Target page, context or browser has been closed\n"
        "Call log:\n  - <launching> /usr/lib/chromium/chromium --disable-gpu-error-reporting\n"
        "  - [pid=7] <process did exit: exitCode=null, signal=SIGTRAP>"
    )

    def line(message: str, headed: bool = False) -> str:
        failure = launch_failure(message, executable=chromium, headed=headed, extensions=900)
        assert isinstance(failure, BrowserFailure) and "\n" not in str(failure)
        return str(failure)

    assert "E2BIG" in line(e2big) and "900 extension folders" in line(e2big)
    assert "--headed needs a display" in line(no_display, headed=True)
    assert "did not answer within 60 s" in line(timeout)
    assert "No usable sandbox!" in line(crash) and "connect to the bus" not in line(crash)
    assert "set TMPDIR to a shorter folder" in line(socket)
    assert line(silent_exit).endswith("(it stopped as it started, signal SIGTRAP)")


def test_the_browser_gets_a_home_of_its_own(tmp_path: Path) -> None:
    person = tmp_path / "person"
    person.mkdir()
    (person / ".Xauthority").write_text("cookie")
    base = {"HOME": str(person), "XDG_CONFIG_HOME": str(person / ".config"), "PROBE_PASSWORD": "pw"}

    env = browser_environment(tmp_path / "run" / "home", base)

    assert env["HOME"] == str(tmp_path / "run" / "home") and (tmp_path / "run" / "home").is_dir()
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        assert Path(str(env[name])).is_relative_to(tmp_path / "run" / "home"), name
    assert env["XAUTHORITY"] == str(person / ".Xauthority")  # headed windows still open
    assert "PROBE_PASSWORD" not in env


def test_a_temporary_folder_too_deep_for_chromiums_socket_is_swapped_for_a_short_one() -> None:
    # $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket must fit in 107 bytes.
    deep = "/tmp/" + "d" * 60
    fits = "/tmp/" + "s" * 55

    assert with_short_temporary({"TMPDIR": deep})["TMPDIR"] == "/tmp"
    assert with_short_temporary({"TMPDIR": fits})["TMPDIR"] == fits
    env = browser_environment(Path(deep) / "run" / "home", {"HOME": "/nowhere", "TMPDIR": deep})
    assert env["TMPDIR"] == "/tmp" and env["HOME"] == f"{deep}/run/home"
