"""The FranceConnect-like login over TestClient: each step, then what must be refused."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from probe.description.model import mock_description
from probe.description.target import pagemap_of
from probe.mock_portal import oidc
from probe.mock_portal.franceconnect import STATE_COOKIE
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.state import (
    DEMO_IDENTIFIER,
    DEMO_PARTNER_PASSWORD,
    Account,
    IdentityProviderConfig,
    MaintenanceConfig,
    PortalConfig,
)
from tests.helpers.mock_portal import IDP, PORTAL, client_for, csrf_from, message_of, runtime_of

CALLBACK = f"{PORTAL}{oidc.CALLBACK_PATH}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start(client: TestClient) -> httpx.Response:
    """Press the login page's FranceConnect button; the answer is the idp's chooser."""
    answer = client.get("/franceconnect/start")
    assert answer.status_code == 302, message_of(answer.text)
    chooser: httpx.Response = client.get(answer.headers["location"])
    return chooser


def choose(client: TestClient, partner: str) -> httpx.Response:
    chooser = start(client)
    answer = client.post(
        f"{IDP}/choisir", data={"csrf_token": csrf_from(chooser.text), "partenaire": partner}
    )
    assert answer.status_code == 303
    page: httpx.Response = client.get(f"{IDP}{answer.headers['location']}")
    return page


def partner_login(
    client: TestClient,
    partner: str = "impots",
    identifier: str = DEMO_IDENTIFIER,
    password: str = DEMO_PARTNER_PASSWORD,
) -> httpx.Response:
    """Up to the partner's answer: the redirect back to the portal (or the partner page)."""
    page = choose(client, partner)
    assert page.status_code == 200, message_of(page.text)
    answer: httpx.Response = client.post(
        f"{IDP}/partenaire/{partner}",
        data={
            "csrf_token": csrf_from(page.text),
            "identifiant": identifier,
            "mot_de_passe": password,
        },
    )
    return answer


def back_on_portal(client: TestClient, **login: str) -> httpx.Response:
    answer = partner_login(client, **login)
    assert answer.status_code == 303, message_of(answer.text)
    assert answer.headers["location"].startswith(CALLBACK + "?")
    callback: httpx.Response = client.get(answer.headers["location"])
    return callback


def logged_in(client: TestClient) -> bool:
    home: httpx.Response = client.get("/compte")
    return home.status_code == 200


# ----- each step -----


