"""Can add-ons be switched in a running Firefox that Playwright drives? (run by hand)

.venv/bin/python benchmarks/firefox_addon_switch.py     # ~30 s on a quiet machine

Issue 25 asks for Firefox runs that switch add-ons in a running browser, as Chromium's do.
Playwright 1.64 drives Firefox ESR 153 over WebDriver BiDi but sends no ``webExtension``
command and lets no caller send one (its driver has no such method, and Firefox allows one
WebDriver session, Playwright's). Firefox's other remote protocol, Marionette (``-marionette``,
pref ``marionette.port``), answers ``Addon:Install`` (``temporary: true``: unsigned folders
or .xpi files) and ``Addon:Uninstall`` without a session of its own. This script starts
Firefox the way probe does plus Marionette, installs the ``cosmetic-filter`` fixture (a
CSS-only add-on hiding the CAPTCHA box), checks the box is hidden, uninstalls it, reloads
and checks it shows, and prints how long each switch took. probe's Firefox reuse is built
on this (``probe.browsers.firefox.warm``; it lets Firefox pick the port, ``marionette.port``
0, and reads it from ``MarionetteActivePort``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from probe.browsers.firefox.discovery import find_firefox  # noqa: E402
from probe.browsers.firefox.launch import launch_options  # noqa: E402
from probe.mock_portal import EmbeddedPortal  # noqa: E402

PORT = 28291
HIDDEN = "() => [...document.querySelectorAll('.captcha')].map(e => getComputedStyle(e).display)"


class Marionette:
    """Marionette's wire protocol: ``<length>:<json>``, commands ``[0, id, name, params]``."""

    def __init__(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buffer = b""
        self.count = 0
        self.read()  # the greeting

    def read(self) -> Any:
        while b":" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        size, _, rest = self.buffer.partition(b":")
        while len(rest) < int(size):
            rest += self.sock.recv(65536)
        self.buffer = rest[int(size) :]
        return json.loads(rest[: int(size)])

    def command(self, name: str, params: dict[str, Any]) -> Any:
        self.count += 1
        message = json.dumps([0, self.count, name, params]).encode()
        self.sock.sendall(str(len(message)).encode() + b":" + message)
        _, _, error, value = self.read()
        if error is not None:
            raise RuntimeError(f"{name}: {error}")
        return value["value"]


async def main() -> None:
    addon = ROOT / "fixtures" / "extensions" / "cosmetic-filter"
    with tempfile.TemporaryDirectory() as tmp, EmbeddedPortal() as portal:
        folder = Path(tmp) / "profile"
        folder.mkdir()
        options = launch_options(find_firefox(), folder, {"marionette.port": PORT})
        async with async_playwright() as playwright:
            started = time.monotonic()
            context = await playwright.firefox.launch_persistent_context(
                **options, args=["-marionette"]
            )
            print(f"launch {time.monotonic() - started:.2f} s")
            page = context.pages[0] if context.pages else await context.new_page()
            marionette = Marionette(PORT)
            started = time.monotonic()
            addon_id = marionette.command("Addon:Install", {"path": str(addon), "temporary": True})
            print(f"Addon:Install {time.monotonic() - started:.2f} s -> {addon_id}")
            await page.goto(portal.url + "connexion")
            await page.wait_for_timeout(1500)
            print("CAPTCHA box display with the add-on:", await page.evaluate(HIDDEN))
            started = time.monotonic()
            marionette.command("Addon:Uninstall", {"id": addon_id})
            print(f"Addon:Uninstall {time.monotonic() - started:.2f} s")
            await page.reload()
            await page.wait_for_timeout(1500)
            print("CAPTCHA box display without it:", await page.evaluate(HIDDEN))
            await context.close()


if __name__ == "__main__":
    asyncio.run(main())
