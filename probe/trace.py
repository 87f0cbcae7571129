"""Playwright traces of a run (``playwright show-trace FILE``), with the secrets taken out.

A trace records what was typed (the ``fill`` actions' values), the DOM of each step
(an input's value included) and the network (a login form's body). probe records it
without screencast frames (a security code would show in them as pixels) and then
rewrites every text entry of the zip with each secret masked: the typed identifier,
password and codes, as typed, URL-encoded and JSON-escaped.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError

MASK = b"[redacted]"
TYPING_METHODS = frozenset({"fill", "type", "pressSequentially", "press", "setInputFiles"})
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")


async def start(context: BrowserContext) -> bool:
    try:
        await context.tracing.start(screenshots=False, snapshots=True, sources=False)
    except PlaywrightError:
        return False
    return True


async def stop(context: BrowserContext, raw: Path, out: Path, secrets: Iterable[str]) -> bool:
    """Write the trace to ``out``, secrets masked; False when the browser could not."""
    try:
        await context.tracing.stop(path=raw)
    except PlaywrightError:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    redact(raw, out, secrets)
    raw.unlink(missing_ok=True)
    return True


def typed_values(archive: zipfile.ZipFile) -> set[str]:
    """Every value an action typed into the page, read from the trace's events."""
    values: set[str] = set()
    for name in archive.namelist():
        if not name.endswith(".trace"):
            continue
        for line in archive.read(name).splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or event.get("method") not in TYPING_METHODS:
                continue
            params = event.get("params")
            value = params.get("value") if isinstance(params, dict) else None
            if isinstance(value, str) and value:
                values.add(value)
            text = params.get("text") if isinstance(params, dict) else None
            if isinstance(text, str) and text:
                values.add(text)
    return values


def _forms(secret: str) -> list[bytes]:
    forms = {
        secret,
        secret.strip(),
        quote_plus(secret),
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    # Longest first, so that a form containing another is replaced whole.
    return sorted((f.encode() for f in forms if len(f) >= 3), key=len, reverse=True)


def redact(source: Path, target: Path, secrets: Iterable[str]) -> None:
    """Copy the trace zip ``source`` to ``target`` with every secret masked."""
    with zipfile.ZipFile(source) as archive:
        every = set(secrets) | typed_values(archive)
        forms = [f for secret in sorted(every) for f in _forms(secret)]
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                data = archive.read(info.filename)
                if not data.startswith(_IMAGES):
                    for form in forms:
                        data = data.replace(form, MASK)
                out.writestr(info.filename, data)
