"""Where Chromium-family browsers are installed, what each build is, and which one wrote a profile.

Everything here is data about this machine's folders, looked up the way Playwright 1.64
looks them up (its ``coreBundle.js``: ``_createChromiumChannel`` and ``registryDirectory``),
with the platform, the environment and the file test injected so that Windows and macOS
are unit-tested on Linux:

- Branded browsers by channel: ``chrome``, ``chrome-beta``, ``chrome-dev``,
  ``chrome-canary``, ``msedge`` (and its beta, dev, canary), at Playwright's fixed paths
  (Windows: under ``%LOCALAPPDATA%``, ``%PROGRAMFILES%``, ``%PROGRAMFILES(X86)%``). Brave has
  no Playwright channel; ``brave`` is probe's own name for it, at Brave's install paths.
- Playwright's own Chromium: ``$PLAYWRIGHT_BROWSERS_PATH`` (``0``: the folder inside the
  Playwright package), else ``ms-playwright`` in the cache folder (``$XDG_CACHE_HOME`` or
  ``~/.cache``, ``~/Library/Caches``, ``%LOCALAPPDATA%``); since Playwright 1.49 that build
  is "Google Chrome for Testing", which keeps ``--load-extension`` (only the branded
  Google Chrome build drops it).
- The browser a profile belongs to: from the user-data-dir's folder name (each product
  and channel keeps its own, on each platform).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

# What ``--version`` prints, first words: the product, then its version. Recorded:
# "Chromium 156.0.8078.129 built on Debian GNU/Linux 13 (trixie)",
# "Google Chrome for Testing 156.0.8078.4 ", "Google Chrome 140.0.7339.80 ",
# "Microsoft Edge 140.0.3485.54 ", "Brave Browser 140.1.82.166 ".
PRODUCTS = (
    "Google Chrome for Testing",
    "Google Chrome",
    "Microsoft Edge",
    "Brave Browser",
    "Chromium",
)
_VERSION_LINE = re.compile(
    r"(" + "|".join(re.escape(p) for p in PRODUCTS) + r")\D*?(\d+(?:\.\d+)+)"
)

# Playwright's channels (its registry), and Brave's install paths: platform -> path; on
# Windows the path is under one of the program folders (``_windows_prefixes``).
CHANNEL_PATHS: dict[str, dict[str, str]] = {
    "chrome": {
        "linux": "/opt/google/chrome/chrome",
        "darwin": "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        "win32": r"Google\Chrome\Application\chrome.exe",
    },
    "chrome-beta": {
        "linux": "/opt/google/chrome-beta/chrome",
        "darwin": "/Applications/Google Chrome Beta.app/Contents/MacOS/Google Chrome Beta",
        "win32": r"Google\Chrome Beta\Application\chrome.exe",
    },
    "chrome-dev": {
        "linux": "/opt/google/chrome-unstable/chrome",
        "darwin": "/Applications/Google Chrome Dev.app/Contents/MacOS/Google Chrome Dev",
        "win32": r"Google\Chrome Dev\Application\chrome.exe",
    },
    "chrome-canary": {
        "linux": "/opt/google/chrome-canary/chrome",
        "darwin": "/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary",
        "win32": r"Google\Chrome SxS\Application\chrome.exe",
    },
    "msedge": {
        "linux": "/opt/microsoft/msedge/msedge",
        "darwin": "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
        "win32": r"Microsoft\Edge\Application\msedge.exe",
    },
    "msedge-beta": {
        "linux": "/opt/microsoft/msedge-beta/msedge",
        "darwin": "/Applications/Microsoft Edge Beta.app/Contents/MacOS/Microsoft Edge Beta",
        "win32": r"Microsoft\Edge Beta\Application\msedge.exe",
    },
    "msedge-dev": {
        "linux": "/opt/microsoft/msedge-dev/msedge",
        "darwin": "/Applications/Microsoft Edge Dev.app/Contents/MacOS/Microsoft Edge Dev",
        "win32": r"Microsoft\Edge Dev\Application\msedge.exe",
    },
    "msedge-canary": {
        "darwin": "/Applications/Microsoft Edge Canary.app/Contents/MacOS/Microsoft Edge Canary",
        "win32": r"Microsoft\Edge SxS\Application\msedge.exe",
    },
    "brave": {
        "linux": "/opt/brave.com/brave/brave",
        "darwin": "/Applications/Brave Browser.app/Contents/MacOS/Brave Browser",
        "win32": r"BraveSoftware\Brave-Browser\Application\brave.exe",
    },
}
CHANNELS = tuple(CHANNEL_PATHS)
_FAMILY_PRODUCTS = {
    "chromium": "Chromium",
    "chrome": "Google Chrome",
    "msedge": "Microsoft Edge",
    "brave": "Brave Browser",
}


def channel_product(channel: str) -> str:
    """The product of a channel: ``chrome-beta`` is Google Chrome, ``msedge`` Microsoft Edge."""
    return _FAMILY_PRODUCTS.get(channel.split("-", 1)[0], channel)


# The user-data-dir of each channel, per platform family (the last parts of its path,
# compared without case): the same folders ``reading.chromium_roots`` looks in for the
# stable channels, and those of the other channels.
_PROFILE_FOLDERS: dict[str, dict[str, tuple[str, ...]]] = {
    "linux": {
        "chromium": ("chromium",),
        "chrome": ("google-chrome",),
        "chrome-beta": ("google-chrome-beta",),
        "chrome-dev": ("google-chrome-unstable",),
        "chrome-canary": ("google-chrome-canary",),
        "msedge": ("microsoft-edge",),
        "msedge-beta": ("microsoft-edge-beta",),
        "msedge-dev": ("microsoft-edge-dev",),
        "brave": ("BraveSoftware", "Brave-Browser"),
    },
    "darwin": {
        "chromium": ("Chromium",),
        "chrome": ("Google", "Chrome"),
        "chrome-beta": ("Google", "Chrome Beta"),
        "chrome-dev": ("Google", "Chrome Dev"),
        "chrome-canary": ("Google", "Chrome Canary"),
        "msedge": ("Microsoft Edge",),
        "msedge-beta": ("Microsoft Edge Beta",),
        "msedge-dev": ("Microsoft Edge Dev",),
        "msedge-canary": ("Microsoft Edge Canary",),
        "brave": ("BraveSoftware", "Brave-Browser"),
    },
    "win32": {
        "chromium": ("Chromium", "User Data"),
        "chrome": ("Google", "Chrome", "User Data"),
        "chrome-beta": ("Google", "Chrome Beta", "User Data"),
        "chrome-dev": ("Google", "Chrome Dev", "User Data"),
        "chrome-canary": ("Google", "Chrome SxS", "User Data"),
        "msedge": ("Microsoft", "Edge", "User Data"),
        "msedge-beta": ("Microsoft", "Edge Beta", "User Data"),
        "msedge-dev": ("Microsoft", "Edge Dev", "User Data"),
        "msedge-canary": ("Microsoft", "Edge SxS", "User Data"),
        "brave": ("BraveSoftware", "Brave-Browser", "User Data"),
    },
}

# Playwright's Chromium build inside a revision folder (its EXECUTABLE_PATHS), newest
# layout first: Chrome for Testing builds, then the older Chromium ones.
_PLAYWRIGHT_BUILDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "linux": (
        ("chrome-linux64", "chrome"),
        ("chrome-linux-arm64", "chrome"),
        ("chrome-linux", "chrome"),
    ),
    "darwin": (
        (
            "chrome-mac-arm64",
            "Google Chrome for Testing.app",
            "Contents",
            "MacOS",
            "Google Chrome for Testing",
        ),
        (
            "chrome-mac-x64",
            "Google Chrome for Testing.app",
            "Contents",
            "MacOS",
            "Google Chrome for Testing",
        ),
        ("chrome-mac", "Chromium.app", "Contents", "MacOS", "Chromium"),
    ),
    "win32": (("chrome-win64", "chrome.exe"), ("chrome-win", "chrome.exe")),
}

Exists = Callable[[Path], bool]


def _family(platform: str) -> str:
    if platform.startswith("win"):
        return "win32"
    return "darwin" if platform == "darwin" else "linux"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def parse_version_output(output: str) -> tuple[str, str]:
    """The product and version a browser's ``--version`` printed (``("Chromium", "unknown")``
    when it names neither)."""
    match = _VERSION_LINE.search(output)
    if match:
        return match.group(1), match.group(2)
    number = re.search(r"(\d+(?:\.\d+)+)", output)
    return "Chromium", number.group(1) if number else "unknown"


def ignores_load_extension(product: str, major: int) -> bool:
    """Whether this build ignores ``--load-extension``.

    Google Chrome dropped the switch from its branded builds in version 137 (Chrome for
    Testing and Chromium keep it); Microsoft Edge followed Chrome's change in its own
    builds of the same versions. Brave builds Chromium's code without Google's branding
    and keeps it. (Edge and Brave: from their release notes, not run here.)
    """
    return product in ("Google Chrome", "Microsoft Edge") and major >= 137


def _windows_prefixes(env: Mapping[str, str]) -> list[str]:
    found = [
        env.get("LOCALAPPDATA"),
        env.get("PROGRAMFILES"),
        env.get("PROGRAMFILES(X86)"),
    ]
    if drive := env.get("HOMEDRIVE"):
        found += [drive + "\\Program Files", drive + "\\Program Files (x86)"]
    return [p for p in found if p]


def channel_candidates(
    channel: str, platform: str | None = None, env: Mapping[str, str] | None = None
) -> list[Path]:
    """Where the browser of ``channel`` is installed on ``platform``, in Playwright's order."""
    family = _family(platform or sys.platform)
    env = os.environ if env is None else env
    suffix = CHANNEL_PATHS.get(channel, {}).get(family)
    if not suffix:
        return []
    if family == "win32":
        return [Path(str(PureWindowsPath(prefix, suffix))) for prefix in _windows_prefixes(env)]
    found = [Path(suffix)]
    if channel == "brave" and family == "linux":
        found.append(Path("/usr/bin/brave-browser"))  # Brave's Debian package's launcher
    return found


