"""The second test portal (django-allauth + ALTCHA) over HTTP, without a browser.

These pin what the browser tests and the portal description rely on: allauth's own English
answers, the CAPTCHA check on both login paths, the lockout, and the record of credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing

import altcha
import httpx
import pytest

from tests.portals.allauth_altcha import (
    APP_HOST,
    CAPTCHA_HOST,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    AllauthAltchaPortal,
)

LOGIN_API = "/_allauth/browser/v1/auth/login"
WRONG_PASSWORD = "The username and/or password you specified are not correct."
LOCKED = "Too many failed login attempts. Try again later."
CAPTCHA_REFUSED = re.compile(r"The CAPTCHA was not solved")


@pytest.fixture
def portal() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


@pytest.fixture
def visitor(portal: AllauthAltchaPortal) -> Iterator[Visitor]:
    with closing(Visitor(portal)) as person:
        yield person


class Visitor:
    """A browser-like client: the portal's host name, its cookies, its CSRF token."""

    def __init__(self, portal: AllauthAltchaPortal) -> None:
        self.portal = portal
        self.app = httpx.Client(
            base_url=f"http://127.0.0.1:{portal.port}",
            headers={"Host": f"{APP_HOST}:{portal.port}"},
        )
        self.vendor = httpx.Client(
            base_url=f"http://127.0.0.1:{portal.port}",
            headers={"Host": f"{CAPTCHA_HOST}:{portal.port}"},
        )
        self.login_page = self.app.get("/accounts/login/")
        self.csrf = self.app.cookies["csrftoken"]

    def close(self) -> None:
        self.app.close()
        self.vendor.close()

    def solved_captcha(self) -> str:
        challenge = altcha.Challenge.from_dict(self.vendor.get("/challenge").json())
        solution = altcha.solve_challenge(challenge)
        assert solution is not None
        return altcha.Payload(challenge, solution).to_base64()

    def login_json(self, password: str, captcha: str | None) -> httpx.Response:
        body = {"username": DEMO_USERNAME, "password": password}
        if captcha is not None:
            body["altcha"] = captcha
        return self.app.post(
            LOGIN_API,
            json=body,
            headers={"X-CSRFToken": self.csrf, "Origin": f"http://{APP_HOST}:{self.portal.port}"},
        )


def _messages(response: httpx.Response) -> list[str]:
    return [error["message"] for error in response.json().get("errors", [])]


def test_login_page_is_allauth_stock_form_with_the_altcha_widget_from_the_vendor_host(
    portal: AllauthAltchaPortal, visitor: Visitor
) -> None:
    html = visitor.login_page.text
    assert '<form method="post"\n      action="/accounts/login/">' in html
    assert 'name="login"' in html and 'type="password" name="password"' in html
    assert f'challenge="{portal.captcha_origin}/challenge"' in html
    assert f'<script type="module" src="{portal.captcha_origin}/altcha.js">' in html
    assert "<iframe" not in html
    assert "JavaScript is turned off" in html  # inside <noscript>


def test_vendor_serves_the_widget_script_with_cors(visitor: Visitor) -> None:
    script = visitor.vendor.get("/altcha.js")
    assert script.status_code == 200
    assert script.headers["access-control-allow-origin"] == "*"
    assert "altcha-widget" in script.text


def test_good_password_with_solved_captcha_signs_in(visitor: Visitor) -> None:
    answer = visitor.login_json(DEMO_PASSWORD, visitor.solved_captcha())
    assert answer.status_code == 200, answer.text
    assert answer.json()["meta"]["is_authenticated"] is True
    account = visitor.app.get("/accounts/profile/")
    assert 'id="signed-in"' in account.text and "You are signed in as demo." in account.text


def test_wrong_password_answers_allauths_english_message(visitor: Visitor) -> None:
    answer = visitor.login_json("not-the-password", visitor.solved_captcha())
    assert answer.status_code == 400
    assert _messages(answer) == [WRONG_PASSWORD]


@pytest.mark.parametrize("captcha", [None, "", "bm90IGEgcGF5bG9hZA=="])
def test_login_without_a_solved_captcha_is_refused(visitor: Visitor, captcha: str | None) -> None:
    answer = visitor.login_json(DEMO_PASSWORD, captcha)
    assert answer.status_code == 400
    assert any(CAPTCHA_REFUSED.search(message) for message in _messages(answer))


def test_a_solved_captcha_lets_one_attempt_through(visitor: Visitor) -> None:
    payload = visitor.solved_captcha()
    assert _messages(visitor.login_json("not-the-password", payload)) == [WRONG_PASSWORD]
    replay = visitor.login_json(DEMO_PASSWORD, payload)
    assert replay.status_code == 400
    assert any(CAPTCHA_REFUSED.search(message) for message in _messages(replay))


def test_five_wrong_passwords_lock_the_account_with_allauths_message(visitor: Visitor) -> None:
    for _ in range(5):
        assert _messages(visitor.login_json("wrong", visitor.solved_captcha())) == [WRONG_PASSWORD]
    locked = visitor.login_json(DEMO_PASSWORD, visitor.solved_captcha())
    assert locked.status_code == 400
    assert _messages(locked) == [LOCKED]


def test_stock_form_post_without_javascript_is_refused_for_the_captcha(visitor: Visitor) -> None:
    page = visitor.app.post(
        "/accounts/login/",
        data={
            "csrfmiddlewaretoken": visitor.csrf,
            "login": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
        },
    )
    assert page.status_code == 200  # the stock form page again, not the redirect to the account
    assert "The CAPTCHA was not solved" in page.text
    assert visitor.app.get("/accounts/profile/").status_code == 302


def test_portal_records_the_credentials_it_received(
    portal: AllauthAltchaPortal, visitor: Visitor
) -> None:
    assert portal.received == []
    visitor.login_json("typed-password", None)
    [received] = portal.received
    assert (received.path, received.identifier, received.password) == (
        LOGIN_API,
        DEMO_USERNAME,
        "typed-password",
    )
    assert received.captcha_payload is False


def test_each_start_begins_from_the_demo_account_alone() -> None:
    with AllauthAltchaPortal() as first, closing(Visitor(first)) as visitor:
        for _ in range(5):
            visitor.login_json("wrong", visitor.solved_captcha())
        assert first.received
    with AllauthAltchaPortal() as second, closing(Visitor(second)) as again:
        assert second.received == []  # loading the login page sends no credentials
        assert again.login_json(DEMO_PASSWORD, again.solved_captcha()).status_code == 200
