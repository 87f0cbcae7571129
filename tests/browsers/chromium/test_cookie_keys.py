"""The key that decrypts a profile's cookies, on values encrypted here with the documented
schemes (hashlib's PBKDF2 and the cryptography package's AES, not probe's code), and the
Secret Service and KWallet on recorded D-Bus answers."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from probe.browsers.chromium.profile import locate_profile, snapshot_profile
from probe.browsers.chromium.profile.cookie_keys import (
    NO_COOKIE_KEYS,
    BusError,
    CookieKeys,
    FakeBus,
    KeyUnavailable,
    KWalletKey,
    MacKeychainKey,
    SecretServiceKey,
    WindowsKey,
)
from tests.helpers.profiles import make_profile

KEYRING_PASSWORD = b"kY3ringPassw0rd=="
VALUE = "Sesame-4c1d9e"


def _cbc(prefix: bytes, password: bytes, plaintext: bytes, iterations: int = 1) -> bytes:
    key = hashlib.pbkdf2_hmac("sha1", password, b"saltysalt", iterations, 16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(b" " * 16)).encryptor()
    return prefix + encryptor.update(padded) + encryptor.finalize()


def _plain(host: str, value: str = VALUE) -> bytes:  # Cookies version 24: host hash first
    return hashlib.sha256(host.encode()).digest() + value.encode()


def _basic_value(stored: bytes) -> str:
    """What probe's browser (fixed Linux key) reads from ``stored``, host hash dropped."""
    key = hashlib.pbkdf2_hmac("sha1", b"peanuts", b"saltysalt", 1, 16)
    assert stored.startswith(b"v10")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b" " * 16)).decryptor()
    padded = decryptor.update(stored[3:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(padded) + unpadder.finalize())[32:].decode()


def _profile(root: Path, values: list[tuple[str, bytes]], prefs: Any = None) -> Path:
    profile_dir = make_profile(root / "ud", prefs)
    with sqlite3.connect(profile_dir / "Cookies") as db:
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('version', '24')")
        db.execute(
            "CREATE TABLE cookies (name TEXT, host_key TEXT, path TEXT, encrypted_value BLOB)"
        )
        db.executemany(
            "INSERT INTO cookies VALUES (?, ?, '/', ?)",
            [(f"c{i}", host, v) for i, (host, v) in enumerate(values)],
        )
    db.close()
    return profile_dir


def _copied_values(copy_root: Path) -> list[bytes]:
    with sqlite3.connect(copy_root / "Default" / "Cookies") as db:
        rows = [r[0] for r in db.execute("SELECT encrypted_value FROM cookies ORDER BY name")]
    db.close()
    return rows


S, P = "org.freedesktop.secrets", "/org/freedesktop/secrets"
DBUS = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "NameHasOwner")
ITEM = "/org/freedesktop/secrets/collection/login/1"
SESSION = "/org/freedesktop/secrets/session/s1"


def _secret_service(unlocked: list[str], locked: list[str], password: bytes) -> FakeBus:
    """What gnome-keyring 42 answers (recorded with gdbus against a real daemon)."""
    return FakeBus(
        answers={
            DBUS: (True,),
            (S, P, "SearchItems"): (unlocked, locked),
            (S, P, "OpenSession"): (("s", ""), SESSION),
            (S, P, "GetSecrets"): ({i: (SESSION, b"", password, "text/plain") for i in unlocked},),
            (S, SESSION, "Close"): (),
        }
    )


def _keys(**kw: Any) -> CookieKeys:
    fields = {"keyring": (), "windows": NO_COOKIE_KEYS.windows, "macos": NO_COOKIE_KEYS.macos}
    return CookieKeys(**{**fields, **kw})


