"""Helpers for the profile and recipe tests: hand-made profiles, tiny local web sites
served on a loopback port in a thread, a watch for writes, and launching Chromium.

Chromium resolves every ``*.localhost`` name to loopback, so one server plays several
sites: ``a.localhost`` and ``b.localhost`` (cross-site to each other), and a minimal
login page on ``portal.localhost`` with a CAPTCHA widget framed from
``captcha.localhost``, shaped like the portal contract (``docs/portal-contract.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment
from playwright.sync_api import BrowserContext, Page, Playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from probe.browsers.chromium.discovery import Chromium, launch_args
from probe.browsers.chromium.profile import Extension, extension_id, extension_launch_args
from probe.mock_portal.server import ThreadedServer
from tests.helpers.paths import EXTENSIONS

_PAGES = Environment(autoescape=True)

_JS_PAGE = "<title>not run</title><script>document.title = 'ran'</script>"

_COOKIE_PAGE = (
    "<title>cookies</title>"
    "<script>document.cookie = 'from_script=1; path=/'; document.title = 'done'</script>"
)

_FRAME_PARENT = _PAGES.from_string(
    "<title>parent</title><iframe src='http://b.localhost:{{ port }}/frame-cookie'></iframe>"
)

_POPUP_PAGE = (
    "<title>popup</title><script>window.popupBlocked = window.open('/js') === null</script>"
)

_SITE_DATA_PAGE = """<title>site data</title>
<script>
  localStorage.setItem("probe-mark", "kept");
  navigator.serviceWorker.register("/sw.js").then(() => { document.title = "registered"; });
</script>"""

_SERVICE_WORKER = """self.addEventListener("install", (event) => {
  event.waitUntil(caches.open("probe-v1").then((cache) => cache.add("/site-data")));
});"""

_LOGIN_PAGE = _PAGES.from_string("""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion</title></head>
<body><main><h1>Connexion</h1>
<form id="login-form" method="post" action="/connexion">
  <label for="identifiant">Numéro de sécurité sociale</label>
  <input id="identifiant" name="identifiant">
  <label for="mot-de-passe">Mot de passe</label>
  <input id="mot-de-passe" name="mot_de_passe" type="password">
  <input id="captcha-token" name="captcha_token" type="hidden">
  <div id="captcha"></div>
  <button id="se-connecter" type="submit">Se connecter</button>
