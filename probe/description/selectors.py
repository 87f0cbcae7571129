"""A cheap syntax check of CSS selectors, so a description's typo shows when it is loaded.

Not a full CSS parser: it catches what a person mistypes (an unbalanced bracket or quote,
a dangling combinator, an empty item in a list, a character CSS has no use for, a ``#``
or ``.`` with no name after it, a malformed attribute test). A selector it lets through
may still match nothing; ``probe portal check`` says so. Playwright's own selector
engines (``text=``, ``>>``) are not accepted: descriptions hold CSS only.
"""

from __future__ import annotations

import re

_ATTRIBUTE = re.compile(
    r"""^\s*-?[A-Za-z_][\w-]*(\|[\w-]+)?\s*"""
    r"""(([~|^$*]?=)\s*("[^"]*"|'[^']*'|-?[A-Za-z_][\w-]*|\d+)\s*([iIsS]\s*)?)?$"""
)
_NAME_START = re.compile(r"[A-Za-z_\-\\\u0080-\U0010ffff]")
_FORBIDDEN = set("{};!@$%&=/?<`^|")
_COMBINATORS = set(">+~")


def check_selector(selector: str) -> str | None:
    """What is wrong with ``selector`` as CSS, or None when it looks well-formed."""
    if not selector.strip():
        return "it is empty"
    depth_paren = 0
    items: list[str] = []
    current = ""
    i = 0
    while i < len(selector):
        char = selector[i]
        if char == "\\":
            current += selector[i : i + 2]
            i += 2
            continue
        if char in "\"'":
            end = selector.find(char, i + 1)
            if end < 0:
                return f"the quote {char} at position {i + 1} is never closed"
            current += selector[i : end + 1]
            i = end + 1
            continue
        if char == "[":
            end = _closing_bracket(selector, i)
            if end < 0:
                return f"the [ at position {i + 1} is never closed"
            inside = selector[i + 1 : end]
            if not _ATTRIBUTE.match(inside):
                return f'[{inside}] is not an attribute test like [name] or [name="value"]'
            current += selector[i : end + 1]
            i = end + 1
            continue
        if char == "]":
            return f"the ] at position {i + 1} has no ["
        if char == "(":
            depth_paren += 1
        elif char == ")":
            depth_paren -= 1
            if depth_paren < 0:
                return f"the ) at position {i + 1} has no ("
        elif depth_paren == 0 and char == ",":
            items.append(current)
            current = ""
            i += 1
            continue
        elif depth_paren == 0 and char in _FORBIDDEN:
            return f"{char!r} at position {i + 1} has no meaning in a CSS selector"
        elif depth_paren == 0 and (
            char in "#." or (char == ":" and selector[i + 1 : i + 2] != ":")
        ):
            following = selector[i + 1 : i + 2]
            if not following or not _NAME_START.match(following):
                return f"{char!r} at position {i + 1} is not followed by a name"
        current += char
        i += 1
    if depth_paren:
        return "a ( is never closed"
    items.append(current)
    for item in items:
        problem = _check_compound_list(item)
        if problem:
            return problem
    return None


def _closing_bracket(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char in "\"'":
            end = text.find(char, i + 1)
            if end < 0:
                return -1
            i = end + 1
            continue
        if char == "]":
            return i
        if char == "[":
            return -1
        i += 1
    return -1


def _check_compound_list(item: str) -> str | None:
    """One item of a selector list: no empty item, no dangling or doubled combinator."""
    text = item.strip()
    if not text:
        return "an item of the selector list is empty (a comma too many)"
    outside = re.sub(r"\[[^\]]*\]|\([^)]*\)|\"[^\"]*\"|'[^']*'", "x", text)
    tokens = re.sub(r"\s*([>+~])\s*", r" \1 ", outside).split()
    if tokens[0] in _COMBINATORS or tokens[-1] in _COMBINATORS:
        return f"{text!r} starts or ends with a combinator"
    for first, second in zip(tokens, tokens[1:], strict=False):
        if first in _COMBINATORS and second in _COMBINATORS:
            return f"{text!r} has two combinators in a row ({first}{second})"
    return None
