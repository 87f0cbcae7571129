"""Which add-ons a request Firefox aborted is put down to (``probe.browsers.firefox.evidence``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from probe.browsers.firefox.evidence import addon_manifest, may_block
from probe.browsers.firefox.profile import Addon
from probe.browsers.patterns import declared_injections

CAPTCHA = "http://captcha.localhost:8123/api.js"


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ({"permissions": ["declarativeNetRequest"]}, True),  # rules need no host access
        ({"declarative_net_request": {"rule_resources": []}}, True),
        ({"permissions": ["webRequest", "webRequestBlocking", "<all_urls>"]}, True),
        (
            {"permissions": ["webRequestBlocking"], "host_permissions": ["*://*.localhost/*"]},
            True,
        ),
        ({"permissions": ["webRequestBlocking"], "host_permissions": ["*://example.org/*"]}, False),
        ({"permissions": ["storage"], "content_scripts": [{"matches": ["<all_urls>"]}]}, False),
        (None, True),  # unreadable: it may
    ],
)
def test_may_block(manifest: dict[str, Any] | None, expected: bool) -> None:
    assert may_block(manifest, CAPTCHA) is expected


def _addon(xpi: Path | None) -> Addon:
    return Addon(
        id="a@b",
        name="A",
        version="1",
        active=True,
        user_disabled=False,
        location="app-profile",
        signed_state=2,
        private_allowed=False,
        xpi=xpi,
        storage_uuid=None,
    )


def test_the_manifest_is_read_from_the_xpi(tmp_path: Path) -> None:
    xpi = tmp_path / "a@b.xpi"
    with zipfile.ZipFile(xpi, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"permissions": ["declarativeNetRequest"]}))
    assert addon_manifest(_addon(xpi)) == {"permissions": ["declarativeNetRequest"]}
    assert addon_manifest(_addon(None)) is None
    (tmp_path / "broken.xpi").write_bytes(b"not a zip")
    assert addon_manifest(_addon(tmp_path / "broken.xpi")) is None


PAGE = "http://portal.localhost:8123/login"


@pytest.mark.parametrize(
    ("scripts", "top", "expected"),
    [
        ([{"matches": ["*://portal.localhost/*"], "css": ["tidy.css"]}], True, ["injects-css"]),
        (
            [{"matches": ["<all_urls>"], "js": ["a.js"], "css": ["a.css"]}],
            True,
            ["injects-css", "injects-script"],
        ),
        ([{"matches": ["<all_urls>"], "js": ["a.js"]}], False, []),  # a frame: all_frames unset
        (
            [{"matches": ["<all_urls>"], "js": ["a.js"], "all_frames": True}],
            False,
            ["injects-script"],
        ),
        ([{"matches": ["*://example.org/*"], "css": ["a.css"]}], True, []),
        (
            [{"matches": ["<all_urls>"], "exclude_matches": ["*://*.localhost/*"], "css": ["a"]}],
            True,
            [],
        ),
        ([{"matches": ["<all_urls>"]}], True, []),  # declares nothing to inject
        ("not a list", True, []),
    ],
)
def test_declared_injections_read_the_content_scripts_for_the_page(
    scripts: object, top: bool, expected: list[str]
) -> None:
    assert declared_injections({"content_scripts": scripts}, PAGE, top) == expected
    assert declared_injections(None, PAGE, top) == []
