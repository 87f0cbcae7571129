"""Firefox ESR driven through WebDriver BiDi: profiles made by Firefox read back, run
folders that really change what the browser does, the source left untouched."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright

from probe._util import loops
from probe.browsers.firefox.discovery import Firefox, find_firefox
from probe.browsers.firefox.launch import HOME_FOLDER, launch_persistent, launch_persistent_async
from probe.browsers.firefox.prefs import parse_prefs
from probe.browsers.firefox.profile import read_profile
from probe.browsers.firefox.rundir import RunDir, RunPlan, prepare_run_dir, side_load_addon
from probe.errors import ProbeError

COOKIE_VALUE = "secretvalue123"
PAGE = (
    "<html><head><title>portal</title></head><body><h1 id=t>no script</h1>"
    "<p id=sent>{sent}</p>"
    "<script>localStorage.setItem('k', 'v'.repeat(100));"
    "document.getElementById('t').textContent = 'script ran'</script>"
    '<script src="http://captcha.localhost:{port}/widget.js"></script></body></html>'
)
WIDGET = "document.documentElement.dataset.widget = 'loaded';"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        address = self.server.server_address
        assert isinstance(address, tuple)
        port = address[1]
        if self.path == "/widget.js":
            body, kind = WIDGET.encode(), "text/javascript"
        else:
            sent = "yes" if "sid=" in (self.headers.get("Cookie") or "") else "no"
            page = PAGE.replace("{port}", str(port)).replace("{sent}", sent)
            body, kind = page.encode(), "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if kind == "text/html":
            self.send_header("Set-Cookie", f"sid={COOKIE_VALUE}; Path=/; Max-Age=3600")
            self.send_header("Set-Cookie", "pref=abc; Path=/app; Max-Age=3600")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def firefox() -> Firefox:
    try:
        found = find_firefox()
    except ProbeError as exc:
        pytest.skip(f"Firefox is not installed ({exc})")
    return found


def _portal(port: int) -> str:
    # Firefox resolves *.localhost to loopback with no set-up.
    return f"http://portal.localhost:{port}/"


def _visit(playwright: Playwright, firefox: Firefox, run: RunDir, port: int) -> dict[str, str]:
    """What the portal page shows in a Firefox started on ``run``."""
    context = launch_persistent(playwright, firefox, run.path, run.user_prefs)
    try:
        page: Page = context.pages[0] if context.pages else context.new_page()
        page.goto(_portal(port), wait_until="load", timeout=30_000)
        # No screenshot, fill or click: with JavaScript off they never return in
        # Firefox 153 over BiDi; evaluate works.
        found: dict[str, str] = page.evaluate(
            "() => ({heading: document.getElementById('t').textContent,"
            " widget: document.documentElement.dataset.widget || '',"
            " marked: document.documentElement.dataset.marked || '',"
            " cookie_sent: document.getElementById('sent').textContent})"
        )
        return found
    finally:
        context.close()


def _cookies_enabled(playwright: Playwright, firefox: Firefox, run: RunDir, port: int) -> bool:
    context = launch_persistent(playwright, firefox, run.path, run.user_prefs)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(_portal(port), wait_until="load", timeout=30_000)
        enabled: bool = page.evaluate(
            "() => { document.cookie = 'probe=1'; return document.cookie.includes('probe=1') }"
        )
        return enabled
    finally:
        context.close()


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture(scope="module")
def made_profile(
    playwright: Playwright, firefox: Firefox, server: int, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A profile Firefox itself made: started on an empty folder, one portal visit."""
    folder = tmp_path_factory.mktemp("made") / "profile"
    folder.mkdir()
    run = RunDir(path=folder, user_prefs={}, kept_addons=())
    shown = _visit(playwright, firefox, run, server)
    assert shown["heading"] == "script ran"
    return folder


def test_a_profile_made_by_firefox_is_read_back(made_profile: Path) -> None:
    profile = read_profile(made_profile)
    cookies = {(c.host, c.name, c.path): c.value_bytes for c in profile.cookies}
    assert cookies == {
        ("portal.localhost", "sid", "/"): len(COOKIE_VALUE),
        ("portal.localhost", "pref", "/app"): 3,
    }
    assert [d.host for d in profile.site_data if d.addon_id is None] == ["portal.localhost"]
    assert profile.site_data_for("portal.localhost")[0].bytes > 0
    assert profile.last_version and profile.last_version.startswith("153")
    # Firefox's own add-ons are listed, as built in, never as the person's.
    assert profile.addons and all(a.builtin for a in profile.addons)
    assert profile.settings == ()
    assert COOKIE_VALUE not in repr(profile)


