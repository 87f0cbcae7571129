"""The key that decrypts a profile's cookies: asked of the system that keeps it, read-only.

A ``CookieKeySource`` answers candidate ciphers (``cookie_crypto.CookieCipher``) or says
why it has none (``KeyUnavailable``). Nothing here creates, unlocks or changes a secret:
a locked keyring or a missing service is an answer, never a prompt or a crash.

- ``SecretServiceKey``: GNOME Keyring (or any Secret Service) over the D-Bus session bus:
  the items whose ``application`` attribute is "chromium" or "chrome" (what Chromium 156's
  libsecret store writes: label "Chromium Safe Storage", measured), ``v11``.
- ``KWalletKey``: KWallet 5/6 over D-Bus, folder "Chromium Keys" / "Chrome Keys", entry
  "Chromium Safe Storage" / "Chrome Safe Storage", read only from a wallet already open.
- ``WindowsKey``: ``os_crypt.encrypted_key`` of Local State, "DPAPI" + a DPAPI blob,
  unwrapped by ``CryptUnprotectData`` (Windows only), ``v10`` AES-GCM. The app-bound key
  of ``v20`` values cannot be unwrapped outside the browser: those stay a limitation.
- ``MacKeychainKey``: ``security find-generic-password -w`` for "Chrome Safe Storage"
  (macOS only), ``v10``, 1003 iterations.

D-Bus goes through ``Bus``, so the two bus clients are tested on recorded answers
(``FakeBus`` beside them).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from probe.browsers.chromium.profile.cookie_crypto import (
    CbcCipher,
    CookieCipher,
    GcmCipher,
    cbc_key,
)

Why = Literal["no-service", "locked", "no-secret", "not-this-system", "refused"]


@dataclass(frozen=True)
class KeyUnavailable:
    """Why a source has no key: the reason is a word, never a secret."""

    why: Why


class CookieKeySource(Protocol):
    """Where the key of one kind of a profile's cookie values is kept."""

    def ciphers(self) -> Sequence[CookieCipher] | KeyUnavailable:
        """Candidate ciphers (the caller keeps the one that fits), or why there is none."""
        ...


class BusError(Exception):
    """A D-Bus call failed (no bus, no such service, an error reply)."""


class Bus(Protocol):
    """A D-Bus connection, reduced to the method calls the key sources make."""

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str = "",
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]: ...


class SessionBus:
    """The session bus of this process (``DBUS_SESSION_BUS_ADDRESS``), through jeepney."""

    def __init__(self, timeout: float = 5.0) -> None:
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

        try:
            self._connection = open_dbus_connection(bus="SESSION")
        except (OSError, KeyError, ValueError) as exc:
            raise BusError(type(exc).__name__) from None
        self._timeout = timeout

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str = "",
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        from jeepney import (  # type: ignore[import-untyped]
            DBusAddress,
            MessageType,
            new_method_call,
        )

        address = DBusAddress(path, bus_name=destination, interface=interface)
        message = new_method_call(address, method, signature or None, body)
        try:
            reply = self._connection.send_and_get_reply(message, timeout=self._timeout)
        except (OSError, TimeoutError) as exc:
            raise BusError(type(exc).__name__) from None
        if reply.header.message_type == MessageType.error:
            raise BusError(str(reply.header.fields.get(4, "error")))  # 4: ERROR_NAME
        return tuple(reply.body)

    def close(self) -> None:
        self._connection.close()


@dataclass
class FakeBus:
    """Recorded answers, by ``(destination, path, method)``; calls are kept to be checked."""

    answers: Mapping[tuple[str, str, str], tuple[Any, ...] | BusError]
    calls: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str = "",
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        self.calls.append((path, method, body))
        answer = self.answers.get((destination, path, method), BusError("UnknownMethod"))
        if isinstance(answer, BusError):
            raise answer
        return answer


def running(bus: Bus, name: str) -> bool:
    """True when ``name`` has an owner on the bus. Asked first so that a call never makes
    D-Bus start a keyring daemon that was not running (which could create a keyring)."""
    (owned,) = bus.call(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "NameHasOwner",
        "s",
        (name,),
    )
    return bool(owned)


