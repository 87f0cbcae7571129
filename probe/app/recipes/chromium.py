"""Test profiles built by code: a recipe says what a person's browser holds, and
``build_profile`` makes a real Chromium user-data-dir holding exactly that.

Nothing binary is committed: extensions come from ``fixtures/extensions/`` (installed
like Web Store installs, under ``Default/Extensions/<id>/<version>_0`` and registered in
``Preferences``), cookies are written by Chromium itself through Playwright, and
settings are written into ``Default/Preferences``. ``probe.browsers.chromium.profile.locate_profile``
reads the result back exactly.

Example recipe (JSON)::

    {"extensions": ["ad-shield", "harmless/notes"], "cookie_jars": ["oversized.json"],
     "settings": ["third-party-cookies"], "visit": ["{portal}/connexion"]}
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from probe.app import resources
from probe.browsers.chromium.discovery import (
    LAUNCH_TIMEOUT_S,
    Chromium,
    browser_environment,
    launch_args,
    launch_failure,
)
from probe.browsers.chromium.profile import Extension, SettingId, extension_id
from probe.errors import BadInput, BrowserFailure

_M = TypeVar("_M", bound=BaseModel)

ENV_VAR = "PROBE_FIXTURES"

# Where the "proxy" setting points: a port nothing listens on, so proxied requests fail.
DEAD_PROXY = "http://127.0.0.1:9"

# Chromium's limit on a cookie's name plus value.
MAX_COOKIE_BYTES = 4096

_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FILLER = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
# Seconds between 1601-01-01 (Chromium's epoch) and 1970-01-01.
_WINDOWS_EPOCH_OFFSET = 11_644_473_600


class CookieSeed(BaseModel):
    """A cookie to plant: its value is generated filler of ``size`` characters."""

    model_config = ConfigDict(extra="forbid")

    name: str
    domain: str  # e.g. "portal.localhost"
    size: int = Field(default=32, ge=1)
    path: str = "/"

    @model_validator(mode="after")
    def _fits(self) -> CookieSeed:
        if not _COOKIE_NAME.match(self.name):
            raise ValueError(f"cookie name {self.name!r} has characters a cookie name cannot")
        if len(self.name) + self.size > MAX_COOKIE_BYTES:
            raise ValueError(f"cookie {self.name}: name and value exceed {MAX_COOKIE_BYTES} bytes")
        return self

    def value(self) -> str:
        """Deterministic filler; never anything secret."""
        seed = hashlib.sha256(f"{self.name}@{self.domain}".encode()).digest()
        stream = bytearray()
        while len(stream) < self.size:
            seed = hashlib.sha256(seed).digest()
            stream += seed
        return "".join(_FILLER[b % len(_FILLER)] for b in stream[: self.size])


class CookieJar(BaseModel):
    """A fixture file under ``fixtures/cookies/``."""

    model_config = ConfigDict(extra="forbid")

    description: str
    cookies: list[CookieSeed]


class ProfileRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extensions: list[str] = []  # fixture folders under fixtures/extensions/ (enabled)
    disabled_extensions: list[str] = []  # installed but disabled
    incognito_extensions: list[str] = []  # of the above, those allowed in private mode
    cookies: list[CookieSeed] = []
    cookie_jars: list[str] = []  # fixture files under fixtures/cookies/
    settings: list[SettingId] = []  # settings to turn on
    # Hosts whose cookies the site settings block ("Sites that can never use cookies"),
    # each with its subdomains: a per-site exception, not the global setting.
    blocked_cookie_sites: list[str] = []
    visit: list[str] = []  # URLs opened once while building; "{portal}" is the portal URL
    # Start the browser once with the enabled extensions, so that each stores what it
    # does when it starts (dynamic blocking rules, storage), as in a browser in use.
    run_extensions: bool = False
    # The person's system trusts a certificate authority of their own (a company's, a home
    # network's: Linux Chromium reads it from ~/.pki/nssdb), and the embedded portal is
    # served over HTTPS with a certificate that CA issued. Chromium only.
    trusts_portal_ca: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ProfileRecipe:
        both = set(self.extensions) & set(self.disabled_extensions)
        if both:
            raise ValueError(f"extensions both enabled and disabled: {', '.join(sorted(both))}")
        stray = set(self.incognito_extensions) - set(self.extensions + self.disabled_extensions)
        if stray:
            raise ValueError(f"incognito_extensions not installed: {', '.join(sorted(stray))}")
        return self


def fixtures_dir() -> Path:
    """The fixtures folder: ``$PROBE_FIXTURES``, else the one shipped with probe."""
    if env := os.environ.get(ENV_VAR):
        path = Path(env).expanduser()
        if not path.is_dir():
            raise BadInput(f"{ENV_VAR}={env}: not a folder")
        return path
    return resources.fixtures_dir()


def harmless_extensions() -> list[str]:
    """Names of the harmless fixture extensions, for recipes ("harmless/calculator", ...)."""
    root = fixtures_dir() / "extensions" / "harmless"
    return sorted(f"harmless/{p.parent.name}" for p in root.glob("*/manifest.json"))


def load_recipe(path: Path) -> ProfileRecipe:
    """Read a recipe file (JSON), with one-line errors naming the file and the field."""
    return _load_model(path, ProfileRecipe)


def load_cookie_jar(name: str) -> CookieJar:
    return _load_model(_fixture(fixtures_dir() / "cookies", name), CookieJar)


def _load_model(path: Path, model: type[_M]) -> _M:
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadInput(f"{path}: {where}: {first['msg']}") from exc


def _fixture(root: Path, name: str) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.exists():
        known = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        raise BadInput(f"no fixture {name!r} in {root} (there are: {', '.join(known)})")
    return path


def _extension_fixture(root: Path, name: str) -> Path:
    folder = _fixture(root, name)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BadInput(f"fixture {name} has no readable manifest.json") from exc
    if not isinstance(manifest, dict) or "key" not in manifest:
        # Without a key the id follows the folder's path and would change with every copy.
        raise BadInput(f"fixture extension {name} has no 'key' in its manifest.json")
    return folder


def build_profile(
    recipe: ProfileRecipe, user_data_dir: Path, *, chromium: Chromium, portal_url: str | None = None
) -> Path:
    """Make a Chromium user-data-dir holding what ``recipe`` says; returns its path.

    Chromium is started once (only if there are cookies to plant or pages to visit),
    in a thread of its own so that it never clashes with a caller's Playwright.
    """
    extensions_root = fixtures_dir() / "extensions"
    installs = [
        (_extension_fixture(extensions_root, name), name in recipe.disabled_extensions)
        for name in recipe.extensions + recipe.disabled_extensions
    ]
    incognito = {_fixture(extensions_root, name) for name in recipe.incognito_extensions}
    seeds = list(recipe.cookies)
    for jar in recipe.cookie_jars:
        seeds += load_cookie_jar(jar).cookies
    visits = [_portal_url(url, portal_url) for url in recipe.visit]
    if user_data_dir.exists() and any(user_data_dir.iterdir()):
        raise BadInput(f"{user_data_dir} is not empty")
    profile_dir = user_data_dir / "Default"
    profile_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    blocked = recipe.blocked_cookie_sites
    if seeds or visits or blocked:
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(_plant, user_data_dir, chromium, seeds, visits, blocked).result()
    prefs_file = profile_dir / "Preferences"
    prefs: dict[str, Any] = json.loads(prefs_file.read_text()) if prefs_file.exists() else {}
    for setting in recipe.settings:
        _turn_on(prefs, setting)
    registered = prefs.setdefault("extensions", {}).setdefault("settings", {})
    for folder, disabled in installs:
        ext_id, entry = _install(folder, profile_dir / "Extensions")
        entry.update(disable_reasons=[1] if disabled else [], incognito=folder in incognito)
        registered[ext_id] = entry
    prefs_file.write_text(json.dumps(prefs))
    if recipe.run_extensions:
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(_run_extensions, user_data_dir, chromium).result()
    return user_data_dir


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def _portal_url(url: str, portal_url: str | None) -> str:
    if "{portal}" not in url:
        return url
    if portal_url is None:
        raise BadInput(f"recipe visits {url} but no portal URL was given")
    return url.replace("{portal}", portal_url.rstrip("/"))


def planted_cookies(seeds: Iterable[CookieSeed]) -> list[Any]:
    """The cookies of ``seeds`` as Playwright's ``add_cookies`` takes them, kept a year
    (session cookies would not be saved to disk)."""
    expires = time.time() + 365 * 24 * 3600
    return [
        {
            "name": s.name,
            "value": s.value(),
            "domain": s.domain,
            "path": s.path,
            "expires": expires,
            "sameSite": "Lax",
        }
        for s in seeds
    ]


def _plant(
    user_data_dir: Path,
    chromium: Chromium,
    seeds: list[CookieSeed],
    visits: list[str],
    blocked_cookie_sites: list[str],
) -> None:
    with _building_browser(user_data_dir, chromium) as context:
        visit_and_plant(context, visits, seeds)
        if blocked_cookie_sites:
            _block_cookies_for(context, blocked_cookie_sites)


def visit_and_plant(context: Any, visits: list[str], seeds: list[CookieSeed]) -> None:
    """Open ``visits`` in a browser building a profile, then plant the cookies of ``seeds``.

    Pages first, cookies after: what a visit installs (a service worker) must not depend
    on the planted cookies, which may be too many for the portal.
    """
    page = context.pages[0] if context.pages else context.new_page()
    for url in visits:
        _visit(page, url)
    cookies = planted_cookies(seeds)
    if cookies:
        context.add_cookies(cookies)


@contextlib.contextmanager
def _building_browser(
    user_data_dir: Path,
    chromium: Chromium,
    extra_args: Sequence[str] = (),
    ignore_default_args: Sequence[str] = (),
) -> Iterator[Any]:
    """Chromium started on a profile being built, closed afterwards; ``BrowserFailure``
    in one line when it cannot start."""
    from playwright.sync_api import Error, sync_playwright

    # The browser's own HOME: it writes crash reports and caches there, not in the person's.
    home = tempfile.TemporaryDirectory(prefix="probe-browser-home-")
    with home, sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(chromium.executable),
                headless=True,
                args=[*launch_args(), *extra_args],
                ignore_default_args=list(ignore_default_args) or None,
                env=browser_environment(Path(home.name)),
                timeout=LAUNCH_TIMEOUT_S * 1000,
            )
        except Error as exc:
            failure = launch_failure(exc.message, executable=chromium.executable, headed=False)
            raise BrowserFailure(f"{failure} (while building a profile)") from exc
        try:
            yield context
        finally:
            context.close()


def _run_extensions(user_data_dir: Path, chromium: Chromium) -> None:
    """Start the browser once with the profile's enabled extensions, then put them back.

    Chromium loads them from their installed folders (``--load-extension``) and records
    in each Preferences entry what they stored (the dynamic rules' checksum...); the
    entries are then made Web Store installs again, as ``build_profile`` writes them.
    A fixture extension that does work when it starts exposes it as ``self.ready`` (a
    promise) in its service worker; it is awaited before the browser closes.
    """
    from probe.browsers.chromium.profile import extension_launch_args, locate_profile

    prefs_file = user_data_dir / "Default" / "Preferences"
    installed = {e.id: e for e in locate_profile(user_data_dir).extensions if e.enabled}
    entries = json.loads(prefs_file.read_text())["extensions"]["settings"]
    before = {ext_id: dict(entries[ext_id]) for ext_id in installed}
    with _building_browser(
        user_data_dir,
        chromium,
        extension_launch_args(installed.values()),
        ignore_default_args=["--disable-extensions"],
    ) as context:
        for worker in _extension_workers(context, installed.values()):
            worker.evaluate("async () => { await self.ready; }")
    prefs = json.loads(prefs_file.read_text())
    registered = prefs["extensions"]["settings"]
    for ext_id, entry in before.items():
        # What Chromium recorded (location 8, the folder's absolute path) becomes the
        # Web Store install it stands for again; the state it stored is kept.
        registered[ext_id] = {**registered.get(ext_id, {}), **entry}
    prefs_file.write_text(json.dumps(prefs))


def _extension_workers(context: Any, extensions: Iterable[Extension]) -> list[Any]:
    """The service worker of every extension that declares one (waited for: up to 10 s)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wanted = set()
    for ext in extensions:
        background = json.loads((ext.path / "manifest.json").read_text()).get("background")
        if isinstance(background, dict) and "service_worker" in background:
            wanted.add(ext.id)
    found: dict[str, Any] = {}
    deadline = time.monotonic() + 10
    while True:
        for worker in context.service_workers:
            ext_id = worker.url.split("/")[2] if worker.url.startswith("chrome-extension:") else ""
            if ext_id in wanted:
                found[ext_id] = worker
        missing = wanted - found.keys()
        left_ms = (deadline - time.monotonic()) * 1000
        if not missing or left_ms <= 0:
            break
        with contextlib.suppress(PlaywrightTimeout):  # lets Playwright see new workers
            context.wait_for_event("serviceworker", timeout=left_ms)
    if missing:
        raise BrowserFailure(
            f"extension(s) {', '.join(sorted(missing))} did not start while building a profile"
        )
    return list(found.values())


def _visit(page: Any, url: str) -> None:
    from playwright.sync_api import Error

    try:
        page.goto(url, wait_until="load", timeout=15_000)
    except Error as exc:
        raise BrowserFailure(
            f"{url} did not load while building a profile: {_first_line(exc.message)}"
        ) from exc
    # A page that keeps polling has still left its data behind after a few seconds.
    with contextlib.suppress(Error):
        page.wait_for_load_state("networkidle", timeout=3000)
    # Let a service worker the page registers finish installing, so its caches stay
    # behind. register() returns before the browser knows the worker, hence the polling.
    page.evaluate(
        """async () => {
            if (!navigator.serviceWorker) return;
            const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            for (let tries = 0; tries < 20; tries++) {
                if (await navigator.serviceWorker.getRegistration()) {
                    await Promise.race([navigator.serviceWorker.ready, sleep(10000)]);
                    return;
                }
                await sleep(100);
            }
        }"""
    )


def _turn_on(prefs: dict[str, Any], setting: SettingId) -> None:
    profile = prefs.setdefault("profile", {})
    match setting:
        case "javascript" | "cookies":
            profile.setdefault("default_content_setting_values", {})[setting] = 2
        case "third-party-cookies":
            profile["cookie_controls_mode"] = 1
        case "proxy":
            prefs["proxy"] = {"mode": "fixed_servers", "server": DEAD_PROXY}


def _block_cookies_for(context: Any, hosts: list[str]) -> None:
    """Block cookies for each host (and its subdomains) as a person does it, through
    Chromium's own settings page: its "Sites that can never use cookies" > Add sends
    ``setCategoryPermissionForPattern``, and Chromium writes the exception
    (``[*.]host,*`` at 2) into Preferences itself."""
    page = context.new_page()
    page.goto("chrome://settings/cookies")
    for host in hosts:
        page.evaluate(
            """(host) => chrome.send('setCategoryPermissionForPattern',
                [`[*.]${host}`, '*', 'cookies', 'block', false])""",
            host,
        )
    # The handler answers nothing: read the exceptions back until they are all there.
    for _ in range(50):
        listed = page.evaluate(
            """async () => { const {sendWithPromise} = await import('chrome://resources/js/cr.js');
                return (await sendWithPromise('getExceptionList', 'cookies'))
                    .map((e) => e.origin) }"""
        )
        if all(f"[*.]{h}" in listed for h in hosts):
            break
        page.wait_for_timeout(100)
    else:
        raise BrowserFailure(
            "Chromium did not record the cookie exceptions (while building a profile)"
        )
    page.close()


def _install(folder: Path, extensions_dir: Path) -> tuple[str, dict[str, Any]]:
    """Copy an extension like a Web Store install; return its id and its Preferences entry."""
    manifest = json.loads((folder / "manifest.json").read_text())
    ext_id = extension_id(folder)
    version_dir = f"{manifest['version']}_0"
    shutil.copytree(
        folder, extensions_dir / ext_id / version_dir, ignore=shutil.ignore_patterns("_metadata")
    )
    now = str(int((time.time() + _WINDOWS_EPOCH_OFFSET) * 1_000_000))
    entry = {
        "location": 1,  # INTERNAL: installed from the Web Store
        "path": f"{ext_id}/{version_dir}",
        "from_webstore": True,
        "creation_flags": 9,  # REQUIRE_KEY | FROM_WEBSTORE
        "was_installed_by_default": False,
        "was_installed_by_oem": False,
        "first_install_time": now,
        "install_time": now,
        "last_update_time": now,
    }
    return ext_id, entry
