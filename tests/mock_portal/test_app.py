"""The mock portal's main journey over TestClient: login page, CAPTCHA, login, code, home."""

from __future__ import annotations

import re
import time

import pytest

from probe.mock_portal.state import (
    DEMO_PASSWORD,
    Account,
    IdentityProviderConfig,
    PortalConfig,
    SecondFactorConfig,
)
from tests.helpers.mock_portal import (
    CAPTCHA,
    IDP,
    client_for,
    csrf_from,
    latest_code,
    log_in,
    login_form,
    message_of,
    runtime_of,
)


def test_root_redirects_to_the_login_page() -> None:
    with client_for() as client:
        answer = client.get("/")
        assert answer.status_code in (302, 303, 307)
        assert answer.headers["location"].endswith("/connexion")


def test_login_page_has_the_contract_elements() -> None:
    with client_for() as client:
        page = client.get("/connexion")
    html = page.text
    assert page.status_code == 200
    assert '<html lang="fr">' in html
    assert "<main" in html and "<h1>" in html
    for element_id in (
        'id="login-form"',
        'id="identifiant"',
        'id="mot-de-passe"',
        'id="captcha-token"',
        'id="se-connecter"',
        'id="captcha"',
        'id="noscript-warning"',
        'id="mot-de-passe-oublie"',
        'id="creer-compte"',
        'id="franceconnect"',
    ):
        assert element_id in html, element_id
    assert '<label for="identifiant">Numéro de sécurité sociale</label>' in html
    assert 'type="password" id="mot-de-passe"' in html
    assert 'src="http://captcha.localhost/api.js"' in html
    assert 'href="/franceconnect/start"' in html
    assert csrf_from(html)


