"""Steps a person takes on the mock portal, over Starlette's TestClient (no browser)."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette
from starlette.testclient import TestClient

from probe.mock_portal import create_app
from probe.mock_portal.captcha import SITE_KEY
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig

PORTAL = "http://portal.localhost"
CAPTCHA = "http://captcha.localhost"
IDP = "http://idp.localhost"

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_MESSAGE = re.compile(r'<div id="message"[^>]*data-kind="(\w+)"[^>]*>\s*<p>(.*?)</p>', re.S)


def client_for(config: PortalConfig | None = None) -> TestClient:
    """A browser-like client on portal.localhost, following no redirects by itself."""
    return TestClient(create_app(config), base_url=PORTAL, follow_redirects=False)


def runtime_of(client: TestClient) -> PortalRuntime:
    """The live state of the portal behind a ``client_for()`` client."""
    app = client.app
    assert isinstance(app, Starlette)
    runtime: PortalRuntime = app.state.runtime
    return runtime


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def message_of(html: str) -> str:
    """The text of the page's #message, as a person reads it ("" when none)."""
    found = _MESSAGE.search(html)
    if not found:
        return ""
    return re.sub(r"\s+", " ", found.group(2)).replace("&#39;", "'").strip()


def captcha_token(client: TestClient, *, challenge: bool = False) -> str:
    """Tick the CAPTCHA checkbox, as the widget does, and return the token it hands over."""
    body = {"sitekey": SITE_KEY, "parent": PORTAL}
    answer = client.post(f"{CAPTCHA}/api/verify", json=body).json()
    if answer["result"] == "challenge" and challenge:
        answer = client.post(
            f"{CAPTCHA}/api/verify", json={**body, "challenge": answer["challenge"]}
        ).json()
    assert answer["result"] == "pass", answer
    token: str = answer["token"]
    return token


def login_form(
    client: TestClient,
    identifier: str = DEMO_IDENTIFIER,
    password: str = DEMO_PASSWORD,
    *,
    with_captcha: bool = True,
) -> dict[str, str]:
    """The login form as the page would post it, after opening the login page."""
    page = client.get("/connexion")
    release = re.search(r'name="version_formulaire" value="(\d+)"', page.text)
    assert release, "the login form has no release field"
    form = {
        "csrf_token": csrf_from(page.text),
        "version_formulaire": release.group(1),
        "identifiant": identifier,
        "mot_de_passe": password,
    }
    if with_captcha:
        form["captcha_token"] = captcha_token(client)
    return form


def latest_code(client: TestClient, to: str | None = None) -> str:
    """The 6-digit code of the newest message in the outbox."""
    params = {"to": to} if to else {}
    messages = client.get("/_outbox/api/messages", params=params).json()["messages"]
    assert messages, "the outbox is empty"
    found = re.search(r"\b(\d{6})\b", messages[0]["body"])
    assert found, "the newest message has no code"
    return found.group(1)


def post_form(client: TestClient, path: str, fields: dict[str, str]) -> httpx.Response:
    """Open a page and post its form with the page's CSRF token."""
    page = client.get(path)
    answer: httpx.Response = client.post(path, data={"csrf_token": csrf_from(page.text), **fields})
    return answer


def log_in(
    client: TestClient, identifier: str = DEMO_IDENTIFIER, password: str = DEMO_PASSWORD
) -> None:
    """The whole login: password, then the security code from the outbox; ends on /compte."""
    answer = client.post("/connexion", data=login_form(client, identifier, password))
    assert answer.status_code == 303, message_of(answer.text)
    if answer.headers["location"] == "/code-securite":
        page = client.get("/code-securite")
        answer = client.post(
            "/code-securite", data={"csrf_token": csrf_from(page.text), "code": latest_code(client)}
        )
    assert answer.headers["location"] == "/compte"
