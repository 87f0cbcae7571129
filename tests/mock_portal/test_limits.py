"""The mock portal's limits on what a client sends: body size, JSON depth, wrong codes."""

from __future__ import annotations

from starlette.testclient import TestClient
from starlette.types import Message

from probe._util import loops
from probe.mock_portal import create_app
from probe.mock_portal.captcha import SITE_KEY
from probe.mock_portal.gateway import MAX_BODY_BYTES
from probe.mock_portal.state import (
    DEMO_IDENTIFIER,
    DEMO_PASSWORD,
    Account,
    PortalConfig,
    SecondFactorConfig,
)
from tests.helpers.mock_portal import (
    CAPTCHA,
    PORTAL,
    client_for,
    csrf_from,
    latest_code,
    log_in,
    login_form,
    message_of,
    post_form,
)

VERIFY = f"{CAPTCHA}/api/verify"


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_captcha_answer_over_the_body_cap_is_refused_with_413() -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    with client_for() as client:
        answer = client.post(VERIFY, json={"sitekey": SITE_KEY, "parent": PORTAL, "p": padding})
        assert answer.status_code == 413
        assert "trop volumineuse" in answer.text
        # An honest answer from the widget still works.
        honest = client.post(VERIFY, json={"sitekey": SITE_KEY, "parent": PORTAL})
        assert honest.status_code == 200 and honest.json()["result"] == "pass"


def test_a_login_form_over_the_body_cap_is_refused_with_413() -> None:
    with client_for() as client:
        form = {**login_form(client), "remplissage": "x" * MAX_BODY_BYTES}
        assert client.post("/connexion", data=form).status_code == 413


def _post_endless_body(declared_length: int | None) -> tuple[int, int]:
    """POST a 20 MB body in 16 KiB chunks straight to the ASGI app: (status, bytes read)."""
    app = create_app()
    chunk = b"x" * 16384
    total_chunks = 20 * 1024 * 1024 // len(chunk)
    sent = 0
    status = 0
    headers = [(b"host", b"captcha.localhost"), (b"content-type", b"application/json")]
    if declared_length is not None:
        headers.append((b"content-length", str(declared_length).encode()))

    async def receive() -> Message:
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent < total_chunks}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/verify",
        "raw_path": b"/api/verify",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("captcha.localhost", 80),
    }

    async def run() -> None:
        await app(scope, receive, send)

    # probe._util.loops, not anyio.run: a browser test earlier in the session leaves
    # Playwright's loop running in this thread.
    loops.run(run())
    return status, sent * len(chunk)


def test_a_chunked_body_is_read_no_further_than_the_cap() -> None:
    status, read = _post_endless_body(declared_length=None)
    assert status == 413
    assert read <= MAX_BODY_BYTES + 16384


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    status, read = _post_endless_body(declared_length=20 * 1024 * 1024)
    assert status == 413
    assert read == 0


def test_deeply_nested_json_gets_a_400_with_a_short_message() -> None:
    nested = "[" * 20_000 + "]" * 20_000
    with client_for() as client:
        answer = client.post(VERIFY, content=nested, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["result"] == "error"
    assert "Traceback" not in answer.text and len(answer.text) < 200


def _code_post(client: TestClient, token: str, code: str) -> tuple[int, str]:
    answer = client.post("/code-securite", data={"csrf_token": token, "code": code})
    return answer.status_code, message_of(answer.text)


def test_after_too_many_wrong_security_codes_the_code_is_void_until_a_new_one() -> None:
    # The default limit, so that this test says what the portal does out of the box.
    tries = SecondFactorConfig().max_wrong_codes
    with client_for() as client:
        client.post("/connexion", data=login_form(client))
        token = csrf_from(client.get("/code-securite").text)
        good = latest_code(client)
        for _ in range(tries - 1):
            status, message = _code_post(client, token, _other(good))
            assert status == 401 and "Trop d'essais" not in message
        status, message = _code_post(client, token, _other(good))
        assert status == 401 and "Trop d'essais" in message
        # The right digits no longer open the account: the code is spent.
        status, message = _code_post(client, token, good)
        assert status == 401 and "nouveau code" in message
        client.post("/code-securite/renvoyer", data={"csrf_token": token})
        fresh = latest_code(client)
        accepted = client.post("/code-securite", data={"csrf_token": token, "code": fresh})
        assert accepted.headers["location"] == "/compte"


def test_wrong_unlock_codes_are_counted_per_account_across_sessions() -> None:
    locked = Account(identifier=DEMO_IDENTIFIER, password=DEMO_PASSWORD, status="locked")
    config = PortalConfig(accounts=[locked], second_factor=SecondFactorConfig(max_wrong_codes=3))
    with client_for(config) as client:
        post_form(
            client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "action": "envoyer-code"}
        )
        code = latest_code(client)
        for _ in range(3):
            # A fresh browser each time: a new session must not reset the count.
            client.cookies.clear()
            answer = post_form(
                client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "code": _other(code)}
            )
            assert answer.status_code == 401
        assert "Trop d'essais" in message_of(answer.text)
        answer = post_form(client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "code": code})
        assert answer.status_code == 401 and "demandez-en un nouveau" in message_of(answer.text)
        post_form(
            client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "action": "envoyer-code"}
        )
        answer = post_form(
            client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "code": latest_code(client)}
        )
        assert answer.status_code == 303
        log_in(client)


def test_wrong_reset_codes_void_the_reset_code() -> None:
    config = PortalConfig(second_factor=SecondFactorConfig(max_wrong_codes=2))
    new_password = "Nouveau-Mot-2026!"
    with client_for(config) as client:
        post_form(client, "/mot-de-passe-oublie", {"identifiant": DEMO_IDENTIFIER})
        code = latest_code(client)
        fields = {"nouveau_mot_de_passe": new_password, "confirmation": new_password}
        for typed in (_other(code), _other(code), code):
            answer = post_form(client, "/nouveau-mot-de-passe", {**fields, "code": typed})
            assert answer.status_code == 401
        assert "Trop d'essais" in message_of(answer.text)
        log_in(client)  # the password did not change