def test_session_cookie_is_httponly_and_samesite_lax() -> None:
    with client_for() as client:
        cookie = client.get("/connexion").headers["set-cookie"]
    assert cookie.startswith("session_portail=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


def test_portal_pages_carry_a_strict_content_security_policy() -> None:
    with client_for() as client:
        policy = client.get("/connexion").headers["content-security-policy"]
    assert "script-src 'self' http://captcha.localhost" in policy
    assert "frame-src http://captcha.localhost" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy


def test_hosts_are_routed_and_unknown_hosts_get_404() -> None:
    with client_for() as client:
        assert client.get(f"{CAPTCHA}/api.js").status_code == 200
        assert client.get(f"{CAPTCHA}/connexion").status_code == 404
        assert client.get("http://portal.localhost:8123/connexion").status_code == 200
        assert client.get("http://example.test/connexion").status_code == 404
        assert client.get("http://localhost/connexion").status_code == 404
        assert client.get(f"{IDP}/connexion").status_code == 404


def test_unknown_portal_page_is_an_html_404_with_a_message() -> None:
    with client_for() as client:
        answer = client.get("/nulle-part")
    assert answer.status_code == 404
    assert "Page introuvable" in answer.text or "n'existe pas" in message_of(answer.text)
    assert 'id="message"' in answer.text


def test_demo_account_logs_in_with_sms_code_and_reaches_home() -> None:
    with client_for() as client:
        answer = client.post("/connexion", data=login_form(client))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/code-securite"
        page = client.get("/code-securite")
        assert "Un code de sécurité a été envoyé par SMS" in message_of(page.text)
        assert 'id="code-form"' in page.text and 'id="renvoyer-code"' in page.text
        messages = client.get("/_outbox/api/messages").json()["messages"]
        assert messages[0]["channel"] == "sms" and messages[0]["folder"] == "inbox"
        assert messages[0]["to"] == "+33612345678"
        answer = client.post(
            "/code-securite",
            data={"csrf_token": csrf_from(page.text), "code": latest_code(client)},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/compte"
        home = client.get("/compte")
        assert home.status_code == 200
        assert 'id="titre-compte"' in home.text
        assert 'id="telecharger-attestation"' in home.text


def test_login_rotates_the_session_id() -> None:
    with client_for() as client:
        client.get("/connexion")
        before = client.cookies.get("session_portail")
        log_in(client)
        after = client.cookies.get("session_portail")
    assert before and after and before != after


def test_home_without_login_sends_back_to_the_login_page() -> None:
    with client_for() as client:
        answer = client.get("/compte")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/connexion")
        assert client.get("/compte/attestation").status_code == 303


def test_attestation_is_a_valid_pdf_download() -> None:
    with client_for() as client:
        log_in(client)
        answer = client.get("/compte/attestation")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    pdf = answer.content
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    assert b"(Attestation de droits)" in pdf
    # Every cross-reference entry points at the object it names.
    startxref = re.search(rb"startxref\n(\d+)", pdf)
    assert startxref, "the PDF has no startxref"
    start = int(startxref.group(1))
    assert pdf[start:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[start:])
    assert len(entries) == 6
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)


def test_second_factor_off_goes_straight_home() -> None:
    config = PortalConfig(second_factor=SecondFactorConfig(enabled=False))
    with client_for(config) as client:
        answer = client.post("/connexion", data=login_form(client))
        assert answer.headers["location"] == "/compte"
        assert client.get("/_outbox/api/messages").json()["messages"] == []


def test_account_without_second_factor_goes_straight_home() -> None:
    account = Account(identifier="2990199123456", password="Secret-Passe-1!", second_factor="none")
    with client_for(PortalConfig(accounts=[account])) as client:
        answer = client.post(
            "/connexion", data=login_form(client, "2990199123456", "Secret-Passe-1!")
        )
        assert answer.headers["location"] == "/compte"


def test_email_second_factor_goes_to_the_mailbox() -> None:
    account = Account(identifier="2990199123456", password="Secret-Passe-1!", second_factor="email")
    with client_for(PortalConfig(accounts=[account])) as client:
        client.post("/connexion", data=login_form(client, "2990199123456", "Secret-Passe-1!"))
        page = client.get("/code-securite")
        assert "par e-mail" in message_of(page.text)
        message = client.get("/_outbox/api/messages").json()["messages"][0]
        assert message["channel"] == "email" and message["to"] == "assure@example.test"


def test_wrong_security_code_is_refused() -> None:
    with client_for() as client:
        client.post("/connexion", data=login_form(client))
        page = client.get("/code-securite")
        good = latest_code(client)
        wrong = f"{(int(good) + 1) % 1_000_000:06d}"
        answer = client.post(
            "/code-securite", data={"csrf_token": csrf_from(page.text), "code": wrong}
        )
    assert answer.status_code == 401
    assert "Code de sécurité incorrect" in message_of(answer.text)


def test_expired_security_code_is_refused() -> None:
    config = PortalConfig(second_factor=SecondFactorConfig(code_ttl_seconds=0))
    with client_for(config) as client:
        client.post("/connexion", data=login_form(client))
        page = client.get("/code-securite")
        time.sleep(0.01)
        answer = client.post(
            "/code-securite", data={"csrf_token": csrf_from(page.text), "code": latest_code(client)}
        )
    assert answer.status_code == 401
    assert "Code de sécurité expiré" in message_of(answer.text)


def test_only_the_latest_security_code_works_after_a_resend() -> None:
    with client_for() as client:
        client.post("/connexion", data=login_form(client))
        page = client.get("/code-securite")
        token = csrf_from(page.text)
        first = latest_code(client)
        answer = client.post("/code-securite/renvoyer", data={"csrf_token": token})
        assert answer.status_code == 303
        assert "nouveau code" in message_of(client.get(answer.headers["location"]).text)
        second = latest_code(client)
        assert len(client.get("/_outbox/api/messages").json()["messages"]) == 2
        if first != second:
            refused = client.post("/code-securite", data={"csrf_token": token, "code": first})
            assert refused.status_code == 401
        accepted = client.post("/code-securite", data={"csrf_token": token, "code": second})
        assert accepted.headers["location"] == "/compte"


def test_security_code_is_single_use() -> None:
    with client_for() as client:
        client.post("/connexion", data=login_form(client))
        page = client.get("/code-securite")
        code = latest_code(client)
        token = csrf_from(page.text)
        assert (
            client.post("/code-securite", data={"csrf_token": token, "code": code}).status_code
            == 303
        )
        # A second login in the same browser cannot replay the first code.
        client.post("/connexion", data=login_form(client))
        page = client.get("/code-securite")
        replay = {"csrf_token": csrf_from(page.text), "code": code}
        if latest_code(client) != code:
            assert client.post("/code-securite", data=replay).status_code == 401


def test_spam_delivery_lands_in_the_spam_folder_and_undelivered_is_lost() -> None:
    spam = PortalConfig(second_factor=SecondFactorConfig(delivery="spam"))
    with client_for(spam) as client:
        client.post("/connexion", data=login_form(client))
        assert client.get("/_outbox/api/messages").json()["messages"][0]["folder"] == "spam"
    lost = PortalConfig(second_factor=SecondFactorConfig(delivery="undelivered"))
    with client_for(lost) as client:
        answer = client.post("/connexion", data=login_form(client))
        assert answer.headers["location"] == "/code-securite"
        assert client.get("/_outbox/api/messages").json()["messages"] == []


def test_outbox_filters_by_recipient_and_has_a_page() -> None:
    with client_for() as client:
        client.post("/connexion", data=login_form(client))
        assert client.get("/_outbox/api/messages", params={"to": "+33612345678"}).json()["messages"]
        assert client.get("/_outbox/api/messages", params={"to": "x@y"}).json()["messages"] == []
        page = client.get("/_outbox")
    assert page.status_code == 200
    assert "Votre code de sécurité" in page.text and "+33612345678" in page.text


def test_login_without_session_cookie_is_refused_with_a_cookies_message() -> None:
    with client_for() as client:
        form = login_form(client)
        client.cookies.clear()
        answer = client.post("/connexion", data=form)
    assert answer.status_code == 400
    assert "cookies" in message_of(answer.text)


def test_login_with_a_forged_csrf_token_is_refused() -> None:
    with client_for() as client:
        form = {**login_form(client), "csrf_token": "pas-le-bon"}
        answer = client.post("/connexion", data=form)
    assert answer.status_code == 400
    assert "cookies" in message_of(answer.text)


def test_csrf_token_endpoint_gives_the_current_session_token() -> None:
    with client_for() as client:
        token = csrf_from(client.get("/connexion").text)
        assert client.get("/connexion/jeton").json() == {"csrf_token": token}


def test_a_form_from_another_release_is_refused_as_obsolete() -> None:
    with client_for() as client:
        form = login_form(client)
        runtime_of(client).set_config(PortalConfig(release=2))
        answer = client.post("/connexion", data=form)
    assert answer.status_code == 409
    assert "obsolète" in message_of(answer.text)
    assert 'name="version_formulaire" value="2"' in answer.text


def test_notice_after_redirect_is_shown_from_a_known_key_only() -> None:
    with client_for() as client:
        shown = client.get("/connexion", params={"message": "compte-cree"})
        assert "compte est activé" in message_of(shown.text)
        unknown = client.get("/connexion", params={"message": "<script>alert(1)</script>"})
        assert message_of(unknown.text) == ""
        assert "<script>alert(1)" not in unknown.text


def test_identifier_is_escaped_when_echoed() -> None:
    with client_for() as client:
        form = login_form(client, '"><script>x</script>', "nope")
        answer = client.post("/connexion", data=form)
    assert answer.status_code == 401
    assert "<script>x</script>" not in answer.text


def test_code_page_without_pending_login_goes_back_to_login() -> None:
    with client_for() as client:
        assert client.get("/code-securite").headers["location"].startswith("/connexion")


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/connexion", "/connexion"),
        ("/creer-compte", "/creer-compte"),
        ("/mot-de-passe-oublie", "/mot-de-passe-oublie"),
        ("/deverrouiller", "/deverrouiller"),
        ("/code-securite", "/code-securite"),
        ("/code-securite", "/code-securite/renvoyer"),
        ("/nouveau-mot-de-passe", "/nouveau-mot-de-passe"),
    ],
)
def test_every_form_carries_a_csrf_token_and_needs_it(path: str, action: str) -> None:
    with client_for() as client:
        # Reach the pages that need an earlier step first.
        client.post("/connexion", data=login_form(client))
        client.post(
            "/mot-de-passe-oublie",
            data={"csrf_token": csrf_from(client.get("/connexion").text), "identifiant": "1"},
        )
        html = client.get(path).text
        assert f'action="{action}"' in html
        form_html = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
        assert 'name="csrf_token" value="' in form_html
        forged = {"csrf_token": "faux", "code": "123456", "version_formulaire": "1"}
        answer = client.post(action, data=forged)
    assert answer.status_code == 400
    assert "cookies" in message_of(answer.text)


def test_no_code_or_token_ever_appears_in_a_url() -> None:
    with client_for() as client:
        form = login_form(client)
        locations = [client.post("/connexion", data=form).headers["location"]]
        page = client.get("/code-securite")
        code = latest_code(client)
        answer = client.post(
            "/code-securite", data={"csrf_token": csrf_from(page.text), "code": code}
        )
        locations.append(answer.headers["location"])
        secrets = [code, form["csrf_token"], form["captcha_token"], DEMO_PASSWORD]
        secrets.append(client.cookies["session_portail"])
    assert locations == ["/code-securite", "/compte"]
    for location in locations:
        assert not any(secret in location for secret in secrets)


def test_franceconnect_button_follows_the_identity_provider_switch() -> None:
    off = PortalConfig(identity_provider=IdentityProviderConfig(enabled=False))
    with client_for(off) as client:
        assert 'id="franceconnect"' not in client.get("/connexion").text
    with client_for() as client:
        assert 'id="franceconnect"' in client.get("/connexion").text
