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
from collections.abc import Iterator
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
from tests.helpers.pages import page_server

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


class Portal:
    """The "portal": serves each case's page and notes every POST it receives."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.url = ""

    def answer(self, method: str, path: str) -> tuple[str, str]:
        if method == "POST":
            self.posts.append(path)
            return "text/html", "<p>Bienvenue</p>"
        script, extra, _ = SCRIPTS.get(path.rsplit("/", 1)[-1], ("", "", True))
        return "text/html", PAGE.replace("{script}", script).replace("{extra}", extra)


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    running = Portal()
    with page_server(running.answer) as url:
        running.url = url
        yield running


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
    url = f"{portal.url}/login/{case}"
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
        url = f"{portal.url}/login/{case}"
        assert loops.run(_sends("chromium", url, tmp_path)) is SCRIPTS[case][2]
        assert portal.posts == []
    finally:
        stop.set()
        for burner in burners:
            burner.join(timeout=10)
