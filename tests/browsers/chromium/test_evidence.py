"""Putting what Chromium saw down to an extension: match patterns, main-world scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.browsers.chromium.evidence import runs_in_main_world
from probe.browsers.chromium.profile import Extension
from probe.browsers.patterns import matches_pattern
from tests.helpers.paths import EXTENSIONS


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


def _fixture(name: str) -> Extension:
    return Extension(
        id=name,
        name=name,
        version="1",
        path=EXTENSIONS / name,
        enabled=True,
        incognito=False,
        source="unpacked",
    )


def test_main_world_content_scripts_are_read_from_the_manifest(tmp_path: Path) -> None:
    # Only these make evidence listen to the page's own scripts (Debugger.scriptParsed).
    assert runs_in_main_world(_fixture("ua-switcher"))
    assert not runs_in_main_world(_fixture("form-filler-pro"))  # an isolated world
    assert not runs_in_main_world(_fixture("ad-shield"))  # no content script
    broken = Extension(
        id="x",
        name="x",
        version="1",
        path=tmp_path,
        enabled=True,
        incognito=False,
        source="unpacked",
    )
    assert not runs_in_main_world(broken)  # no manifest: nothing to listen for