# Which applications' secrets a Chromium-family browser keeps (libsecret's "application").
APPLICATIONS = ("chromium", "chrome")
_SECRETS = "org.freedesktop.secrets"
_SERVICE_PATH = "/org/freedesktop/secrets"
_SERVICE = "org.freedesktop.Secret.Service"


@dataclass
class SecretServiceKey:
    """The ``v11`` password from the Secret Service (GNOME Keyring), read-only."""

    bus: Callable[[], Bus] = SessionBus

    def ciphers(self) -> Sequence[CookieCipher] | KeyUnavailable:
        try:
            bus = self.bus()
        except BusError:
            return KeyUnavailable("no-service")
        try:
            return self._read(bus)
        except BusError:
            return KeyUnavailable("no-service")
        finally:
            close = getattr(bus, "close", None)
            if close is not None:
                close()

    def _read(self, bus: Bus) -> Sequence[CookieCipher] | KeyUnavailable:
        if not running(bus, _SECRETS):
            return KeyUnavailable("no-service")
        unlocked: list[str] = []
        locked: list[str] = []
        for application in APPLICATIONS:
            found = bus.call(
                _SECRETS,
                _SERVICE_PATH,
                _SERVICE,
                "SearchItems",
                "a{ss}",
                ({"application": application},),
            )
            unlocked += found[0]
            locked += found[1]
        if not unlocked:
            return KeyUnavailable("locked" if locked else "no-secret")
        # "plain": the secret comes over the private session bus as it is; no Unlock, no
        # Create: nothing in the keyring changes.
        _, session = bus.call(
            _SECRETS, _SERVICE_PATH, _SERVICE, "OpenSession", "sv", ("plain", ("s", ""))
        )
        try:
            secrets = bus.call(
                _SECRETS, _SERVICE_PATH, _SERVICE, "GetSecrets", "aoo", (unlocked, session)
            )[0]
        finally:
            bus.call(_SECRETS, session, "org.freedesktop.Secret.Session", "Close")
        return [
            CbcCipher(prefix=b"v11", key=cbc_key(bytes(secrets[item][2])))
            for item in unlocked
            if item in secrets
        ]


_KWALLETS = (
    ("org.kde.kwalletd6", "/modules/kwalletd6"),
    ("org.kde.kwalletd5", "/modules/kwalletd5"),
)
_KWALLET = "org.kde.KWallet"
_KWALLET_ENTRIES = (
    ("Chromium Keys", "Chromium Safe Storage"),
    ("Chrome Keys", "Chrome Safe Storage"),
)
_APP_ID = "probe"


@dataclass
class KWalletKey:
    """The ``v11`` password from KWallet, read only from a wallet the person has open."""

    bus: Callable[[], Bus] = SessionBus

    def ciphers(self) -> Sequence[CookieCipher] | KeyUnavailable:
        try:
            bus = self.bus()
        except BusError:
            return KeyUnavailable("no-service")
        why: Why = "no-service"
        try:
            for destination, path in _KWALLETS:
                try:
                    found = self._read(bus, destination, path)
                except BusError:
                    continue
                if not isinstance(found, KeyUnavailable):
                    return found
                why = found.why
            return KeyUnavailable(why)
        finally:
            close = getattr(bus, "close", None)
            if close is not None:
                close()

    def _read(
        self, bus: Bus, destination: str, path: str
    ) -> Sequence[CookieCipher] | KeyUnavailable:
        if not running(bus, destination):
            return KeyUnavailable("no-service")
        (wallet,) = bus.call(destination, path, _KWALLET, "networkWallet")
        # Opening a closed wallet would ask the person for its password: not done.
        (is_open,) = bus.call(destination, path, _KWALLET, "isOpen", "s", (wallet,))
        if not is_open:
            return KeyUnavailable("locked")
        (handle,) = bus.call(destination, path, _KWALLET, "open", "sxs", (wallet, 0, _APP_ID))
        if handle < 0:
            return KeyUnavailable("refused")
        try:
            passwords = []
            for folder, entry in _KWALLET_ENTRIES:
                (password,) = bus.call(
                    destination,
                    path,
                    _KWALLET,
                    "readPassword",
                    "isss",
                    (handle, folder, entry, _APP_ID),
                )
                if password:
                    passwords.append(password)
        finally:
            bus.call(destination, path, _KWALLET, "close", "ibs", (handle, False, _APP_ID))
        if not passwords:
            return KeyUnavailable("no-secret")
        return [CbcCipher(prefix=b"v11", key=cbc_key(p.encode())) for p in passwords]


