"""Copying a profile once, safely: never writing to the source, even while a browser uses it."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from probe._util.files import (
    CopyBudget,
    CopyLimits,
    Notes,
    has_parent_step,
    inside,
    plain_name,
    shown,
    tree_files,
)
from probe.browsers.chromium.profile.cookie_crypto import (
    cookie_databases,
    pick_cipher,
    reencrypt_cookies,
)
from probe.browsers.chromium.profile.cookie_keys import (
    CookieKeys,
    CookieKeySource,
    KeyUnavailable,
    system_cookie_keys,
)
from probe.browsers.chromium.profile.reading import Extension, SourceProfile, dig, load_json
from probe.errors import BadInput
from probe.models import cookie_component

# What a snapshot keeps of a profile folder: what a login can depend on, nothing else
# (no history, saved passwords, caches). Files are copied with their SQLite journals.
PREFERENCE_FILES = ("Preferences", "Secure Preferences")
# Chrome on Windows keeps them in "Network/"; Chromium on Linux next to Preferences.
COOKIE_FILES = tuple(
    f"{folder}{name}"
    for folder in ("", "Network/")
    for name in ("Cookies", "Cookies-journal", "Cookies-wal")
)
SITE_DATA_DIRS = (
    "Local Storage",
    "IndexedDB",
    "Service Worker",  # includes CacheStorage and the workers' scripts
    "Session Storage",
    "WebStorage",  # the quota database and storage buckets
    "Shared Storage",
    "File System",
)
# An extension's own state (its storage, dynamic blocking rules) belongs with it.
EXTENSION_STATE_DIRS = (
    "Local Extension Settings",
    "Sync Extension Settings",
    "Managed Extension Settings",
    "Extension State",
    "Extension Rules",
    "Extension Scripts",
    "DNR Extension Rules",
)
# Inside kept folders: lock files belong to the browser that holds them.
_SKIPPED_NAMES = {"LOCK", "lockfile"}
_COPY_ATTEMPTS = 4

_FilePairs = list[tuple[Path, Path]]  # (source file, destination file)
# A labelled part of the copy, listed afresh each time it is copied again.
_Group = tuple[str, Callable[[], _FilePairs]]


def snapshot_profile(
    src: SourceProfile,
    dest_root: Path,
    *,
    limits: CopyLimits | None = None,
    keys: CookieKeys | None = None,
) -> SourceProfile:
    """Copy what a login can depend on from ``src`` into ``dest_root``, once.

    Nothing in the source is ever opened for writing, not even lock files, so this works
    on a read-only folder and while a browser uses the profile: files that change while
    being copied are copied again. Caches, history and saved passwords are left behind.
    Only regular files are copied, links are never followed, nothing is written outside
    ``dest_root`` and at most ``limits`` bytes are copied; what is skipped is noted in the
    returned profile's ``warnings``. Cookie values encrypted with a key the system lets
    this user read (``keys``, by default this machine's keyring, DPAPI or Keychain) are
    re-encrypted in the copy for probe's browser; the others are noted. Raises ``NoSpaceLeft`` when the disk fills up.
    Returns the profile as it is in the copy (extension paths inside it).
    """
    dest_root = dest_root.expanduser().absolute()
    if dest_root.is_relative_to(src.user_data_dir.absolute()):
        raise BadInput(f"{dest_root} is inside the profile it would copy")
    make_private_dir(dest_root)
    warnings = Notes(src.notes)
    for text in src.warnings:  # a profile made without notes keeps its warnings too
        if text not in warnings.texts():
            warnings.add("profile-note", text, detail=text)
    copy_dir = dest_root / src.profile_name
    if not plain_name(src.profile_name):
        raise BadInput(f"{src.profile_name!r} is not a profile folder name")
    budget = CopyBudget(dest_root, limits or CopyLimits(), source=src.user_data_dir)
    groups = _profile_groups(src, dest_root, copy_dir)
    copied = _extension_groups(src, dest_root, copy_dir, groups, warnings)
    copy_dir.mkdir(mode=0o700)
    for label, lister in groups:
        if not _copy_stable(lister, budget):
            warnings.add(
                "copy-changing",
                f"{label} kept changing while it was copied; the copy may be stale",
                what=label,
            )
    extensions = _copied_extensions(copied, warnings)
    for note in budget.notes():
        warnings.add("files-not-copied", note, detail=note)
    holder = _cookie_key_holder(dest_root, copy_dir)
    holder = _reencrypt(dest_root, copy_dir, holder, keys or system_cookie_keys())
    _warn_unreadable_cookies(copy_dir, holder, warnings)
    return replace(
        src,
        user_data_dir=dest_root,
        extensions=tuple(extensions),
        warnings=warnings.texts(),
        notes=tuple(warnings),
    )


def _profile_groups(src: SourceProfile, dest_root: Path, copy_dir: Path) -> list[_Group]:
    """What is copied of the profile itself, in groups each copied until it holds still."""
    source_dir = src.profile_dir

    def files(names: Iterable[str], src_dir: Path, dst_dir: Path) -> _FilePairs:
        return [(src_dir / n, dst_dir / n) for n in names if os.path.lexists(src_dir / n)]

    groups: list[_Group] = [
        (
            "Local State",
            lambda: files(["Local State", "Last Version"], src.user_data_dir, dest_root),
        ),
        ("Preferences", lambda: files(PREFERENCE_FILES, source_dir, copy_dir)),
        ("Cookies", lambda: files(COOKIE_FILES, source_dir, copy_dir)),
    ]
    for name in (*SITE_DATA_DIRS, *EXTENSION_STATE_DIRS):
        groups.append((name, _tree_lister(source_dir / name, copy_dir / name)))
    return groups


def _extension_groups(
    src: SourceProfile, dest_root: Path, copy_dir: Path, groups: list[_Group], warnings: Notes
) -> list[tuple[Extension, Extension]]:
    """Adds each extension's folder to ``groups``; returns (extension, its copy) pairs."""
    copied: list[tuple[Extension, Extension]] = []
    for ext in src.extensions:
        new_path = _extension_copy_path(ext, src.profile_dir, copy_dir, dest_root)
        if new_path is None:
            warnings.add(
                "extension-skipped",
                f"extension {ext.id} skipped: its folder is not a safe path",
                name=ext.name,
            )
            continue
        # A folder the person chose elsewhere may be reached through a link of theirs;
        # inside it, as inside the profile, no link is followed.
        tree = ext.path.resolve() if ext.source == "unpacked" else ext.path
        groups.append((f"extension {ext.name}", _tree_lister(tree, new_path)))
        copied.append((ext, replace(ext, path=new_path)))
    return copied


def _copied_extensions(
    copied: list[tuple[Extension, Extension]], warnings: Notes
) -> list[Extension]:
    """The copies whose manifest made it; the others are noted."""
    extensions = []
    for ext, copy in copied:
        if (copy.path / "manifest.json").is_file():
            extensions.append(copy)
        else:
            warnings.add(
                "extension-skipped",
                f"extension {shown(ext.name)} ({ext.id}) skipped: its manifest was not copied",
                name=ext.name,
            )
    return extensions


def _extension_copy_path(
    ext: Extension, source_dir: Path, copy_dir: Path, dest_root: Path
) -> Path | None:
    """Where the copy of ``ext`` goes, or None if that would not stay inside ``dest_root``."""
    if ext.source == "webstore":
        if not ext.path.is_relative_to(source_dir) or has_parent_step(str(ext.path)):
            return None
        new_path = copy_dir / ext.path.relative_to(source_dir)
    else:  # a folder elsewhere on disk: Chromium may write into it, so it is copied too
        new_path = dest_root / "Unpacked Extensions" / ext.id
    if new_path == dest_root or not inside(new_path, dest_root):
        return None
    return new_path


def _tree_lister(src_dir: Path, dst_dir: Path) -> Callable[[], _FilePairs]:
    def pairs() -> _FilePairs:
        return tree_files(src_dir, dst_dir, _SKIPPED_NAMES)

    return pairs


def _copy_stable(lister: Callable[[], _FilePairs], budget: CopyBudget) -> bool:
    """Copy files until a pass sees none of them change; False if that never happened."""
    for attempt in range(_COPY_ATTEMPTS):
        pairs: _FilePairs = lister()
        before = _stats(p for p, _ in pairs)
        vanished = False
        for source, dest in pairs:
            if not budget.copy(source, dest):  # opens the source read-only
                vanished = True
        if not vanished and before == _stats(p for p, _ in lister()):
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def _stats(paths: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    found = {}
    for path in paths:
        try:
            st = path.lstat()
        except OSError:
            continue
        found[path] = (st.st_size, st.st_mtime_ns)
    return found


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise BadInput(f"{path} is not empty")
    os.chmod(path, 0o700)


@dataclass(frozen=True)
class CookieRef:
    """A cookie a profile holds, named but never valued."""

    name: str
    domain: str  # host_key, e.g. "portal.localhost" or ".example.fr"
    path: str
    # How its value is stored: "" (plain), "v10" (Chromium's own key on Linux, readable
    # by probe's browser; on Windows and macOS a key held by the system), "v11" (the
    # desktop keyring), "v20" (Windows app-bound encryption), "other" (older DPAPI blobs).
    encrypted_with: str


# What holds the key of the source browser's cookies, when probe's browser cannot have it.
KeyHolder = Literal["keyring", "windows", "windows-app-bound", "macos"]


def read_cookies(profile: SourceProfile) -> list[CookieRef]:
    """The cookies in a profile's Cookies database (read a snapshot, not a live profile).

    Damaged rows (no host, a name that is not text) are left out.
    """
    database = profile.profile_dir / "Cookies"
    if not database.is_file():
        database = profile.profile_dir / "Network" / "Cookies"
    return _read_cookie_db(database)[0]


def _read_cookie_db(database: Path) -> tuple[list[CookieRef], int]:
    """The cookies of a database, and how many damaged rows were left out."""
    if not database.is_file() or database.is_symlink():
        return [], 0
    # immutable=1: SQLite creates no journal or lock file next to the database.
    uri = f"{database.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        try:
            rows = connection.execute(
                "SELECT name, host_key, path, substr(encrypted_value, 1, 3) FROM cookies"
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BadInput(f"{database} is not a readable cookie database ({exc})") from exc
    found = [
        CookieRef(name, host, path, _scheme(prefix))
        for name, host, path, prefix in rows
        if isinstance(name, str) and isinstance(host, str) and host and isinstance(path, str)
    ]
    return found, len(rows) - len(found)


def _scheme(prefix: object) -> str:
    if not prefix:
        return ""
    if isinstance(prefix, bytes) and prefix in (b"v10", b"v11", b"v20"):
        return prefix.decode()
    return "other"


def _cookie_key_holder(user_data_dir: Path, profile_dir: Path) -> KeyHolder | None:
    """Who holds the key of ``v10`` cookies, when it is not Chromium's fixed Linux key.

    Chromium on Linux encrypts ``v10`` values with a fixed key (readable by probe's
    browser, which runs with ``--password-store=basic``). The same prefix on Windows means
    a key protected by DPAPI (``os_crypt.encrypted_key`` in Local State), on macOS a key
    in the Keychain; a profile copied from there is recognised by its Local State and by
    the folders its Preferences remember (``C:\\...``, ``/Users/...``).
    """
    local_state = _json_or_empty(user_data_dir / "Local State")
    os_crypt = local_state.get("os_crypt")
    if isinstance(os_crypt, dict) and (
        "encrypted_key" in os_crypt or "app_bound_encrypted_key" in os_crypt
    ):
        return "windows"
    prefs = _json_or_empty(profile_dir / "Preferences")
    for section, key in (
        ("download", "default_directory"),
        ("savefile", "default_directory"),
        ("selectfile", "last_directory"),
    ):
        folder = dig(prefs, section, key)
        if isinstance(folder, str):
            if re.match(r"[A-Za-z]:[\\/]", folder) or folder.startswith("\\\\"):
                return "windows"
            if folder.startswith("/Users/"):
                return "macos"
    return None


def _reencrypt(
    user_data_dir: Path, profile_dir: Path, v10_holder: KeyHolder | None, keys: CookieKeys
) -> KeyHolder | None:
    """Re-encrypt the copy's values whose key the system gives; who still holds ``v10``'s.

    Linux ``v11`` values need the desktop keyring; ``v10`` values of a Windows or macOS
    profile need DPAPI or the Keychain. A source is asked only when such values exist.
    """
    wanted: list[tuple[bytes, Sequence[CookieKeySource]]] = [(b"v11", keys.keyring)]
    if v10_holder == "windows":
        wanted.append((b"v10", [keys.windows(user_data_dir / "Local State")]))
    elif v10_holder == "macos":
        wanted.append((b"v10", [keys.macos]))
    for database in cookie_databases(profile_dir):
        try:
            present = {p for p, _ in wanted if _holds(database, p)}
        except sqlite3.Error:
            continue  # noted as unreadable by _warn_unreadable_cookies
        for prefix, sources in wanted:
            if prefix not in present:
                continue
            try:
                left = _reencrypt_with(database, sources)
            except sqlite3.Error:
                continue
            if prefix == b"v10" and left == 0:
                v10_holder = None
    return v10_holder


def _holds(database: Path, prefix: bytes) -> bool:
    uri = f"{database.absolute().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    try:
        row = connection.execute(
            "SELECT 1 FROM cookies WHERE substr(encrypted_value, 1, 3) = ? LIMIT 1", (prefix,)
        ).fetchone()
    finally:
        connection.close()
    return row is not None


def _reencrypt_with(database: Path, sources: Sequence[CookieKeySource]) -> int | None:
    """How many values are left unreadable after trying ``sources``; None: no key at all."""
    for source in sources:
        ciphers = source.ciphers()
        if isinstance(ciphers, KeyUnavailable):
            continue
        cipher = pick_cipher(database, ciphers)
        if cipher is not None:
            return reencrypt_cookies(database, cipher).left
    return None


def _json_or_empty(path: Path) -> dict[str, Any]:
    try:
        return load_json(path)
    except BadInput:
        return {}


def _warn_unreadable_cookies(
    profile_dir: Path, v10_holder: KeyHolder | None, warnings: Notes
) -> None:
    try:
        cookies, damaged = _read_cookie_db(profile_dir / "Cookies")
        more, more_damaged = _read_cookie_db(profile_dir / "Network" / "Cookies")
        cookies, damaged = cookies + more, damaged + more_damaged
    except BadInput:
        # Left in the copy, it would stop the inventory (which reads it) and the runs.
        for name in COOKIE_FILES:
            (profile_dir / name).unlink(missing_ok=True)
        warnings.add(
            "cookies-unreadable",
            "the Cookies database could not be read; runs start without cookies",
            count="all",
        )
        return
    if damaged:
        warnings.add(
            "cookies-unreadable",
            f"{damaged} rows of the Cookies database are damaged (no host or no name); "
            "they are ignored",
            count=damaged,
        )
    holders: dict[str, KeyHolder | None] = {
        "v10": v10_holder,
        "v11": "keyring",
        "v20": "windows-app-bound",
        "other": "windows",
    }
    by_holder: dict[KeyHolder, list[CookieRef]] = {}
    for cookie in cookies:
        holder = holders.get(cookie.encrypted_with)
        if holder is not None:
            by_holder.setdefault(holder, []).append(cookie)
    for holder, locked in by_holder.items():
        hosts = sorted({c.domain.lstrip(".") for c in locked})
        listed = ", ".join(hosts[:_SHOWN_HOSTS]) + (
            f" and {len(hosts) - _SHOWN_HOSTS} more" if len(hosts) > _SHOWN_HOSTS else ""
        )
        warnings.add(
            "cookies-undecryptable",
            f"{len(locked)} cookies ({listed}) are encrypted with a key held by "
            f"{_HOLDER_NAMES[holder]}; probe's browser cannot read them and drops them with "
            "the other cookies of the same sites (measured in Chromium 156)",
            count=len(locked),
            hosts=" ".join(hosts),
            listed=listed,
            holder=holder,
            # Names only, never values: the verdict names the portal's among them.
            cookies=" ".join(
                cookie_component(c.name, c.domain).id for c in locked[:_LISTED_COOKIES]
            ),
        )


_SHOWN_HOSTS = 3
_LISTED_COOKIES = 500
_HOLDER_NAMES: dict[KeyHolder, str] = {
    "keyring": "the desktop keyring (GNOME Keyring or KWallet)",
    "windows": "Windows (DPAPI)",
    "windows-app-bound": "Windows (app-bound encryption)",
    "macos": "the macOS Keychain",
}
