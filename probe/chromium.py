"""Finding a Chromium to drive, and the flags every launch needs.

Discovery order: the ``--chromium`` option, the ``PROBE_CHROMIUM`` environment
variable, Playwright's own downloaded Chromium, then the system's ``chromium``,
``chromium-browser`` and ``google-chrome``.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from probe.errors import BadInput, BrowserFailure, ChromiumMissing

ENV_VAR = "PROBE_CHROMIUM"

INSTALL_HINT = (
    "no Chromium found: run 'python -m playwright install chromium' "
    "(or on Debian 'apt-get install chromium'), or point PROBE_CHROMIUM / --chromium at one"
)

# Chromium's own background traffic fails on closed networks and slows every start.
BASE_ARGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-sync",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "--use-mock-keychain",
)

# Debian's /usr/bin/chromium is a shell wrapper that adds its own --load-extension
# flag, which would clash with the extensions probe loads; drive the binary behind it.
_DEBIAN_WRAPPER_TARGETS = {"/usr/bin/chromium": "/usr/lib/chromium/chromium"}

_SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass(frozen=True)
class Chromium:
    """A browser executable probe can drive."""

    executable: Path
    version: str  # e.g. "156.0.8078.108"
    product: str  # "Chromium" or "Google Chrome"
    source: str  # where it was found: "option", "env", "playwright", "system"

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0]) if self.version[:1].isdigit() else 0

    @property
    def can_side_load_extensions(self) -> bool:
        # Branded Google Chrome ignores --load-extension from version 137 on.
        return not (self.product == "Google Chrome" and self.major >= 137)

    def describe(self) -> str:
        return f"{self.product} {self.version} ({self.executable})"


def launch_args(*, as_root: bool | None = None) -> list[str]:
    """Flags for every Chromium probe starts."""
    args = list(BASE_ARGS)
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root:
        # Chromium refuses to start as root with its sandbox on.
        args.append("--no-sandbox")
    return args


def _playwright_candidates() -> list[Path]:
    roots = []
    if (env := os.environ.get("PLAYWRIGHT_BROWSERS_PATH")) and env != "0":
        roots.append(Path(env))
    roots.append(Path.home() / ".cache" / "ms-playwright")
    found: list[Path] = []
    for root in roots:
        for pattern in (
            "chromium-*/chrome-linux*/chrome",
            "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        ):
            found.extend(Path(p) for p in sorted(glob.glob(str(root / pattern)), reverse=True))
    return found


def _system_candidates() -> list[Path]:
    found: list[Path] = []
    for name in _SYSTEM_NAMES:
        if path := shutil.which(name):
            found.append(Path(path))
    return found


def _resolve_wrapper(path: Path) -> Path:
    target = _DEBIAN_WRAPPER_TARGETS.get(str(path))
    if target and Path(target).is_file() and os.access(target, os.X_OK):
        return Path(target)
    return path


@functools.lru_cache(maxsize=16)
def _read_version(executable: str) -> tuple[str, str]:
    try:
        out = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrowserFailure(f"cannot run {executable}: {exc}") from exc
    match = re.search(r"(Google Chrome|Chromium)[^\d]*(\d+(?:\.\d+)+)", out)
    if not match:
        match2 = re.search(r"(\d+(?:\.\d+)+)", out)
        return ("Chromium", match2.group(1) if match2 else "unknown")
    return match.group(1), match.group(2)


def _make(path: Path, source: str) -> Chromium:
    resolved = _resolve_wrapper(path)
    product, version = _read_version(str(resolved))
    return Chromium(executable=resolved, version=version, product=product, source=source)


def find_chromium(option: str | Path | None = None) -> Chromium:
    """Return the browser to drive, or raise with one line saying how to get one."""
    if option:
        path = Path(option).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise BadInput(f"--chromium {option}: not an executable file")
        return _make(path, "option")
    if env := os.environ.get(ENV_VAR):
        path = Path(env).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise BadInput(f"{ENV_VAR}={env}: not an executable file")
        return _make(path, "env")
    candidates = [(p, "playwright") for p in _playwright_candidates()]
    candidates += [(p, "system") for p in _system_candidates()]
    found = [_make(p, src) for p, src in candidates if p.is_file() and os.access(p, os.X_OK)]
    if not found:
        raise ChromiumMissing(INSTALL_HINT)
    usable = [c for c in found if c.can_side_load_extensions]
    return usable[0] if usable else found[0]