def channel_executable(
    channel: str,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    exists: Exists = _is_executable,
) -> Path | None:
    """The installed browser of ``channel``, None when it is not installed."""
    return next((p for p in channel_candidates(channel, platform, env) if exists(p)), None)


def profile_channel(user_data_dir: Path, platform: str | None = None) -> str | None:
    """The channel whose browser keeps its profiles in ``user_data_dir``, or in the
    user-data-dir holding the profile folder ``user_data_dir`` (``chromium`` for
    Chromium's own folder); None for a folder no browser uses by default."""
    family = _family(platform or sys.platform)
    pure = PureWindowsPath(user_data_dir) if family == "win32" else PurePosixPath(user_data_dir)
    parts = [p.lower() for p in pure.parts]
    if parts and (parts[-1] == "default" or re.fullmatch(r"profile \d+", parts[-1])):
        parts = parts[:-1]  # a profile folder inside the user-data-dir
    for channel, tail in _PROFILE_FOLDERS[family].items():
        wanted = [t.lower() for t in tail]
        if parts[-len(wanted) :] == wanted:
            return channel
    return None


def playwright_registry(
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    package_root: Path | None = None,
) -> Path:
    """Where Playwright keeps its browsers (its ``registryDirectory``)."""
    family = _family(platform or sys.platform)
    env = os.environ if env is None else env
    home = home or Path.home()
    given = env.get("PLAYWRIGHT_BROWSERS_PATH")
    if given == "0":
        return (package_root or playwright_package_root()) / ".local-browsers"
    if given:
        return Path(given)
    if family == "linux":
        cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else home / ".cache"
    elif family == "darwin":
        cache = home / "Library" / "Caches"
    else:
        local = env.get("LOCALAPPDATA")
        cache = Path(local) if local else home / "AppData" / "Local"
    return cache / "ms-playwright"