def _copy_source(made_profile: Path, dest: Path) -> Path:
    shutil.copytree(made_profile, dest, symlinks=True)
    return dest


def test_javascript_off_in_prefs_is_off_in_the_run_and_reset_turns_it_on(
    playwright: Playwright, firefox: Firefox, server: int, made_profile: Path, tmp_path: Path
) -> None:
    source = _copy_source(made_profile, tmp_path / "source")
    with (source / "prefs.js").open("a", encoding="utf-8") as prefs:
        prefs.write('user_pref("javascript.enabled", false);\n')
    before = _tree_digest(source)
    profile = read_profile(source)
    assert [s.id for s in profile.settings] == ["javascript"]

    as_is = prepare_run_dir(profile, tmp_path / "run-as-is", RunPlan())
    assert _visit(playwright, firefox, as_is, server)["heading"] == "no script"

    reset = prepare_run_dir(
        profile, tmp_path / "run-reset", RunPlan(reset_settings=frozenset({"javascript"}))
    )
    assert _visit(playwright, firefox, reset, server)["heading"] == "script ran"
    # Playwright wrote user.js and prefs.js.playwright into the run folders only.
    assert (as_is.path / "prefs.js.playwright").is_file()
    assert not (source / "prefs.js.playwright").exists()
    # Firefox's files outside the profile (crash reports, pings) went to the run's home.
    assert (as_is.path / HOME_FOLDER / ".config" / "mozilla").is_dir()
    assert _tree_digest(source) == before


BLOCKER = {
    "manifest.json": json.dumps(
        {
            "manifest_version": 3,
            "name": "Captcha Blocker",
            "version": "1.0",
            "browser_specific_settings": {"gecko": {"id": "blocker@probe.test"}},
            "permissions": ["declarativeNetRequest"],
            "declarative_net_request": {
                "rule_resources": [{"id": "rules", "enabled": True, "path": "rules.json"}]
            },
        }
    ).encode(),
    "rules.json": json.dumps(
        [
            {
                "id": 1,
                "priority": 1,
                "action": {"type": "block"},
                "condition": {"requestDomains": ["captcha.localhost"]},
            }
        ]
    ).encode(),
}
MARKER = {
    "manifest.json": json.dumps(
        {
            "manifest_version": 3,
            "name": "Page Marker",
            "version": "2.0",
            "browser_specific_settings": {"gecko": {"id": "marker@probe.test"}},
            "host_permissions": ["*://portal.localhost/*"],
            "content_scripts": [
                {"matches": ["*://portal.localhost/*"], "js": ["mark.js"], "run_at": "document_end"}
            ],
        }
    ).encode(),
    "mark.js": b"document.documentElement.dataset.marked = 'yes';",
}


def test_side_loaded_unsigned_addons_load_act_and_can_be_dropped(
    playwright: Playwright, firefox: Firefox, server: int, made_profile: Path, tmp_path: Path
) -> None:
    source = _copy_source(made_profile, tmp_path / "source")
    side_load_addon(source, "blocker@probe.test", BLOCKER)
    side_load_addon(source, "marker@probe.test", MARKER, origins=["*://portal.localhost/*"])
    before = _tree_digest(source)
    profile = read_profile(source)
    assert {a.id: a.name for a in profile.addons if not a.builtin} == {
        "blocker@probe.test": "Captcha Blocker",
        "marker@probe.test": "Page Marker",
    }

    both = prepare_run_dir(profile, tmp_path / "run-both", RunPlan())
    shown = _visit(playwright, firefox, both, server)
    # The copy's cookies are the person's: the portal gets its session cookie back.
    assert shown == {"heading": "script ran", "widget": "", "marked": "yes", "cookie_sent": "yes"}
    registered = {a.id: a for a in read_profile(both.path).addons}
    assert registered["blocker@probe.test"].active
    assert registered["marker@probe.test"].name == "Page Marker"

    only_marker = prepare_run_dir(
        read_profile(both.path),
        tmp_path / "run-marker",
        RunPlan(addons=frozenset({"marker@probe.test"}), drop_cookies_for=("portal.localhost",)),
    )
    shown = _visit(playwright, firefox, only_marker, server)
    assert shown == {
        "heading": "script ran",
        "widget": "loaded",
        "marked": "yes",
        "cookie_sent": "no",
    }
    assert _tree_digest(source) == before


