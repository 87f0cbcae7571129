"""Reading a Firefox profile into an inventory, without changing it.

What matters for logging in: the settings (prefs.js, then user.js, which wins), the
per-site exceptions (permissions.sqlite), the add-ons (extensions.json and
extensions/*.xpi, with the private-window grant from extension-preferences.json), the
cookies (named and sized, never valued) and the site data under storage/default/.
Databases are read from a private copy: a running Firefox holds them open.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from probe._util.files import UnsafeFile, is_real_dir, is_regular, read_text, tree_size
from probe.browsers.firefox.prefs import PrefValue, parse_prefs
from probe.errors import BadInput

SettingId = Literal[
    "javascript", "cookies", "third-party-cookies", "proxy", "https-only", "resist-fingerprinting"
]

# The pref, its value when reset, and the plain words for a non-default value.
SETTING_PREFS: dict[SettingId, tuple[str, PrefValue]] = {
    "javascript": ("javascript.enabled", True),
    "cookies": ("network.cookie.cookieBehavior", 5),
    "third-party-cookies": ("network.cookie.cookieBehavior", 5),
    "proxy": ("network.proxy.type", 5),
    "https-only": ("dom.security.https_only_mode", False),
    "resist-fingerprinting": ("privacy.resistFingerprinting", False),
}
SETTING_NAMES: dict[SettingId, str] = {
    "javascript": "JavaScript blocked",
    "cookies": "All cookies blocked",
    "third-party-cookies": "Third-party cookies blocked",
    "proxy": "A proxy server is set in the browser",
    "https-only": "HTTPS-Only mode is on",
    "resist-fingerprinting": "Resist fingerprinting is on",
}

# Add-on locations of Firefox's own add-ons (not the person's choice).
BUILTIN_LOCATIONS = frozenset(
    {"app-builtin", "app-builtin-addons", "app-system-defaults", "app-system-addons"}
)
PRIVATE_PERMISSION = "internal:privateBrowsingAllowed"
DENY = 2  # nsIPermissionManager.DENY_ACTION
ADDON_TYPES = frozenset({"extension"})
MAX_ADDONS = 1000
MAX_COOKIES = 100_000
MAX_SITE_FOLDERS = 10_000


@dataclass(frozen=True)
class Setting:
    id: SettingId
    name: str  # plain English
    pref: str
    value: PrefValue


@dataclass(frozen=True)
class Addon:
    id: str  # the gecko id, e.g. "uBlock0@raymondhill.net"
    name: str  # as Firefox shows it
    version: str
    active: bool
    user_disabled: bool
    location: str  # "app-profile", "app-system-share", ...
    signed_state: int | None  # 2 signed, 3 privileged, 0 missing, -1 broken...
    private_allowed: bool  # may run in private windows
    xpi: Path | None  # extensions/<id>.xpi when the add-on is one
    storage_uuid: str | None  # its moz-extension://<uuid> host
    # What extension-preferences.json grants it beyond its manifest's required
    # permissions: permissions (the private-window grant among them) and host patterns.
    granted_permissions: frozenset[str] = frozenset()
    granted_origins: frozenset[str] = frozenset()

    @property
    def builtin(self) -> bool:
        return self.location in BUILTIN_LOCATIONS


@dataclass(frozen=True)
class SitePermission:
    origin: str  # "https://portal.example.fr"
    type: str  # "cookie", "3rdPartyStorage^...", "popup"...
    permission: int  # 1 allow, 2 deny, 8 allow for the session


@dataclass(frozen=True)
class CookieRef:
    """A cookie a profile holds, named and sized but never valued."""

    host: str  # ".example.fr" or "portal.localhost"
    name: str
    path: str
    value_bytes: int
    # "" for a first-party cookie; "^partitionKey=%28http%2Cportal.localhost%29" for a
    # third-party one kept apart under that top-level site (Firefox's default, dFPI).
    partition: str = ""


@dataclass(frozen=True)
class SiteData:
    folder: str  # its folder name under storage/default
    origin: str  # "http://portal.localhost:8000", "moz-extension://<uuid>"
    host: str
    bytes: int
    addon_id: str | None  # the add-on owning a moz-extension origin
    partition: str = ""  # the top-level host it is kept under, "" when not partitioned


@dataclass(frozen=True)
class FirefoxProfile:
    path: Path
    prefs: dict[str, PrefValue]  # prefs.js with user.js on top
    user_js: dict[str, PrefValue]  # user.js alone (Playwright overwrites it in a copy)
    settings: tuple[Setting, ...]
    addons: tuple[Addon, ...]
    permissions: tuple[SitePermission, ...]
    cookies: tuple[CookieRef, ...]
    site_data: tuple[SiteData, ...]
    last_version: str | None  # compatibility.ini: the Firefox that last used it
    warnings: tuple[str, ...]

    def cookies_for(self, host: str) -> list[CookieRef]:
        """The cookies Firefox sends to ``host`` when it is the page's own site."""
        return [c for c in self.cookies if not c.partition and host_matches(c.host, host)]

    def site_data_for(self, host: str) -> list[SiteData]:
        return [d for d in self.site_data if d.host == host.lower() and not d.partition]

    def cookie_blocks_for(self, sites: tuple[str, ...]) -> list[str]:
        """The hosts among ``sites`` whose cookies a per-site exception blocks.

        Firefox's "Manage Exceptions" (Settings > Privacy & Security > Cookies and Site
        Data) keeps a ``cookie`` permission at 2 (deny) per origin in permissions.sqlite.
        Firefox ESR 153 applies it to that exact origin, port included (measured: a row for
        ``http://portal.localhost`` leaves ``http://portal.localhost:8000`` alone, and one
        for ``http://localhost`` leaves ``portal.localhost`` alone).
        """
        wanted = {s.lower() for s in sites}
        found = [
            host
            for p in self.permissions
            if p.type == "cookie"
            and p.permission == DENY
            and (host := permission_host(p.origin)) in wanted
        ]
        return list(dict.fromkeys(found))


