"""Run folders: one user-data-dir per browser run, made from a snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from probe.errors import BadInput
from probe.profiles.files import CopyBudget, tree_files, write_private
from probe.profiles.reading import (
    COMPONENT_LOCATIONS,
    SETTING_NAMES,
    Extension,
    SettingId,
    SourceProfile,
    dig,
    load_json,
)
from probe.profiles.snapshot import (
    COOKIE_FILES,
    EXTENSION_STATE_DIRS,
    PREFERENCE_FILES,
    SITE_DATA_DIRS,
    make_private_dir,
)

# Upstream Chromium's default for profile.cookie_controls_mode (Debian patches it to 1).
UPSTREAM_COOKIE_CONTROLS_MODE = 2


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
    make_private_dir(dest)
    source_dir, run_dir = snapshot.profile_dir, dest / "Default"
    run_dir.mkdir(mode=0o700)
    # The snapshot holds regular files only, within its limits; copying it the same
    # careful way keeps a full disk a one-line error.
    budget = CopyBudget(dest)
    kept = list(EXTENSION_STATE_DIRS) + (list(SITE_DATA_DIRS) if keep_site_data else [])
    for name in kept:
        for source, target in tree_files(source_dir / name, run_dir / name):
            budget.copy(source, target)
    if keep_cookies:
        for name in COOKIE_FILES:
            if (source_dir / name).is_file():
                budget.copy(source_dir / name, run_dir / name)
    for name in PREFERENCE_FILES:
        if (source_dir / name).is_file():
            prefs = load_json(source_dir / name)
            _drop_extensions(prefs)
            for setting in resets:
                _reset_setting(prefs, setting)
            if name == "Preferences":
                prefs["session"] = {"restore_on_startup": 5}  # open the new tab page only
                profile = prefs.setdefault("profile", {})
                if isinstance(profile, dict):
                    profile["exit_type"] = "Normal"
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
