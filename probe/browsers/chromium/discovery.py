"""Finding a Chromium to drive, and the flags every launch needs.

Discovery order: the ``--chromium`` option, the ``PROBE_CHROMIUM`` environment
variable, Playwright's own downloaded Chromium (found as Playwright finds it:
``probe.browsers.chromium.installs``), then the system's ``chromium``,
``chromium-browser`` and ``google-chrome``. ``find_channel`` finds an installed branded
browser by its Playwright channel (``chrome``, ``msedge``...; ``brave``).

How a browser gets the person's extensions (``Chromium.extension_loading``):
``command-line`` (``--load-extension``) where the build still honours it; ``devtools``
(DevTools' ``Extensions.loadUnpacked`` over Playwright's pipe, allowed by
``--enable-unsafe-extension-debugging``) where it does not: branded Google Chrome and
Microsoft Edge 137+. ``PROBE_EXTENSION_LOADING=devtools`` forces the second way on any
Chromium (that is how it is tested on this machine's Chromium).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from probe._util.trust import copy_nss_database
from probe.browsers.base import playwright_error_lines
from probe.browsers.chromium.installs import (
    CHANNEL_PATHS,
    channel_candidates,
    channel_executable,
    ignores_load_extension,
    parse_version_output,
    playwright_chromium_candidates,
)
from probe.errors import BadInput, BrowserFailure, ChromiumMissing

ENV_VAR = "PROBE_CHROMIUM"
CHANNEL_ENV_VAR = "PROBE_CHANNEL"
LOADING_ENV_VAR = "PROBE_EXTENSION_LOADING"

ExtensionLoading = Literal["command-line", "devtools"]
# How the browser came to be chosen: the person's own product ("own"), Chromium standing
# in for a person's browser that is not installed ("stand-in"), named by --chromium,
# PROBE_CHROMIUM or --channel ("named"), or the first one found ("found").
Role = Literal["own", "stand-in", "named", "found"]

INSTALL_HINT = (
    "no Chromium found: run 'probe install chromium' (Playwright's build, else the "
    "system's package), or point PROBE_CHROMIUM / --chromium at one"
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
    # Playwright starts Chromium with --enable-automation, which sets navigator.webdriver;
    # the person's own browser has it false, and in-page bot detectors refuse a login on it.
    "--disable-blink-features=AutomationControlled",
)

# The platform part of Chromium's reduced user agent (frozen since Chromium 110 whatever
# the real OS version or CPU: https://www.chromium.org/updates/ua-reduction/).
_UA_PLATFORMS = {
    "linux": "X11; Linux x86_64",
    "win32": "Windows NT 10.0; Win64; x64",
    "darwin": "Macintosh; Intel Mac OS X 10_15_7",
}

# Debian's /usr/bin/chromium is a shell wrapper that adds its own --load-extension
# flag, which would clash with the extensions probe loads; drive the binary behind it.
_DEBIAN_WRAPPER_TARGETS = {"/usr/bin/chromium": "/usr/lib/chromium/chromium"}

# A browser that never answers would otherwise hold each run for Playwright's 180 s.
LAUNCH_TIMEOUT_S = 60

# Linux refuses to start a program with one argument of 32 pages or more (MAX_ARG_STRLEN).
MAX_ARG_BYTES = 32 * 4096

# Chromium's single-instance socket is $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket
# (Google Chrome's folder name is shorter), and a Unix socket's path holds at most 107
# bytes: with a longer TMPDIR, Chromium aborts as it starts ("Socket path too long").
_SOCKET_TAIL_BYTES = len(b"/org.chromium.Chromium.XXXXXX/SingletonSocket")
_SOCKET_PATH_MAX = 107
_SHORT_TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm")

_SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass(frozen=True)
class Chromium:
    """A browser executable probe can drive."""

    executable: Path
    version: str  # e.g. "156.0.8078.108"
    # "Chromium", "Google Chrome for Testing", "Google Chrome", "Microsoft Edge", "Brave Browser"
    product: str
    source: str  # where it was found: "option", "env", "playwright", "system", "channel"
    loading: ExtensionLoading | None = None  # None: what the build allows (``extension_loading``)
    role: Role = "found"
    person_product: str | None = None  # the product that wrote the person's profile, when known

    @property
    def engine(self) -> Literal["chromium"]:
        """The engine it is (tells a found browser apart: ``probe.browsers.registry``)."""
        return "chromium"

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0]) if self.version[:1].isdigit() else 0

    @property
    def extension_loading(self) -> ExtensionLoading:
        """How runs load the person's extensions in this browser."""
        if self.loading is not None:
            return self.loading
        return "devtools" if ignores_load_extension(self.product, self.major) else "command-line"

    @property
    def can_side_load_extensions(self) -> bool:
        """Whether ``--load-extension`` works (branded Chrome and Edge 137+ ignore it)."""
        return not ignores_load_extension(self.product, self.major)

    def describe(self) -> str:
        return f"{self.product} {self.version} ({self.executable})"


