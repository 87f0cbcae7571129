"""A hostile portal, in real Chromium: the whole journey against a portal that echoes the typed
password and never finishes sending the attestation.

The fast part (reachability check, outbox reader, report writers, deadlines) is
tests/diagnosis/test_hostile_portal.py.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from playwright.async_api import async_playwright

from probe._util import loops
from probe.browsers.chromium.discovery import Chromium, launch_args
from probe.description.target import Target, Timeouts
from probe.journey.credentials import Credentials
from probe.journey.login import Journey
from probe.models import Step
from tests.helpers.hostile_portal import ESCAPES, IDENTIFIER, MOCK_PAGES, PASSWORD


def _evil_handler() -> type[BaseHTTPRequestHandler]:
    form = (
        '<form id="login-form" method="post" action="/connexion">'
        '<input id="identifiant" name="i"><input id="mot-de-passe" type="password" name="p">'
        '<button id="se-connecter">OK</button></form>'
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        typed: dict[str, str] = {}

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/connexion"):
                return self._send(200, form)
            if self.path.startswith("/compte"):
                password = Handler.typed.get("p", "")
                echo = f"Mot de passe « {password} » accepté. {ESCAPES}".replace("\x00", "")
                script = f"<script>console.error({json.dumps('rejected: ' + password)})</script>"
                return self._send(
                    200,
                    f'<h1 id="titre-compte">Compte</h1><div id="message">{echo}</div>{script}'
                    '<a id="telecharger-attestation" href="/attestation">PDF</a>',
                )
            if self.path.startswith("/attestation"):
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Disposition", 'attachment; filename="a.pdf"')
                self.end_headers()
                try:
                    self.wfile.write(b"%PDF-")
                    for _ in range(600):  # a byte every 0.1 s, for a minute
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        threading.Event().wait(0.1)
                except OSError:
                    pass
                return None
            return self._send(404, "no")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            Handler.typed = {key: values[0] for key, values in parse_qs(body).items()}
            identifier = Handler.typed.get("i", "")
            self._send(303, "", (("Location", f"/compte/{identifier}"),))

    return Handler


async def _journey_against(url: str, chromium: Chromium, shots: Path) -> list[Step]:
    target = Target(url=url, sites=("127.0.0.1",), pagemap=MOCK_PAGES)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium.executable), args=launch_args()
        )
        try:
            context = await browser.new_context(accept_downloads=True)
            journey = Journey(
                context,
                target,
                Credentials(IDENTIFIER, PASSWORD),
                timeouts=Timeouts(download=2_000),
                screenshots=shots,
                name="current",
            )
            return (await journey.run()).steps
        finally:
            await browser.close()


def test_a_portal_echoing_the_password_and_never_ending_the_download(
    probe_chromium: Chromium, tmp_path: Path
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _evil_handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        steps = loops.run(_journey_against(url, probe_chromium, tmp_path / "screenshots"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    by_name = {step.name: step for step in steps}
    home = by_name["account-home"]
    assert home.outcome == "pass", steps
    # What the portal echoed was recorded, with the password hidden and no escapes.
    assert home.message is not None and "Mot de passe « [hidden] » accepté" in home.message
    assert "\x1b" not in home.message
    recorded = json.dumps([step.model_dump() for step in steps])
    assert PASSWORD not in recorded
    assert IDENTIFIER not in recorded  # it was in the account page's URL
    assert any("/compte/[hidden]" in (step.url or "") for step in steps)
    attestation = by_name["download-check"]
    assert attestation.outcome == "fail"
    assert attestation.detail is not None and "did not finish downloading" in attestation.detail
