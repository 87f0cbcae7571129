"""Firefox's preference files: ``prefs.js`` and ``user.js``.

Each line Firefox writes is ``user_pref("name", value);`` where value is a string
(JavaScript-style escapes), an integer or a boolean. Files edited by hand or damaged
may hold comments, ``pref()``/``sticky_pref()``, odd spacing or garbage: a statement
that cannot be parsed is skipped and counted, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PrefValue = str | int | bool

_FUNCTIONS = ("user_pref", "sticky_pref", "pref")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "b": "\b", "f": "\f"}
# A hostile prefs.js could hold millions of statements; a real one holds a few thousand.
MAX_PREFS = 50_000


@dataclass(frozen=True)
class ParsedPrefs:
    values: dict[str, PrefValue]
    skipped: int  # statements that could not be parsed


class _Unparsable(Exception):
    pass


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in " \t\r\n\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos) or c == "#":
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                self.pos = n if end < 0 else end + 2
            else:
                return

    def expect(self, token: str) -> None:
        self.skip_space()
        if not self.text.startswith(token, self.pos):
            raise _Unparsable
        self.pos += len(token)

    def word(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_-"
        ):
            self.pos += 1
        return self.text[start : self.pos]

    def string(self) -> str:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] not in "\"'":
            raise _Unparsable
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == quote:
                self.pos += 1
                return "".join(out)
            if c == "\n":
                raise _Unparsable
            if c == "\\":
                out.append(self._escape())
                continue
            out.append(c)
            self.pos += 1
        raise _Unparsable

    def _escape(self) -> str:
        text = self.text
        kind = text[self.pos + 1 : self.pos + 2]
        if kind in _ESCAPES:
            self.pos += 2
            return _ESCAPES[kind]
        width = {"x": 2, "u": 4}.get(kind)
        if width is None:
            raise _Unparsable
        digits = text[self.pos + 2 : self.pos + 2 + width]
        if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise _Unparsable
        self.pos += 2 + width
        code = int(digits, 16)
        # A surrogate pair written as two \\u escapes (Firefox writes non-BMP text so).
        if 0xD800 <= code < 0xDC00 and text.startswith("\\u", self.pos):
            low = text[self.pos + 2 : self.pos + 6]
            if len(low) == 4 and all(d in "0123456789abcdefABCDEF" for d in low):
                low_code = int(low, 16)
                if 0xDC00 <= low_code < 0xE000:
                    self.pos += 6
                    return chr(0x10000 + ((code - 0xD800) << 10) + (low_code - 0xDC00))
        return chr(code) if not 0xD800 <= code < 0xE000 else "\ufffd"

    def value(self) -> PrefValue:
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            return self.string()
        start = self.pos
        if self.pos < len(self.text) and self.text[self.pos] in "+-":
            self.pos += 1
        digits_start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        if self.pos > digits_start:
            number = int(self.text[start : self.pos])
            if not -(2**31) <= number < 2**31:
                raise _Unparsable  # Firefox keeps prefs as 32-bit integers
            return number
        self.pos = start
        word = self.word()
        if word == "true":
            return True
        if word == "false":
            return False
        raise _Unparsable

    def recover(self) -> None:
        """Jump past the next ``;`` or line end, whichever comes first."""
        semi = self.text.find(";", self.pos)
        line = self.text.find("\n", self.pos)
        ends = [e for e in (semi, line) if e >= 0]
        self.pos = min(ends) + 1 if ends else len(self.text)


def parse_prefs(text: str) -> ParsedPrefs:
    """Every ``user_pref``/``pref``/``sticky_pref`` statement of a prefs file; the last wins."""
    scanner = _Scanner(text)
    values: dict[str, PrefValue] = {}
    skipped = 0
    while len(values) < MAX_PREFS:
        scanner.skip_space()
        if scanner.pos >= len(text):
            break
        start = scanner.pos
        try:
            if scanner.word() not in _FUNCTIONS:
                raise _Unparsable
            scanner.expect("(")
            name = scanner.string()
            scanner.expect(",")
            value = scanner.value()
            scanner.skip_space()
            if scanner.text.startswith(",", scanner.pos):  # pref("x", 1, locked)
                scanner.pos += 1
                scanner.word()
            scanner.expect(")")
            scanner.expect(";")
        except _Unparsable:
            skipped += 1
            scanner.pos = max(scanner.pos, start + 1)
            scanner.recover()
            continue
        values[name] = value
    return ParsedPrefs(values=values, skipped=skipped)


def format_pref(name: str, value: PrefValue) -> str:
    """One ``user_pref`` line as Firefox writes it (JSON string escapes are valid JS)."""
    return f"user_pref({json.dumps(name)}, {json.dumps(value)});"


def format_prefs(values: dict[str, PrefValue]) -> str:
    return "".join(format_pref(name, value) + "\n" for name, value in values.items())