def test_a_private_run_uses_no_cookies_and_only_addons_allowed_in_private(
    playwright: Playwright, firefox: Firefox, server: int, made_profile: Path, tmp_path: Path
) -> None:
    source = _copy_source(made_profile, tmp_path / "source")
    side_load_addon(source, "blocker@probe.test", BLOCKER, private_allowed=True)
    side_load_addon(source, "marker@probe.test", MARKER, origins=["*://portal.localhost/*"])
    profile = read_profile(source)
    assert {a.id: a.private_allowed for a in profile.addons if not a.builtin} == {
        "blocker@probe.test": True,
        "marker@probe.test": False,
    }
    private = prepare_run_dir(profile, tmp_path / "run", RunPlan(private=True))
    shown = _visit(playwright, firefox, private, server)
    assert shown == {"heading": "script ran", "widget": "", "marked": "", "cookie_sent": "no"}


def test_cookies_blocked_in_prefs_are_blocked_in_the_run_and_reset_allows_them(
    playwright: Playwright, firefox: Firefox, server: int, made_profile: Path, tmp_path: Path
) -> None:
    source = _copy_source(made_profile, tmp_path / "source")
    with (source / "prefs.js").open("a", encoding="utf-8") as prefs:
        prefs.write('user_pref("network.cookie.cookieBehavior", 2);\n')
    profile = read_profile(source)
    assert [s.id for s in profile.settings] == ["cookies"]
    as_is = prepare_run_dir(profile, tmp_path / "run-as-is", RunPlan())
    assert _cookies_enabled(playwright, firefox, as_is, server) is False
    reset = prepare_run_dir(
        profile, tmp_path / "run-reset", RunPlan(reset_settings=frozenset({"cookies"}))
    )
    assert _cookies_enabled(playwright, firefox, reset, server) is True


class _FrameHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        address = self.server.server_address
        assert isinstance(address, tuple)
        if self.path == "/frame":
            body = b"<html><body><input type=checkbox id=box></body></html>"
        else:
            body = f"<iframe src='http://captcha.localhost:{address[1]}/frame'></iframe>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_click_in_a_cross_site_iframe_lands(
    playwright: Playwright, firefox: Firefox, tmp_path: Path
) -> None:
    # With fission on (Firefox's default) this click returns and the box stays empty.
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FrameHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    (tmp_path / "run").mkdir()
    context = launch_persistent(playwright, firefox, tmp_path / "run", {})
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(_portal(httpd.server_address[1]), timeout=30_000)
        box = page.frame_locator("iframe").locator("#box")
        box.click(timeout=10_000)
        assert box.is_checked(timeout=10_000)
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()


def test_firefox_own_default_pref_files_parse_with_nothing_skipped(firefox: Firefox) -> None:
    """The parser against the real thing: every default pref file inside omni.ja."""
    install = firefox.executable.resolve().parent
    parsed = 0
    for omni in (install / "omni.ja", install / "browser" / "omni.ja"):
        if not omni.is_file():
            continue
        with zipfile.ZipFile(omni) as archive:
            for name in archive.namelist():
                if name.endswith(".js") and name.startswith(("defaults/pref", "greprefs")):
                    result = parse_prefs(archive.read(name).decode("utf-8"))
                    assert result.skipped == 0, name
                    parsed += len(result.values)
    if not parsed:
        pytest.skip(f"no omni.ja beside {firefox.executable}")
    assert parsed > 1000


async def _context_options_over_bidi(firefox: Firefox, folder: Path) -> tuple[object, list[str]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await launch_persistent_async(
            playwright,
            firefox,
            folder,
            {},
            viewport={"width": 1000, "height": 720},
            locale="fr-FR",
            accept_downloads=True,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.set_content("<p>page</p>")
            shown = await page.evaluate("[navigator.language, innerWidth, innerHeight]")
            await context.add_cookies(
                [
                    {"name": "a", "value": "1", "domain": "portal.localhost", "path": "/"},
                    {"name": "b", "value": "2", "domain": ".portal.localhost", "path": "/"},
                ]
            )
            await context.clear_cookies(name="a", domain="portal.localhost")
            left = [c["name"] for c in await context.cookies()]
        finally:
            await context.close()
    return shown, left


def test_the_runner_context_options_work_over_bidi(firefox: Firefox, tmp_path: Path) -> None:
    """What probe's runner asks of a context (async API): locale, viewport, cookies."""
    (tmp_path / "run").mkdir()
    shown, left = loops.run(_context_options_over_bidi(firefox, tmp_path / "run"))
    assert shown == ["fr-FR", 1000, 720]
    assert left == ["b"]
