"""What goes wrong once Chromium is running: the installed ``probe`` program, for real.

Each test runs ``python -m probe browser`` as a subprocess with its own ``TMPDIR`` and
``HOME`` and a marker in its environment. Every process it starts (the Playwright
driver, each Chromium and its helpers) inherits the marker, so the test can find them
and check that none is left behind, whatever happened, and that the private work
folders (``TMPDIR/probe-*``) are gone.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from probe.app.recipes.chromium import CookieSeed, ProfileRecipe, build_profile
from probe.browsers.chromium.discovery import Chromium
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.server import ThreadedServer
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD

MARK = "PROBE_ROBUSTNESS_TEST_RUN"
ERROR_PREFIX = "probe: error: "


# ---------------------------------------------------------------- running probe


@dataclass
class Sandbox:
    """Where one probe run lives: its temp folder, home, report folder and marker."""

    root: Path
    tmp: Path  # short: Chromium's singleton socket under TMPDIR must fit in 108 bytes
    mark: str

    @property
    def reports(self) -> Path:
        return self.root / "report"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROBE_")}
        env.update(
            HOME=str(self.root / "home"),
            TMPDIR=str(self.tmp),
            COLUMNS="200",
            PYTHONUNBUFFERED="1",
            **{MARK: self.mark},
        )
        env.pop("XDG_CONFIG_HOME", None)
        env.update(extra)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "probe", "browser", "--report-dir", str(self.reports), *args]

    def run(self, *args: str, timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=timeout,
            check=False,
        )

    def processes(self) -> list[psutil.Process]:
        """Every live process started for this run (they all carry the marker)."""
        found = []
        for process in psutil.process_iter():
            try:
                ours = process.pid != os.getpid() and process.environ().get(MARK) == self.mark
                if ours and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
            except (psutil.Error, OSError):
                continue
        return found

    def chromium_processes(self) -> list[psutil.Process]:
        found = []
        for process in self.processes():
            try:
                if "chrom" in process.name().lower():
                    found.append(process)
            except psutil.Error:
                continue
        return found

    def assert_clean(self) -> None:
        """No process of the run survives it, and no private work folder either."""
        deadline = time.monotonic() + 10
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        left = []
        for process in self.processes():
            try:
                left.append(f"{process.pid} {process.name()} {' '.join(process.cmdline())[:120]}")
            except psutil.Error:
                continue
        self.kill_all()  # don't let them disturb the next test
        assert left == [], "processes left behind:\n" + "\n".join(left)
        assert sorted(p.name for p in self.tmp.glob("probe-*")) == []

    def kill_all(self) -> None:
        for process in self.processes():
            with suppress(psutil.Error):
                process.kill()

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.reports / "report.json").read_text())
        return data


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path, Path(tempfile.mkdtemp(prefix="rb-", dir="/tmp")), uuid.uuid4().hex)
    (box.root / "home").mkdir()
    yield box
    box.kill_all()
    shutil.rmtree(box.tmp, ignore_errors=True)


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


def last_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("probe: error:")]
    assert len(errors) == 1, stderr
    assert stderr.splitlines()[-1] == errors[0], stderr
    return errors[0].removeprefix(ERROR_PREFIX)


# ---------------------------------------------------------------- small web sites


_PAGES = Environment(autoescape=True)

WELCOME = "<!doctype html><html lang='fr'><title>Accueil</title><h1>Bienvenue</h1></html>"

# A login journey shaped like the portal contract (docs/portal-contract.md), without a
# CAPTCHA, whose security-code form never gets an answer.
SLOW_LOGIN = _PAGES.from_string("""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion</title></head><body><main>
<h1>Connexion</h1>
<noscript><p id="noscript-warning">Activez JavaScript.</p></noscript>
<form id="login-form" method="post" action="/connexion">
  <input id="identifiant" name="identifiant"><input id="mot-de-passe" name="mot_de_passe"
  type="password"><button id="se-connecter" type="submit">Se connecter</button>
</form></main></body></html>""")

SLOW_CODE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Code</title></head><body><main>
<form id="code-form" method="post" action="/code-securite">
  <input id="code" name="code"><button id="valider-code" type="submit">Valider</button>
</form></main></body></html>"""


def slow_portal(hang_seconds: float, reached: threading.Event | None = None) -> Starlette:
    async def login_page(request: Request) -> Response:
        return HTMLResponse(SLOW_LOGIN.render())

    async def login(request: Request) -> Response:
        return RedirectResponse("/code-securite", status_code=303)

    async def code_page(request: Request) -> Response:
        return HTMLResponse(SLOW_CODE)

    async def code(request: Request) -> Response:
        if reached is not None:
            reached.set()
        await asyncio.sleep(hang_seconds)  # the portal never answers in time
        return HTMLResponse("trop tard", status_code=504)

    async def outbox(request: Request) -> Response:
        # A code that has just arrived, whenever the journey looks.
        message = {"sent_at": datetime.now(UTC).isoformat(), "body": "Votre code : 482913."}
        return JSONResponse({"messages": [message]})

    return Starlette(
        routes=[
            Route("/connexion", login_page),
            Route("/connexion", login, methods=["POST"]),
            Route("/code-securite", code_page),
            Route("/code-securite", code, methods=["POST"]),
            Route("/outbox", outbox),
        ]
    )