def headed_user_agent(chromium: Chromium, platform: str = sys.platform) -> str:
    """The user agent the headed browser of this version sends.

    Headless Chromium 156 says ``HeadlessChrome/156.0.0.0`` in its user agent and
    ``navigator.appVersion``, and nothing else differs (``userAgentData`` brands included).
    """
    system = _UA_PLATFORMS.get(platform, _UA_PLATFORMS["linux"])
    return (
        f"Mozilla/5.0 ({system}) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{chromium.major}.0.0.0 Safari/537.36"
    )


def launch_args(*, as_root: bool | None = None, headless_of: Chromium | None = None) -> list[str]:
    """Flags for every Chromium probe starts; ``headless_of``: a headless start of that
    Chromium, which gets the headed browser's user agent."""
    args = list(BASE_ARGS)
    if headless_of is not None:
        args.append(f"--user-agent={headed_user_agent(headless_of)}")
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root:
        # Chromium refuses to start as root with its sandbox on.
        args.append("--no-sandbox")
    return args


def browser_environment(
    home: Path, base: Mapping[str, str] | None = None, *, trust_home: Path | None = None
) -> dict[str, str | float | bool]:
    """The environment of a Chromium probe starts: HOME and the XDG folders under ``home``.

    Whatever ``--user-data-dir`` says, Chromium's crash reporter writes
    ``$XDG_CONFIG_HOME/chromium/Crash Reports`` (the person's real Chromium folder, the
    one probe reads by default) and GTK writes ``$XDG_CACHE_HOME/dconf``. Pointed at the
    run's folder, they go away with it. ``XAUTHORITY`` is kept pointing at the person's
    file so that a headed browser can still open its windows. ``PROBE_PASSWORD`` is
    left out. ``home`` is created, with a copy of the person's NSS database
    (``~/.pki/nssdb``; ``trust_home``: the HOME whose database to copy instead, a
    scenario's person): Linux Chromium reads the CAs the person trusts there.
    """
    env: dict[str, str | float | bool] = dict(os.environ if base is None else base)
    env.pop("PROBE_PASSWORD", None)  # the browser has no use for it
    real_home = Path(str(env.get("HOME") or Path.home()))
    if "XAUTHORITY" not in env and (real_home / ".Xauthority").is_file():
        env["XAUTHORITY"] = str(real_home / ".Xauthority")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    copy_nss_database(trust_home or real_home, home)
    env["HOME"] = str(home)
    for name, folder in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
    ):
        env[name] = str(home / folder)
    return with_short_temporary(env)


def with_short_temporary(
    env: Mapping[str, str | float | bool],
) -> dict[str, str | float | bool]:
    """``env`` with a TMPDIR short enough for Chromium's single-instance socket.

    A TMPDIR that leaves the socket's path within the limit is kept; a longer one (a deep
    test or CI folder) is replaced by the first writable of /tmp, /var/tmp and /dev/shm.
    Chromium makes a folder of its own there and removes it when it closes.
    """
    out = dict(env)
    current = str(out.get("TMPDIR") or tempfile.gettempdir())
    if len(os.fsencode(current)) + _SOCKET_TAIL_BYTES <= _SOCKET_PATH_MAX:
        return out
    for candidate in _SHORT_TEMPORARY:
        if os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            out["TMPDIR"] = candidate
            break
    return out


