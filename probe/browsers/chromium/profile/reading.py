"""Reading a profile without changing it: its extensions, settings and browser version."""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from probe._util.files import (
    MAX_JSON_BYTES,
    MAX_SMALL_BYTES,
    Note,
    Notes,
    Unreadable,
    has_parent_step,
    inside,
    plain_name,
    read_regular,
    shown,
)
from probe.browsers.chromium.profile.chromium_json import loads_chromium
from probe.errors import BadInput
from probe.models import Detail

SettingId = Literal["javascript", "cookies", "third-party-cookies", "proxy"]

SETTING_NAMES: dict[SettingId, str] = {
    "javascript": "JavaScript blocked",
    "cookies": "All cookies blocked",
    "third-party-cookies": "Third-party cookies blocked",
    "proxy": "A proxy server is set in the browser",
}

# Extension "location" values of the browser's own built-in extensions (PDF viewer...).
COMPONENT_LOCATIONS = {5, 10}
# Chromium ids: 32 letters a-p (a sha256 prefix written with 16 letters). A key of
# extensions.settings becomes a folder name in the copy, so nothing else is accepted.
EXTENSION_ID = re.compile(r"[a-p]{32}")


@dataclass(frozen=True)
class Extension:
    id: str
    name: str
    version: str
    path: Path  # the unpacked folder (where manifest.json is)
    enabled: bool
    incognito: bool  # allowed in private mode
    source: Literal["webstore", "unpacked"]
    # The rule lists (static rulesets) the person turned on and off, by manifest id, when
    # they differ from what the manifest turns on; None when they do not.
    rulesets: tuple[tuple[str, ...], tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Setting:
    id: SettingId
    name: str  # plain English, e.g. "JavaScript blocked"


@dataclass(frozen=True)
class SourceProfile:
    user_data_dir: Path
    profile_name: str  # "Default", "Profile 1"
    kind: Literal[
        "given", "default-chromium", "default-chrome", "default-edge", "default-brave", "fresh"
    ]
    extensions: tuple[Extension, ...]
    settings: tuple[Setting, ...]  # non-default settings that matter for logging in
    chromium_version: str | None  # the browser version that last used the profile
    # Things skipped while reading or copying (damaged or refused input), one line each:
    # the terminal shows them as "Note: ...".
    warnings: tuple[str, ...] = ()
    # The same, with a kind and plain values: the report's limitations are made from them.
    notes: tuple[Note, ...] = ()

    @property
    def profile_dir(self) -> Path:
        return self.user_data_dir / self.profile_name

    def made_by_newer_browser(self, browser_version: str) -> bool:
        """True if the profile was last used by a newer browser than ``browser_version``."""
        if not self.chromium_version:
            return False
        return _version_tuple(self.chromium_version) > _version_tuple(browser_version)


def extension_id(folder: Path) -> str:
    """The id Chromium gives the unpacked extension in ``folder``.

    From the manifest's ``key`` when it has one (so the id survives copies), otherwise
    from the folder's absolute path: sha256, first 32 hex digits written with a-p.
    Raises ValueError when the manifest is missing or broken.
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
    path = path.expanduser().absolute()
    if not path.exists():
        raise BadInput(f"profile folder not found: {path}")
    if not path.is_dir():
        raise BadInput(f"{path} is a file, not a browser profile folder")
    if (path / "Preferences").is_file():
        return _read_profile(path.parent, path.name, "given")
    name, notes = _pick_profile(path)
    if name is None:
        raise BadInput(
            f"{path} is not a browser profile: no Preferences file in it "
            "or in a Default or 'Profile N' folder"
        )
    return _read_profile(path, name, "given", notes)


DefaultKind = Literal["default-chromium", "default-chrome", "default-edge", "default-brave"]


def chromium_roots(
    platform: str | None = None, home: Path | None = None, env: Mapping[str, str] | None = None
) -> list[tuple[DefaultKind, Path]]:
    """Where Chromium, Chrome, Edge and Brave keep their user-data-dir on this platform,
    in the order probe looks for the person's profile."""
    platform = platform or sys.platform
    home = home or Path.home()
    env = os.environ if env is None else env
    if platform.startswith("win"):
        local = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
        base, names = (
            local,
            ("Chromium", "Google/Chrome", "Microsoft/Edge", "BraveSoftware/Brave-Browser"),
        )
        return [(k, base / n / "User Data") for k, n in zip(_KINDS, names, strict=True)]
    if platform == "darwin":
        base = home / "Library" / "Application Support"
        names = ("Chromium", "Google/Chrome", "Microsoft Edge", "BraveSoftware/Brave-Browser")
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        names = ("chromium", "google-chrome", "microsoft-edge", "BraveSoftware/Brave-Browser")
    return [(k, base / n) for k, n in zip(_KINDS, names, strict=True)]


_KINDS: tuple[DefaultKind, ...] = (
    "default-chromium",
    "default-chrome",
    "default-edge",
    "default-brave",
)


def default_user_data_dir() -> Path | None:
    """The user-data-dir probe reads when no profile is given (the first of
    ``chromium_roots`` holding a profile), None when there is none."""
    for _, folder in chromium_roots():
        if folder.is_dir() and _pick_profile(folder)[0] is not None:
            return folder
    return None


def _default_profile() -> SourceProfile:
    candidates = chromium_roots()
    for kind, folder in candidates:
        name, notes = _pick_profile(folder) if folder.is_dir() else (None, [])
        if name is not None:
            return _read_profile(folder, name, kind, notes)
    fresh = Path(tempfile.mkdtemp(prefix="probe-fresh-profile-"))
    atexit.register(shutil.rmtree, fresh, True)
    (fresh / "Default").mkdir(mode=0o700)
    (fresh / "Default" / "Preferences").write_text("{}")
    return _read_profile(fresh, "Default", "fresh")


def _pick_profile(user_data_dir: Path) -> tuple[str | None, list[str]]:
    """The profile a browser would open: the last used one, else Default, else Profile N.

    Also the notes on what was refused: a ``last_used`` that is not a plain folder name
    (``../../x`` would lead out of the folder), a profile folder that is a link.
    """
    names: list[str] = []
    notes: list[str] = []
    local_state_file = user_data_dir / "Local State"
    if os.path.lexists(local_state_file):
        try:
            last_used = dig(
                _parse_json(read_regular(local_state_file, MAX_JSON_BYTES)), "profile", "last_used"
            )
        except (Unreadable, ValueError) as exc:
            notes.append(f"Local State ignored: {exc}")
            last_used = None
        if isinstance(last_used, str) and plain_name(last_used):
            names.append(last_used)
        elif last_used is not None:
            notes.append(
                f"Local State's last used profile {shown(str(last_used))} is not a folder "
                "name in the profile; ignored"
            )
    names.append("Default")
    numbered = [p.name for p in user_data_dir.glob("Profile *") if p.name[8:].isdigit()]
    names += sorted(numbered, key=lambda n: int(n[8:]))
    for name in dict.fromkeys(names):
        if not (user_data_dir / name / "Preferences").is_file():
            continue
        if (user_data_dir / name).is_symlink():
            notes.append(f"profile folder {shown(name)} is a symbolic link; not followed")
            continue
        return name, notes
    return None, notes


def _read_profile(
    user_data_dir: Path, name: str, kind: Any, notes: list[str] | None = None
) -> SourceProfile:
    profile_dir = user_data_dir / name
    warnings = Notes()
    for note in notes or ():
        warnings.add("profile-note", note, detail=note)
    prefs = load_json(profile_dir / "Preferences")
    secure: dict[str, Any] = {}
    if os.path.lexists(profile_dir / "Secure Preferences"):
        try:
            secure = load_json(profile_dir / "Secure Preferences")
        except BadInput:
            text = "Secure Preferences is not a readable JSON file; read Preferences only"
            warnings.add("profile-note", text, detail=text)
    extensions = _read_extensions(profile_dir, [secure, prefs], warnings)
    version = None
    try:
        raw = read_regular(user_data_dir / "Last Version", MAX_SMALL_BYTES)
        version = raw.decode("utf-8", "replace").strip() or None
    except Unreadable as exc:
        if os.path.lexists(user_data_dir / "Last Version"):
            text = f"Last Version ignored: {exc}"
            warnings.add("profile-note", text, detail=text)
        version = dig(prefs, "extensions", "last_chrome_version")
    return SourceProfile(
        user_data_dir=user_data_dir,
        profile_name=name,
        kind=kind,
        extensions=tuple(extensions),
        settings=tuple(read_settings(prefs)),
        chromium_version=version if isinstance(version, str) else None,
        warnings=warnings.texts(),
        notes=tuple(warnings),
    )


def read_settings(prefs: dict[str, Any]) -> list[Setting]:
    """The non-default settings of a parsed Preferences file that can stop a login."""
    found: list[SettingId] = []
    defaults = dig(prefs, "profile", "default_content_setting_values") or {}
    if isinstance(defaults, dict):
        if defaults.get("javascript") == 2:
            found.append("javascript")
        if defaults.get("cookies") == 2:
            found.append("cookies")
    if dig(prefs, "profile", "cookie_controls_mode") == 1:
        found.append("third-party-cookies")
    if dig(prefs, "proxy", "mode") in ("fixed_servers", "pac_script"):
        found.append("proxy")
    return [Setting(id=s, name=SETTING_NAMES[s]) for s in found]


def _read_extensions(
    profile_dir: Path, pref_sources: list[dict[str, Any]], warnings: Notes
) -> list[Extension]:
    installed = profile_dir / "Extensions"
    found: list[Extension] = []
    for ext_id, entry in sorted(extension_entries(pref_sources).items()):
        folder = _extension_folder(ext_id, entry, profile_dir, warnings)
        if folder is None:
            continue
        try:
            manifest = _read_manifest(folder)
        except ValueError as exc:
            warnings.add("extension-skipped", f"extension {ext_id} skipped: {exc}", name=ext_id)
            continue
        reasons = entry.get("disable_reasons")
        enabled = not reasons and entry.get("state", 1) != 0
        name = _manifest_name(folder, manifest)
        if not _replayable(ext_id, name, entry, manifest, enabled, warnings):
            continue
        found.append(
            Extension(
                id=ext_id,
                name=name,
                version=str(manifest.get("version", "")),
                path=folder,
                enabled=enabled,
                incognito=entry.get("incognito") is True,
                source="webstore" if folder.is_relative_to(installed) else "unpacked",
                rulesets=_ruleset_choice(entry, manifest) if enabled else None,
            )
        )
    return found


def extension_entries(
    pref_sources: Sequence[dict[str, Any] | None],
) -> dict[str, dict[str, Any]]:
    """The extensions' Preferences entries, by id; later sources win (Preferences over
    Secure Preferences). Reading a profile and making a run folder both read them so."""
    entries: dict[str, dict[str, Any]] = {}
    for prefs in pref_sources:
        registered = dig(prefs, "extensions", "settings")
        if isinstance(registered, dict):
            entries.update({k: v for k, v in registered.items() if isinstance(v, dict)})
    return entries


def _extension_folder(
    ext_id: str, entry: dict[str, Any], profile_dir: Path, warnings: Notes
) -> Path | None:
    """Where the person's extension ``ext_id`` lives; None (and a note why, unless it is
    Chromium's own component) when no run may read it."""
    relative = entry.get("path")
    if entry.get("location") in COMPONENT_LOCATIONS or not isinstance(relative, str):
        return None
    if not EXTENSION_ID.fullmatch(ext_id):
        warnings.add(
            "extension-skipped",
            f"extension entry {shown(ext_id)} skipped: not a Chromium extension id "
            "(32 letters a to p)",
            name=shown(ext_id),
        )
        return None
    if has_parent_step(relative):
        warnings.add(
            "extension-skipped", f"extension {ext_id} skipped: its path has '..' in it", name=ext_id
        )
        return None
    installed = profile_dir / "Extensions"
    folder = Path(relative) if Path(relative).is_absolute() else installed / relative
    if not Path(relative).is_absolute() and not inside(folder, profile_dir):
        warnings.add(
            "extension-skipped",
            f"extension {ext_id} skipped: its folder is a link out of the profile",
            name=ext_id,
        )
        return None
    return folder


def _replayable(
    ext_id: str,
    name: str,
    entry: dict[str, Any],
    manifest: dict[str, Any],
    enabled: bool,
    warnings: Notes,
) -> bool:
    """False when no run can keep the extension; notes what its runs lose of it."""
    if enabled and manifest.get("manifest_version") == 2:
        # Chromium 139+ refuses Manifest V2: the browser that wrote this profile ran it,
        # probe's cannot, so no run can keep it.
        warnings.add(
            "extension-unsupported",
            f"extension {shown(name)} ({ext_id}) is Manifest V2, which this Chromium "
            "refuses: no run can include it",
            name=name,
        )
        return False
    if enabled and _ruleset_choice(entry, manifest) is not None and not _has_worker(manifest):
        # Likewise the static rulesets it turned on or off at run time
        # (dnr_enabled_ruleset_ids): a --load-extension start resets them to the
        # manifest's (measured in Chromium 156). A run turns them back through the
        # extension's service worker (probe.browsers.chromium.extension_state); without one it cannot.
        warnings.add(
            "extension-rulesets",
            f"extension {shown(name)} ({ext_id}) turned some of its rule lists on or "
            "off; its runs start with the lists its manifest turns on",
            name=name,
        )
    if enabled and entry.get("persistent_script_url_patterns"):
        # Chromium forgets the content scripts an extension registered
        # (scripting.registerContentScripts) whenever it loads it from a folder with
        # --load-extension, as probe does (measured in Chromium 156, also on the
        # profile that registered them); extensions that register them again when
        # they start (uBlock Origin Lite does) lose nothing.
        warnings.add(
            "extension-scripts",
            f"extension {shown(name)} ({ext_id}) registered content scripts, which its "
            "runs start without unless it registers them again",
            name=name,
        )
    return True


def _ruleset_choice(
    entry: dict[str, Any], manifest: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The rulesets turned (on, off) when they differ from what the manifest turns on.

    Chromium numbers the manifest's ``rule_resources`` from 1 in
    ``dnr_enabled_ruleset_ids``; the entry has no such list until the extension changes it.
    """
    chosen = entry.get("dnr_enabled_ruleset_ids")
    resources = dig(manifest, "declarative_net_request", "rule_resources")
    if not isinstance(chosen, list) or not isinstance(resources, list):
        return None
    ids = [r.get("id") if isinstance(r, dict) else None for r in resources]
    default = {i for i, r in enumerate(resources, 1) if isinstance(r, dict) and r.get("enabled")}
    if set(chosen) == default or not all(isinstance(i, str) for i in ids):
        return None
    on = tuple(str(ids[i - 1]) for i in chosen if isinstance(i, int) and 1 <= i <= len(ids))
    return on, tuple(str(i) for i in ids if i not in on)


def _has_worker(manifest: dict[str, Any]) -> bool:
    background = manifest.get("background")
    return isinstance(background, dict) and isinstance(background.get("service_worker"), str)


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The parsed manifest.json of an extension folder; ValueError saying what is wrong."""
    try:
        raw = read_regular(folder / "manifest.json", MAX_JSON_BYTES)
    except Unreadable as exc:
        raise ValueError(f"no readable manifest.json in {folder} ({exc})") from exc
    try:
        data = loads_chromium(raw.decode("utf-8-sig"))
    except ValueError as exc:  # UnicodeDecodeError included
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
    locale = str(manifest.get("default_locale", "en"))
    if not plain_name(locale):
        return name
    try:
        raw = read_regular(folder / "_locales" / locale / "messages.json", MAX_JSON_BYTES)
        messages = loads_chromium(raw.decode("utf-8-sig"))
        by_key = {str(k).lower(): v for k, v in messages.items()}
        return str(by_key[key]["message"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return name


def load_json(path: Path) -> dict[str, Any]:
    """A profile's JSON file (Preferences, Local State) as a dict; ``BadInput`` if unfit."""
    try:
        raw = read_regular(path, MAX_JSON_BYTES)
    except Unreadable as exc:
        raise BadInput(f"cannot read {path}: {exc}") from exc
    try:
        data = _parse_json(raw)
    except ValueError as exc:
        raise BadInput(f"{path} is not valid JSON: the profile may be damaged") from exc
    if not isinstance(data, dict):
        raise BadInput(f"{path} is not a JSON object: the profile may be damaged")
    return data


def _parse_json(raw: bytes) -> Any:
    """Parsed JSON; ValueError for anything damaged, also nesting too deep for Python."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


def dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def describe_profile(profile: SourceProfile, *, from_recipe: bool = False) -> Detail:
    """The progress line saying which profile a diagnosis reads."""
    if from_recipe:
        return Detail(key="progress.profile.recipe")
    if profile.kind == "fresh":
        return Detail(key="progress.profile.fresh")
    where = profile.user_data_dir / profile.profile_name
    kind = profile.kind if profile.kind in _PROFILE_KINDS else "given"
    return Detail(key=f"progress.profile.{kind}", params={"where": str(where)})


# The profile kinds with a progress line of their own (``progress.profile.KIND``).
_PROFILE_KINDS = frozenset(
    {"given", "default-chromium", "default-chrome", "default-edge", "default-brave"}
)