def test_keyring_values_are_reencrypted_for_probes_browser(tmp_path: Path) -> None:
    stored = _cbc(b"v11", KEYRING_PASSWORD, _plain("portal.localhost"))
    source = _profile(tmp_path, [("portal.localhost", stored), (".example.fr", stored)])
    bus = _secret_service([ITEM], [], KEYRING_PASSWORD)
    copy = snapshot_profile(
        locate_profile(source),
        tmp_path / "copy",
        keys=_keys(keyring=[SecretServiceKey(bus=lambda: bus)]),
    )
    first, second = _copied_values(tmp_path / "copy")
    assert _basic_value(first) == VALUE
    # Encrypted for another host (the host hash does not match): left, and said.
    assert second == stored
    (note,) = copy.notes
    assert note.kind == "cookies-undecryptable"
    assert dict(note.params)["hosts"] == "example.fr"
    methods = {method for _, method, _ in bus.calls}
    assert methods == {"NameHasOwner", "SearchItems", "OpenSession", "GetSecrets", "Close"}
    with sqlite3.connect(source / "Cookies") as db:  # the person's profile is untouched
        assert [r[0] for r in db.execute("SELECT encrypted_value FROM cookies")] == [stored] * 2
    db.close()


@pytest.mark.parametrize(
    ("bus", "why"),
    [
        (_secret_service([], [ITEM], KEYRING_PASSWORD), "locked"),
        (_secret_service([], [], KEYRING_PASSWORD), "no-secret"),
        (FakeBus(answers={}), "no-service"),
        # Not running: never started through D-Bus activation.
        (FakeBus(answers={DBUS: (False,), (S, P, "SearchItems"): ([ITEM], [])}), "no-service"),
    ],
)
def test_a_keyring_without_the_key_is_a_limitation(tmp_path: Path, bus: FakeBus, why: str) -> None:
    source = SecretServiceKey(bus=lambda: bus)
    assert source.ciphers() == KeyUnavailable(why)  # type: ignore[arg-type]
    stored = _cbc(b"v11", KEYRING_PASSWORD, _plain("portal.localhost"))
    profile = _profile(tmp_path, [("portal.localhost", stored)])
    copy = snapshot_profile(
        locate_profile(profile), tmp_path / "copy", keys=_keys(keyring=[source])
    )
    assert _copied_values(tmp_path / "copy") == [stored]
    assert [dict(n.params)["holder"] for n in copy.notes] == ["keyring"]
    assert {m for _, m, _ in bus.calls} <= {"NameHasOwner", "SearchItems"}


def test_no_session_bus_is_no_key() -> None:
    def no_bus() -> FakeBus:
        raise BusError("KeyError")

    assert SecretServiceKey(bus=no_bus).ciphers() == KeyUnavailable("no-service")
    assert KWalletKey(bus=no_bus).ciphers() == KeyUnavailable("no-service")


def test_a_wrong_keyring_password_leaves_the_values(tmp_path: Path) -> None:
    stored = _cbc(b"v11", KEYRING_PASSWORD, _plain("portal.localhost"))
    profile = _profile(tmp_path, [("portal.localhost", stored)])
    bus = _secret_service([ITEM], [], b"another password")
    keys = _keys(keyring=[SecretServiceKey(bus=lambda: bus)])
    copy = snapshot_profile(locate_profile(profile), tmp_path / "copy", keys=keys)
    assert _copied_values(tmp_path / "copy") == [stored]
    assert [n.kind for n in copy.notes] == ["cookies-undecryptable"]


K5, W5 = "org.kde.kwalletd5", "/modules/kwalletd5"


def _kwallet(is_open: bool) -> FakeBus:
    return FakeBus(
        answers={
            DBUS: (True,),
            (K5, W5, "networkWallet"): ("kdewallet",),
            (K5, W5, "isOpen"): (is_open,),
            (K5, W5, "open"): (7,),
            (K5, W5, "readPassword"): (KEYRING_PASSWORD.decode(),),
            (K5, W5, "close"): (0,),
        }
    )


