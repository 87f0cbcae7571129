"""A per-site cookie block in real Firefox ESR 153: a profile Firefox made, with the
"Block" exception for the portal in its permissions.sqlite, refuses the portal's cookies
(and no other site's); a run folder that leaves the block out accepts them; the person's
profile is not written."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from probe.app.recipes.chromium import ProfileRecipe
from probe.app.recipes.firefox import build_firefox_profile
from probe.browsers.base import RunSpec
from probe.browsers.firefox.discovery import Firefox, find_firefox
from probe.browsers.firefox.engine import plan_of, take_inventory
from probe.browsers.firefox.launch import launch_persistent
from probe.browsers.firefox.profile import read_profile
from probe.browsers.firefox.rundir import RunDir, prepare_run_dir
from probe.errors import ProbeError

SITE = "site-cookies:portal.localhost"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>page</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Set-Cookie", "from_header=1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def firefox() -> Firefox:
    try:
        return find_firefox()
    except ProbeError as exc:
        pytest.skip(f"Firefox is not installed ({exc})")


def cookies_kept(playwright: Playwright, firefox: Firefox, run: RunDir, port: int) -> list[str]:
    """What document.cookie holds on the portal, then on another site, after each sets one."""
    context = launch_persistent(playwright, firefox, run.path, run.user_prefs)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        seen = []
        for host in ("portal.localhost", "other.localhost"):
            page.goto(f"http://{host}:{port}/", wait_until="load", timeout=30_000)
            seen.append(
                page.evaluate("() => { document.cookie = 'probe=1'; return document.cookie }")
            )
        return seen
    finally:
        context.close()


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_cookies_blocked_for_the_portal_only(
    playwright: Playwright, firefox: Firefox, port: int, tmp_path: Path
) -> None:
    recipe = ProfileRecipe(blocked_cookie_sites=["portal.localhost"])
    person = build_firefox_profile(
        recipe, tmp_path / "person", firefox=firefox, portal_url=f"http://portal.localhost:{port}"
    )
    before = digest(person)
    profile = read_profile(person)
    sites = ("portal.localhost",)
    inventory = take_inventory(profile, sites)
    assert [c.id for c in inventory.of_kind("setting")] == [SITE]

    def run(name: str, kept: frozenset[str]) -> RunDir:
        spec = RunSpec(kept, tmp_path / f"{name}-spec", sites=sites)
        return prepare_run_dir(profile, tmp_path / name, plan_of(inventory, profile, spec))

    as_is = cookies_kept(playwright, firefox, run("as-is", inventory.ids), port)
    assert as_is == ["", "from_header=1; probe=1"]
    without = cookies_kept(playwright, firefox, run("without", inventory.ids - {SITE}), port)
    assert without == ["from_header=1; probe=1", "from_header=1; probe=1"]
    assert digest(person) == before
