"""A person's browser profile: reading it, copying it safely, and making run folders from it.

``locate_profile`` reads a Chromium/Chrome user-data-dir (or one profile folder in it)
without changing anything: the extensions installed, and the settings that can stop a
login. ``snapshot_profile`` copies the parts that matter for logging in once into a
private folder, never writing to the source, even while a browser is using it.
``prepare_run_dir`` then makes, for each browser run, a user-data-dir from that copy
with or without cookies, site data and settings.

What the settings mean, measured in Debian's Chromium 156 (``tests/test_settings_effects.py``):

- ``javascript``: ``profile.default_content_setting_values.javascript == 2``; no script runs.
- ``cookies``: ``profile.default_content_setting_values.cookies == 2``; neither
  ``Set-Cookie`` nor ``document.cookie`` keeps anything.
- ``third-party-cookies``: ``profile.cookie_controls_mode == 1``; a cookie set inside a
  cross-site iframe is neither kept nor sent. Upstream Chromium's default is 2 (block in
  private windows only), but Debian's Chromium defaults to 1, so a Debian profile without
  the preference blocks them too: that is the browser's default, not a setting of the
  person, and is not reported. Resetting this setting therefore *writes* 2 (upstream's
  default) instead of removing the preference, so the reset means the same everywhere.
  The old ``profile.block_third_party_cookies`` preference is ignored by Chromium 156
  (``true`` next to mode 0 still lets them through), so it is not read.
- ``proxy``: a ``proxy`` preference in mode ``fixed_servers`` or ``pac_script``. Chromium
  never sends ``localhost``, ``*.localhost`` or loopback addresses through a proxy
  (its implicit bypass rules), so this setting cannot be reproduced against the
  embedded portal; it still fails requests to other hosts (``ERR_PROXY_CONNECTION_FAILED``).

Blocked pop-ups are not a setting here: Chromium blocks pop-ups opened without a user
gesture by default, so a profile that blocks them behaves like a fresh one, and
Playwright's default ``--disable-popup-blocking`` lets every pop-up through whatever the
preference says (measured: ``window.open`` returns a window with the preference at 2).

Cookies are copied as the source browser encrypted them. probe's Chromium runs with
``--password-store=basic``; cookies a desktop browser encrypted with the system keyring
("v11") cannot be read by it, and ``snapshot_profile`` warns when it sees some.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from probe.errors import BadInput

SettingId = Literal["javascript", "cookies", "third-party-cookies", "proxy"]

SETTING_NAMES: dict[SettingId, str] = {
    "javascript": "JavaScript blocked",
    "cookies": "All cookies blocked",
    "third-party-cookies": "Third-party cookies blocked",
    "proxy": "A proxy server is set in the browser",
}

# Upstream Chromium's default for profile.cookie_controls_mode (Debian patches it to 1).
UPSTREAM_COOKIE_CONTROLS_MODE = 2

# Extension "location" values of the browser's own built-in extensions (PDF viewer...).
_COMPONENT_LOCATIONS = {5, 10}

# What a snapshot keeps of a profile folder: what a login can depend on, nothing else
# (no history, saved passwords, caches). Files are copied with their SQLite journals.
_PREFERENCE_FILES = ("Preferences", "Secure Preferences")
# Chrome on Windows keeps them in "Network/"; Chromium on Linux next to Preferences.
_COOKIE_FILES = tuple(
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
_EXTENSION_STATE_DIRS = (
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


@dataclass(frozen=True)
class Extension:
    id: str
    name: str
    version: str
    path: Path  # the unpacked folder (where manifest.json is)
    enabled: bool
    incognito: bool  # allowed in private mode
    source: Literal["webstore", "unpacked"]


@dataclass(frozen=True)
class Setting:
    id: SettingId
    name: str  # plain English, e.g. "JavaScript blocked"


@dataclass(frozen=True)
class SourceProfile:
    user_data_dir: Path
    profile_name: str  # "Default", "Profile 1"
    kind: Literal["given", "default-chromium", "default-chrome", "fresh"]
    extensions: tuple[Extension, ...]
    settings: tuple[Setting, ...]  # non-default settings that matter for logging in
    chromium_version: str | None  # the browser version that last used the profile
    warnings: tuple[str, ...] = ()  # things skipped while reading or copying, one line each

    @property
    def profile_dir(self) -> Path:
        return self.user_data_dir / self.profile_name

    def made_by_newer_browser(self, browser_version: str) -> bool:
        """True if the profile was last used by a newer browser than ``browser_version``."""
        if not self.chromium_version:
            return False
        return _version_tuple(self.chromium_version) > _version_tuple(browser_version)


# ---------------------------------------------------------------- reading


def extension_id(folder: Path) -> str:
    """The id Chromium gives the unpacked extension in ``folder``.

    From the manifest's ``key`` when it has one (so the id survives copies), otherwise
    from the folder's absolute path: sha256, first 32 hex digits written with a-p.
    """
    key = _read_manifest(folder).get("key")
    data = base64.b64decode(key) if isinstance(key, str) else str(folder.resolve()).encode()
    digest = hashlib.sha256(data).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def locate_profile(path: Path | None) -> SourceProfile:
    """Read the profile at ``path`` (a user-data-dir or a profile folder in it).

    ``None`` means the person's default Chromium profile, then Chrome's, else a new empty
    one (``kind="fresh"``, removed when the program exits). Example:
    ``locate_profile(Path("~/.config/chromium/Profile 1"))``.
    """
    if path is None:
        return _default_profile()
    path = path.expanduser()
    if not path.exists():
        raise BadInput(f"profile folder not found: {path}")
    if not path.is_dir():
        raise BadInput(f"{path} is a file, not a browser profile folder")
    if (path / "Preferences").is_file():
        return _read_profile(path.parent, path.name, "given")
    name = _pick_profile(path)
    if name is None:
        raise BadInput(
            f"{path} is not a browser profile: no Preferences file in it "
            "or in a Default or 'Profile N' folder"
        )
    return _read_profile(path, name, "given")


def _default_profile() -> SourceProfile:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    candidates: tuple[tuple[Literal["default-chromium", "default-chrome"], Path], ...] = (
        ("default-chromium", config / "chromium"),
        ("default-chrome", config / "google-chrome"),
    )
    for kind, folder in candidates:
        name = _pick_profile(folder) if folder.is_dir() else None
        if name is not None:
            return _read_profile(folder, name, kind)
    fresh = Path(tempfile.mkdtemp(prefix="probe-fresh-profile-"))
    atexit.register(shutil.rmtree, fresh, True)
    (fresh / "Default").mkdir(mode=0o700)
    (fresh / "Default" / "Preferences").write_text("{}")
    return _read_profile(fresh, "Default", "fresh")


def _pick_profile(user_data_dir: Path) -> str | None:
    """The profile a browser would open: the last used one, else Default, else Profile N."""
    names: list[str] = []
    try:
        local_state = json.loads((user_data_dir / "Local State").read_bytes())
        last_used = local_state.get("profile", {}).get("last_used")
        if isinstance(last_used, str):
            names.append(last_used)
    except (OSError, ValueError, AttributeError):
        pass
    names.append("Default")
    numbered = [p.name for p in user_data_dir.glob("Profile *") if p.name[8:].isdigit()]
    names += sorted(numbered, key=lambda n: int(n[8:]))
    return next((n for n in names if (user_data_dir / n / "Preferences").is_file()), None)


def _read_profile(user_data_dir: Path, name: str, kind: Any) -> SourceProfile:
    profile_dir = user_data_dir / name
    warnings: list[str] = []
    prefs = _load_json(profile_dir / "Preferences")
    secure: dict[str, Any] = {}
    if (profile_dir / "Secure Preferences").is_file():
        try:
            secure = _load_json(profile_dir / "Secure Preferences")
        except BadInput:
            warnings.append("Secure Preferences is not valid JSON; read Preferences only")
    extensions = _read_extensions(profile_dir, [secure, prefs], warnings)
    version = None
    try:
        version = (user_data_dir / "Last Version").read_text().strip() or None
    except OSError:
        version = _dig(prefs, "extensions", "last_chrome_version")
    return SourceProfile(
        user_data_dir=user_data_dir,
        profile_name=name,
        kind=kind,
        extensions=tuple(extensions),
        settings=tuple(read_settings(prefs)),
        chromium_version=version if isinstance(version, str) else None,
        warnings=tuple(warnings),
    )


def read_settings(prefs: dict[str, Any]) -> list[Setting]:
    """The non-default settings of a parsed Preferences file that can stop a login."""
    found: list[SettingId] = []
    defaults = _dig(prefs, "profile", "default_content_setting_values") or {}
    if isinstance(defaults, dict):
        if defaults.get("javascript") == 2:
            found.append("javascript")
        if defaults.get("cookies") == 2:
            found.append("cookies")
    if _dig(prefs, "profile", "cookie_controls_mode") == 1:
        found.append("third-party-cookies")
    if _dig(prefs, "proxy", "mode") in ("fixed_servers", "pac_script"):
        found.append("proxy")
    return [Setting(id=s, name=SETTING_NAMES[s]) for s in found]


def _read_extensions(
    profile_dir: Path, pref_sources: list[dict[str, Any]], warnings: list[str]
) -> list[Extension]:
    entries: dict[str, dict[str, Any]] = {}
    for prefs in pref_sources:  # later sources win: Preferences over Secure Preferences
        registered = _dig(prefs, "extensions", "settings")
        if isinstance(registered, dict):
            entries.update({k: v for k, v in registered.items() if isinstance(v, dict)})
    installed = profile_dir / "Extensions"
    found: list[Extension] = []
    for ext_id, entry in sorted(entries.items()):
        relative = entry.get("path")
        if entry.get("location") in _COMPONENT_LOCATIONS or not isinstance(relative, str):
            continue
        folder = Path(relative) if Path(relative).is_absolute() else installed / relative
        try:
            manifest = _read_manifest(folder)
        except ValueError as exc:
            warnings.append(f"extension {ext_id} skipped: {exc}")
            continue
        reasons = entry.get("disable_reasons")
        enabled = not reasons and entry.get("state", 1) != 0
        found.append(
            Extension(
                id=ext_id,
                name=_manifest_name(folder, manifest),
                version=str(manifest.get("version", "")),
                path=folder,
                enabled=enabled,
                incognito=entry.get("incognito") is True,
                source="webstore" if folder.is_relative_to(installed) else "unpacked",
            )
        )
    return found


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The parsed manifest.json of an extension folder; ValueError saying what is wrong."""
    try:
        raw = (folder / "manifest.json").read_bytes()
    except OSError as exc:
        raise ValueError(f"no readable manifest.json in {folder}") from exc
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError as exc:
        raise ValueError(f"{folder / 'manifest.json'} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{folder / 'manifest.json'} is not a JSON object")
    return data