def test_kwallet_gives_the_key_of_an_open_wallet(tmp_path: Path) -> None:
    bus = _kwallet(is_open=True)
    stored = _cbc(b"v11", KEYRING_PASSWORD, _plain("portal.localhost"))
    profile = _profile(tmp_path, [("portal.localhost", stored)])
    keys = _keys(keyring=[KWalletKey(bus=lambda: bus)])
    copy = snapshot_profile(locate_profile(profile), tmp_path / "copy", keys=keys)
    assert _basic_value(_copied_values(tmp_path / "copy")[0]) == VALUE
    assert not copy.notes
    assert (W5, "readPassword", (7, "Chromium Keys", "Chromium Safe Storage", "probe")) in bus.calls


def test_kwallet_never_opens_a_closed_wallet() -> None:
    bus = _kwallet(is_open=False)
    assert KWalletKey(bus=lambda: bus).ciphers() == KeyUnavailable("locked")
    # Asked, never opened.
    assert [m for path, m, _ in bus.calls if path == W5] == ["networkWallet", "isOpen"]


WINDOWS_KEY = bytes(range(32))
DPAPI_BLOB = b"\x01\x00\x00\x00recorded-dpapi-blob"


def _windows_profile(tmp_path: Path, values: list[tuple[str, bytes]]) -> Path:
    profile = _profile(tmp_path, values)
    wrapped = base64.b64encode(b"DPAPI" + DPAPI_BLOB).decode()
    (tmp_path / "ud" / "Local State").write_text(
        json.dumps({"os_crypt": {"encrypted_key": wrapped}})
    )
    return profile


def _gcm(plaintext: bytes) -> bytes:
    nonce = b"0123456789ab"
    return b"v10" + nonce + AESGCM(WINDOWS_KEY).encrypt(nonce, plaintext, None)


def _unprotect(blob: bytes) -> bytes:
    assert blob == DPAPI_BLOB
    return WINDOWS_KEY


def test_a_windows_profile_is_read_with_its_dpapi_key(tmp_path: Path) -> None:
    app_bound = b"v20" + b"\x00" * 40
    values = [
        ("portal.localhost", _gcm(_plain("portal.localhost"))),
        ("portal.localhost", app_bound),
    ]
    profile = _windows_profile(tmp_path, values)
    keys = _keys(windows=lambda local_state: WindowsKey(local_state, unprotect=_unprotect))
    copy = snapshot_profile(locate_profile(profile), tmp_path / "copy", keys=keys)
    first, second = _copied_values(tmp_path / "copy")
    assert _basic_value(first) == VALUE
    assert second == app_bound  # app-bound encryption stays a limitation
    assert [dict(n.params)["holder"] for n in copy.notes] == ["windows-app-bound"]


def test_a_windows_profile_elsewhere_is_a_limitation(tmp_path: Path) -> None:
    profile = _windows_profile(tmp_path, [("portal.localhost", _gcm(_plain("portal.localhost")))])
    source = WindowsKey(tmp_path / "ud" / "Local State", unprotect=None)
    assert source.ciphers() == KeyUnavailable("not-this-system")
    copy = snapshot_profile(locate_profile(profile), tmp_path / "copy", keys=_keys())
    assert [dict(n.params)["holder"] for n in copy.notes] == ["windows"]


def test_a_macos_profile_is_read_with_its_keychain_password(tmp_path: Path) -> None:
    stored = _cbc(b"v10", b"keychainpw", _plain("portal.localhost"), iterations=1003)
    prefs = {"savefile": {"default_directory": "/Users/marie"}}
    profile = _profile(tmp_path, [("portal.localhost", stored)], prefs)
    asked: list[tuple[str, str]] = []

    def keychain(service: str, account: str) -> str | None:
        asked.append((service, account))
        return "keychainpw" if service == "Chrome Safe Storage" else None

    copy = snapshot_profile(
        locate_profile(profile), tmp_path / "copy", keys=_keys(macos=MacKeychainKey(keychain))
    )
    assert _basic_value(_copied_values(tmp_path / "copy")[0]) == VALUE
    assert not copy.notes
    assert ("Chrome Safe Storage", "Chrome") in asked
    assert MacKeychainKey(password=None).ciphers() == KeyUnavailable("not-this-system")
