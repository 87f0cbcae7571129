"""A run folder: a private copy of a Firefox profile with some components kept.

Playwright 1.64 writes its own ``user.js`` into the profile it launches and copies
``prefs.js`` to ``prefs.js.playwright``: it only ever sees the copy. The person's own
``user.js`` is carried over through ``RunDir.user_prefs``, which the launch passes as
``firefox_user_prefs`` (Playwright puts them into the ``user.js`` it writes).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from probe._util.files import copy_tree, is_real_dir, is_regular, read_text
from probe.browsers.firefox.launch import HOME_FOLDER
from probe.browsers.firefox.prefs import PrefValue, format_prefs, parse_prefs
from probe.browsers.firefox.profile import (
    DENY,
    PRIVATE_PERMISSION,
    SETTING_PREFS,
    FirefoxProfile,
    SettingId,
    host_matches,
    partition_site,
    permission_host,
)
from probe.errors import BadInput

# Side-loaded add-ons (<profile>/extensions/<id>.xpi): without the first pref Firefox
# deletes an unsigned .xpi (ESR honours it, release Firefox does not); Debian's
# autoDisableScopes=3 registers side-loaded add-ons disabled; enabledScopes=5
# (profile + application) keeps Debian's system-wide add-ons out of the run.
SIDE_LOAD_PREFS: dict[str, PrefValue] = {
    "xpinstall.signatures.required": False,
    "extensions.autoDisableScopes": 0,
    "extensions.enabledScopes": 5,
}

# Playwright cannot open a private window in Firefox; a profile in permanent private
# browsing behaves as one (measured with ESR 153: an add-on not allowed in private
# windows does not run, one allowed does).
PRIVATE_PREF = "browser.privatebrowsing.autostart"

# Prefs Playwright's user.js sets for automation that also change how a page behaves:
# where the person set them, their value is put back.
_PLAYWRIGHT_OVERRIDES = (
    "privacy.trackingprotection.enabled",
    "browser.contentblocking.features.standard",
    "dom.security.https_first",
    "network.cookie.sameSite.laxByDefault",
    "dom.disable_open_during_load",
)

# Left out of every copy: locks of a running Firefox, caches, crash reports, the
# session to restore, telemetry, and Playwright's own files from an earlier launch.
_SKIPPED_NAMES = frozenset(
    {
        "lock",
        ".parentlock",
        "parent.lock",
        "cache2",
        "startupCache",
        "crashes",
        "minidumps",
        "datareporting",
        "saved-telemetry-pings",
        "sessionstore-backups",
        "sessionstore.jsonlz4",
        "safebrowsing",
        "user.js",
        "prefs.js.playwright",
        # A cache of the add-on list: without it Firefox rebuilds the list from
        # extensions.json and the extensions folder, so dropped add-ons stay dropped.
        "addonStartup.json.lz4",
        # The port of a Marionette server that ran on the profile (``marionette``).
        "MarionetteActivePort",
        HOME_FOLDER,
        # Never copied: history and bookmarks, saved passwords and their key, form
        # history, the Firefox account; a login does not depend on them.
        "places.sqlite",
        "places.sqlite-wal",
        "favicons.sqlite",
        "favicons.sqlite-wal",
        "bookmarkbackups",
        "logins.json",
        "logins-backup.json",
        "key4.db",
        "formhistory.sqlite",
        "formhistory.sqlite-wal",
        "signedInUser.json",
    }
)


@dataclass(frozen=True)
class RunPlan:
    """Which components of the profile a run keeps."""

    addons: frozenset[str] | None = None  # add-on ids kept; None keeps them all
    drop_cookies_for: tuple[str, ...] = ()  # hosts (the portal's)
    drop_all_cookies: bool = False
    drop_cookies: tuple[tuple[str, str], ...] = ()  # (name, host) of single cookies
    drop_site_data_for: tuple[str, ...] = ()
    drop_all_site_data: bool = False
    reset_settings: frozenset[SettingId] = frozenset()
    # Hosts whose per-site cookie block (permissions.sqlite) the run leaves out.
    allow_cookies_for: tuple[str, ...] = ()
    # Firefox's permanent private browsing: the profile's cookies and site data unused,
    # and only the add-ons allowed in private windows run (what a private window does).
    private: bool = False


@dataclass(frozen=True)
class RunDir:
    path: Path
    user_prefs: dict[str, PrefValue]  # pass as firefox_user_prefs
    kept_addons: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())


def _skip(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if "/" not in rel and name in _SKIPPED_NAMES:
        return True
    return name.endswith("-shm")  # rebuilt from the database and its log


def _skip_in_snapshot(rel: str) -> bool:
    # The snapshot keeps the person's user.js (its settings are read from the copy); a
    # run folder leaves it out and passes its prefs to Playwright, which writes its own.
    return rel != "user.js" and _skip(rel)


def make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise BadInput(f"{path} is not empty")
    os.chmod(path, 0o700)


def _stats(root: Path) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    found[entry.path] = (info.st_size, info.st_mtime_ns)
            except OSError:
                continue
    return found


def snapshot_profile(source: Path, dest: Path, attempts: int = 3) -> tuple[Path, list[str]]:
    """A private copy of a profile Firefox may be using right now.

    A running Firefox writes its databases and their logs while they are copied: the
    copy is made again (up to ``attempts`` times) until no file changed meanwhile.
    Returns the copy and what was left out or could not be made consistent.
    """
    make_private_dir(dest)
    for attempt in range(attempts):
        before = _stats(source)
        copied = copy_tree(source, dest, skip=_skip_in_snapshot)
        if _stats(source) == before:
            return dest, copied.skipped
        if attempt + 1 < attempts:
            shutil.rmtree(dest)
            make_private_dir(dest)
    note = "the profile changed while it was copied (is Firefox open?): the copy may lag"
    return dest, [*copied.skipped, note]


def prepare_fresh_run_dir(dest: Path) -> RunDir:
    """An empty profile: Firefox as first installed (Debian's system add-ons kept out)."""
    make_private_dir(dest)
    return RunDir(path=dest, user_prefs=dict(SIDE_LOAD_PREFS), kept_addons=())


def prepare_run_dir(profile: FirefoxProfile, dest: Path, plan: RunPlan) -> RunDir:
    """Copy ``profile`` into the empty folder ``dest`` with only what ``plan`` keeps."""
    make_private_dir(dest)
    copied = copy_tree(profile.path, dest, skip=_skip)
    warnings = list(copied.skipped)
    kept = _keep_addons(profile, dest, plan.addons, warnings)
    if plan.drop_all_cookies:
        for name in ("cookies.sqlite", "cookies.sqlite-wal", "cookies.sqlite-shm"):
            (dest / name).unlink(missing_ok=True)
    else:
        if plan.drop_cookies_for:
            _drop_cookies(dest / "cookies.sqlite", plan.drop_cookies_for, warnings)
        if plan.drop_cookies:
            _drop_named_cookies(dest / "cookies.sqlite", plan.drop_cookies, warnings)
    _drop_site_data(profile, dest, plan, warnings)
    if plan.allow_cookies_for:
        _drop_cookie_blocks(dest / "permissions.sqlite", plan.allow_cookies_for, warnings)
    user_prefs = _user_prefs(profile, dest, plan.reset_settings)
    if plan.private:
        user_prefs[PRIVATE_PREF] = True
    return RunDir(
        path=dest,
        user_prefs=user_prefs,
        kept_addons=tuple(kept),
        warnings=tuple(warnings),
    )


def _user_prefs(
    profile: FirefoxProfile, dest: Path, reset: frozenset[SettingId]
) -> dict[str, PrefValue]:
    prefs: dict[str, PrefValue] = dict(profile.user_js)
    for name in _PLAYWRIGHT_OVERRIDES:
        if name in profile.prefs:
            prefs[name] = profile.prefs[name]
    # The settings that matter go into user.js too, so they hold whatever Playwright writes.
    for setting in profile.settings:
        prefs[setting.pref] = setting.value
    reset_prefs = {SETTING_PREFS[s][0]: SETTING_PREFS[s][1] for s in reset}
    prefs.update(reset_prefs)
    prefs.update(SIDE_LOAD_PREFS)
    if reset_prefs:
        _remove_from_prefs_js(dest / "prefs.js", reset_prefs)
    return prefs


def _remove_from_prefs_js(path: Path, names: Iterable[str]) -> None:
    if not is_regular(path):
        return
    values = parse_prefs(read_text(path)).values
    for name in names:
        values.pop(name, None)
    path.write_text(format_prefs(values), encoding="utf-8")


def _keep_addons(
    profile: FirefoxProfile, dest: Path, keep: frozenset[str] | None, warnings: list[str]
) -> list[str]:
    kept = [a.id for a in profile.addons if not a.builtin and (keep is None or a.id in keep)]
    if keep is None:
        return kept
    dropped = {a.id for a in profile.addons if not a.builtin and a.id not in keep}
    extensions = dest / "extensions"
    for addon in profile.addons:
        if addon.id not in dropped:
            continue
        # Only names found in the source's extensions folder are touched, never a
        # path built from an id a hostile profile chose.
        if addon.xpi is not None:
            (extensions / addon.xpi.name).unlink(missing_ok=True)
    if is_real_dir(extensions):
        for entry in extensions.iterdir():
            if entry.name in dropped and is_real_dir(entry):
                shutil.rmtree(entry)
    _drop_addon_records(dest / "extensions.json", dropped, warnings)
    return kept


def _drop_addon_records(path: Path, dropped: set[str], warnings: list[str]) -> None:
    if not dropped or not is_regular(path):
        return
    try:
        data = json.loads(read_text(path))
    except (ValueError, RecursionError, BadInput):
        path.unlink()
        warnings.append("extensions.json could not be read: Firefox rebuilds it in the run")
        return
    if isinstance(data, dict) and isinstance(data.get("addons"), list):
        data["addons"] = [
            a for a in data["addons"] if not (isinstance(a, dict) and a.get("id") in dropped)
        ]
        path.write_text(json.dumps(data), encoding="utf-8")


def _edit_cookies(
    database: Path, warnings: list[str], edit: Callable[[sqlite3.Connection], None]
) -> None:
    """Run ``edit`` on the run folder's cookies.sqlite and write it back in full; a
    database that cannot be edited is removed (the run then has no cookies, and says so)."""
    if not is_regular(database):
        return
    try:
        connection = sqlite3.connect(database)
        try:
            edit(connection)
            connection.commit()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        for name in ("cookies.sqlite", "cookies.sqlite-wal", "cookies.sqlite-shm"):
            (database.parent / name).unlink(missing_ok=True)
        warnings.append(f"cookies.sqlite could not be edited ({exc}): the run has no cookies")


def _drop_cookies(database: Path, hosts: tuple[str, ...], warnings: list[str]) -> None:
    def edit(connection: sqlite3.Connection) -> None:
        connection.create_function("probe_sent_to", 2, _sent_to, deterministic=True)
        connection.create_function("probe_under", 2, _partitioned_under, deterministic=True)
        for host in hosts:
            try:
                # Clearing a site's cookies in Firefox also clears the third-party
                # cookies kept under it (partitioned).
                connection.execute(
                    "DELETE FROM moz_cookies WHERE probe_sent_to(host, ?1)"
                    " OR probe_under(originAttributes, ?1)",
                    (host,),
                )
            except sqlite3.OperationalError:  # no originAttributes column (old schema)
                connection.execute("DELETE FROM moz_cookies WHERE probe_sent_to(host, ?)", (host,))

    _edit_cookies(database, warnings, edit)


def _drop_named_cookies(
    database: Path, cookies: tuple[tuple[str, str], ...], warnings: list[str]
) -> None:
    """Delete first-party cookies by name and host (``.host`` and ``host`` alike)."""

    def edit(connection: sqlite3.Connection) -> None:
        for name, host in cookies:
            bare = host.lstrip(".").lower()
            connection.execute(
                "DELETE FROM moz_cookies WHERE name = ? AND lower(host) IN (?, ?)",
                (name, bare, "." + bare),
            )

    _edit_cookies(database, warnings, edit)


def _drop_cookie_blocks(database: Path, hosts: tuple[str, ...], warnings: list[str]) -> None:
    """Delete the per-site cookie blocks (``cookie`` at deny) of ``hosts``, nothing else."""
    if not is_regular(database):
        return
    wanted = {h.lower() for h in hosts}
    try:
        connection = sqlite3.connect(database)
        try:
            rows = connection.execute(
                "SELECT id, origin FROM moz_perms WHERE type = 'cookie' AND permission = ?",
                (DENY,),
            ).fetchall()
            ids = [(i,) for i, origin in rows if permission_host(str(origin)) in wanted]
            connection.executemany("DELETE FROM moz_perms WHERE id = ?", ids)
            connection.commit()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        for name in ("permissions.sqlite", "permissions.sqlite-wal", "permissions.sqlite-shm"):
            (database.parent / name).unlink(missing_ok=True)
        warnings.append(
            f"permissions.sqlite could not be edited ({exc}): the run has no site exceptions"
        )


def _sent_to(cookie_host: object, host: str) -> bool:
    # A damaged row (a NULL or integer host) must not stop the whole edit.
    return isinstance(cookie_host, str) and host_matches(cookie_host, host)


def _partitioned_under(attributes: object, host: str) -> bool:
    return isinstance(attributes, str) and _same_site(partition_site(attributes), host)


def _same_site(candidate: str, host: str) -> bool:
    host = host.lower()
    return bool(candidate) and (candidate == host or candidate.endswith("." + host))


def _drop_site_data(
    profile: FirefoxProfile, dest: Path, plan: RunPlan, warnings: list[str]
) -> None:
    storage = dest / "storage" / "default"
    for data in profile.site_data:
        if data.addon_id is not None:
            continue  # an add-on's own storage is the add-on's, not a site's
        if plan.drop_all_site_data or any(
            _same_site(data.host, h) or _same_site(data.partition, h)
            for h in plan.drop_site_data_for
        ):
            folder = storage / data.folder
            if is_real_dir(folder) and folder.resolve().is_relative_to(storage.resolve()):
                shutil.rmtree(folder)
    if plan.drop_all_site_data:
        (dest / "webappsstore.sqlite").unlink(missing_ok=True)


def side_load_addon(
    profile_dir: Path,
    addon_id: str,
    files: dict[str, bytes],
    *,
    origins: Iterable[str] = (),
    private_allowed: bool = False,
) -> Path:
    """Put an unpacked add-on into ``profile_dir/extensions/<id>.xpi`` as Firefox reads it.

    ``origins`` are granted in extension-preferences.json: Firefox does not grant a
    side-loaded MV3 add-on its host permissions (its content scripts would not run).
    """
    if not addon_id or any(c in addon_id for c in "/\\\0") or addon_id.startswith("."):
        raise BadInput(f"{addon_id!r} is not a usable add-on id")
    extensions = profile_dir / "extensions"
    extensions.mkdir(parents=True, exist_ok=True)
    xpi = extensions / f"{addon_id}.xpi"
    with zipfile.ZipFile(xpi, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    grants_path = profile_dir / "extension-preferences.json"
    grants: dict[str, Any] = {}
    if is_regular(grants_path):
        loaded = json.loads(read_text(grants_path))
        grants = loaded if isinstance(loaded, dict) else {}
    permissions = [PRIVATE_PERMISSION] if private_allowed else []
    grants[addon_id] = {"permissions": permissions, "origins": list(origins)}
    grants_path.write_text(json.dumps(grants), encoding="utf-8")
    return xpi
