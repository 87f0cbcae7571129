"""Playwright traces of a run (``playwright show-trace FILE``), with the secrets taken out.

A trace records what was typed (the ``fill`` actions' values), the DOM of each step
(an input's value included), the network (a login form's body, every Cookie and
Set-Cookie header) and the results of API calls (``context.cookies()``). probe records
it without screencast frames (a security code would show in them as pixels), then masks
cookie values where the trace keeps them (headers, cookie lists, call results) and
rewrites every text entry of the zip with each secret masked: the typed identifier,
password and codes and the cookie values, as typed, URL-encoded and JSON-escaped.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError

from probe._util.redact import hide_secret_pairs

MASK = b"[redacted]"
SHOWN_MASK = MASK.decode()
COOKIE_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})
MIN_COOKIE_VALUE = 8  # shorter values ("fr", "1") are masked where they sit, not everywhere
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


def _cookie_pairs(header: str, name: str) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of a Cookie header, or the first pair of a Set-Cookie one."""
    if name == "set-cookie":
        pieces = [header.split(";", 1)[0]]
    elif name == "cookie":
        pieces = header.split(";")
    else:
        return [("", header)]
    pairs = []
    for piece in pieces:
        key, sep, value = piece.strip().partition("=")
        if sep:
            pairs.append((key, value))
    return pairs


def _masked_header(header: str, name: str) -> str:
    if name == "set-cookie":
        first, sep, rest = header.partition(";")
        return first.partition("=")[0] + "=" + SHOWN_MASK + sep + rest
    if name == "cookie":
        return "; ".join(f"{key}={SHOWN_MASK}" for key, _ in _cookie_pairs(header, name))
    return SHOWN_MASK


def _mask_event(event: object, found: set[str]) -> None:
    """Mask cookie values in one trace or network event, in place; note them in ``found``."""
    if isinstance(event, dict):
        for key, value in event.items():
            if key == "headers" and isinstance(value, list):
                for header in value:
                    if not isinstance(header, dict):
                        continue
                    name = str(header.get("name", "")).lower()
                    text = header.get("value")
                    if name in COOKIE_HEADERS and isinstance(text, str):
                        found.update(v for _, v in _cookie_pairs(text, name) if v)
                        header["value"] = _masked_header(text, name)
            elif key == "cookies" and isinstance(value, list):
                for cookie in value:
                    if isinstance(cookie, dict) and isinstance(cookie.get("value"), str):
                        if cookie["value"]:
                            found.add(cookie["value"])
                        cookie["value"] = SHOWN_MASK
            else:
                _mask_event(value, found)
    elif isinstance(event, list):
        for item in event:
            _mask_event(item, found)


def _mask_cookies(data: bytes, found: set[str]) -> bytes:
    """A JSON-lines entry (``*.trace``, ``*.network``) with its cookie values masked."""
    lines = []
    for line in data.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        _mask_event(event, found)
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        # One-time codes, OIDC codes and states travel in query strings.
        lines.append(hide_secret_pairs(text).encode())
    return b"\n".join(lines)


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
        cookies: set[str] = set()
        entries: dict[str, bytes] = {}
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename.endswith((".trace", ".network")):
                data = _mask_cookies(data, cookies)
            entries[info.filename] = data
        every = set(secrets) | typed_values(archive)
        every |= {c for c in cookies if len(c) >= MIN_COOKIE_VALUE}
        forms = sorted({f for secret in every for f in _forms(secret)}, key=lambda f: (-len(f), f))
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for name, data in entries.items():
                if not data.startswith(_IMAGES):
                    for form in forms:
                        data = data.replace(form, MASK)
                out.writestr(name, data)