class OnFirstRequest:
    """ASGI middleware: call ``action`` once, when a request matches, before answering it."""

    def __init__(
        self, app: ASGIApp, method: str, path: str, action: Callable[[], Awaitable[None]]
    ) -> None:
        self.app, self.method, self.path, self.action = app, method, path, action
        self.fired = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not self.fired
            and scope["method"] == self.method
            and scope["path"] == self.path
        ):
            self.fired = True
            await self.action()
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- profiles


def plain_profile(root: Path, prefs: dict[str, Any] | None = None) -> Path:
    (root / "Default").mkdir(parents=True)
    (root / "Default" / "Preferences").write_text(json.dumps(prefs or {}))
    return root


# ================================================================= the tests


def test_an_extension_with_a_broken_manifest_is_skipped_with_a_note(sandbox: Sandbox) -> None:
    ext_id = "a" * 32
    folder = sandbox.root / "ud" / "Default" / "Extensions" / ext_id / "1.0_0"
    profile = plain_profile(
        sandbox.root / "ud",
        {"extensions": {"settings": {ext_id: {"location": 1, "path": f"{ext_id}/1.0_0"}}}},
    )
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"name": "Half written", "version": ')

    done = sandbox.run("--profile", str(profile))

    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert f"Note: extension {ext_id} skipped:" in done.stderr
    assert "manifest.json is not valid JSON" in done.stderr
    assert "Access works" in done.stdout
    report = sandbox.report()
    assert report["verdict"]["status"] == "ok"
    assert all(c["kind"] != "extension" for c in report["profile"]["components"])
    sandbox.assert_clean()


