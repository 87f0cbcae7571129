"""A profile the real Chromium wrote in a real GNOME Keyring session (issue 22, item 1).

Each test starts its own D-Bus session with gnome-keyring-daemon (``tests/helpers/keyring.py``),
has Chromium 156 write ``v11`` cookies into a profile with ``--password-store=gnome-libsecret``,
then runs ``probe browser --profile`` inside that session (or outside it, where the key
cannot be read). What a plain browser showed, by hand: the person's Chromium with the
sixteen cookies gets HTTP 431 from the embedded portal; with one small cookie it logs in.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from probe.app.recipes.chromium import CookieSeed
from probe.app.scenarios import expected_culprits, load_scenario
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile.cookie_keys import KeyUnavailable, SecretServiceKey
from tests.helpers.keyring import keyring_session, write_keyring_profile

KEYRING_PASSWORD = "keyring-test-Passw0rd"
SCENARIO = load_scenario("sixteen-large-cookies")
# The v10 scenario's culprits: the keyring profile must get the same.
SIXTEEN = expected_culprits(SCENARIO) or frozenset()


def _probe(
    tmp_path: Path, profile: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    reports = tmp_path / "report"
    (tmp_path / "t").mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "probe", "browser", "--report-dir", str(reports)]
        + ["--profile", str(profile), "--user", SCENARIO.credentials.identifier],
        capture_output=True,
        text=True,
        env={
            **env,
            "PROBE_PASSWORD": SCENARIO.credentials.password,
            "TMPDIR": str(tmp_path / "t"),
            "COLUMNS": "200",
        },
        timeout=400,
        check=False,
    )
    report = json.loads((reports / "report.json").read_text()) if reports.is_dir() else {}
    return done, report


def _prefixes(profile: Path) -> set[bytes]:
    with sqlite3.connect(f"{(profile / 'Default' / 'Cookies').as_uri()}?mode=ro", uri=True) as db:
        found = {bytes(r[0][:3]) for r in db.execute("SELECT encrypted_value FROM cookies")}
    db.close()
    return found


def _files_with(root: Path, values: list[str]) -> list[str]:
    """Files under ``root`` (and inside its zip archives) holding one of ``values``."""
    needles = [v.encode() for v in values]
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data += [archive.read(name) for name in archive.namelist()]
        if any(n in d for n in needles for d in data):
            found.append(str(path))
    return found


def _keyring_files(home: Path) -> dict[str, bytes]:
    folder = home / ".local" / "share" / "keyrings"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _culprits(report: dict[str, object]) -> set[str]:
    verdict = report["verdict"]
    assert isinstance(verdict, dict)
    return {c["id"] for c in verdict["culprits"]}


def test_sixteen_large_keyring_cookies_are_named_like_the_v10_profiles(
    tmp_path: Path, probe_chromium: Chromium
) -> None:
    seeds = SCENARIO.profile.cookies
    home = tmp_path / "home"
    with keyring_session(home, KEYRING_PASSWORD) as env:
        profile = write_keyring_profile(tmp_path / "ud", probe_chromium, env, seeds)
        assert _prefixes(profile) == {b"v11"}  # the keyring's key, as on a GNOME desktop
        keyring_before = _keyring_files(home)
        done, report = _probe(tmp_path, profile, env)
        keyring_after = _keyring_files(home)

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    verdict = report["verdict"]
    assert isinstance(verdict, dict)
    assert (verdict["status"], verdict["factor"]) == ("blocked", "cookies")
    assert _culprits(report) == SIXTEEN and len(SIXTEEN) == 16
    assert report["limitations"] == []
    assert keyring_after == keyring_before  # read, never written
    values = [s.value() for s in seeds]
    assert _files_with(tmp_path, values) == []
    assert not any(v in done.stdout + done.stderr for v in values)


def test_a_healthy_keyring_profile_is_ok_in_one_run(
    tmp_path: Path, probe_chromium: Chromium
) -> None:
    seeds = [CookieSeed(name="preferences", domain="portal.localhost", size=40)]
    home = tmp_path / "home"
    with keyring_session(home, KEYRING_PASSWORD) as env:
        profile = write_keyring_profile(tmp_path / "ud", probe_chromium, env, seeds)
        keyring_before = _keyring_files(home)
        done, report = _probe(tmp_path, profile, env)
        keyring_after = _keyring_files(home)

    assert done.returncode == 0, done.stderr
    assert report["browser_runs"] == 1
    assert report["limitations"] == []
    assert keyring_after == keyring_before
    assert _files_with(tmp_path / "report", [seeds[0].value()]) == []


@pytest.mark.parametrize("seeds", [SCENARIO.profile.cookies], ids=["sixteen-large-cookies"])
def test_keyring_cookies_probe_cannot_read_are_not_access_works(
    tmp_path: Path, probe_chromium: Chromium, seeds: list[CookieSeed]
) -> None:
    with keyring_session(tmp_path / "home", KEYRING_PASSWORD) as env:
        profile = write_keyring_profile(tmp_path / "ud", probe_chromium, env, seeds)
    # Outside the session (its keyring is gone): the runs go without the sixteen cookies
    # and log in, but the person's browser sends them.
    outside = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    done, report = _probe(tmp_path, profile, outside)

    assert done.returncode == 3, done.stderr
    verdict = report["verdict"]
    assert isinstance(verdict, dict)
    assert (verdict["status"], verdict["factor"]) == ("inconclusive", "cookies")
    assert _culprits(report) == SIXTEEN and len(SIXTEEN) == 16
    assert "without the cookies stored for the portal that it could not read" in done.stdout
    assert [r["id"] for r in verdict["remedies"]][:1] == ["clear-cookies"]


def test_a_locked_keyring_is_a_limitation_not_a_prompt(
    tmp_path: Path, probe_chromium: Chromium, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with keyring_session(home, KEYRING_PASSWORD) as env:
        profile = write_keyring_profile(
            tmp_path / "ud", probe_chromium, env, SCENARIO.profile.cookies
        )
    keyring_before = _keyring_files(home)
    # The next session: the daemon loads the login keyring and nobody unlocks it.
    with keyring_session(home, None) as env:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", env["DBUS_SESSION_BUS_ADDRESS"])
        assert SecretServiceKey().ciphers() == KeyUnavailable("locked")
        done, report = _probe(tmp_path, profile, env)
    assert _keyring_files(home) == keyring_before

    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    verdict = report["verdict"]
    assert isinstance(verdict, dict)
    assert (verdict["status"], verdict["factor"]) == ("inconclusive", "cookies")
    assert _culprits(report) == SIXTEEN
    assert [lim["kind"] for lim in report["limitations"]] == ["cookies-undecryptable"]  # type: ignore[attr-defined]
