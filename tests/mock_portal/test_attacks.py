"""Attempts to get around the mock portal's protections that other tests do not make.

Already covered elsewhere (not repeated here):
- CSRF token required on every form, forged token refused: ``test_portal_app.py``
  (``test_every_form_carries_a_csrf_token_and_needs_it``,
  ``test_login_with_a_forged_csrf_token_is_refused``); the idp's forms:
  ``test_franceconnect.py::test_idp_forms_need_the_idp_session``.
- New session id after login: ``test_portal_app.py::test_login_rotates_the_session_id``,
  after FranceConnect: ``test_franceconnect.py::test_full_flow_logs_in_without_a_second_factor_and_rotates_the_session``.
- Lockout not dodged by spaces: ``test_portal_accounts.py::test_spaces_and_case_do_not_dodge_the_lockout_counter``.
- Security and reset codes single-use, only the latest valid: ``test_portal_app.py``,
  ``test_portal_accounts.py::test_reset_code_must_be_the_right_one_and_single_use``.
- CAPTCHA token single-use after a successful login, signed, bound to the site key,
  short-lived: ``test_portal_captcha.py``; raced by ten logins:
  ``test_portal_concurrency.py``.
- OIDC ``state`` (wrong, missing, cookie missing) and ``nonce`` (code injection), code
  replay, token endpoint rules, forged ID tokens: ``test_franceconnect.py``.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from probe.mock_portal.accounts import issue_code
from probe.mock_portal.sessions import SESSION_COOKIE
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, Account, PortalConfig
from tests.helpers.mock_portal import (
    client_for,
    csrf_from,
    latest_code,
    log_in,
    login_form,
    message_of,
    runtime_of,
)

# A Corsican social-security number: the department "2A" puts letters in the identifier.
CORSICAN = "185072A123456"
OTHER = "2850775123457"


def second_browser(client: TestClient) -> TestClient:
    """Another browser on the same portal (its own cookie jar)."""
    return TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)


def logged_in(client: TestClient) -> bool:
    status: int = client.get("/compte").status_code
    return status == 200


def code_form_token(client: TestClient) -> str:
    return csrf_from(client.get("/code-securite").text)


# ---------------------------------------------------------------- CSRF


def test_a_valid_csrf_token_of_another_session_is_refused() -> None:
    """Login CSRF: the attacker's own, perfectly valid token, posted from the victim's browser."""
    with client_for() as victim, second_browser(victim) as attacker:
        attackers_token = csrf_from(attacker.get("/connexion").text)
        form = {**login_form(victim), "csrf_token": attackers_token}
        answer = victim.post("/connexion", data=form)
        assert answer.status_code == 400
        assert "cookies" in message_of(answer.text)
        assert runtime_of(victim).outbox == [], "no code was sent"


def test_the_code_form_refuses_the_csrf_token_of_another_pending_login() -> None:
    with client_for() as victim, second_browser(victim) as attacker:
        victim.post("/connexion", data=login_form(victim))
        attacker.post("/connexion", data=login_form(attacker))
        code = latest_code(victim)
        forged = {"csrf_token": code_form_token(attacker), "code": code}
        assert victim.post("/code-securite", data=forged).status_code == 400
        assert not logged_in(victim)


# ---------------------------------------------------------------- session fixation


def test_a_session_id_made_up_by_an_attacker_is_never_adopted() -> None:
    planted = "attacker-chosen-session-id"
    with client_for() as victim:
        victim.cookies.set(SESSION_COOKIE, planted, domain="portal.localhost")
        page = victim.get("/connexion")
        assert SESSION_COOKIE in page.headers.get("set-cookie", "")
        assert victim.cookies.get(SESSION_COOKIE) != planted
        log_in(victim)
        assert planted not in runtime_of(victim).sessions
    with client_for() as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted, domain="portal.localhost")
        assert not logged_in(attacker)


def test_a_real_session_id_planted_before_login_is_worthless_after_it() -> None:
    with client_for() as attacker, second_browser(attacker) as victim:
        attacker.get("/connexion")
        planted = attacker.cookies[SESSION_COOKIE]
        victim.cookies.set(SESSION_COOKIE, planted, domain="portal.localhost")
        # The victim's password is accepted: the planted id only waits for a code.
        victim.post("/connexion", data=login_form(victim))
        assert not logged_in(attacker)
        page = victim.get("/code-securite")
        answer = victim.post(
            "/code-securite", data={"csrf_token": csrf_from(page.text), "code": latest_code(victim)}
        )
        assert answer.headers["location"] == "/compte"
        assert victim.cookies[SESSION_COOKIE] != planted
        assert logged_in(victim)
        assert not logged_in(attacker)
        assert planted not in runtime_of(attacker).sessions


# ---------------------------------------------------------------- lockout


def fail_login(client: TestClient, identifier: str, password: str = "faux") -> int:
    status: int = client.post(
        "/connexion", data=login_form(client, identifier, password)
    ).status_code
    return status


@pytest.mark.parametrize(
    "spellings",
    [
        ["185072a123456", "185072A123456 ", "185072a 123456"],
        ["\u00a0185072A123456", "185072a\t123456", "1 85 07 2a 123 456"],
    ],
    ids=["case-and-spaces", "unusual-spaces"],
)
def test_case_and_spaces_do_not_dodge_the_lockout_of_an_identifier_with_letters(
    spellings: list[str],
) -> None:
    config = PortalConfig(
        lockout_threshold=len(spellings) + 1,
        accounts=[Account(identifier=CORSICAN, password=DEMO_PASSWORD)],
    )
    with client_for(config) as client:
        statuses = [fail_login(client, typed) for typed in [CORSICAN, *spellings]]
        assert statuses == [401] * len(spellings) + [403]
        assert runtime_of(client).accounts[CORSICAN].status == "locked"
        # Locked under every spelling, even with the right password typed exactly.
        assert fail_login(client, CORSICAN, DEMO_PASSWORD) == 403
        assert fail_login(client, CORSICAN.lower(), DEMO_PASSWORD) == 403


def test_the_right_password_under_another_spelling_neither_logs_in_nor_resets_the_counter() -> None:
    config = PortalConfig(
        lockout_threshold=3, accounts=[Account(identifier=CORSICAN, password=DEMO_PASSWORD)]
    )
    with client_for(config) as client:
        assert fail_login(client, CORSICAN) == 401
        assert fail_login(client, CORSICAN.lower(), DEMO_PASSWORD) == 401
        assert runtime_of(client).accounts[CORSICAN].failed_attempts == 2
        assert fail_login(client, CORSICAN) == 403


@pytest.mark.parametrize(
    "typed",
    [
        "1850775\u200b123456",  # a zero-width space is not white space to the portal
        "\uff11850775123456",  # a full-width digit one
        "1850775123456\x00",
    ],
    ids=["zero-width-space", "full-width-digit", "nul"],
)
def test_look_alike_identifiers_never_log_in(typed: str) -> None:
    with client_for() as client:
        assert fail_login(client, typed, DEMO_PASSWORD) == 401
        assert not logged_in(client)


def test_locking_one_account_leaves_the_others_alone() -> None:
    config = PortalConfig(
        lockout_threshold=2,
        accounts=[
            Account(identifier=DEMO_IDENTIFIER, password=DEMO_PASSWORD),
            Account(identifier=OTHER, password=DEMO_PASSWORD, phone="+33700000000"),
        ],
    )
    with client_for(config) as client:
        assert [fail_login(client, DEMO_IDENTIFIER) for _ in range(2)] == [401, 403]
        log_in(client, OTHER)
        assert runtime_of(client).accounts[OTHER].failed_attempts == 0
        unlock = [m for m in runtime_of(client).outbox if "déverrouillage" in m.body]
        assert [m.to for m in unlock] == ["+33612345678"]


# ---------------------------------------------------------------- one-time codes


def test_one_code_cannot_complete_two_pending_logins() -> None:
    with client_for() as first, second_browser(first) as second:
        first.post("/connexion", data=login_form(first))
        second.post("/connexion", data=login_form(second))
        code = latest_code(first)  # the latest code: the only valid one
        answer = first.post(
            "/code-securite", data={"csrf_token": code_form_token(first), "code": code}
        )
        assert answer.headers["location"] == "/compte"
        replay = second.post(
            "/code-securite", data={"csrf_token": code_form_token(second), "code": code}
        )
        assert replay.status_code == 401
        assert "incorrect" in message_of(replay.text)
        assert not logged_in(second)


def test_a_code_only_opens_the_account_it_was_issued_for() -> None:
    config = PortalConfig(
        accounts=[
            Account(identifier=DEMO_IDENTIFIER, password=DEMO_PASSWORD),
            Account(identifier=OTHER, password=DEMO_PASSWORD, phone="+33700000000"),
        ]
    )
    with client_for(config) as client:
        runtime = runtime_of(client)
        client.post("/connexion", data=login_form(client, OTHER, DEMO_PASSWORD))
        own = latest_code(client, to="+33700000000")
        # A valid, unused login code, but the demo account's.
        foreign = issue_code(runtime, DEMO_IDENTIFIER, "login")
        while foreign == own:
            foreign = issue_code(runtime, DEMO_IDENTIFIER, "login")
        token = code_form_token(client)
        answer = client.post("/code-securite", data={"csrf_token": token, "code": foreign})
        assert answer.status_code == 401
        assert not logged_in(client)
        answer = client.post("/code-securite", data={"csrf_token": token, "code": own})
        assert answer.headers["location"] == "/compte"


def test_an_unlock_code_is_not_a_login_code() -> None:
    with client_for(PortalConfig(lockout_threshold=1)) as client:
        runtime = runtime_of(client)
        assert fail_login(client, DEMO_IDENTIFIER) == 403
        runtime.accounts[DEMO_IDENTIFIER].status = "active"  # unlocked by the support line
        client.post("/connexion", data=login_form(client))
        login_code = runtime.codes[(DEMO_IDENTIFIER, "login")].code
        unlock_code = runtime.codes[(DEMO_IDENTIFIER, "unlock")].code
        while unlock_code == login_code:
            unlock_code = issue_code(runtime, DEMO_IDENTIFIER, "unlock")
        answer = client.post(
            "/code-securite", data={"csrf_token": code_form_token(client), "code": unlock_code}
        )
        assert answer.status_code == 401
        assert not logged_in(client)


# ---------------------------------------------------------------- CAPTCHA


def test_a_captcha_token_spent_on_a_wrong_password_cannot_be_reused() -> None:
    with client_for() as attacker, second_browser(attacker) as other:
        form = login_form(attacker, DEMO_IDENTIFIER, "faux")
        assert attacker.post("/connexion", data=form).status_code == 401
        # The same solved challenge, for a second guess from another session.
        replay = {**login_form(other, with_captcha=False), "captcha_token": form["captcha_token"]}
        answer = other.post("/connexion", data=replay)
        assert answer.status_code == 400
        assert "anti-robot" in message_of(answer.text)
