"""Chromium's cookie encryption, and re-encrypting a copy's cookies for probe's browser.

probe's Chromium runs with ``--password-store=basic``: it reads ``v10`` values encrypted
with Linux Chromium's fixed key (PBKDF2-HMAC-SHA1 of "peanuts", salt "saltysalt", one
iteration, 16 bytes; AES-128-CBC, IV of 16 spaces, PKCS#7) and drops every other value.
The person's browser may have used another key (``probe.browsers.chromium.profile.cookie_keys``):

- Linux ``v11``: the same scheme, the password from the desktop keyring;
- macOS ``v10``: the same scheme with 1003 iterations, the password from the Keychain;
- Windows ``v10``: AES-256-GCM with a key kept in Local State, wrapped by DPAPI
  (``v10`` + 12-byte nonce + ciphertext + 16-byte tag).

In a Cookies database whose ``meta`` version is 24 or more (Chromium 130+; Chromium 156
writes 24, measured), the plaintext starts with SHA-256 of the cookie's ``host_key``:
that tells a right key from a wrong one. ``reencrypt_cookies`` decrypts the copy's values
with the person's key and writes them back as ``v10`` with the fixed key. Plaintexts live
in memory only while they are re-encrypted; nothing here logs or raises with them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_SALT = b"saltysalt"
_IV = b" " * 16
# The first Cookies database version whose plaintexts start with SHA-256(host_key).
HOST_HASH_VERSION = 24


class CookieCipher(Protocol):
    """One key of a Chromium profile: turns a stored value of its prefix into plaintext."""

    @property
    def prefix(self) -> bytes:
        """b"v10" or b"v11"."""
        ...

    def decrypt(self, stored: bytes) -> bytes | None:
        """The plaintext of ``stored`` (prefix included), or None if this key does not fit."""
        ...


def cbc_key(password: bytes, iterations: int = 1) -> bytes:
    """The AES-128 key Chromium derives from ``password`` on Linux and macOS."""
    return hashlib.pbkdf2_hmac("sha1", password, _SALT, iterations, 16)


@dataclass(frozen=True)
class CbcCipher:
    """Linux (``v10`` fixed key, ``v11`` keyring) and macOS (``v10``, Keychain) values."""

    prefix: bytes
    key: bytes

    def decrypt(self, stored: bytes) -> bytes | None:
        body = stored[len(self.prefix) :]
        if not stored.startswith(self.prefix) or not body or len(body) % 16:
            return None
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(_IV)).decryptor()
        padded = decryptor.update(body) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        try:
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError:  # a wrong key leaves no valid padding (almost always)
            return None

    def encrypt(self, plaintext: bytes) -> bytes:
        padder = padding.PKCS7(128).padder()
        padded = padder.update(plaintext) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(_IV)).encryptor()
        return self.prefix + encryptor.update(padded) + encryptor.finalize()


@dataclass(frozen=True)
class GcmCipher:
    """Windows ``v10`` values: AES-256-GCM with the key DPAPI protects in Local State."""

    key: bytes
    prefix: bytes = b"v10"

    def decrypt(self, stored: bytes) -> bytes | None:
        body = stored[len(self.prefix) :]
        if not stored.startswith(self.prefix) or len(body) < 12 + 16:
            return None
        try:
            return AESGCM(self.key).decrypt(body[:12], body[12:], None)
        except InvalidTag:
            return None

    def encrypt(self, plaintext: bytes, nonce: bytes | None = None) -> bytes:
        nonce = nonce or os.urandom(12)
        return self.prefix + nonce + AESGCM(self.key).encrypt(nonce, plaintext, None)


# What probe's browser reads: Linux Chromium's fixed key.
BASIC = CbcCipher(prefix=b"v10", key=cbc_key(b"peanuts"))


@dataclass(frozen=True)
class Reencrypted:
    """What re-encrypting one prefix did: how many values now read, how many still not."""

    done: int = 0
    left: int = 0


def cookie_databases(profile_dir: Path) -> list[Path]:
    """The Cookies databases of a profile folder (Linux keeps it beside Preferences)."""
    found = [profile_dir / "Cookies", profile_dir / "Network" / "Cookies"]
    return [db for db in found if db.is_file() and not db.is_symlink()]


def stored_values(database: Path, prefix: bytes) -> list[tuple[str, bytes]]:
    """``(host_key, stored value)`` of the cookies of ``prefix``: what tells keys apart."""
    with _connect(database, readonly=True) as connection:
        return [
            (host, value)
            for host, value in connection.execute(
                "SELECT host_key, encrypted_value FROM cookies WHERE substr(encrypted_value, 1, 3) = ?",
                (prefix,),
            )
            if isinstance(host, str) and isinstance(value, bytes)
        ]


def host_hashed(database: Path) -> bool:
    """True when the database's plaintexts start with SHA-256 of the host (version >= 24)."""
    try:
        with _connect(database, readonly=True) as connection:
            row = connection.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    except sqlite3.Error:  # no meta table: older than any version that hashes
        return False
    try:
        return row is not None and int(row[0]) >= HOST_HASH_VERSION
    except (TypeError, ValueError):
        return False


def fits(cipher: CookieCipher, host: str, stored: bytes, hashed: bool) -> bool:
    """True when ``cipher`` decrypts ``stored`` into a plaintext of the cookie's host."""
    plaintext = cipher.decrypt(stored)
    if plaintext is None:
        return False
    if hashed:
        return plaintext[:32] == hashlib.sha256(host.encode()).digest()
    try:
        plaintext.decode()
    except UnicodeDecodeError:
        return False
    return True


def pick_cipher(database: Path, candidates: Sequence[CookieCipher]) -> CookieCipher | None:
    """The first candidate that decrypts the database's first value of its prefix."""
    hashed = host_hashed(database)
    for cipher in candidates:
        values = stored_values(database, cipher.prefix)
        if values and fits(cipher, *values[0], hashed):
            return cipher
    return None


def reencrypt_cookies(database: Path, cipher: CookieCipher) -> Reencrypted:
    """Write the values ``cipher`` reads in ``database`` (a private copy) back for probe's
    browser (``BASIC``); values it cannot read are left as they were."""
    hashed = host_hashed(database)
    done = left = 0
    with _connect(database, readonly=False) as connection:
        rows = connection.execute(
            "SELECT rowid, host_key, encrypted_value FROM cookies "
            "WHERE substr(encrypted_value, 1, 3) = ?",
            (cipher.prefix,),
        ).fetchall()
        for rowid, host, stored in rows:
            if not (isinstance(host, str) and isinstance(stored, bytes)):
                left += 1
                continue
            plaintext = cipher.decrypt(stored)
            if plaintext is None or (
                hashed and plaintext[:32] != hashlib.sha256(host.encode()).digest()
            ):
                left += 1
                continue
            connection.execute(
                "UPDATE cookies SET encrypted_value = ? WHERE rowid = ?",
                (BASIC.encrypt(plaintext), rowid),
            )
            done += 1
        connection.commit()
    return Reencrypted(done=done, left=left)


def _connect(database: Path, *, readonly: bool) -> contextlib.closing[sqlite3.Connection]:
    # The copy is private to this diagnosis: it may be written; the source never is.
    uri = database.absolute().as_uri() + ("?mode=ro" if readonly else "?mode=rw")
    return contextlib.closing(sqlite3.connect(uri, uri=True))
