"""Whether the form sends, with the login stopped in the browser (``probe.journey.sending``).

What a person would check: a narrowing-down run that only asks "does the form send?" gets
the right answer for a plain form, a form a script sends at once or after a while, a form
a broken script stops, a form the browser refuses (a required field left empty) and a
disabled button; and the portal (a real HTTP server here, recording every POST) never
receives a single login. In Chromium and in Firefox (routing over WebDriver BiDi), and once
more with the CPU kept busy by other processes: the answer comes from events, not from
how fast the machine is.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Literal

import pytest
from playwright.async_api import BrowserContext, Playwright, async_playwright

from probe._util import loops
from probe.app.portal.login_page import launch
from probe.browsers.chromium.discovery import find_chromium
from probe.browsers.firefox.discovery import find_firefox
from probe.browsers.firefox.launch import launch_persistent_async
from probe.description.model import mock_description
from probe.description.target import Timeouts, pagemap_of
from probe.journey.sending import form_sends

PAGE = """<!doctype html><html><body>
<form id="login-form" method="post" action="/answer">
  <input id="identifiant" name="identifiant"><input id="mot-de-passe" name="pw" type="password">
  {extra}
  <button id="se-connecter" type="submit">Se connecter</button>
</form>
<script>{script}</script></body></html>"""

SCRIPTS = {
    "plain": ("", "", True),
    # A form filler's bug: it stops the submission and throws before sending it again.
    "broken": (
        """document.querySelector("form").addEventListener("submit", (event) => {
  event.preventDefault(); event.stopImmediatePropagation(); undefined.store();
}, true);""",
        "",
        False,
    ),
    # A single-page app: the button sends the login with fetch at once.
    "in-page": (
        """document.querySelector("form").addEventListener("submit", (event) => {
  event.preventDefault(); fetch("/api/login", {method: "POST", body: "x"});
});""",
        "",
        True,
    ),
    # A script that takes its time before sending (a proof of work, an animation).
    "later": (
        """document.querySelector("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const button = document.querySelector("button"); button.disabled = true;
  setTimeout(() => fetch("/api/login", {method: "POST", body: "x"}), 700);
});""",
        "",
        True,
    ),
    # A required field an extension added, left empty: the browser refuses the form.
    "invalid": ("", '<input name="extra" required>', False),
    # A script that disables the button for good.
    "disabled": ('document.querySelector("button").disabled = true;', "", False),
}


class Portal(ThreadingHTTPServer):
    posts: list[str]


class Handler(BaseHTTPRequestHandler):
    server: Portal

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        name = self.path.rsplit("/", 1)[-1]
        script, extra, _ = SCRIPTS.get(name, ("", "", True))
        self._answer(PAGE.replace("{script}", script).replace("{extra}", extra))

    def do_POST(self) -> None:  # noqa: N802
        self.server.posts.append(self.path)
        self._answer("<p>Bienvenue</p>")

    def _answer(self, html: str) -> None:
        body = html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    server = Portal(("127.0.0.1", 0), Handler)
    server.posts = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def _context(playwright: Playwright, engine: str, folder: Path) -> BrowserContext:
    if engine == "chromium":
        browser = await launch(playwright, find_chromium())
        return await browser.new_context()
    firefox = find_firefox()
    if firefox is None:
        pytest.skip("no Firefox installed")
    return await launch_persistent_async(playwright, firefox, folder, {})


async def _sends(engine: str, url: str, folder: Path) -> bool:
    pagemap = pagemap_of(mock_description())
    async with async_playwright() as playwright:
        context = await _context(playwright, engine, folder)
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(url)
            await page.fill(pagemap.identifier, "1850775123456")
            await page.fill(pagemap.password, "secret")
            return await form_sends(
                page,
                context,
                pagemap,
                lambda: page.click(pagemap.submit, timeout=3_000),
                Timeouts(),
            )
        finally:
            await context.close()


Engine = Literal["chromium", "firefox"]


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
@pytest.mark.parametrize("case", list(SCRIPTS))
def test_whether_the_form_sends_without_the_portal_seeing_it(
    portal: Portal, tmp_path: Path, engine: Engine, case: str
) -> None:
    portal.posts.clear()
    url = f"http://127.0.0.1:{portal.server_address[1]}/login/{case}"
    assert loops.run(_sends(engine, url, tmp_path)) is SCRIPTS[case][2]
    assert portal.posts == []  # stopped in the browser: the portal received nothing


def _busy(stop: Event) -> None:
    while not stop.is_set():
        sum(range(10_000))


@pytest.mark.parametrize("case", ["later", "broken"])
def test_the_answer_holds_on_a_loaded_machine(portal: Portal, tmp_path: Path, case: str) -> None:
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_busy, args=(stop,)) for _ in range(3)]
    for burner in burners:
        burner.start()
    try:
        portal.posts.clear()
        url = f"http://127.0.0.1:{portal.server_address[1]}/login/{case}"
        assert loops.run(_sends("chromium", url, tmp_path)) is SCRIPTS[case][2]
        assert portal.posts == []
    finally:
        stop.set()
        for burner in burners:
            burner.join(timeout=10)