def test_a_cookie_database_locked_by_another_program_is_still_read(
    sandbox: Sandbox, probe_chromium: Chromium
) -> None:
    recipe = ProfileRecipe(cookies=[CookieSeed(name="preferences", domain="portal.localhost")])
    profile = build_profile(recipe, sandbox.root / "ud", chromium=probe_chromium)
    cookies = profile / "Default" / "Cookies"
    # What a running browser does: an exclusive lock on the whole database.
    holder = sqlite3.connect(cookies, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            sqlite3.connect(cookies, timeout=0).execute("SELECT count(*) FROM cookies")
        done = sandbox.run("--profile", str(profile))
    finally:
        holder.rollback()
        holder.close()

    no_traceback(done)
    assert done.returncode == 0, done.stderr
    components = sandbox.report()["profile"]["components"]
    assert {"kind": "cookie", "id": "preferences@portal.localhost", "name": "preferences"} in [
        {k: c[k] for k in ("kind", "id", "name")} for c in components
    ]
    sandbox.assert_clean()


def test_a_truncated_cookie_database_is_left_out_with_a_note(sandbox: Sandbox) -> None:
    profile = plain_profile(sandbox.root / "ud")
    # The first bytes of an SQLite file, cut short: what a crash mid-write can leave.
    (profile / "Default" / "Cookies").write_bytes(b"SQLite format 3\x00" + b"\x10\x00" * 40)

    done = sandbox.run("--profile", str(profile))

    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert "Cookies database could not be read" in done.stderr
    assert str(sandbox.tmp) not in done.stderr, "a note names the person's files, not copies"
    assert sandbox.report()["verdict"]["status"] == "ok"
    sandbox.assert_clean()


@pytest.mark.parametrize("how", ["--portal", "--portal-url"])
def test_a_page_without_a_login_form_is_one_line_and_exit_3(sandbox: Sandbox, how: str) -> None:
    async def welcome(request: Request) -> Response:
        return HTMLResponse(WELCOME)

    site = Starlette(routes=[Route("/connexion", welcome)])
    profile = plain_profile(sandbox.root / "ud")
    with ThreadedServer(site) as server:
        # Python cannot resolve *.localhost, Chromium can: the engine handles both.
        # --portal URL: a description is drafted from that page (used as given);
        # --portal-url URL: the mock's description, moved there.
        url = f"http://accueil.localhost:{server.port}/" + (
            "connexion" if how == "--portal" else ""
        )
        done = sandbox.run("--profile", str(profile), how, url, "--user", "123", PROBE_PASSWORD="x")

    no_traceback(done)
    assert done.returncode == 3, done.stderr
    message = last_error(done.stderr)
    if how == "--portal":
        assert message == (
            f"{url}: no password field on this page; give the URL of the page where the "
            "password is typed"
        )
    else:
        assert message == (
            f"{url}connexion: no login form there; check the URL (probe expects the login page)"
        )
    sandbox.assert_clean()


def test_a_step_that_times_out_fails_as_timeout_and_the_diagnosis_goes_on(
    sandbox: Sandbox,
) -> None:
    profile = plain_profile(sandbox.root / "ud")
    with ThreadedServer(slow_portal(hang_seconds=25)) as server:
        base = f"http://lent.localhost:{server.port}/"
        done = sandbox.run(
            "--profile",
            str(profile),
            "--portal-url",
            base,
            "--outbox",
            f"{base}outbox",
            "--user",
            "1850775123456",
            PROBE_PASSWORD="Secret-Typed-2026!",
        )

    no_traceback(done)
    assert done.returncode == 3, done.stderr  # inconclusive: nothing explains a silent portal
    assert "Inconclusive" in done.stdout
    report = sandbox.report()
    runs = {run["name"]: run for run in report["variants"]}
    assert {"current", "fresh"} <= set(runs)
    for name in ("current", "fresh"):
        run = runs[name]
        assert run["symptom"] == "timeout" and run["failed_step"] == "second-factor", run
        steps = {step["name"]: step for step in run["steps"]}
        assert steps["credentials"]["outcome"] == "pass"
        assert "Timeout" in steps["second-factor"]["detail"]
        assert steps["download-check"]["outcome"] == "skipped"
    for secret in ("482913", "Secret-Typed-2026!"):
        assert secret not in (sandbox.reports / "report.json").read_text()
        assert secret not in done.stdout + done.stderr
    sandbox.assert_clean()


def test_chromium_dying_mid_run_is_inconclusive_with_no_traceback_and_nothing_left(
    sandbox: Sandbox,
) -> None:
    killed: list[int] = []

    async def kill_the_browsers() -> None:
        # Chromium dies while the person's credentials are being submitted.
        for process in sandbox.chromium_processes():
            try:
                process.kill()
                killed.append(process.pid)
            except psutil.Error:
                pass

    portal = EmbeddedPortal()
    portal.app = OnFirstRequest(portal.app, "POST", "/connexion", kill_the_browsers)
    profile = plain_profile(sandbox.root / "ud")
    with portal:
        done = sandbox.run(
            "--profile",
            str(profile),
            "--portal-url",
            portal.url,
            "--outbox",
            portal.outbox_url,
            "--user",
            DEMO_IDENTIFIER,
            PROBE_PASSWORD=DEMO_PASSWORD,
        )

    no_traceback(done)
    assert killed, "the test never saw the run's Chromium"
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Inconclusive" in done.stdout
    report = sandbox.report()
    assert report["verdict"]["status"] == "inconclusive"
    symptoms = {run["name"]: run.get("symptom") for run in report["variants"]}
    assert "browser-crashed" in symptoms.values(), symptoms
    sandbox.assert_clean()


def test_ctrl_c_during_a_run_exits_130_and_leaves_nothing_behind(sandbox: Sandbox) -> None:
    waiting = threading.Event()
    profile = plain_profile(sandbox.root / "ud")
    with ThreadedServer(slow_portal(hang_seconds=60, reached=waiting)) as server:
        base = f"http://lent.localhost:{server.port}/"
        process = subprocess.Popen(
            sandbox.command(
                "--profile",
                str(profile),
                "--portal-url",
                base,
                "--outbox",
                f"{base}outbox",
                "--user",
                "1850775123456",
            ),
            env=sandbox.env(PROBE_PASSWORD="Secret-Typed-2026!"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, like a job in a terminal
        )
        try:
            # In the middle of the journey: the security code was just sent.
            assert waiting.wait(timeout=120), "the run never reached the security code"
            assert sandbox.chromium_processes(), "Chromium is running"
            assert list(sandbox.tmp.glob("probe-*")), "the run keeps its copies in TMPDIR"
            # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
            os.killpg(process.pid, signal.SIGINT)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()

    assert "Traceback" not in stdout + stderr, stderr
    assert process.returncode == 130, stdout + stderr
    assert last_error(stderr) == "interrupted; temporary copies were removed"
    sandbox.assert_clean()


def test_the_password_stays_out_of_every_process_probe_starts(sandbox: Sandbox) -> None:
    """PROBE_PASSWORD is read once; the driver and the browsers do not inherit it."""
    exposed: list[str] = []
    looked_at: list[int] = []

    async def look_at_the_processes() -> None:
        # While the password is being submitted, every process of the run is alive.
        for process in sandbox.processes():
            with suppress(psutil.Error):
                looked_at.append(process.pid)
                if "probe" in process.cmdline()[1:3]:
                    continue  # probe itself: its environment is the one the person gave it
                if DEMO_PASSWORD in " ".join(process.cmdline()):
                    exposed.append(f"{process.name()} command line")
                if any(DEMO_PASSWORD in value for value in process.environ().values()):
                    exposed.append(f"{process.name()} environment")

    portal = EmbeddedPortal()
    portal.app = OnFirstRequest(portal.app, "POST", "/connexion", look_at_the_processes)
    profile = plain_profile(sandbox.root / "ud")
    with portal:
        done = sandbox.run(
            "--profile",
            str(profile),
            "--portal-url",
            portal.url,
            "--outbox",
            portal.outbox_url,
            "--user",
            DEMO_IDENTIFIER,
            PROBE_PASSWORD=DEMO_PASSWORD,
        )

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(looked_at) >= 3, "probe, the driver and Chromium were running"
    assert exposed == []
    sandbox.assert_clean()