def permission_host(origin: str) -> str:
    """The host of a permission's origin (``https://wiki.example:443^userContextId=1``)."""
    return (urlsplit(origin.split("^", 1)[0]).hostname or "").lower()


def host_matches(cookie_host: str, host: str) -> bool:
    """True when a cookie for ``cookie_host`` is sent to ``host``."""
    cookie_host, host = cookie_host.lower(), host.lower()
    bare = cookie_host.lstrip(".")
    return host == bare or (cookie_host.startswith(".") and host.endswith("." + bare))


def partition_site(attributes: str) -> str:
    """The top-level host a partitioned cookie or site-data folder is kept under.

    ``^partitionKey=%28http%2Cportal.localhost%29`` -> ``portal.localhost``;
    ``""`` when not partitioned.
    """
    for part in attributes.lstrip("^").split("&"):
        key, _, value = part.partition("=")
        if key == "partitionKey":
            fields = unquote(value).strip("()").split(",")
            return fields[1].lower() if len(fields) > 1 else ""
    return ""


def read_profile(path: Path) -> FirefoxProfile:
    """The inventory of the Firefox profile in ``path`` (damaged parts skipped, noted)."""
    if not is_real_dir(path):
        raise BadInput(f"{path} is not a folder: give the Firefox profile folder")
    warnings: list[str] = []
    prefs_js = _read_prefs(path / "prefs.js", warnings)
    user_js = _read_prefs(path / "user.js", warnings)
    prefs = {**prefs_js, **user_js}
    uuids = _addon_uuids(prefs, warnings)
    with tempfile.TemporaryDirectory(prefix="probe-ff-") as scratch:
        permissions = _read_permissions(path, Path(scratch), warnings)
        cookies = _read_cookies(path, Path(scratch), warnings)
    return FirefoxProfile(
        path=path,
        prefs=prefs,
        user_js=user_js,
        settings=tuple(read_settings(prefs)),
        addons=tuple(_read_addons(path, uuids, warnings)),
        permissions=tuple(permissions),
        cookies=tuple(cookies),
        site_data=tuple(_read_site_data(path, uuids, warnings)),
        last_version=_last_version(path),
        warnings=tuple(warnings),
    )


def read_settings(prefs: dict[str, PrefValue]) -> list[Setting]:
    """The settings that differ from Firefox's defaults in a way that can stop a login."""
    found: list[Setting] = []

    def add(setting: SettingId, value: PrefValue) -> None:
        found.append(Setting(setting, SETTING_NAMES[setting], SETTING_PREFS[setting][0], value))

    if prefs.get("javascript.enabled") is False:
        add("javascript", False)
    behavior = prefs.get("network.cookie.cookieBehavior")
    if behavior == 2:
        add("cookies", behavior)
    elif behavior in (1, 3):  # all third-party, or those of sites never visited
        add("third-party-cookies", behavior)
    proxy = prefs.get("network.proxy.type")
    if proxy in (1, 2, 4):  # manual, PAC file, auto-detect (0 direct and 5 system are not)
        add("proxy", proxy)
    if prefs.get("dom.security.https_only_mode") is True:
        add("https-only", True)
    if prefs.get("privacy.resistFingerprinting") is True:
        add("resist-fingerprinting", True)
    return found


