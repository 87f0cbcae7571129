"""A GNOME Keyring session of a test's own, and a profile the real Chromium writes in it.

``keyring_session`` starts a D-Bus session bus (``dbus-run-session``) and
gnome-keyring-daemon's Secret Service in it, its login keyring created and unlocked with
a password given on stdin, all under the test's HOME. What runs with the returned
environment (Chromium, ``probe browser``) sees that keyring and nothing of the machine's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from probe.app.recipes.chromium import CookieSeed, planted_cookies
from probe.browsers.chromium.discovery import Chromium

_READY_S = 15


def _secret_service_up(address: str) -> bool:
    from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
    from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

    bus = DBusAddress(
        "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
    )
    with contextlib.closing(open_dbus_connection(address)) as connection:
        reply = connection.send_and_get_reply(
            new_method_call(bus, "NameHasOwner", "s", ("org.freedesktop.secrets",)), timeout=5
        )
    return bool(reply.body[0])


@contextlib.contextmanager
def keyring_session(home: Path, password: str | None) -> Iterator[dict[str, str]]:
    """The environment of a D-Bus session whose Secret Service is the keyring of ``home``,
    unlocked with ``password`` (created with it the first time), or left locked (None)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PROBE_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    bus = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep 3600'],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        unlock = ["--unlock"] if password is not None else []
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", *unlock, "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert daemon.stdin is not None
        daemon.stdin.write((password or "").encode())
        daemon.stdin.close()
        deadline = time.monotonic() + _READY_S
        while not _secret_service_up(env["DBUS_SESSION_BUS_ADDRESS"]):
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("gnome-keyring-daemon did not start its Secret Service")
            time.sleep(0.1)
        yield env
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(10)
        os.killpg(bus.pid, signal.SIGTERM)
        bus.wait(10)
        if bus.stdout is not None:
            bus.stdout.close()


def write_keyring_profile(
    user_data_dir: Path, chromium: Chromium, env: dict[str, str], seeds: Sequence[CookieSeed]
) -> Path:
    """A user-data-dir the real Chromium writes with the keyring store (``v11`` cookies)."""

    def write() -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            args = ["--password-store=gnome-libsecret"]
            if os.geteuid() == 0:
                args.append("--no-sandbox")
            launched: dict[str, Any] = {"env": env, "args": args}
            context = playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(chromium.executable),
                headless=True,
                # Playwright's defaults would keep Chromium off the keyring.
                ignore_default_args=["--password-store=basic", "--use-mock-keychain"],
                **launched,
            )
            try:
                context.add_cookies(planted_cookies(seeds))
            finally:
                context.close()

    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(write).result()
    return user_data_dir
