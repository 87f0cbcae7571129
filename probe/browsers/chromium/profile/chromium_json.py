"""JSON the way Chromium reads an extension's manifest.json.

Chromium parses manifests with its JSON reader's "Chromium extensions" options: ``//``
and ``/* */`` comments, raw line breaks inside strings and ``\\xNN`` escapes are
accepted; trailing commas are not. Measured in Debian's Chromium 156: an extension whose
manifest has comments or ``\\x41`` loads, one with ``{"a": 1,}`` is refused. Real
extensions' source manifests carry comments, so reading them with ``json.loads`` alone
would skip extensions the person's browser runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A string (escapes included, line breaks allowed) or a comment. An unterminated one runs
# to the end of the text, so that a hostile file cannot make the search quadratic.
_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*+(?:"|\Z)|//[^\n]*|/\*(?:[^*]|\*(?!/))*+(?:\*/|\Z)', re.DOTALL
)
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)|[\r\n]", re.DOTALL)


def loads_chromium(text: str) -> Any:
    """Parse ``text`` as Chromium parses a manifest; ValueError if Chromium would refuse it.

    Strict JSON is tried first (the usual case, and the fastest); then comments are
    removed outside strings, ``\\xNN`` escapes and raw line breaks inside strings are
    rewritten as standard JSON. A ``//`` inside a string is text, not a comment.
    """
    try:
        return _loads(text)
    except ValueError:
        pass
    return _loads(_TOKEN.sub(_standard, text))


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


def _standard(match: re.Match[str]) -> str:
    token = match.group()
    if token.startswith("/*") and (len(token) < 4 or not token.endswith("*/")):
        return token  # unterminated: left as it is, so the file is refused like Chromium does
    if token.startswith("/"):
        return " "  # a comment separates tokens like a space
    return _ESCAPE.sub(_escape, token)


def _escape(match: re.Match[str]) -> str:
    found = match.group()
    if found == "\n":
        return "\\n"
    if found == "\r":
        return "\\r"
    if found.startswith("\\x"):
        return f"\\u00{found[2:]}"
    return found
