"""The certificate authorities the person's browser trusts, beyond the public ones.

A company's or a home network's CA is trusted where the person's browser reads trust:

- Linux Chromium: the person's NSS database, ``~/.pki/nssdb`` (``certutil -A -t "C,,"``
  adds one there). Every Chromium probe starts has a HOME of its own, so the database is
  copied into it (``copy_nss_database``), read-only: the person's is never opened for
  writing.
- Firefox: the profile's own ``cert9.db``, which the profile's copy keeps, and the
  ``security.enterprise_roots.enabled`` preference (the system's store), kept in
  ``prefs.js``.
- Windows and macOS: the system store (``SystemStore``, behind the same ``TrustStore``
  seam as the NSS database, with the platform's reader injected).

``person_trust()`` picks the store; its ``ca_certificates()`` are what probe's own checks
before the browsers (``probe.app.portal_choice``) trust besides the public CAs.
"""

from __future__ import annotations

import os
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

# The files of an NSS database in SQL format (what Chromium writes and reads).
NSS_FILES = ("cert9.db", "key4.db", "pkcs11.txt")
NSS_FOLDER = Path(".pki") / "nssdb"
# certutil answers in well under a second; a stuck one is not waited for.
CERTUTIL_TIMEOUT_S = 20


class TrustStore(Protocol):
    """Where the person's browser finds the CAs they added."""

    def ca_certificates(self) -> list[str]:
        """The CAs trusted for web sites, PEM-encoded (empty when there are none)."""
        ...


def copy_nss_database(home: Path, into_home: Path) -> bool:
    """Copy ``home``'s NSS database into ``into_home`` (the same place under it).

    Regular files only (a symbolic link is not followed); the copy is the browser's to
    write. False when ``home`` has none.
    """
    source = home / NSS_FOLDER
    try:
        if not stat.S_ISDIR(os.lstat(source).st_mode):
            return False
    except OSError:
        return False
    target = into_home / NSS_FOLDER
    copied = False
    for name in NSS_FILES:
        path = source / name
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(path, target / name, follow_symlinks=False)
        except OSError:
            continue
        copied = True
    return copied


class NssDatabase:
    """The CAs trusted for web sites in an NSS database, read from a private copy of it."""

    def __init__(self, home: Path, certutil: str | None = None) -> None:
        self.home = home
        self.certutil = certutil or shutil.which("certutil")

    def ca_certificates(self) -> list[str]:
        if self.certutil is None or not (self.home / NSS_FOLDER / "cert9.db").is_file():
            return []
        with tempfile.TemporaryDirectory(prefix="probe-nss-") as folder:
            if not copy_nss_database(self.home, Path(folder)):
                return []
            database = f"sql:{Path(folder) / NSS_FOLDER}"
            listing = self._certutil("-L", "-d", database)
            return [
                pem
                for name in trusted_for_sites(listing)
                if (pem := self._certutil("-L", "-a", "-d", database, "-n", name))
            ]

    def _certutil(self, *args: str) -> str:
        assert self.certutil is not None
        try:
            done = subprocess.run(
                [self.certutil, *args],
                capture_output=True,
                text=True,
                timeout=CERTUTIL_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout if done.returncode == 0 else ""


def trusted_for_sites(listing: str) -> list[str]:
    """The nicknames ``certutil -L`` lists as CAs trusted to issue web sites' certificates.

    The trust attributes are three fields (TLS, e-mail, code signing); ``C`` in the first
    is a CA trusted for TLS servers.

    >>> trusted_for_sites('''
    ... Certificate Nickname                                         Trust Attributes
    ...                                                              SSL,S/MIME,JAR/XPI
    ...
    ... Home CA                                                      C,,
    ... my client cert                                               u,u,u
    ... ''')
    ['Home CA']
    """
    names = []
    for line in listing.splitlines():
        name, _, flags = line.rstrip().rpartition(" ")
        fields = flags.split(",")
        if len(fields) == 3 and "C" in fields[0] and name.strip():
            names.append(name.strip())
    return names


class SystemStore:
    """The system's store (Windows, macOS): ``read`` returns its CAs, DER-encoded."""

    def __init__(self, read: Callable[[], Sequence[bytes]]) -> None:
        self.read = read

    def ca_certificates(self) -> list[str]:
        return list(dict.fromkeys(ssl.DER_cert_to_PEM_cert(der) for der in self.read()))


def _windows_roots() -> list[bytes]:  # pragma: no cover - Windows only
    found: list[bytes] = []
    for store in ("ROOT", "CA"):
        for der, encoding, usage in ssl.enum_certificates(store):  # type: ignore[attr-defined]
            if encoding == "x509_asn" and (usage is True or "1.3.6.1.5.5.7.3.1" in usage):
                found.append(der)
    return found


def _macos_roots() -> list[bytes]:  # pragma: no cover - macOS only
    keychains = [
        "/Library/Keychains/System.keychain",
        str(Path.home() / "Library/Keychains/login.keychain-db"),
    ]
    try:
        out = subprocess.run(
            ["security", "find-certificate", "-a", "-p", *keychains],
            capture_output=True,
            text=True,
            timeout=CERTUTIL_TIMEOUT_S,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    end = "-----END CERTIFICATE-----"
    return [ssl.PEM_cert_to_DER_cert(p + end) for p in out.split(end) if "BEGIN" in p]


def person_trust(platform: str = sys.platform, home: Path | None = None) -> TrustStore:
    """The store the person's browser reads trust from on ``platform``."""
    if platform == "win32":
        return SystemStore(_windows_roots)
    if platform == "darwin":
        return SystemStore(_macos_roots)
    return NssDatabase(home or Path(os.environ.get("HOME") or Path.home()))
