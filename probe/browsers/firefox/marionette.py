"""Installing and removing add-ons in a running Firefox through Marionette.

Playwright 1.64 drives Firefox over WebDriver BiDi and sends no ``webExtension`` command,
and Firefox allows one WebDriver session (Playwright's). Firefox's older remote protocol,
Marionette, runs beside it when Firefox is started with ``-marionette``, and answers
``Addon:Install`` (``temporary: true``: an unsigned .xpi or folder, gone when Firefox
stops) and ``Addon:Uninstall`` without a session of its own (measured with Firefox ESR
153: ``benchmarks/firefox_addon_switch.py``).

With ``marionette.port`` at 0 Firefox listens on a free port and writes it into
``MarionetteActivePort`` in its profile folder: browsers started in parallel never
compete for a port. The wire format: ``<length>:<json>``; a command is
``[0, id, name, params]``, its answer ``[1, id, error, result]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError

from probe.browsers.firefox.prefs import PrefValue

ACTIVE_PORT_FILE = "MarionetteActivePort"
ARGUMENT = "-marionette"
PREFS: dict[str, PrefValue] = {"marionette.port": 0}
CONNECT_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 60.0
MAX_MESSAGE = 16 * 1024 * 1024


class MarionetteError(PlaywrightError):
    """Marionette did not answer, or refused a command: the browser cannot be switched.

    A Playwright error, so that the reuse pool treats it as a browser that no longer
    answers (``probe.browsers.pool.Reuse``): the run starts a browser of its own.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)


def encode(command_id: int, name: str, params: dict[str, Any]) -> bytes:
    message = json.dumps([0, command_id, name, params]).encode()
    return str(len(message)).encode() + b":" + message


async def read_message(reader: asyncio.StreamReader) -> Any:
    """One ``<length>:<json>`` message."""
    size = await reader.readuntil(b":")
    try:
        length = int(size[:-1])
    except ValueError:
        raise MarionetteError(
            f"Marionette sent an unreadable message length {size[:20]!r}"
        ) from None
    if not 0 < length <= MAX_MESSAGE:
        raise MarionetteError(f"Marionette sent a message of {length} bytes")
    return json.loads(await reader.readexactly(length))


class Marionette:
    """A connection to the Marionette server of one running Firefox."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._count = 0
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(cls, profile: Path, timeout_s: float = CONNECT_TIMEOUT_S) -> Marionette:
        """Connect to the Firefox running on ``profile`` (started with ``ARGUMENT``, ``PREFS``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                port = int((profile / ACTIVE_PORT_FILE).read_text(encoding="ascii").strip())
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except (OSError, ValueError):
                if loop.time() > deadline:
                    raise MarionetteError(
                        f"Firefox's Marionette did not answer within {timeout_s:.0f} s"
                    ) from None
                await asyncio.sleep(0.05)
        marionette = cls(reader, writer)
        try:
            await asyncio.wait_for(read_message(reader), timeout_s)  # its greeting
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await marionette.close()
            raise MarionetteError(f"Firefox's Marionette did not greet: {exc!r}") from None
        return marionette

    async def command(self, name: str, params: dict[str, Any]) -> Any:
        async with self._lock:
            self._count += 1
            try:
                self._writer.write(encode(self._count, name, params))
                await self._writer.drain()
                answer = await asyncio.wait_for(read_message(self._reader), COMMAND_TIMEOUT_S)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                raise MarionetteError(f"Marionette {name}: no answer ({exc!r})") from None
        if not isinstance(answer, list) or len(answer) != 4 or answer[1] != self._count:
            raise MarionetteError(f"Marionette {name}: an answer out of order")
        error, result = answer[2], answer[3]
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            raise MarionetteError(f"Marionette {name}: {message}")
        return result.get("value") if isinstance(result, dict) else result

    async def install(self, path: Path) -> str:
        """Install the add-on at ``path`` (.xpi or folder) until Firefox stops; its id."""
        added = await self.command("Addon:Install", {"path": str(path), "temporary": True})
        if not isinstance(added, str):
            raise MarionetteError(f"Marionette Addon:Install answered {added!r}")
        return added

    async def uninstall(self, addon_id: str) -> None:
        await self.command("Addon:Uninstall", {"id": addon_id})

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 2)
