"""Extension match patterns (``*://*.example.org/*``, ``<all_urls>``), and the content
scripts a manifest declares for a page, as Chromium and Firefox read them: shared by both
engines' evidence."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = ["Injection", "declared_injections", "matches_pattern", "strings"]

Injection = Literal["injects-css", "injects-script"]


def strings(value: object) -> list[str]:
    """The strings of a manifest's list (anything else in it, or no list: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def declared_injections(manifest: dict[str, Any] | None, url: str, top: bool) -> list[Injection]:
    """What the content scripts an extension's manifest declares do in the document at
    ``url`` (``top``: a tab's page, not a frame): add style sheets, run scripts, both or
    nothing (``matches``, ``exclude_matches``, ``all_frames``)."""
    found: list[Injection] = []
    entries = manifest.get("content_scripts") if manifest is not None else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not (top or entry.get("all_frames") is True):
            continue
        if not any(matches_pattern(p, url) for p in strings(entry.get("matches"))):
            continue
        if any(matches_pattern(p, url) for p in strings(entry.get("exclude_matches"))):
            continue
        if strings(entry.get("css")) and "injects-css" not in found:
            found.append("injects-css")
        if strings(entry.get("js")) and "injects-script" not in found:
            found.append("injects-script")
    return found


def matches_pattern(pattern: str, url: str) -> bool:
    """Chromium's match patterns (``*://*.example.org/*``, ``<all_urls>``); ports do not count."""
    parts = urlsplit(url)
    if pattern == "<all_urls>":
        return parts.scheme in ("http", "https", "file", "ftp")
    scheme, sep, rest = pattern.partition("://")
    if not sep:
        return False
    host, _, path = rest.partition("/")
    if scheme == "*":
        if parts.scheme not in ("http", "https"):
            return False
    elif scheme != parts.scheme:
        return False
    hostname = parts.hostname or ""
    if host != "*":
        if host.startswith("*."):
            bare = host[2:]
            if hostname != bare and not hostname.endswith("." + bare):
                return False
        elif hostname != host.partition(":")[0]:
            return False
    path_re = ".*".join(re.escape(piece) for piece in ("/" + path).split("*"))
    return re.fullmatch(path_re, parts.path or "/") is not None