def test_start_redirects_to_the_idp_with_a_fresh_state_and_nonce() -> None:
    with client_for() as client:
        first = client.get("/franceconnect/start")
        second = client.get("/franceconnect/start")
    assert first.status_code == 302
    location = first.headers["location"]
    assert location.startswith(f"{IDP}/authorize?")
    params = query_of(location)
    assert set(params) == {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce"}
    assert params["response_type"] == "code"
    assert params["client_id"] == "portal"
    assert params["redirect_uri"] == CALLBACK
    assert params["scope"] == "openid"
    again = query_of(second.headers["location"])
    assert len(params["state"]) >= 20 and params["state"] != again["state"]
    assert len(params["nonce"]) >= 20 and params["nonce"] != again["nonce"]
    assert params["state"] != params["nonce"]


def test_start_keeps_state_in_the_session_and_in_an_httponly_lax_cookie() -> None:
    with client_for() as client:
        answer = client.get("/franceconnect/start")
        state = query_of(answer.headers["location"])["state"]
        cookies = answer.headers.get_list("set-cookie")
        sessions = list(runtime_of(client).sessions.values())
    state_cookie = next(c for c in cookies if c.startswith(f"{STATE_COOKIE}="))
    assert "HttpOnly" in state_cookie
    assert "samesite=lax" in state_cookie.lower()
    assert "Path=/franceconnect" in state_cookie
    # Signed, not the bare value: the cookie cannot be forged to match a chosen state.
    assert state_cookie.split(";")[0] != f"{STATE_COOKIE}={state}"
    assert any(c.startswith("session_portail=") for c in cookies)
    assert [s.oidc_state for s in sessions] == [state]


def test_the_idp_shows_the_partner_chooser_with_its_own_session_and_policy() -> None:
    with client_for() as client:
        chooser = start(client)
    assert chooser.status_code == 200
    assert "Je choisis un compte pour me connecter sur" in chooser.text
    for partner in ("impots", "identite-numerique", "msa"):
        assert f'id="partenaire-{partner}"' in chooser.text
    assert "impots.gouv.fr" in chooser.text and "La Poste" in chooser.text
    cookie = chooser.headers["set-cookie"]
    assert cookie.startswith("session_idp=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    policy = chooser.headers["content-security-policy"]
    # The partner form's answer redirects to the portal: form-action must allow it.
    assert f"form-action 'self' {PORTAL}" in policy
    assert "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert chooser.headers["cache-control"] == "no-store"


def test_choosing_a_partner_leads_to_its_login_page() -> None:
    with client_for() as client:
        page = choose(client, "msa")
    assert page.status_code == 200
    for element_id in ("partenaire-identifiant", "partenaire-mot-de-passe", "partenaire-valider"):
        assert f'id="{element_id}"' in page.text
    assert 'type="password" id="partenaire-mot-de-passe"' in page.text
    assert "MSA" in page.text


def test_partner_login_sends_the_person_back_with_a_code_and_the_same_state() -> None:
    with client_for() as client:
        chooser = start(client)
        state = query_of(str(chooser.url))["state"]
        form = {"csrf_token": csrf_from(chooser.text), "partenaire": "impots"}
        page = client.get(IDP + client.post(f"{IDP}/choisir", data=form).headers["location"])
        answer = client.post(
            f"{IDP}/partenaire/impots",
            data={
                "csrf_token": csrf_from(page.text),
                "identifiant": DEMO_IDENTIFIER,
                "mot_de_passe": DEMO_PARTNER_PASSWORD,
            },
        )
    assert answer.status_code == 303
    params = query_of(answer.headers["location"])
    assert set(params) == {"code", "state"}
    assert params["state"] == state
    assert len(params["code"]) >= 20


def test_wrong_partner_password_stays_on_the_partner_page() -> None:
    with client_for() as client:
        answer = partner_login(client, password="Ameli-Demo-2026!")
        assert answer.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in message_of(answer.text)
        assert not logged_in(client)


def test_full_flow_logs_in_without_a_second_factor_and_rotates_the_session() -> None:
    with client_for() as client:
        client.get("/connexion")
        before = client.cookies.get("session_portail", domain="portal.localhost")
        answer = back_on_portal(client)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/compte"
        after = client.cookies.get("session_portail", domain="portal.localhost")
        assert after and after != before
        deleted = [c for c in answer.headers.get_list("set-cookie") if c.startswith(STATE_COOKIE)]
        assert deleted and "Max-Age=0" in deleted[0]
        home = client.get("/compte")
        assert home.status_code == 200 and 'id="titre-compte"' in home.text
        pdf = client.get("/compte/attestation")
        assert pdf.content.startswith(b"%PDF-")
        # The partner authenticated the person: no security code was sent.
        assert client.get("/_outbox/api/messages").json()["messages"] == []


def test_no_secret_but_code_and_state_travels_in_a_url() -> None:
    with client_for() as client:
        urls = [client.get("/franceconnect/start").headers["location"]]
        answer = partner_login(client)
        urls.append(answer.headers["location"])
    allowed = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code"}
    for url in urls:
        assert set(query_of(url)) <= allowed
        assert DEMO_PARTNER_PASSWORD not in url and "secret" not in url


# ----- what must be refused -----


@pytest.mark.parametrize("tamper", ["wrong", "missing"])
def test_callback_with_a_wrong_or_missing_state_is_refused(tamper: str) -> None:
    with client_for() as client:
        answer = partner_login(client)
        params = query_of(answer.headers["location"])
        forged = {"code": params["code"]}
        if tamper == "wrong":
            forged["state"] = params["state"][:-2] + "xx"
        refused = client.get(oidc.CALLBACK_PATH, params=forged)
        assert refused.status_code == 400
        assert "ne correspond pas" in message_of(refused.text)
        assert not logged_in(client)
        # The person's own answer still goes through afterwards.
        assert client.get(answer.headers["location"]).headers["location"] == "/compte"


def test_callback_without_the_state_cookie_points_at_cookies() -> None:
    with client_for() as client:
        answer = partner_login(client)
        client.cookies.delete(STATE_COOKIE, domain="portal.localhost", path="/franceconnect")
        refused = client.get(answer.headers["location"])
        assert refused.status_code == 400
        assert "cookie" in message_of(refused.text)
        assert not logged_in(client)


def test_a_code_from_another_login_fails_the_nonce_check() -> None:
    """Code injection: an attacker's own code pasted into the person's callback."""
    app = client_for().app
    with TestClient(app, base_url=PORTAL, follow_redirects=False) as attacker:
        stolen = query_of(partner_login(attacker).headers["location"])["code"]
    with TestClient(app, base_url=PORTAL, follow_redirects=False) as person:
        own = query_of(partner_login(person).headers["location"])
        refused = person.get(oidc.CALLBACK_PATH, params={"code": stolen, "state": own["state"]})
        assert refused.status_code == 400
        assert "FranceConnect" in message_of(refused.text)
        assert not logged_in(person)


def test_a_code_redeemed_once_is_refused_at_the_callback() -> None:
    with client_for() as client:
        answer = partner_login(client)
        code = query_of(answer.headers["location"])["code"]
        secret = oidc.client_secret(runtime_of(client))
        token = client.post(
            f"{IDP}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": "portal",
                "client_secret": secret,
            },
        )
        assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
        refused = client.get(answer.headers["location"])
        assert refused.status_code == 400
        assert not logged_in(client)


def test_replaying_the_callback_after_login_is_refused() -> None:
    with client_for() as client:
        answer = partner_login(client)
        assert client.get(answer.headers["location"]).headers["location"] == "/compte"
        client.cookies.clear()
        replay = client.get(answer.headers["location"])
        assert replay.status_code == 400
        assert not logged_in(client)


def test_token_endpoint_refuses_replay_wrong_redirect_wrong_client_and_old_codes() -> None:
    with client_for() as client:
        runtime = runtime_of(client)
        pending = oidc.AuthorizationRequest("portal", CALLBACK, "etat", "nonce")

        def redeem(code: str, **changes: str) -> oidc.TokenAnswer | oidc.TokenRefusal:
            fields = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": "portal",
                "client_secret": oidc.client_secret(runtime),
                **changes,
            }
            return oidc.exchange_code(runtime, oidc.TokenRequest(**fields), issuer=IDP)

        code = oidc.issue_code(runtime, pending, DEMO_IDENTIFIER, "impots")
        first = redeem(code)
        assert isinstance(first, oidc.TokenAnswer)
        assert redeem(code) == oidc.TokenRefusal("invalid_grant")

        code = oidc.issue_code(runtime, pending, DEMO_IDENTIFIER, "impots")
        assert redeem(code, redirect_uri=f"{PORTAL}/ailleurs") == oidc.TokenRefusal("invalid_grant")
        assert redeem(code) == oidc.TokenRefusal("invalid_grant")  # spent by the bad try

        code = oidc.issue_code(runtime, pending, DEMO_IDENTIFIER, "impots")
        refusal = redeem(code, client_secret="devine")
        assert refusal == oidc.TokenRefusal("invalid_client") and refusal.status_code == 401

        code = oidc.issue_code(runtime, pending, DEMO_IDENTIFIER, "impots")
        with runtime.lock:
            runtime.oidc_codes[code]["expires_at"] = "0.0"
        assert redeem(code) == oidc.TokenRefusal("invalid_grant")
        assert redeem("", grant_type="password") == oidc.TokenRefusal("unsupported_grant_type")