def _crypt_unprotect(blob: bytes) -> bytes:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    class Blob(ctypes.Structure):
        _fields_ = [("cbData", wintypes.DWORD), ("pbData", ctypes.POINTER(ctypes.c_char))]

    buffer = ctypes.create_string_buffer(blob, len(blob))
    source, out = Blob(len(blob), buffer), Blob()
    windll = ctypes.windll  # type: ignore[attr-defined]
    if not windll.crypt32.CryptUnprotectData(
        ctypes.byref(source), None, None, None, None, 0, ctypes.byref(out)
    ):
        raise OSError("CryptUnprotectData failed")
    try:
        return ctypes.string_at(out.pbData, out.cbData)
    finally:
        windll.kernel32.LocalFree(out.pbData)


@dataclass
class WindowsKey:
    """The ``v10`` AES-GCM key of a Windows profile, unwrapped by DPAPI (Windows only)."""

    local_state: Path
    unprotect: Callable[[bytes], bytes] | None = (
        _crypt_unprotect if sys.platform == "win32" else None
    )

    def ciphers(self) -> Sequence[CookieCipher] | KeyUnavailable:
        try:
            state = json.loads(self.local_state.read_text(encoding="utf-8"))
            wrapped = base64.b64decode(state["os_crypt"]["encrypted_key"], validate=True)
        except (OSError, ValueError, KeyError, TypeError):
            return KeyUnavailable("no-secret")
        if not wrapped.startswith(b"DPAPI"):
            return KeyUnavailable("no-secret")
        if self.unprotect is None:
            # DPAPI unwraps only for the Windows account that wrapped it.
            return KeyUnavailable("not-this-system")
        try:
            key = self.unprotect(wrapped[len(b"DPAPI") :])
        except OSError:
            return KeyUnavailable("refused")
        return [GcmCipher(key=key)]


def _keychain_password(service: str, account: str) -> str | None:  # pragma: no cover
    done = subprocess.run(
        ["security", "find-generic-password", "-w", "-s", service, "-a", account],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


_KEYCHAIN_ITEMS = (
    ("Chrome Safe Storage", "Chrome"),
    ("Chromium Safe Storage", "Chromium"),
    ("Microsoft Edge Safe Storage", "Microsoft Edge"),
    ("Brave Safe Storage", "Brave"),
)
MAC_ITERATIONS = 1003


@dataclass
class MacKeychainKey:
    """The ``v10`` password of a macOS profile, from the login Keychain (macOS only)."""

    password: Callable[[str, str], str | None] | None = (
        _keychain_password if sys.platform == "darwin" else None
    )

    def ciphers(self) -> Sequence[CookieCipher] | KeyUnavailable:
        if self.password is None:
            return KeyUnavailable("not-this-system")
        found = [self.password(service, account) for service, account in _KEYCHAIN_ITEMS]
        passwords = [p for p in found if p]
        if not passwords:
            return KeyUnavailable("no-secret")
        return [
            CbcCipher(prefix=b"v10", key=cbc_key(p.encode(), MAC_ITERATIONS)) for p in passwords
        ]


@dataclass(frozen=True)
class CookieKeys:
    """Which sources a snapshot asks, by who holds the key (``snapshot.KeyHolder``)."""

    keyring: Sequence[CookieKeySource]
    windows: Callable[[Path], CookieKeySource]
    macos: CookieKeySource


def system_cookie_keys() -> CookieKeys:
    """The sources of the machine probe runs on."""
    return CookieKeys(
        keyring=(SecretServiceKey(), KWalletKey()),
        windows=lambda local_state: WindowsKey(local_state),
        macos=MacKeychainKey(),
    )


NO_COOKIE_KEYS = CookieKeys(
    keyring=(), windows=lambda _: MacKeychainKey(password=None), macos=MacKeychainKey(None)
)