def playwright_package_root() -> Path:
    """The Playwright driver's package folder (where its ``browsers.json`` is)."""
    from playwright._impl._driver import compute_driver_executable

    _, cli = compute_driver_executable()
    return Path(cli).parent


def playwright_revision(package_root: Path | None = None) -> str | None:
    """The Chromium revision this Playwright installs (its ``browsers.json``)."""
    try:
        data = json.loads(
            ((package_root or playwright_package_root()) / "browsers.json").read_text()
        )
    except (OSError, ValueError, ImportError):
        return None
    for browser in data.get("browsers", []) if isinstance(data, dict) else []:
        if isinstance(browser, dict) and browser.get("name") == "chromium":
            return str(browser.get("revision"))
    return None


def playwright_chromium_candidates(
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    package_root: Path | None = None,
) -> list[Path]:
    """Playwright's downloaded Chromium builds: this Playwright's revision first, then the
    other revisions left in its folder, newest first."""
    family = _family(platform or sys.platform)
    registry = playwright_registry(platform, env, home, package_root)
    revision = playwright_revision(package_root)
    folders: list[Path] = []
    if revision:
        folders.append(registry / f"chromium-{revision}")
    try:
        others = sorted(
            (p for p in registry.glob("chromium-*") if p.name[9:].isdigit()),
            key=lambda p: int(p.name[9:]),
            reverse=True,
        )
    except OSError:
        others = []
    folders += [p for p in others if p not in folders]
    return [folder.joinpath(*build) for folder in folders for build in _PLAYWRIGHT_BUILDS[family]]
