"""Finding a Firefox to drive, and the person's Firefox profiles.

Executable: the ``--firefox`` option, the ``PROBE_FIREFOX`` environment variable,
Playwright's own download folder, then the system's
Firefox (Debian's ``firefox-esr`` first). Profiles: ``profiles.ini`` and
``installs.ini`` in the per-platform Firefox folder.
"""

from __future__ import annotations

import configparser
import glob
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from probe._util.files import UnsafeFile, is_real_dir, is_regular, read_text
from probe.errors import BadInput, ChromiumMissing

ENV_VAR = "PROBE_FIREFOX"

INSTALL_HINT = (
    "no Firefox found: run 'probe install firefox' (Playwright's build, else the system's firefox-esr), "
    "or point PROBE_FIREFOX / --firefox at a Firefox executable"
)

# /usr/bin/firefox on Debian is a shell wrapper and /usr/bin/firefox-esr a link: drive
# the binary itself, so the process Playwright watches is Firefox.
_SYSTEM_BINARIES = (
    "/usr/lib/firefox-esr/firefox-esr",
    "/usr/lib/firefox/firefox",
    "/opt/firefox/firefox",
    "/Applications/Firefox.app/Contents/MacOS/firefox",
)
_SYSTEM_NAMES = ("firefox-esr", "firefox")


@dataclass(frozen=True)
class Firefox:
    """A Firefox executable probe can drive through WebDriver BiDi."""

    executable: Path
    version: str  # e.g. "153.8.0"
    esr: bool
    source: str  # "option", "env", "playwright", "system"

    @property
    def engine(self) -> Literal["firefox"]:
        """The engine it is (tells a found browser apart: ``probe.browsers.registry``)."""
        return "firefox"

    @property
    def major(self) -> int:
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    @property
    def honours_unsigned_addons(self) -> bool:
        # Release Firefox ignores xpinstall.signatures.required; ESR, Developer
        # Edition and Nightly honour it, so only they can side-load unsigned add-ons.
        return self.esr or self.source == "playwright"

    def describe(self) -> str:
        return f"Firefox {self.version}{' ESR' if self.esr else ''} ({self.executable})"


def read_version(executable: Path) -> tuple[str, bool]:
    """Version and ESR-ness from the ``application.ini`` beside the executable.

    Reading the file costs nothing; ``firefox --version`` starts a Firefox process.
    """
    folder = executable.resolve().parent
    for ini in (folder / "application.ini", folder.parent / "Resources" / "application.ini"):
        if not is_regular(ini):
            continue
        try:
            text = read_text(ini, 64 * 1024)
        except (OSError, BadInput):
            continue
        version = re.search(r"^Version=(\S+)", text, re.M)
        if version:
            esr = _channel(folder) == "esr" or version.group(1).endswith("esr")
            return version.group(1), esr
    return "unknown", _channel(folder) == "esr"


def _channel(folder: Path) -> str:
    prefs = folder / "defaults" / "pref" / "channel-prefs.js"
    if not is_regular(prefs):
        return ""
    try:
        match = re.search(r'"app\.update\.channel",\s*"([^"]+)"', read_text(prefs, 64 * 1024))
    except (OSError, BadInput):
        return ""
    return match.group(1) if match else ""


def _playwright_candidates(env: Mapping[str, str]) -> list[Path]:
    roots: list[Path] = []
    if (folder := env.get("PLAYWRIGHT_BROWSERS_PATH")) and folder != "0":
        roots.append(Path(folder))
    roots.append(Path.home() / ".cache" / "ms-playwright")
    found: list[Path] = []
    for root in roots:
        # Playwright's own Firefox builds ('playwright install firefox'), Nightly-based.
        # Not measured here over BiDi: Debian's firefox-esr is what the tests drive.
        for pattern in (
            "firefox-*/firefox/firefox",
            "firefox-*/firefox/Nightly.app/Contents/MacOS/firefox",
        ):
            found.extend(Path(p) for p in sorted(glob.glob(str(root / pattern)), reverse=True))
    return found


def _system_candidates(env: Mapping[str, str]) -> list[Path]:
    found = [Path(p) for p in _SYSTEM_BINARIES]
    for variable in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA"):
        if base := env.get(variable):
            found.append(Path(base) / "Mozilla Firefox" / "firefox.exe")
    for name in _SYSTEM_NAMES:
        if path := shutil.which(name):
            found.append(Path(path).resolve())
    return found


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _make(path: Path, source: str) -> Firefox:
    version, esr = read_version(path)
    return Firefox(executable=path, version=version, esr=esr, source=source)


def find_firefox(option: str | Path | None = None, env: Mapping[str, str] | None = None) -> Firefox:
    """The Firefox to drive, or raise with one line saying how to get one."""
    env = os.environ if env is None else env
    for value, label, source in (
        (option, "--firefox", "option"),
        (env.get(ENV_VAR), ENV_VAR, "env"),
    ):
        if value:
            path = Path(value).expanduser()
            if not _executable(path):
                sep = " " if source == "option" else "="
                raise BadInput(f"{label}{sep}{value}: not an executable file")
            return _make(path, source)
    candidates = [(p, "playwright") for p in _playwright_candidates(env)]
    candidates += [(p, "system") for p in _system_candidates(env)]
    for path, source in candidates:
        if _executable(path):
            return _make(path, source)
    raise ChromiumMissing(INSTALL_HINT)


# --- profiles ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileEntry:
    """One ``[ProfileN]`` section of ``profiles.ini``."""

    name: str
    path: Path
    is_default: bool  # Default=1 in its section (the pre-67 default)
    exists: bool


