"""Extension match patterns (``*://*.example.org/*``, ``<all_urls>``), as Chromium and
Firefox read them in manifests: shared by both engines' evidence."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["matches_pattern"]


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
