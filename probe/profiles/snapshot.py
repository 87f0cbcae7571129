"""Copying a profile once, safely: never writing to the source, even while a browser uses it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from probe.errors import BadInput
from probe.profiles.reading import SourceProfile

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


def snapshot_profile(src: SourceProfile, dest_root: Path) -> SourceProfile:
    """Copy what a login can depend on from ``src`` into ``dest_root``, once.

    Nothing in the source is ever opened for writing, not even lock files, so this works
    on a read-only folder and while a browser uses the profile: files that change while
    being copied are copied again. Caches, history and saved passwords are left behind.
    Returns the profile as it is in the copy (extension paths inside it).
    """
    dest_root = dest_root.expanduser().absolute()
    if dest_root.is_relative_to(src.user_data_dir.absolute()):
        raise BadInput(f"{dest_root} is inside the profile it would copy")
    make_private_dir(dest_root)
    warnings = list(src.warnings)
    source_dir, copy_dir = src.profile_dir, dest_root / src.profile_name

    def files(names: Iterable[str], src_dir: Path, dst_dir: Path) -> _FilePairs:
        return [(src_dir / n, dst_dir / n) for n in names if (src_dir / n).is_file()]

    groups: list[tuple[str, Callable[[], _FilePairs]]] = [
        (
            "Local State",
            lambda: files(["Local State", "Last Version"], src.user_data_dir, dest_root),
        ),
        ("Preferences", lambda: files(PREFERENCE_FILES, source_dir, copy_dir)),
        ("Cookies", lambda: files(COOKIE_FILES, source_dir, copy_dir)),
    ]
    for name in (*SITE_DATA_DIRS, *EXTENSION_STATE_DIRS):
        groups.append((name, _tree_lister(source_dir / name, copy_dir / name)))
    extensions = []
    for ext in src.extensions:
        if ext.source == "webstore":
            new_path = copy_dir / ext.path.relative_to(source_dir)
        else:  # a folder elsewhere on disk: Chromium may write into it, so it is copied too
            new_path = dest_root / "Unpacked Extensions" / ext.id
        groups.append((f"extension {ext.name}", _tree_lister(ext.path, new_path)))
        extensions.append(replace(ext, path=new_path))
    copy_dir.mkdir(mode=0o700)
    for label, lister in groups:
        if not _copy_stable(lister):
            warnings.append(f"{label} kept changing while it was copied; the copy may be stale")
    _warn_unreadable_cookies(copy_dir, warnings)
    return replace(
        src, user_data_dir=dest_root, extensions=tuple(extensions), warnings=tuple(warnings)
    )


def _tree_lister(src_dir: Path, dst_dir: Path) -> Callable[[], _FilePairs]:
    def pairs() -> _FilePairs:
        found: _FilePairs = []
        for root, dirs, names in os.walk(src_dir):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            relative = Path(root).relative_to(src_dir)
            for name in sorted(names):
                if name not in _SKIPPED_NAMES and not name.startswith("Singleton"):
                    found.append((Path(root) / name, dst_dir / relative / name))
        return found

    return pairs


def _copy_stable(lister: Callable[[], _FilePairs]) -> bool:
    """Copy files until a pass sees none of them change; False if that never happened."""
    for attempt in range(_COPY_ATTEMPTS):
        pairs: _FilePairs = lister()
        before = _stats(p for p, _ in pairs)
        vanished = False
        for source, dest in pairs:
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                shutil.copyfile(source, dest)  # opens the source read-only
            except FileNotFoundError:
                vanished = True
                continue
            except OSError:
                continue  # sockets and other special files are nothing to copy
            os.chmod(dest, 0o600)  # the source may be read-only; the copy must not be
        if not vanished and before == _stats(p for p, _ in lister()):
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def _stats(paths: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    found = {}
    for path in paths:
        try:
            st = path.stat()
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
    encrypted_with: str  # "v10" (readable by probe), "v11" (system keyring) or "" (plain)


def read_cookies(profile: SourceProfile) -> list[CookieRef]:
    """The cookies in a profile's Cookies database (read a snapshot, not a live profile)."""
    database = profile.profile_dir / "Cookies"
    if not database.is_file():
        database = profile.profile_dir / "Network" / "Cookies"
    return _read_cookie_db(database)


def _read_cookie_db(database: Path) -> list[CookieRef]:
    if not database.is_file():
        return []
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
    return [
        CookieRef(name, host, path, prefix.decode() if prefix in (b"v10", b"v11") else "")
        for name, host, path, prefix in rows
    ]


def _warn_unreadable_cookies(profile_dir: Path, warnings: list[str]) -> None:
    try:
        cookies = _read_cookie_db(profile_dir / "Cookies")
        cookies += _read_cookie_db(profile_dir / "Network" / "Cookies")
    except BadInput:
        # Left in the copy, it would stop the inventory (which reads it) and the runs.
        for name in COOKIE_FILES:
            (profile_dir / name).unlink(missing_ok=True)
        warnings.append("the Cookies database could not be read; runs start without cookies")
        return
    locked = sum(1 for c in cookies if c.encrypted_with == "v11")
    if locked:
        warnings.append(
            f"{locked} cookies are encrypted with the desktop keyring; "
            "probe's browser cannot read them and behaves as if they were missing"
        )
