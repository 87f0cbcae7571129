"""Security-code sources: Mailpit's API as Mailpit documents it, a TOTP secret, a prompt."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
import pyotp
import pytest

from probe._util import loops
from probe.description.model import MailpitSource, PromptSource, TotpSource
from probe.errors import BadInput
from probe.journey.codes.sources import MailpitCodes, PromptCodes, TotpCodes, code_source


def _mailpit(messages: list[dict[str, object]], bodies: dict[str, str]) -> httpx.MockTransport:
    """A Mailpit API v1: /api/v1/search (newest first) and /api/v1/message/{ID}."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/search":
            to = request.url.params["query"].removeprefix("to:")
            found = [m for m in messages if m["To"] == [{"Name": "", "Address": to}]]
            limit = int(request.url.params.get("limit", "50"))
            return httpx.Response(
                200, json={"messages": found[:limit], "messages_count": len(found)}
            )
        if request.url.path.startswith("/api/v1/message/"):
            ident = request.url.path.rsplit("/", 1)[1]
            return httpx.Response(
                200, content=json.dumps({"ID": ident, "Text": bodies[ident], "HTML": ""})
            )
        return httpx.Response(404)

    return httpx.MockTransport(answer)


def _stamp(seconds_ago: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat().replace("+00:00", "Z")


def test_mailpit_gives_the_newest_code_sent_to_the_account() -> None:
    messages: list[dict[str, object]] = [
        {"ID": "new", "Created": _stamp(1), "To": [{"Name": "", "Address": "demo@example.org"}]},
        {"ID": "old", "Created": _stamp(60), "To": [{"Name": "", "Address": "demo@example.org"}]},
    ]
    bodies = {"new": "Your code is 481 516? No: 481516.", "old": "Your code is 111111."}
    source = MailpitCodes(
        "http://mailpit.test:8025", "demo@example.org", transport=_mailpit(messages, bodies)
    )
    found = loops.run(source.code(since=time.time() - 10, timeout=0))
    assert found.code == "481516"


def test_mailpit_ignores_a_code_sent_before_the_login() -> None:
    messages: list[dict[str, object]] = [
        {"ID": "old", "Created": _stamp(60), "To": [{"Name": "", "Address": "a@b.c"}]}
    ]
    source = MailpitCodes(
        "http://mailpit.test:8025", "a@b.c", transport=_mailpit(messages, {"old": "123456"})
    )
    assert loops.run(source.code(since=time.time() - 10, timeout=0)).code is None


def test_totp_code_is_the_authenticator_app_code(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = pyotp.random_base32()
    monkeypatch.setenv("MY_PORTAL_TOTP", secret)
    code = loops.run(TotpCodes("MY_PORTAL_TOTP").code(since=0, timeout=0)).code
    assert code is not None and len(code) == 6
    assert pyotp.TOTP(secret).verify(code, valid_window=1)


def test_totp_without_its_variable_says_which_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_PORTAL_TOTP", raising=False)
    with pytest.raises(BadInput, match=r"\$MY_PORTAL_TOTP, which is not set"):
        code_source(
            TotpSource(kind="totp", secret_env="MY_PORTAL_TOTP"),
            login_url="http://x/",
            identifier="i",
        )


def test_prompt_reads_what_the_person_typed() -> None:
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return " 123 456 "

    assert loops.run(PromptCodes(ask).code(since=0, timeout=0)).code == "123456"
    assert asked == ["Security code the portal just sent you"]


def test_prompt_without_a_person_is_refused() -> None:
    with pytest.raises(BadInput, match="needs a person at the terminal"):
        code_source(PromptSource(kind="prompt"), login_url="http://x/", identifier="i", ask=None)


def test_mailpit_defaults_to_the_identifier_as_address() -> None:
    source = code_source(
        MailpitSource(kind="mailpit", url="http://localhost:8025"),
        login_url="http://x/",
        identifier="demo@example.org",
    )
    assert isinstance(source, MailpitCodes) and source.to == "demo@example.org"
