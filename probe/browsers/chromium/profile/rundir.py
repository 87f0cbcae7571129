"""Run folders: one user-data-dir per browser run, made from a snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from probe._util.files import CopyBudget, tree_files, write_private
from probe.browsers.chromium.profile.reading import (
    COMPONENT_LOCATIONS,
    SETTING_NAMES,
    Extension,
    SettingId,
    SourceProfile,
    dig,
    extension_entries,
    extension_id,
    load_json,
)
from probe.browsers.chromium.profile.site_settings import (
    drop_site_settings,
    parse_site_setting_id,
)
from probe.browsers.chromium.profile.snapshot import (
    COOKIE_FILES,
    EXTENSION_STATE_DIRS,
    PREFERENCE_FILES,
    SITE_DATA_DIRS,
    make_private_dir,
)
from probe.errors import BadInput

# Upstream Chromium's default for profile.cookie_controls_mode (Debian patches it to 1).
UPSTREAM_COOKIE_CONTROLS_MODE = 2

# An extension's state that Chromium keeps in a folder named after the extension's id
# (its storage, its dynamic blocking rules); the rest of EXTENSION_STATE_DIRS are
# databases shared by all extensions, copied whole.
PER_EXTENSION_DIRS = (
    "Local Extension Settings",
    "Sync Extension Settings",
    "Managed Extension Settings",
    "DNR Extension Rules",
)
# Manifest::Location of an extension loaded with --load-extension ("kCommandLine").
COMMAND_LINE_LOCATION = 8


def prepare_run_dir(
    snapshot: SourceProfile,
    dest: Path,
    *,
    keep_cookies: bool,
    keep_site_data: bool,
    reset_settings: Iterable[SettingId],
    extensions: Iterable[Extension] = (),
    reset_site_settings: Iterable[str] = (),
) -> Path:
    """Make a user-data-dir for one browser run from a snapshot; returns it.

    The profile inside is always "Default". ``extensions`` are the ones the run loads
    (with ``extension_launch_args``): each keeps everything it has in the person's
    browser, its Preferences entry (where Chromium keeps the checksum without which
    it discards the extension's dynamic blocking rules, and the rulesets turned on at
    run time), its dynamic rules, its storage and its IndexedDB, even when the run
    drops the site data. Every other extension is forgotten. Startup pages are dropped
    so the browser opens nothing but what the run asks for. ``reset_site_settings``: the
    per-site blocks the run leaves out (``site-cookies:wiki.example``), each removed alone.
    """
    resets = list(reset_settings)
    site_ids = list(reset_site_settings)
    site_resets = [parse_site_setting_id(i) for i in site_ids]
    unknown: list[str] = [s for s in resets if s not in SETTING_NAMES]
    unknown += [i for i, s in zip(site_ids, site_resets, strict=True) if s is None]
    if unknown:
        raise BadInput(f"unknown setting to reset: {', '.join(map(str, unknown))}")
    make_private_dir(dest)
    source_dir, run_dir = snapshot.profile_dir, dest / "Default"
    run_dir.mkdir(mode=0o700)
    # The snapshot holds regular files only, within its limits; copying it the same
    # careful way keeps a full disk a one-line error.
    budget = CopyBudget(dest)
    shared = [d for d in EXTENSION_STATE_DIRS if d not in PER_EXTENSION_DIRS]
    kept = shared + (list(SITE_DATA_DIRS) if keep_site_data else [])
    for name in kept:
        for source, target in tree_files(source_dir / name, run_dir / name):
            budget.copy(source, target)
    loaded = _run_ids(extensions)
    for ext, run_id in loaded:
        _copy_extension_state(source_dir, run_dir, ext.id, run_id, keep_site_data, budget)
    if keep_cookies:
        for name in COOKIE_FILES:
            if (source_dir / name).is_file():
                budget.copy(source_dir / name, run_dir / name)
    files = {n: load_json(source_dir / n) for n in PREFERENCE_FILES if (source_dir / n).is_file()}
    entries = extension_entries([files.get("Secure Preferences"), files.get("Preferences")])
    for name, prefs in files.items():
        _drop_extensions(prefs)
        for setting in resets:
            _reset_setting(prefs, setting)
        drop_site_settings(prefs, [s for s in site_resets if s is not None])
        if name == "Preferences":
            prefs["session"] = {"restore_on_startup": 5}  # open the new tab page only
            profile = prefs.setdefault("profile", {})
            if isinstance(profile, dict):
                profile["exit_type"] = "Normal"
            _register(prefs, loaded, entries)
        write_private(run_dir / name, _dumps(prefs, source_dir / name))
    local_state = {}
    if (snapshot.user_data_dir / "Local State").is_file():
        local_state = load_json(snapshot.user_data_dir / "Local State")
    profiles = local_state.get("profile")
    if not isinstance(profiles, dict):
        profiles = local_state["profile"] = {}
    cache = profiles.get("info_cache")
    info = cache.get(snapshot.profile_name, {}) if isinstance(cache, dict) else {}
    profiles.update(last_used="Default", info_cache={"Default": info})
    profiles.pop("last_active_profiles", None)
    write_private(dest / "Local State", _dumps(local_state, snapshot.user_data_dir / "Local State"))
    return dest


def _dumps(data: dict[str, Any], source: Path) -> str:
    try:
        return json.dumps(data)
    except RecursionError as exc:  # parsed, but nested too deeply to write back
        raise BadInput(f"{source} is nested too deeply: the profile may be damaged") from exc


def _run_ids(extensions: Iterable[Extension]) -> list[tuple[Extension, str]]:
    """Each extension with the id Chromium gives the copy it loads.

    The same as the person's when the manifest has a ``key``; a key-less unpacked
    extension's id follows its folder, so its state is carried over to the new id.
    """
    found = []
    for ext in extensions:
        try:
            found.append((ext, extension_id(ext.path)))
        except ValueError:
            found.append((ext, ext.id))  # Chromium will refuse it too; nothing to carry over
    return found


def _copy_extension_state(
    source_dir: Path,
    run_dir: Path,
    ext_id: str,
    run_id: str,
    keep_site_data: bool,
    budget: CopyBudget,
) -> None:
    trees = [(f"{d}/{ext_id}", f"{d}/{run_id}") for d in PER_EXTENSION_DIRS]
    if not keep_site_data or run_id != ext_id:
        # The extension's own IndexedDB (chrome-extension_<id>_0.indexeddb.leveldb and
        # .blob) is its storage, not the portal's site data.
        origin, new_origin = f"chrome-extension_{ext_id}_0", f"chrome-extension_{run_id}_0"
        for suffix in (".indexeddb.leveldb", ".indexeddb.blob"):
            trees.append((f"IndexedDB/{origin}{suffix}", f"IndexedDB/{new_origin}{suffix}"))
    for source, target in trees:
        for src_file, dst_file in tree_files(source_dir / source, run_dir / target):
            budget.copy(src_file, dst_file)


def _register(
    prefs: dict[str, Any],
    loaded: list[tuple[Extension, str]],
    entries: dict[str, dict[str, Any]],
) -> None:
    """Give each loaded extension back its Preferences entry, pointing at the folder loaded.

    Chromium loads a ``--load-extension`` folder whose id has an entry as a reinstall and
    keeps the entry: the dynamic rules' checksum (``dnr_dynamic_ruleset``), the rulesets
    turned on at run time (``dnr_enabled_ruleset_ids``), granted permissions. Without the
    checksum it discards the rules (measured in Chromium 156: 0 dynamic rules instead
    of the person's). The entry says what Chromium itself writes for such a folder:
    ``location`` 8 (command line) and the folder's absolute path. Its MAC is left out:
    Chromium on Linux does not enforce those MACs and rewrites them.
    """
    if not loaded:
        return
    extensions = prefs.setdefault("extensions", {})
    if not isinstance(extensions, dict):
        return
    registered = extensions.setdefault("settings", {})
    if not isinstance(registered, dict):
        registered = extensions["settings"] = {}
    for ext, run_id in loaded:
        entry = entries.get(ext.id)
        if entry is None:
            continue
        registered[run_id] = {
            **entry,
            "location": COMMAND_LINE_LOCATION,
            "path": str(ext.path),
            "disable_reasons": [],  # only enabled extensions are loaded
        }


def _drop_extensions(prefs: dict[str, Any]) -> None:
    """Forget the installed extensions: the run loads exactly the ones it is given."""
    registered = dig(prefs, "extensions", "settings")
    if not isinstance(registered, dict):
        return
    dropped = [
        ext_id
        for ext_id, entry in registered.items()
        if not (isinstance(entry, dict) and entry.get("location") in COMPONENT_LOCATIONS)
    ]
    macs = dig(prefs, "protection", "macs", "extensions") or {}
    for ext_id in dropped:
        del registered[ext_id]
        for key in ("settings", "settings_encrypted_hash"):
            if isinstance(macs.get(key), dict):
                macs[key].pop(ext_id, None)


def _reset_setting(prefs: dict[str, Any], setting: SettingId) -> None:
    profile = prefs.get("profile")
    defaults = dig(prefs, "profile", "default_content_setting_values")
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


def extension_launch_args(
    extensions: Iterable[Extension], *, helpers: Iterable[Path] = ()
) -> list[str]:
    """Chromium flags that load exactly ``extensions`` (and no other installed one).

    ``helpers``: folders of probe's own extensions to load beside them (the switch a
    pooled browser turns extensions on and off with). The caller also passes
    ``ignore_default_args=["--disable-extensions"]`` to Playwright when the list is not
    empty.
    """
    paths = list(dict.fromkeys([str(e.path) for e in extensions] + [str(p) for p in helpers]))
    if not paths:
        return []
    for path in paths:
        if "," in path:
            raise BadInput(f"extension folder {path}: Chromium cannot load a path with a comma")
    joined = ",".join(paths)
    return [f"--disable-extensions-except={joined}", f"--load-extension={joined}"]
