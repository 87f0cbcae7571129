"""A certificate refused on the way, not at the login page: named as such.

The login page itself is plain HTTP and answers; its CAPTCHA widget's script comes from
another host over HTTPS, with a certificate from a CA the browser does not trust (what an
antivirus or a proxy that inspects secure connections does to one host). Chromium loads
the page, the script request fails with ``net::ERR_CERT_AUTHORITY_INVALID`` (the code the
test reads back) and the widget never shows. The journey must say the
browser refused a certificate (who issued it), not "the security check did not appear"
(which the diagnosis would first pin on an extension).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from probe._util import loops
from probe.app.portal.login_page import launch
from probe.browsers.chromium.discovery import find_chromium
from probe.description.model import parse_description
from probe.description.target import Timeouts, target_of
from probe.journey.credentials import Credentials
from probe.journey.login import Journey, JourneyResult
from tests.helpers.pages import page_server
from tests.helpers.tls import local_ca

PAGE = """<!doctype html><html><body>
<form id="login-form" method="post" action="/login">
  <input id="identifiant" name="id"><input id="mot-de-passe" name="pw" type="password">
  <div id="captcha"></div><input type="hidden" id="captcha-token">
  <button id="se-connecter" type="submit">Log in</button>
</form>
<script src="{widget}"></script></body></html>"""

DESCRIPTION = """
name = "certificate on the way"
login_url = "{login}"
[[steps]]
kind = "open"
form = "#login-form"
[[steps]]
kind = "captcha"
where = "page"
container = "#captcha"
click = "#captcha input"
rendered = {{ selector = "#captcha input" }}
token = "#captcha-token"
[[steps]]
kind = "credentials"
identifier = "#identifiant"
password = "#mot-de-passe"
submit = "#se-connecter"
[[steps]]
kind = "logged-in"
marker = "#welcome"
[messages]
page = "#message"
"""


WIDGET = 'document.querySelector("#captcha").innerHTML = "<input type=checkbox>";'


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[str]:
    ca = local_ca(tmp_path / "ca", names=("localhost",), organization="Intercepting Proxy CA")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca.server.certfile, ca.server.keyfile)
    with page_server(lambda _method, _path: ("text/javascript", WIDGET), context) as widget:
        page = PAGE.replace("{widget}", f"{widget}/api.js")
        with page_server(lambda _method, _path: ("text/html", page)) as login:
            yield f"{login}/login"


async def _journey(login: str) -> JourneyResult:
    target = target_of(parse_description(DESCRIPTION.format(login=login), "test"))
    async with async_playwright() as playwright:
        browser = await launch(playwright, find_chromium())
        try:
            context = await browser.new_context()
            journey = Journey(
                context,
                target,
                Credentials("someone", "secret-pw"),
                timeouts=Timeouts(captcha_appear=2_000),
            )
            return await journey.run()
        finally:
            await browser.close()


def test_a_certificate_refused_for_the_widget_is_named_not_a_missing_captcha(sites: str) -> None:
    result = loops.run(_journey(sites))
    assert (result.symptom, result.failed_step) == ("certificate-refused", "captcha")
    note = next(s.note for s in result.steps if s.name == "captcha")
    assert note is not None and note.key == "detail.certificate-refused"
    assert note.params["error"] == "ERR_CERT_AUTHORITY_INVALID"
    assert note.params["issuer"] == "Intercepting Proxy CA"
