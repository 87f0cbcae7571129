"""Account rules of the mock portal over TestClient: lockout and unlock, account
creation with provisional codes, rights not open, forgotten password."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from probe.mock_portal.accounts import normalise, password_problems
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, Account, PortalConfig
from tests.helpers.mock_portal import (
    client_for,
    csrf_from,
    latest_code,
    log_in,
    login_form,
    message_of,
    post_form,
)

NEW_PASSWORD = "Nouveau-Passe-2026!"


def _fail_login(
    client: TestClient, identifier: str = DEMO_IDENTIFIER, password: str = "faux"
) -> int:
    answer = client.post("/connexion", data=login_form(client, identifier, password))
    status: int = answer.status_code
    return status


def test_wrong_password_is_refused_with_the_usual_message() -> None:
    with client_for() as client:
        answer = client.post("/connexion", data=login_form(client, DEMO_IDENTIFIER, "faux"))
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in message_of(answer.text)


def test_unknown_identifier_is_refused_the_same_way() -> None:
    with client_for() as client:
        answer = client.post("/connexion", data=login_form(client, "1111111111111", DEMO_PASSWORD))
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in message_of(answer.text)


@pytest.mark.parametrize("typed", [DEMO_IDENTIFIER + " ", " " + DEMO_IDENTIFIER])
def test_a_pasted_space_around_the_identifier_is_wrong_credentials(typed: str) -> None:
    with client_for() as client:
        answer = client.post("/connexion", data=login_form(client, typed, DEMO_PASSWORD))
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in message_of(answer.text)


def test_password_is_case_sensitive() -> None:
    with client_for() as client:
        assert _fail_login(client, password=DEMO_PASSWORD.swapcase()) == 401


def test_account_locks_after_the_threshold_and_an_unlock_code_is_sent() -> None:
    with client_for(PortalConfig(lockout_threshold=3)) as client:
        assert [_fail_login(client) for _ in range(2)] == [401, 401]
        answer = client.post("/connexion", data=login_form(client, DEMO_IDENTIFIER, "faux"))
        assert answer.status_code == 403
        assert "Compte verrouillé" in message_of(answer.text)
        assert 'href="/deverrouiller"' in answer.text
        sms = client.get("/_outbox/api/messages").json()["messages"][0]
        assert sms["channel"] == "sms" and "déverrouillage" in sms["body"]
        # The right password no longer opens a locked account.
        answer = client.post("/connexion", data=login_form(client))
        assert answer.status_code == 403
        assert "Compte verrouillé" in message_of(answer.text)


def test_spaces_and_case_do_not_dodge_the_lockout_counter() -> None:
    variants = [DEMO_IDENTIFIER, DEMO_IDENTIFIER + " ", " " + DEMO_IDENTIFIER, "1 850775 123456"]
    with client_for(PortalConfig(lockout_threshold=4)) as client:
        statuses = [_fail_login(client, typed) for typed in variants]
        assert statuses == [401, 401, 401, 403]
        # Locked for every spelling of the identifier.
        assert _fail_login(client, DEMO_IDENTIFIER + "  ", DEMO_PASSWORD) == 403


def test_a_success_resets_the_failure_counter() -> None:
    with client_for(PortalConfig(lockout_threshold=3)) as client:
        assert [_fail_login(client) for _ in range(2)] == [401, 401]
        log_in(client)
        assert [_fail_login(client) for _ in range(2)] == [401, 401]


def test_unlock_page_unlocks_with_the_code_from_the_sms() -> None:
    with client_for(PortalConfig(lockout_threshold=1)) as client:
        assert _fail_login(client) == 403
        page = client.get("/deverrouiller")
        for element_id in ('id="identifiant"', 'id="code"', 'id="deverrouiller"'):
            assert element_id in page.text
        token = csrf_from(page.text)
        code = latest_code(client, to="+33612345678")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        refused = client.post(
            "/deverrouiller",
            data={"csrf_token": token, "identifiant": DEMO_IDENTIFIER, "code": wrong},
        )
        assert refused.status_code == 401
        assert "incorrect" in message_of(refused.text)
        answer = client.post(
            "/deverrouiller",
            data={"csrf_token": token, "identifiant": DEMO_IDENTIFIER, "code": code},
        )
        assert answer.status_code == 303
        assert "déverrouillé" in message_of(client.get(answer.headers["location"]).text)
        log_in(client)


def test_an_account_locked_from_the_start_can_ask_for_an_unlock_code() -> None:
    locked = Account(identifier=DEMO_IDENTIFIER, password=DEMO_PASSWORD, status="locked")
    with client_for(PortalConfig(accounts=[locked])) as client:
        assert client.post("/connexion", data=login_form(client)).status_code == 403
        assert client.get("/_outbox/api/messages").json()["messages"] == []
        answer = post_form(
            client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "action": "envoyer-code"}
        )
        assert answer.status_code == 200
        code = latest_code(client)
        answer = post_form(client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "code": code})
        assert answer.status_code == 303
        log_in(client)


def test_unlocking_an_account_that_is_not_locked_is_refused() -> None:
    with client_for() as client:
        answer = post_form(client, "/deverrouiller", {"identifiant": DEMO_IDENTIFIER, "code": "1"})
    assert answer.status_code == 400


def test_rights_not_open_blocks_login_and_account_creation() -> None:
    waiting = Account(
        identifier="1990575000001", password="Pas-Encore-1!", status="rights-not-open"
    )
    config = PortalConfig(accounts=[waiting], provisional_codes={"1990575000001": ["ABCD1234"]})
    with client_for(config) as client:
        login = client.post("/connexion", data=login_form(client, "1990575000001", "Pas-Encore-1!"))
        assert login.status_code == 403
        assert "Droits non ouverts" in message_of(login.text)
        creation = post_form(
            client,
            "/creer-compte",
            {"identifiant": "1990575000001", "code_provisoire": "ABCD1234"},
        )
    assert creation.status_code == 403
    assert "Droits non ouverts" in message_of(creation.text)


def _provisional_config() -> PortalConfig:
    newcomer = Account(identifier="2010175000002", password="Bienvenue-2026!", status="provisional")
    return PortalConfig(
        accounts=[newcomer], provisional_codes={"2010175000002": ["OLD11111", "NEW22222"]}
    )


def test_provisional_account_cannot_log_in_before_creation() -> None:
    with client_for(_provisional_config()) as client:
        answer = client.post(
            "/connexion", data=login_form(client, "2010175000002", "Bienvenue-2026!")
        )
    assert answer.status_code == 403
    assert "Compte non activé" in message_of(answer.text)


def test_account_creation_page_has_the_contract_fields() -> None:
    with client_for() as client:
        page = client.get("/creer-compte")
    for element_id in (
        'id="creation-form"',
        'id="identifiant"',
        'id="code-provisoire"',
        'id="creer"',
    ):
        assert element_id in page.text


def test_an_older_provisional_code_gets_its_own_message() -> None:
    with client_for(_provisional_config()) as client:
        answer = post_form(
            client, "/creer-compte", {"identifiant": "2010175000002", "code_provisoire": "OLD11111"}
        )
    assert answer.status_code == 400
    assert "code provisoire n'est plus valide" in message_of(answer.text)


def test_an_unknown_provisional_code_is_simply_incorrect() -> None:
    with client_for(_provisional_config()) as client:
        answer = post_form(
            client, "/creer-compte", {"identifiant": "2010175000002", "code_provisoire": "ZZZ"}
        )
    assert answer.status_code == 400
    assert "n'est plus valide" not in message_of(answer.text)
    assert "incorrect" in message_of(answer.text)


def test_the_latest_provisional_code_creates_the_account_which_can_then_log_in() -> None:
    with client_for(_provisional_config()) as client:
        answer = post_form(
            client, "/creer-compte", {"identifiant": "2010175000002", "code_provisoire": "NEW22222"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/connexion")
        assert "activé" in message_of(client.get(answer.headers["location"]).text)
        log_in(client, "2010175000002", "Bienvenue-2026!")


def test_creating_an_existing_account_is_refused() -> None:
    with client_for() as client:
        answer = post_form(
            client, "/creer-compte", {"identifiant": DEMO_IDENTIFIER, "code_provisoire": "X"}
        )
    assert answer.status_code == 400
    assert "existe déjà" in message_of(answer.text)


def _request_reset(client: TestClient) -> str:
    page = client.get("/mot-de-passe-oublie")
    for element_id in ('id="oubli-form"', 'id="identifiant"', 'id="demander-code"'):
        assert element_id in page.text
    answer = post_form(client, "/mot-de-passe-oublie", {"identifiant": DEMO_IDENTIFIER})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/nouveau-mot-de-passe"
    page = client.get("/nouveau-mot-de-passe")
    for element_id in (
        'id="code"',
        'id="nouveau-mot-de-passe"',
        'id="confirmation"',
        'id="enregistrer"',
    ):
        assert element_id in page.text
    return csrf_from(page.text)


def _set_password(client: TestClient, token: str, password: str, code: str) -> tuple[int, str]:
    answer = client.post(
        "/nouveau-mot-de-passe",
        data={
            "csrf_token": token,
            "code": code,
            "nouveau_mot_de_passe": password,
            "confirmation": password,
        },
    )
    return answer.status_code, message_of(answer.text)


def test_forgotten_password_then_login_with_the_new_one() -> None:
    with client_for() as client:
        token = _request_reset(client)
        code = latest_code(client)
        status, message = _set_password(client, token, "court", code)
        assert status == 400
        assert "12 caractères" in message and "majuscule" in message
        status, _ = _set_password(client, token, NEW_PASSWORD, code)
        assert status == 303
        assert _fail_login(client, DEMO_IDENTIFIER, DEMO_PASSWORD) == 401
        log_in(client, DEMO_IDENTIFIER, NEW_PASSWORD)


def test_reset_code_must_be_the_right_one_and_single_use() -> None:
    with client_for() as client:
        token = _request_reset(client)
        code = latest_code(client)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        status, message = _set_password(client, token, NEW_PASSWORD, wrong)
        assert status == 401 and "incorrect" in message
        assert _set_password(client, token, NEW_PASSWORD, code)[0] == 303


def test_reset_confirmation_must_match() -> None:
    with client_for() as client:
        token = _request_reset(client)
        answer = client.post(
            "/nouveau-mot-de-passe",
            data={
                "csrf_token": token,
                "code": latest_code(client),
                "nouveau_mot_de_passe": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD + "x",
            },
        )
    assert answer.status_code == 400
    assert "identiques" in message_of(answer.text)


def test_reset_for_an_unknown_identifier_sends_nothing_and_says_nothing_more() -> None:
    with client_for() as client:
        answer = post_form(client, "/mot-de-passe-oublie", {"identifiant": "1111111111111"})
        assert answer.status_code == 303
        assert client.get("/_outbox/api/messages").json()["messages"] == []


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Court-1!", ["12 caractères"]),
        ("tout-en-minuscules-1", ["majuscule"]),
        ("TOUT-EN-MAJUSCULES-1", ["minuscule"]),
        ("Sans-Aucun-Chiffre!", ["chiffre"]),
        ("SansSymbole2026abc", ["caractère spécial"]),
        ("Tout-Est-Bon-2026", []),
    ],
)
def test_password_rules_say_which_rule_failed(password: str, missing: list[str]) -> None:
    problems = password_problems(password)
    assert len(problems) == len(missing)
    for rule, problem in zip(missing, problems, strict=True):
        assert rule in problem


def test_normalise_removes_every_space_and_upper_cases() -> None:
    assert normalise(" 2a 01 ") == "2A01"