def _manifest_name(folder: Path, manifest: dict[str, Any]) -> str:
    """The name a person sees, with ``__MSG_x__`` looked up in the default locale."""
    name = str(manifest.get("name", folder.name))
    if not (name.startswith("__MSG_") and name.endswith("__")):
        return name
    key = name[6:-2].lower()
    locale = manifest.get("default_locale", "en")
    try:
        messages = json.loads((folder / "_locales" / str(locale) / "messages.json").read_bytes())
        by_key = {str(k).lower(): v for k, v in messages.items()}
        return str(by_key[key]["message"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return name


def _load_json(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except PermissionError as exc:
        raise BadInput(f"cannot read {path}: permission denied") from exc
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError as exc:
        raise BadInput(f"{path} is not valid JSON: the profile may be damaged") from exc
    if not isinstance(data, dict):
        raise BadInput(f"{path} is not a JSON object: the profile may be damaged")
    return data


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


# ---------------------------------------------------------------- copying

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
    _make_private_dir(dest_root)
    warnings = list(src.warnings)
    source_dir, copy_dir = src.profile_dir, dest_root / src.profile_name

    def files(names: Iterable[str], src_dir: Path, dst_dir: Path) -> _FilePairs:
        return [(src_dir / n, dst_dir / n) for n in names if (src_dir / n).is_file()]

    groups: list[tuple[str, Callable[[], _FilePairs]]] = [
        (
            "Local State",
            lambda: files(["Local State", "Last Version"], src.user_data_dir, dest_root),
        ),
        ("Preferences", lambda: files(_PREFERENCE_FILES, source_dir, copy_dir)),
        ("Cookies", lambda: files(_COOKIE_FILES, source_dir, copy_dir)),
    ]
    for name in (*SITE_DATA_DIRS, *_EXTENSION_STATE_DIRS):
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


def _make_private_dir(path: Path) -> None:
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
        warnings.append("the Cookies database could not be read; runs may start without cookies")
        return
    locked = sum(1 for c in cookies if c.encrypted_with == "v11")
    if locked:
        warnings.append(
            f"{locked} cookies are encrypted with the desktop keyring; "
            "probe's browser cannot read them and behaves as if they were missing"
        )


# ---------------------------------------------------------------- run folders


def prepare_run_dir(
    snapshot: SourceProfile,
    dest: Path,
    *,
    keep_cookies: bool,
    keep_site_data: bool,
    reset_settings: Iterable[SettingId],
) -> Path:
    """Make a user-data-dir for one browser run from a snapshot; returns it.

    The profile inside is always "Default". Extensions are not registered in it: load
    the ones the run needs with ``extension_launch_args``. Startup pages are dropped so
    the browser opens nothing but what the run asks for.
    """
    resets = list(reset_settings)
    unknown = [s for s in resets if s not in SETTING_NAMES]
    if unknown:
        raise BadInput(f"unknown setting to reset: {', '.join(map(str, unknown))}")
    _make_private_dir(dest)
    source_dir, run_dir = snapshot.profile_dir, dest / "Default"
    run_dir.mkdir(mode=0o700)
    kept = list(_EXTENSION_STATE_DIRS) + (list(SITE_DATA_DIRS) if keep_site_data else [])
    for name in kept:
        if (source_dir / name).is_dir():
            shutil.copytree(source_dir / name, run_dir / name)
    if keep_cookies:
        for name in _COOKIE_FILES:
            if (source_dir / name).is_file():
                (run_dir / name).parent.mkdir(mode=0o700, exist_ok=True)
                shutil.copyfile(source_dir / name, run_dir / name)
    for name in _PREFERENCE_FILES:
        if (source_dir / name).is_file():
            prefs = _load_json(source_dir / name)
            _drop_extensions(prefs)
            for setting in resets:
                _reset_setting(prefs, setting)
            if name == "Preferences":
                prefs["session"] = {"restore_on_startup": 5}  # open the new tab page only
                prefs.setdefault("profile", {})["exit_type"] = "Normal"
            (run_dir / name).write_text(json.dumps(prefs))
    local_state = {}
    if (snapshot.user_data_dir / "Local State").is_file():
        local_state = _load_json(snapshot.user_data_dir / "Local State")
    profiles = local_state.setdefault("profile", {})
    info = (profiles.get("info_cache") or {}).get(snapshot.profile_name, {})
    profiles.update(last_used="Default", info_cache={"Default": info})
    profiles.pop("last_active_profiles", None)
    (dest / "Local State").write_text(json.dumps(local_state))
    return dest


def _drop_extensions(prefs: dict[str, Any]) -> None:
    """Forget the installed extensions: the run loads exactly the ones it is given."""
    registered = _dig(prefs, "extensions", "settings")
    if not isinstance(registered, dict):
        return
    dropped = [
        ext_id
        for ext_id, entry in registered.items()
        if not (isinstance(entry, dict) and entry.get("location") in _COMPONENT_LOCATIONS)
    ]
    macs = _dig(prefs, "protection", "macs", "extensions") or {}
    for ext_id in dropped:
        del registered[ext_id]
        for key in ("settings", "settings_encrypted_hash"):
            if isinstance(macs.get(key), dict):
                macs[key].pop(ext_id, None)


def _reset_setting(prefs: dict[str, Any], setting: SettingId) -> None:
    profile = prefs.get("profile")
    defaults = _dig(prefs, "profile", "default_content_setting_values")
    match setting:
        case "javascript" | "cookies" if isinstance(defaults, dict):
            defaults.pop(setting, None)
        case "third-party-cookies":
            profile = prefs.setdefault("profile", {}) if profile is None else profile
            if isinstance(profile, dict):
                profile["cookie_controls_mode"] = UPSTREAM_COOKIE_CONTROLS_MODE
                profile.pop("block_third_party_cookies", None)
        case "proxy":
            prefs.pop("proxy", None)


def extension_launch_args(extensions: Iterable[Extension]) -> list[str]:
    """Chromium flags that load exactly ``extensions`` (and no other installed one).

    The caller also passes ``ignore_default_args=["--disable-extensions"]`` to Playwright
    when the list is not empty.
    """
    paths = list(dict.fromkeys(str(e.path) for e in extensions))
    if not paths:
        return []
    for path in paths:
        if "," in path:
            raise BadInput(f"extension folder {path}: Chromium cannot load a path with a comma")
    joined = ",".join(paths)
    return [f"--disable-extensions-except={joined}", f"--load-extension={joined}"]