def _read_prefs(path: Path, warnings: list[str]) -> dict[str, PrefValue]:
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        parsed = parse_prefs(read_text(path))
    except BadInput as exc:
        warnings.append(str(exc))
        return {}
    if parsed.skipped:
        warnings.append(f"{path.name}: {parsed.skipped} unreadable line(s) skipped")
    return parsed.values


def _addon_uuids(prefs: dict[str, PrefValue], warnings: list[str]) -> dict[str, str]:
    raw = prefs.get("extensions.webextensions.uuids")
    if not isinstance(raw, str) or not raw:
        return {}
    data = _json(raw, "the pref extensions.webextensions.uuids", warnings)
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _json(text: str, what: str, warnings: list[str]) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        warnings.append(f"{what} is not valid JSON: skipped")
        return {}
    if not isinstance(data, dict):
        warnings.append(f"{what} is not a JSON object: skipped")
        return {}
    return data


def _json_file(path: Path, warnings: list[str]) -> dict[str, Any]:
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        return _json(read_text(path), path.name, warnings)
    except BadInput as exc:
        warnings.append(str(exc))
        return {}


def _read_addons(path: Path, uuids: dict[str, str], warnings: list[str]) -> list[Addon]:
    records = _json_file(path / "extensions.json", warnings).get("addons")
    grants = _json_file(path / "extension-preferences.json", warnings)
    xpis = _xpis(path)
    addons: list[Addon] = []
    seen: set[str] = set()
    for record in records if isinstance(records, list) else []:
        if len(addons) >= MAX_ADDONS:
            warnings.append(f"extensions.json: more than {MAX_ADDONS} add-ons, the rest skipped")
            break
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            continue
        if record.get("type", "extension") not in ADDON_TYPES:
            continue
        addon_id: str = record["id"]
        seen.add(addon_id)
        locale = record.get("defaultLocale")
        name = locale.get("name") if isinstance(locale, dict) else None
        signed = record.get("signedState")
        addons.append(
            Addon(
                id=addon_id,
                name=name if isinstance(name, str) and name else addon_id,
                version=str(record.get("version", "")),
                active=record.get("active") is True,
                user_disabled=record.get("userDisabled") is True,
                location=str(record.get("location", "")),
                signed_state=signed if isinstance(signed, int) else None,
                private_allowed=_private_allowed(grants.get(addon_id)),
                xpi=xpis.get(addon_id),
                storage_uuid=uuids.get(addon_id),
                granted_permissions=_granted(grants.get(addon_id), "permissions"),
                granted_origins=_granted(grants.get(addon_id), "origins"),
            )
        )
    # An .xpi Firefox has not registered yet (dropped in by hand, or by a recipe).
    for addon_id, xpi in sorted(xpis.items()):
        if addon_id not in seen:
            addons.append(
                Addon(
                    id=addon_id,
                    name=_xpi_name(xpi) or addon_id,
                    version="",
                    active=False,
                    user_disabled=False,
                    location="app-profile",
                    signed_state=None,
                    private_allowed=_private_allowed(grants.get(addon_id)),
                    xpi=xpi,
                    storage_uuid=uuids.get(addon_id),
                    granted_permissions=_granted(grants.get(addon_id), "permissions"),
                    granted_origins=_granted(grants.get(addon_id), "origins"),
                )
            )
    return addons


def _granted(grant: Any, key: str) -> frozenset[str]:
    values = grant.get(key) if isinstance(grant, dict) else None
    return (
        frozenset(v for v in values if isinstance(v, str))
        if isinstance(values, list)
        else frozenset()
    )


def _private_allowed(grant: Any) -> bool:
    permissions = grant.get("permissions") if isinstance(grant, dict) else None
    return isinstance(permissions, list) and PRIVATE_PERMISSION in permissions


def _xpis(path: Path) -> dict[str, Path]:
    folder = path / "extensions"
    if not is_real_dir(folder):
        return {}
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir())[:MAX_ADDONS]:
        if entry.suffix == ".xpi" and is_regular(entry):
            found[entry.stem] = entry
    return found


def _xpi_name(xpi: Path) -> str | None:
    """The manifest's name (not a __MSG_ placeholder), read within bounds."""
    try:
        with zipfile.ZipFile(xpi) as archive:
            info = archive.getinfo("manifest.json")
            if info.file_size > 1024 * 1024:
                return None
            manifest = json.loads(archive.read(info).decode("utf-8-sig"))
    except (OSError, KeyError, ValueError, RecursionError, zipfile.BadZipFile):
        return None
    name = manifest.get("name") if isinstance(manifest, dict) else None
    return name if isinstance(name, str) and not name.startswith("__MSG_") else None


