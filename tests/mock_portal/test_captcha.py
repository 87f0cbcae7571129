"""The mock CAPTCHA vendor and the portal's server-side token check, over TestClient."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner

from probe.mock_portal.captcha import SITE_KEY, issue_token, verify_token
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.state import CaptchaConfig, PortalConfig
from tests.helpers.mock_portal import (
    CAPTCHA,
    PORTAL,
    captcha_token,
    client_for,
    login_form,
    message_of,
    runtime_of,
)


def _verify(mode: str, **body: str) -> dict[str, object]:
    config = PortalConfig(captcha=CaptchaConfig(mode=mode))
    with client_for(config) as client:
        answer = client.post(
            f"{CAPTCHA}/api/verify", json={"sitekey": SITE_KEY, "parent": PORTAL, **body}
        )
    assert answer.status_code == 200
    result: dict[str, object] = answer.json()
    return result


def test_pass_mode_yields_a_token_that_the_portal_accepts_once() -> None:
    with client_for() as client:
        form = login_form(client)
        assert client.post("/connexion", data=form).status_code == 303
        replay = {**login_form(client, with_captcha=False), "captcha_token": form["captcha_token"]}
        answer = client.post("/connexion", data=replay)
    assert answer.status_code == 400
    assert "anti-robot" in message_of(answer.text)


def test_login_without_a_captcha_token_is_refused() -> None:
    with client_for() as client:
        answer = client.post("/connexion", data=login_form(client, with_captcha=False))
    assert answer.status_code == 400
    assert "Vérification anti-robot" in message_of(answer.text)


def test_fail_mode_gives_no_token() -> None:
    assert _verify("fail") == {"result": "fail", "ttl": 120}


def test_never_mode_stays_pending() -> None:
    assert _verify("never")["result"] == "pending"
    assert "token" not in _verify("never")


def test_interactive_mode_needs_the_second_step() -> None:
    first = _verify("interactive")
    assert first["result"] == "challenge" and "token" not in first
    config = PortalConfig(captcha=CaptchaConfig(mode="interactive"))
    with client_for(config) as client:
        token = captcha_token(client, challenge=True)
        assert verify_token(runtime_of(client), token)


def test_interactive_mode_rejects_a_forged_challenge() -> None:
    assert _verify("interactive", challenge="forged")["result"] == "challenge"


def test_disabled_captcha_removes_the_widget_and_the_check() -> None:
    config = PortalConfig(captcha=CaptchaConfig(enabled=False))
    with client_for(config) as client:
        page = client.get("/connexion")
        assert "api.js" not in page.text and 'id="captcha"' not in page.text
        answer = client.post("/connexion", data=login_form(client, with_captcha=False))
    assert answer.status_code == 303


def test_tokens_are_signed_bound_to_the_site_key_and_short_lived(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime = PortalRuntime(PortalConfig(captcha=CaptchaConfig(token_ttl_seconds=60)))
    other = PortalRuntime(PortalConfig())
    assert not verify_token(runtime, "")
    assert not verify_token(runtime, issue_token(other, SITE_KEY)), "another secret"
    assert not verify_token(runtime, issue_token(runtime, "autre-cle")), "another site key"
    token = issue_token(runtime, SITE_KEY)
    assert not verify_token(runtime, token[:-2] + "xx"), "tampered"
    later = int(time.time()) + 61
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert not verify_token(runtime, token), "expired"


@pytest.mark.parametrize(
    ("site_key", "parent"),
    [
        ("inconnue", PORTAL),
        (SITE_KEY, "http://evil.localhost"),
        (SITE_KEY, "http://portal.localhost.evil.test"),
        (SITE_KEY, "javascript:alert(1)//portal.localhost"),
    ],
)
def test_vendor_refuses_unregistered_site_keys_and_parents(site_key: str, parent: str) -> None:
    with client_for() as client:
        api = client.post(f"{CAPTCHA}/api/verify", json={"sitekey": site_key, "parent": parent})
        widget = client.get(f"{CAPTCHA}/widget", params={"sitekey": site_key, "parent": parent})
    assert api.status_code == 400 and "token" not in api.json()
    assert widget.status_code == 400
    assert 'id="captcha-checkbox"' not in widget.text


def test_widget_page_has_the_checkbox_and_may_only_be_framed_by_the_portal() -> None:
    with client_for() as client:
        widget = client.get(
            "http://captcha.localhost:8123/widget",
            params={"sitekey": SITE_KEY, "parent": "http://portal.localhost:8123"},
        )
    assert widget.status_code == 200
    assert 'id="captcha-checkbox"' in widget.text and "Je ne suis pas un robot" in widget.text
    assert 'id="captcha-status"' in widget.text and 'id="captcha-verify"' in widget.text
    assert 'data-parent="http://portal.localhost:8123"' in widget.text
    policy = widget.headers["content-security-policy"]
    assert "frame-ancestors http://portal.localhost:8123" in policy
    assert "set-cookie" not in widget.headers


def test_vendor_script_is_loadable_cross_site_and_sets_no_cookie() -> None:
    with client_for() as client:
        script = client.get(f"{CAPTCHA}/api.js")
        verify = client.post(f"{CAPTCHA}/api/verify", json={"sitekey": SITE_KEY, "parent": PORTAL})
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "set-cookie" not in script.headers and "set-cookie" not in verify.headers


def test_vendor_rejects_a_body_that_is_not_json() -> None:
    with client_for() as client:
        answer = client.post(f"{CAPTCHA}/api/verify", content=b"not json")
    assert answer.status_code == 400