def test_id_token_checks_refuse_forged_or_misaddressed_tokens() -> None:
    runtime = PortalRuntime(PortalConfig())
    key = oidc.client_secret(runtime)
    code = oidc.issue_code(
        runtime, oidc.AuthorizationRequest("portal", CALLBACK, "s", "n"), DEMO_IDENTIFIER, "msa"
    )
    answer = oidc.exchange_code(
        runtime, oidc.TokenRequest("authorization_code", code, CALLBACK, "portal", key), IDP
    )
    assert isinstance(answer, oidc.TokenAnswer)
    identity = oidc.verify_id_token(answer.id_token, key=key, issuer=IDP, audience="portal")
    assert identity is not None
    assert (identity.identifier, identity.partner, identity.nonce) == (DEMO_IDENTIFIER, "msa", "n")
    assert identity.subject != DEMO_IDENTIFIER
    assert (
        oidc.verify_id_token(answer.id_token, key="x" * 64, issuer=IDP, audience="portal") is None
    )
    assert oidc.verify_id_token(answer.id_token, key=key, issuer=PORTAL, audience="portal") is None
    assert oidc.verify_id_token(answer.id_token, key=key, issuer=IDP, audience="autre") is None


def _signed_id_token() -> tuple[str, str]:
    """A genuine ID token from the token endpoint, and the key it is signed with."""
    runtime = PortalRuntime(PortalConfig())
    key = oidc.client_secret(runtime)
    code = oidc.issue_code(
        runtime, oidc.AuthorizationRequest("portal", CALLBACK, "s", "n"), DEMO_IDENTIFIER, "msa"
    )
    answer = oidc.exchange_code(
        runtime, oidc.TokenRequest("authorization_code", code, CALLBACK, "portal", key), IDP
    )
    assert isinstance(answer, oidc.TokenAnswer)
    return answer.id_token, key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _tampered(token: str) -> str:
    """The same signature over a payload that now names another person."""
    header, _, signature = token.split(".")
    claims = {**_claims_of(token), "identifiant": "9999999999999"}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _unsigned(token: str) -> str:
    """The same claims with ``alg: none`` and no signature (the classic JWT forgery)."""
    header = _b64(b'{"alg":"none","typ":"JWT"}')
    return f"{header}.{token.split('.')[1]}."