@dataclass(frozen=True)
class ProfileChoice:
    """The profile probe reads, among those a Firefox folder lists."""

    root: Path  # the folder holding profiles.ini
    entry: ProfileEntry
    reason: str  # "named", "install default", "last used", "default", "only"
    others: tuple[ProfileEntry, ...]


def firefox_roots(
    platform: str | None = None, home: Path | None = None, env: Mapping[str, str] | None = None
) -> list[Path]:
    """Where Firefox keeps ``profiles.ini`` on this platform, most usual first."""
    platform = platform or sys.platform
    home = home or Path.home()
    env = os.environ if env is None else env
    if platform.startswith("win"):
        appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        return [appdata / "Mozilla" / "Firefox"]
    if platform == "darwin":
        return [home / "Library" / "Application Support" / "Firefox"]
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [
        home / ".mozilla" / "firefox",
        # Firefox 147 moved new Linux installs to the XDG folder.
        xdg / "mozilla" / "firefox",
        home / "snap" / "firefox" / "common" / ".mozilla" / "firefox",
        home / ".var" / "app" / "org.mozilla.firefox" / ".mozilla" / "firefox",
        home / ".var" / "app" / "org.mozilla.firefox" / "config" / "mozilla" / "firefox",
    ]


def _read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    if not is_regular(path):
        return parser
    try:
        parser.read_string(read_text(path, 1024 * 1024), source=str(path))
    except UnsafeFile:
        raise
    except configparser.Error as exc:
        raise BadInput(
            f"{path} is not a readable profiles list ({exc.__class__.__name__})"
        ) from exc
    return parser


def _profile_path(root: Path, raw: str, relative: bool) -> Path | None:
    # Firefox writes relative paths with "/" on every platform, absolute ones natively.
    parts = PureWindowsPath(raw).parts if "\\" in raw else PurePosixPath(raw).parts
    if relative:
        if not parts or ".." in parts or PurePosixPath(raw).is_absolute() or ":" in raw:
            return None
        return root.joinpath(*parts)
    return Path(raw)


def list_profiles(root: Path) -> tuple[list[ProfileEntry], list[Path]]:
    """The profiles ``root/profiles.ini`` lists, and the install defaults it and
    ``installs.ini`` name (dedicated profiles, Firefox 67 on)."""
    ini = _read_ini(root / "profiles.ini")
    entries: list[ProfileEntry] = []
    by_raw: dict[str, Path] = {}
    for section in ini.sections():
        if not section.startswith("Profile"):
            continue
        data = ini[section]
        raw = data.get("Path", "").strip()
        if not raw:
            continue
        relative = data.get("IsRelative", "1").strip() != "0"
        path = _profile_path(root, raw, relative)
        if path is None:
            continue
        by_raw[raw] = path
        entries.append(
            ProfileEntry(
                name=data.get("Name", path.name),
                path=path,
                is_default=data.get("Default", "0").strip() == "1",
                exists=is_real_dir(path),
            )
        )
    install_defaults: list[Path] = []
    installs = _read_ini(root / "installs.ini")
    for parser in (ini, installs):
        for section in parser.sections():
            if section.startswith("Profile") or section == "General":
                continue
            raw = parser[section].get("Default", "").strip()
            path = by_raw.get(raw) or _profile_path(root, raw, True) if raw else None
            if path is not None and path not in install_defaults:
                install_defaults.append(path)
    return entries, install_defaults


def _last_used(path: Path) -> int:
    try:
        return (path / "prefs.js").lstat().st_mtime_ns
    except OSError:
        return 0


def choose_profile(root: Path, profile_name: str | None = None) -> ProfileChoice:
    """The profile to read in ``root``: the one named, else the install default (the
    most recently used one when several installs share the folder), else ``Default=1``."""
    entries, install_defaults = list_profiles(root)
    if not entries:
        raise BadInput(f"{root}: no Firefox profile listed in profiles.ini")
    existing = [e for e in entries if e.exists]

    def pick(entry: ProfileEntry, reason: str) -> ProfileChoice:
        others = tuple(e for e in entries if e is not entry)
        return ProfileChoice(root=root, entry=entry, reason=reason, others=others)

    if profile_name is not None:
        for entry in entries:
            if profile_name in (entry.name, entry.path.name):
                if not entry.exists:
                    raise BadInput(
                        f"Firefox profile {profile_name!r}: its folder {entry.path} is missing"
                    )
                return pick(entry, "named")
        names = ", ".join(repr(e.name) for e in entries)
        raise BadInput(f"no Firefox profile named {profile_name!r} in {root} (there are: {names})")
    if not existing:
        raise BadInput(f"{root}: the profiles listed in profiles.ini have no folder")
    defaults = [e for e in existing if e.path in install_defaults]
    if len(defaults) == 1:
        return pick(defaults[0], "install default")
    if defaults:
        return pick(max(defaults, key=lambda e: _last_used(e.path)), "last used")
    for entry in existing:
        if entry.is_default:
            return pick(entry, "default")
    if len(existing) == 1:
        return pick(existing[0], "only")
    return pick(max(existing, key=lambda e: _last_used(e.path)), "last used")


def find_profile(
    profile_name: str | None = None,
    *,
    platform: str | None = None,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ProfileChoice | None:
    """The person's Firefox profile in the usual folders, or None when there is none."""
    for root in firefox_roots(platform, home, env):
        if is_regular(root / "profiles.ini"):
            return choose_profile(root, profile_name)
    return None


def is_firefox_profile(folder: Path) -> bool:
    """True when ``folder`` looks like a Firefox profile (not a Chromium user-data folder)."""
    markers = ("prefs.js", "times.json", "compatibility.ini", "places.sqlite")
    return is_real_dir(folder) and any(is_regular(folder / m) for m in markers)
