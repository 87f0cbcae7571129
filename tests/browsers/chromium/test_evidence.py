"""Putting an injected style sheet down to an extension: Chromium's match patterns."""

from __future__ import annotations

import pytest

from probe.browsers.chromium.evidence import matches_pattern


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("*://portal.localhost/*", "http://portal.localhost:8123/connexion", True),
        ("*://portal.localhost/*", "http://captcha.localhost:8123/api.js", False),
        ("https://*.example.org/login*", "https://www.example.org/login?x=1", True),
        ("https://*.example.org/login*", "https://example.org/login", True),
        ("https://*.example.org/login*", "http://www.example.org/login", False),
        ("https://*.example.org/login*", "https://badexample.org/login", False),
        ("*://*/*", "http://anything.test/", True),
        ("*://*/*", "file:///etc/passwd", False),
        ("<all_urls>", "http://portal.localhost/", True),
        ("not a pattern", "http://portal.localhost/", False),
    ],
)
def test_match_patterns(pattern: str, url: str, expected: bool) -> None:
    assert matches_pattern(pattern, url) is expected