</form>
<script src="http://captcha.localhost:{{ port }}/api.js"></script>
</main></body></html>""")

_CAPTCHA_API = _PAGES.from_string("""(function () {
  const frame = document.createElement("iframe");
  frame.src = "http://captcha.localhost:{{ port }}/widget";
  document.getElementById("captcha").appendChild(frame);
})();""")

_WIDGET = (
    "<!doctype html><title>widget</title>"
    "<label><input id='captcha-checkbox' type='checkbox'> Je ne suis pas un robot</label>"
)


async def _js(request: Request) -> Response:
    return HTMLResponse(_JS_PAGE)


async def _cookie(request: Request) -> Response:
    response = HTMLResponse(_COOKIE_PAGE)
    response.set_cookie("from_header", "1")
    return response


async def _frame_parent(request: Request) -> Response:
    return HTMLResponse(_FRAME_PARENT.render(port=request.url.port))


async def _frame_cookie(request: Request) -> Response:
    response = PlainTextResponse("received: " + ",".join(sorted(request.cookies)))
    response.headers.append("set-cookie", "in_frame=1; Path=/; SameSite=None; Secure")
    return response


async def _popup(request: Request) -> Response:
    return HTMLResponse(_POPUP_PAGE)


async def _site_data(request: Request) -> Response:
    return HTMLResponse(_SITE_DATA_PAGE)


async def _service_worker(request: Request) -> Response:
    return Response(_SERVICE_WORKER, media_type="text/javascript")


async def _cookie_header(request: Request) -> Response:
    """How big the Cookie header the browser sent was, and how many cookies it held."""
    header = request.headers.get("cookie", "")
    return PlainTextResponse(f"{len(header.encode())} bytes, {len(request.cookies)} cookies")


async def _connexion(request: Request) -> Response:
    if request.method == "POST":
        return HTMLResponse("<title>Mon compte</title><h1 id='titre-compte'>Mon compte</h1>")
    return HTMLResponse(_LOGIN_PAGE.render(port=request.url.port))


async def _captcha_api(request: Request) -> Response:
    return Response(_CAPTCHA_API.render(port=request.url.port), media_type="text/javascript")


async def _widget(request: Request) -> Response:
    return HTMLResponse(_WIDGET)


def create_site() -> Starlette:
    return Starlette(
        routes=[
            Route("/js", _js),
            Route("/cookie", _cookie),
            Route("/frame-parent", _frame_parent),
            Route("/frame-cookie", _frame_cookie),
            Route("/popup", _popup),
            Route("/site-data", _site_data),
            Route("/sw.js", _service_worker),
            Route("/cookie-header", _cookie_header),
            Route("/connexion", _connexion, methods=["GET", "POST"]),
            Route("/api.js", _captcha_api),
            Route("/widget", _widget),
        ]
    )


@contextmanager
def serve_site() -> Iterator[int]:
    """Serve ``create_site()`` on a free loopback port; yields the port."""
    with ThreadedServer(create_site(), name="the test site") as server:
        yield server.port


# ---------------------------------------------------------------- hand-made profiles

FIXTURES = EXTENSIONS


def make_profile(
    user_data_dir: Path,
    prefs: dict[str, Any] | None = None,
    *,
    name: str = "Default",
    last_used: str | None = None,
    last_version: str | None = "156.0.8078.108",
) -> Path:
    profile_dir = user_data_dir / name
    profile_dir.mkdir(parents=True, exist_ok=True)
    (profile_dir / "Preferences").write_text(json.dumps(prefs or {}))
    if last_used:
        local_state = {"profile": {"last_used": last_used, "info_cache": {last_used: {"n": 1}}}}
        (user_data_dir / "Local State").write_text(json.dumps(local_state))
    if last_version:
        (user_data_dir / "Last Version").write_text(last_version)
    return profile_dir


def install(profile_dir: Path, fixture: str, **entry: Any) -> tuple[str, dict[str, Any]]:
    """Install a fixture extension like the Web Store does; returns its id and entry."""
    manifest = json.loads((FIXTURES / fixture / "manifest.json").read_text())
    ext_id = extension_id(FIXTURES / fixture)
    relative = f"{ext_id}/{manifest['version']}_0"
    shutil.copytree(FIXTURES / fixture, profile_dir / "Extensions" / relative)
    return ext_id, {"location": 1, "path": relative, "disable_reasons": [], **entry}


def register(profile_dir: Path, entries: dict[str, dict[str, Any]], **prefs: Any) -> None:
    data = {"extensions": {"settings": entries}, **prefs}
    (profile_dir / "Preferences").write_text(json.dumps(data))


def write_cookie_db(path: Path, rows: list[tuple[str, str, bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE cookies (name TEXT, host_key TEXT, path TEXT, encrypted_value BLOB)"
        )
        db.executemany("INSERT INTO cookies VALUES (?, ?, '/', ?)", rows)
    db.close()


# ---------------------------------------------------------------- watching for writes

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.mkdir",
    "os.rmdir",
    "os.chmod",
    "os.chown",
    "os.utime",
    "os.truncate",
    "os.symlink",
    "os.link",
    "shutil.rmtree",
    "shutil.move",
    "sqlite3.connect",
}
_watched: list[tuple[Path, list[str]]] = []
_hook_installed = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _watched:
        return
    if event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        )
        targets = [path] if writes else []
    elif event in _WRITE_EVENTS:
        targets = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
    else:
        return
    for target in targets:
        if not isinstance(target, (str, os.PathLike)):
            continue
        resolved = Path(os.fspath(target)).absolute()
        for root, seen in _watched:
            if resolved.is_relative_to(root):
                seen.append(f"{event} {resolved}")


@contextmanager
def no_writes_under(root: Path) -> Iterator[list[str]]:
    """Record every attempt by this process to write, create or delete under ``root``.

    Uses a Python audit hook, so it sees ``open``/``os.open`` with write flags, renames,
    deletions, chmod and SQLite connections, whoever makes them.
    """
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    seen: list[str] = []
    entry = (root.absolute(), seen)
    _watched.append(entry)
    try:
        yield seen
    finally:
        _watched.remove(entry)


def fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path (symlinks by their target)."""
    found: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            relative = str(path.relative_to(root))
            if path.is_symlink():
                found[relative] = "-> " + os.readlink(path)
            elif path.is_file():
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


# ---------------------------------------------------------------- launching


def launch_profile(
    playwright: Playwright,
    chromium: Chromium,
    user_data_dir: Path,
    extensions: Iterable[Extension] = (),
    *,
    playwright_defaults: bool = True,
) -> BrowserContext:
    """A persistent context on ``user_data_dir`` with exactly ``extensions`` loaded."""
    extension_args = extension_launch_args(extensions)
    ignored = ["--disable-extensions"] if extension_args else []
    if not playwright_defaults:
        ignored.append("--disable-popup-blocking")
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(chromium.executable),
        headless=True,
        args=[*launch_args(), *extension_args],
        ignore_default_args=ignored,
    )
    context.set_default_timeout(5000)
    context.set_default_navigation_timeout(8000)
    return context


def wait_for_content_scripts(page: Page, extension_ids: Iterable[str]) -> None:
    """Return once each extension has run its content scripts in the page's main frame.

    Chromium gives each extension's content scripts an isolated world, announced over CDP
    (``Runtime.executionContextCreated``, origin ``chrome-extension://ID``) as the scripts
    are injected: after it, whatever an extension does on load has had its chance.
    """
    wanted = {f"chrome-extension://{ext_id}" for ext_id in extension_ids}
    seen: set[str] = set()
    session = page.context.new_cdp_session(page)
    session.on(
        "Runtime.executionContextCreated", lambda event: seen.add(event["context"]["origin"])
    )
    session.send("Runtime.enable")  # announces the worlds that already exist, too
    deadline = time.monotonic() + 10
    while not wanted <= seen:
        assert time.monotonic() < deadline, f"content scripts never ran: {sorted(wanted - seen)}"
        page.wait_for_timeout(20)  # lets Playwright deliver the session's events
    session.detach()