def launch_failure(
    message: str, *, executable: Path, headed: bool, extensions: int = 0
) -> BrowserFailure:
    """The one line saying why Chromium did not start, from Playwright's error ``message``."""
    if "E2BIG" in message:
        return _too_long(extensions)
    if "XServer" in message or "Missing X server" in message or "$DISPLAY" in message:
        return BrowserFailure(
            "Chromium could not open a window: --headed needs a display and none was found "
            "($DISPLAY is not set); run without --headed, or under xvfb-run"
            if headed
            else "Chromium could not start: it looked for a display; set $DISPLAY or use xvfb-run"
        )
    if "Socket path too long" in message:
        return BrowserFailure(
            "Chromium could not start: the temporary folder's path is too long for its "
            "single-instance socket; set TMPDIR to a shorter folder (e.g. TMPDIR=/tmp)"
        )
    if "Timeout" in message and "exceeded" in message:
        return BrowserFailure(
            f"Chromium did not answer within {LAUNCH_TIMEOUT_S} s of being started; check "
            f"that '{executable} --version' works, or point --chromium at another browser"
        )
    first, rest = playwright_error_lines(message)
    # Chromium logs harmless errors (D-Bus, GPU) on its way; the last one is the cause.
    causes = [
        line
        for line in rest
        if ("error" in line.lower() or "fatal" in line.lower()) and "<launching>" not in line
    ]
    cause = causes[-1] if causes else None
    exit_line = re.search(r"process did exit: exitCode=(\w+), signal=(\w+)", message)
    if cause is None and exit_line:
        code, signal = exit_line.groups()
        how = f"signal {signal}" if signal != "null" else f"exit code {code}"
        cause = f"it stopped as it started, {how}"
    detail = f"{first} ({cause[:200]})" if cause else first
    return BrowserFailure(f"Chromium did not start: {detail}")


def check_command_line(args: Sequence[str], *, extensions: int) -> None:
    """Refuse, before starting anything, a flag longer than Linux lets a program have.

    Each extension folder's path is in ``--load-extension``: some 1,300 of them are too
    many. Playwright would fail with ``spawn E2BIG`` and leave its temporary folder.
    """
    if sys.platform.startswith("linux") and any(len(a.encode()) >= MAX_ARG_BYTES for a in args):
        raise _too_long(extensions)


def _too_long(extensions: int) -> BrowserFailure:
    return BrowserFailure(
        f"Chromium could not be started: its command line, with {extensions} extension "
        "folders to load, is longer than the system allows (E2BIG); disable some "
        "extensions in the profile and run probe again"
    )


def _playwright_candidates() -> list[Path]:
    try:
        return playwright_chromium_candidates()
    except (OSError, ImportError):
        return []


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
    return parse_version_output(out)


def _forced_loading() -> ExtensionLoading | None:
    value = os.environ.get(LOADING_ENV_VAR)
    if not value:
        return None
    if value not in ("command-line", "devtools"):
        raise BadInput(f"{LOADING_ENV_VAR}={value}: use 'command-line' or 'devtools'")
    return "devtools" if value == "devtools" else "command-line"


def _make(path: Path, source: str, role: Role = "found") -> Chromium:
    resolved = _resolve_wrapper(path)
    product, version = _read_version(str(resolved))
    return Chromium(
        executable=resolved,
        version=version,
        product=product,
        source=source,
        loading=_forced_loading(),
        role=role,
    )


def find_channel(channel: str, *, given_as: str = "--channel") -> Chromium:
    """The installed branded browser of a Playwright channel (``chrome``, ``msedge``...,
    and ``brave``); ``BadInput`` in one line when the name is unknown or not installed."""
    if channel not in CHANNEL_PATHS:
        known = ", ".join(CHANNEL_PATHS)
        raise BadInput(f"{given_as} {channel}: not a browser channel (use one of: {known})")
    path = channel_executable(channel)
    if path is None:
        where = ", ".join(str(p) for p in channel_candidates(channel)) or "nowhere on this system"
        raise BadInput(
            f"{given_as} {channel}: that browser is not installed (looked at {where}); "
            "install it, or drop the option to run in Chromium"
        )
    return _make(path, "channel", "named")


def find_installed_channel(channel: str) -> Chromium | None:
    """The browser of ``channel`` when it is installed, else None."""
    path = channel_executable(channel)
    return _make(path, "channel", "own") if path is not None else None


def find_chromium(option: str | Path | None = None) -> Chromium:
    """Return the browser to drive, or raise with one line saying how to get one."""
    if option:
        path = Path(option).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise BadInput(f"--chromium {option}: not an executable file")
        return _make(path, "option", "named")
    if env := os.environ.get(ENV_VAR):
        path = Path(env).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise BadInput(f"{ENV_VAR}={env}: not an executable file")
        return _make(path, "env", "named")
    candidates = [(p, "playwright") for p in _playwright_candidates()]
    candidates += [(p, "system") for p in _system_candidates()]
    found = [_make(p, src) for p, src in candidates if p.is_file() and os.access(p, os.X_OK)]
    if not found:
        raise ChromiumMissing(INSTALL_HINT)
    usable = [c for c in found if c.can_side_load_extensions]
    return usable[0] if usable else found[0]