def _copy_database(path: Path, scratch: Path) -> Path | None:
    """Copy a database with its write-ahead log into ``scratch``; None when absent."""
    if not path.exists() and not path.is_symlink():
        return None
    if not is_regular(path):
        raise UnsafeFile(f"{path} is not a regular file: not read")
    target = scratch / path.name
    shutil.copyfile(path, target, follow_symlinks=False)
    wal = path.with_name(path.name + "-wal")
    if is_regular(wal):
        shutil.copyfile(wal, scratch / wal.name, follow_symlinks=False)
    return target


def _query(
    path: Path, scratch: Path, sql: str, warnings: list[str], fallback: str | None = None
) -> list[tuple[Any, ...]]:
    try:
        copy = _copy_database(path, scratch)
        if copy is None:
            return []
        # A copy with a log (Firefox still running) must replay it: open it read-only
        # but not immutable. Without a log, immutable=1 keeps SQLite from writing at all.
        has_wal = copy.with_name(copy.name + "-wal").exists()
        uri = f"{copy.absolute().as_uri()}?mode=ro" + ("" if has_wal else "&immutable=1")
        connection = sqlite3.connect(uri, uri=True)
        try:
            try:
                return connection.execute(sql).fetchmany(MAX_COOKIES)
            except sqlite3.OperationalError:
                if fallback is None:
                    raise
                return connection.execute(fallback).fetchmany(MAX_COOKIES)
        finally:
            connection.close()
    except (sqlite3.Error, OSError, BadInput) as exc:
        warnings.append(f"{path.name} could not be read ({exc}): skipped")
        return []


def _read_permissions(path: Path, scratch: Path, warnings: list[str]) -> list[SitePermission]:
    rows = _query(
        path / "permissions.sqlite",
        scratch,
        "SELECT origin, type, permission FROM moz_perms",
        warnings,
    )
    return [
        SitePermission(origin, kind, permission)
        for origin, kind, permission in rows
        if isinstance(origin, str) and isinstance(kind, str) and isinstance(permission, int)
    ]


def _read_cookies(path: Path, scratch: Path, warnings: list[str]) -> list[CookieRef]:
    # length() in SQL: the values themselves never reach Python.
    columns = "host, name, path, length(CAST(value AS BLOB))"
    rows = _query(
        path / "cookies.sqlite",
        scratch,
        f"SELECT {columns}, originAttributes FROM moz_cookies",
        warnings,
        fallback=f"SELECT {columns}, '' FROM moz_cookies",  # a schema before Firefox 52
    )
    return [
        CookieRef(
            host,
            name,
            cookie_path if isinstance(cookie_path, str) else "/",
            size if isinstance(size, int) else 0,
            partition if isinstance(partition, str) else "",
        )
        for host, name, cookie_path, size, partition in rows
        if isinstance(host, str) and isinstance(name, str)
    ]


def origin_of_folder(folder: str) -> tuple[str, str]:
    """The origin and host a ``storage/default`` folder name stands for.

    ``http+++portal.localhost+8000`` -> ``http://portal.localhost:8000``; the part
    after ``^`` (``^userContextId=1``, ``^partitionKey=...``) is left out.
    """
    base = folder.split("^", 1)[0]
    scheme, sep, rest = base.partition("+++")
    if not sep:
        return base, ""
    host, _, port = rest.rpartition("+")
    if not host or not port.isdigit():
        host, port = rest, ""
    host = unquote(host).lower()
    origin = f"{scheme}://{host}" + (f":{port}" if port else "")
    return origin, host


def _read_site_data(path: Path, uuids: dict[str, str], warnings: list[str]) -> list[SiteData]:
    folder = path / "storage" / "default"
    if not is_real_dir(folder):
        return []
    by_uuid = {uuid: addon_id for addon_id, uuid in uuids.items()}
    found: list[SiteData] = []
    for entry in sorted(folder.iterdir())[:MAX_SITE_FOLDERS]:
        if not is_real_dir(entry):
            continue
        origin, host = origin_of_folder(entry.name)
        addon = by_uuid.get(host) if origin.startswith("moz-extension://") else None
        attributes = entry.name.partition("^")[2]
        found.append(
            SiteData(entry.name, origin, host, tree_size(entry), addon, partition_site(attributes))
        )
    return found


def _last_version(path: Path) -> str | None:
    ini = path / "compatibility.ini"
    if not is_regular(ini):
        return None
    try:
        text = read_text(ini, 64 * 1024)
    except BadInput:
        return None
    for line in text.splitlines():
        if line.startswith("LastVersion="):
            # "153.8.0_20261117185949/20261117185949"
            return line.split("=", 1)[1].split("_", 1)[0].strip() or None
    return None
