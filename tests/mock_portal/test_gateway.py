"""What stands in front of the portal's pages: maintenance, rate limit, header size."""

from __future__ import annotations

import pytest

from probe.mock_portal.state import MaintenanceConfig, PortalConfig, RateLimitConfig
from tests.helpers.mock_portal import CAPTCHA, client_for, login_form, message_of, runtime_of


@pytest.mark.parametrize("path", ["/connexion", "/compte", "/creer-compte", "/nulle-part-ailleurs"])
def test_maintenance_answers_503_with_retry_after_on_every_page(path: str) -> None:
    config = PortalConfig(maintenance=MaintenanceConfig(enabled=True, retry_after_seconds=900))
    with client_for(config) as client:
        answer = client.get(path)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "900"
    assert "Service momentanément indisponible" in message_of(answer.text)
    assert '<html lang="fr">' in answer.text


def test_maintenance_refuses_form_posts_too_but_not_the_stylesheet_or_the_outbox() -> None:
    with client_for() as client:
        form = login_form(client)
        runtime_of(client).set_config(PortalConfig(maintenance=MaintenanceConfig(enabled=True)))
        assert client.post("/connexion", data=form).status_code == 503
        assert client.get("/static/portail.css").status_code == 200
        assert client.get("/_outbox/api/messages").status_code == 200
        assert client.get(f"{CAPTCHA}/api.js").status_code == 200


def test_too_many_page_requests_get_429_with_retry_after() -> None:
    config = PortalConfig(rate_limit=RateLimitConfig(max_requests=3, window_seconds=60))
    with client_for(config) as client:
        statuses = [client.get("/connexion").status_code for _ in range(3)]
        refused = client.get("/connexion")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert "Trop de requêtes" in message_of(refused.text)


def test_static_assets_do_not_count_towards_the_rate_limit() -> None:
    config = PortalConfig(rate_limit=RateLimitConfig(max_requests=2, window_seconds=60))
    with client_for(config) as client:
        for _ in range(10):
            assert client.get("/static/portail.css").status_code == 200
            assert client.get("/sw.js").status_code == 200
            assert client.get("/_outbox/api/messages").status_code == 200
        assert client.get("/connexion").status_code == 200


def test_rate_limit_can_be_switched_off() -> None:
    config = PortalConfig(rate_limit=RateLimitConfig(enabled=False, max_requests=1))
    with client_for(config) as client:
        assert {client.get("/connexion").status_code for _ in range(5)} == {200}


def test_an_oversized_cookie_header_gets_431() -> None:
    with client_for() as client:
        fine = client.get("/connexion", headers={"Cookie": "a=" + "x" * 8000})
        refused = client.get("/connexion", headers={"Cookie": "a=" + "x" * 8200})
    assert fine.status_code == 200
    assert refused.status_code == 431
    assert "En-têtes de requête trop volumineux" in message_of(refused.text)


def test_the_cookie_limit_comes_from_the_config() -> None:
    with client_for(PortalConfig(max_cookie_header_bytes=100)) as client:
        answer = client.get("/connexion", headers={"Cookie": "a=" + "x" * 200})
    assert answer.status_code == 431


def test_the_captcha_vendor_is_not_behind_the_portal_guards() -> None:
    config = PortalConfig(rate_limit=RateLimitConfig(max_requests=1))
    with client_for(config) as client:
        assert (
            client.get(f"{CAPTCHA}/api.js", headers={"Cookie": "a=" + "x" * 9000}).status_code
            == 200
        )
        assert {client.get(f"{CAPTCHA}/api.js").status_code for _ in range(3)} == {200}


def test_a_quota_of_zero_refuses_every_page_with_429() -> None:
    from starlette.testclient import TestClient

    from probe.mock_portal import create_app
    from probe.mock_portal.state import PortalConfig, RateLimitConfig

    config = PortalConfig(rate_limit=RateLimitConfig(max_requests=0, window_seconds=60))
    with TestClient(create_app(config), base_url="http://portal.localhost") as client:
        answer = client.get("/connexion")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "60"