def _resigned(token: str, key: str, **changes: object) -> str:
    return jwt.encode({**_claims_of(token), **changes}, key, algorithm="HS256")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda token, key: _tampered(token), id="tampered-payload"),
        pytest.param(lambda token, key: _unsigned(token), id="alg-none"),
        pytest.param(
            lambda token, key: jwt.encode(_claims_of(token), key, algorithm="HS512"),
            id="other-algorithm",
        ),
        pytest.param(lambda token, key: _resigned(token, key, exp=1), id="expired"),
        pytest.param(
            lambda token, key: _resigned(token, key, iat=int(time.time()) + 3600),
            id="issued-in-the-future",
        ),
        pytest.param(
            lambda token, key: jwt.encode(
                {k: v for k, v in _claims_of(token).items() if k != "nonce"}, key
            ),
            id="no-nonce",
        ),
        pytest.param(lambda token, key: token[:-2], id="truncated-signature"),
        pytest.param(lambda token, key: "pas-un-jwt", id="garbage"),
    ],
)
def test_a_forged_expired_or_unsigned_id_token_is_refused(
    forge: Callable[[str, str], str],
) -> None:
    token, key = _signed_id_token()
    assert oidc.verify_id_token(token, key=key, issuer=IDP, audience="portal") is not None
    forged = forge(token, key)
    assert oidc.verify_id_token(forged, key=key, issuer=IDP, audience="portal") is None


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "inconnu"},
        {"redirect_uri": "http://evil.localhost/franceconnect/callback"},
        {"response_type": "token"},
        {"scope": "profile"},
        {"nonce": ""},
        {"state": ""},
    ],
)
def test_the_idp_refuses_a_bad_authorization_request_without_redirecting(
    params: dict[str, str],
) -> None:
    good = {
        "response_type": "code",
        "client_id": "portal",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "etat-de-test-assez-long",
        "nonce": "nonce-de-test-assez-long",
    }
    with client_for() as client:
        answer = client.get(f"{IDP}/authorize", params={**good, **params})
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "invalide" in message_of(answer.text)


def test_idp_forms_need_the_idp_session() -> None:
    with client_for() as client:
        start(client)
        refused = client.post(f"{IDP}/choisir", data={"csrf_token": "x", "partenaire": "msa"})
        assert refused.status_code == 400
        assert "cookies" in message_of(refused.text)
        client.cookies.clear(domain="idp.localhost")
        page = client.get(f"{IDP}/partenaire/msa")
        assert page.status_code == 400 and "expirée" in message_of(page.text)


def test_a_partner_that_is_down_answers_502_and_others_still_work() -> None:
    config = PortalConfig(
        identity_provider=IdentityProviderConfig(
            partners={"impots": "down", "identite-numerique": "ok", "msa": "ok"}
        )
    )
    with client_for(config) as client:
        page = choose(client, "impots")
        assert page.status_code == 502
        assert "Partenaire indisponible" in message_of(page.text)
        assert "impots.gouv.fr" in message_of(page.text)
        assert 'id="retour-choix"' in page.text
        assert back_on_portal(client, partner="msa").headers["location"] == "/compte"


def test_a_rejected_identity_comes_back_as_a_403_on_the_portal() -> None:
    config = PortalConfig(
        identity_provider=IdentityProviderConfig(
            partners={"impots": "ok", "identite-numerique": "rejected", "msa": "ok"}
        )
    )
    with client_for(config) as client:
        answer = partner_login(client, partner="identite-numerique")
        assert answer.status_code == 303
        assert query_of(answer.headers["location"])["error"] == "access_denied"
        refused = client.get(answer.headers["location"])
        assert refused.status_code == 403
        message = message_of(refused.text)
        assert "FranceConnect" in message and "identité" in message
        assert not logged_in(client)


def test_disabled_federation_answers_404_at_start_and_callback() -> None:
    config = PortalConfig(identity_provider=IdentityProviderConfig(enabled=False))
    with client_for(config) as client:
        answer = client.get("/franceconnect/start")
        assert answer.status_code == 404
        assert "FranceConnect" in message_of(answer.text)
        assert STATE_COOKIE not in answer.headers.get("set-cookie", "")
        assert client.get(oidc.CALLBACK_PATH, params={"code": "c", "state": "s"}).status_code == 404


def test_disabled_federation_hides_the_login_page_button() -> None:
    config = PortalConfig(identity_provider=IdentityProviderConfig(enabled=False))
    with client_for(config) as client:
        assert 'id="franceconnect"' not in client.get("/connexion").text


def test_maintenance_covers_the_franceconnect_routes() -> None:
    config = PortalConfig(maintenance=MaintenanceConfig(enabled=True, retry_after_seconds=60))
    with client_for(config) as client:
        for path in ("/franceconnect/start", oidc.CALLBACK_PATH):
            answer = client.get(path)
            assert answer.status_code == 503 and answer.headers["retry-after"] == "60"


def test_portal_accounts_rules_after_the_partner() -> None:
    locked = Account(identifier="2850775123456", password="x", status="locked")
    closed = Account(identifier="1990175123456", password="x", status="rights-not-open")
    config = PortalConfig(accounts=[locked, closed])
    with client_for(config) as client:
        # A locked password is no obstacle: FranceConnect is the way back in.
        assert back_on_portal(client, identifier=locked.identifier).headers["location"] == "/compte"
    with client_for(config) as client:
        refused = back_on_portal(client, identifier=closed.identifier)
        assert refused.status_code == 403 and "Droits non ouverts" in message_of(refused.text)
    with client_for(config) as client:
        refused = back_on_portal(client, identifier="1111111111111")
        assert refused.status_code == 403 and "aucun compte" in message_of(refused.text)
        assert not logged_in(client)


@pytest.mark.parametrize(
    ("config", "symptom"),
    [
        ({"impots": "down"}, "identity-provider-error"),
        ({"impots": "rejected"}, "identity-provider-error"),
    ],
)
def test_the_journey_reads_the_failures_as_identity_provider_errors(
    config: dict[str, str], symptom: str
) -> None:
    partners = {"impots": "ok", "identite-numerique": "ok", "msa": "ok", **config}
    portal = PortalConfig(identity_provider=IdentityProviderConfig(partners=partners))
    with client_for(portal) as client:
        page = choose(client, "impots")
        if page.status_code == 200:
            answer = client.post(
                f"{IDP}/partenaire/impots",
                data={
                    "csrf_token": csrf_from(page.text),
                    "identifiant": DEMO_IDENTIFIER,
                    "mot_de_passe": DEMO_PARTNER_PASSWORD,
                },
            )
            page = client.get(answer.headers["location"])
    assert (
        pagemap_of(mock_description()).symptom_of(message_of(page.text), page.status_code)
        == symptom
    )


def test_a_missing_state_cookie_reads_as_refused_cookies() -> None:
    with client_for() as client:
        answer = partner_login(client)
        client.cookies.delete(STATE_COOKIE, domain="portal.localhost", path="/franceconnect")
        refused = client.get(answer.headers["location"])
    assert (
        pagemap_of(mock_description()).symptom_of(message_of(refused.text), 400)
        == "cookies-refused"
    )


def test_idp_unknown_pages_get_the_idp_404() -> None:
    with client_for() as client:
        answer = client.get(f"{IDP}/partenaire/inconnu")
        assert answer.status_code == 404
        assert "content-security-policy" in answer.headers
        assert client.get(f"{IDP}/nulle-part").status_code == 404
        assert re.search(r"FranceConnect", answer.text)
