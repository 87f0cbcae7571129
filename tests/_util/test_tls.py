"""Connecting by host name and naming a certificate, against a real TLS server."""

from __future__ import annotations

from pathlib import Path

from probe._util import loops
from probe._util.tls import certificate_detail, peer_certificate, refused_certificate_error
from tests.helpers.tls import CA_NAME, MOCK_NAMES, https_portal, local_ca


def test_each_engines_refusal_is_told_apart_from_other_network_errors() -> None:
    assert refused_certificate_error("net::ERR_CERT_DATE_INVALID at https://x/") == (
        "ERR_CERT_DATE_INVALID"
    )
    assert refused_certificate_error("page.goto: SSL_ERROR_BAD_CERT_DOMAIN") == (
        "SSL_ERROR_BAD_CERT_DOMAIN"
    )
    assert refused_certificate_error("MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT") is not None
    for other in ("net::ERR_CONNECTION_REFUSED", "NS_ERROR_CONNECTION_REFUSED", "ERR_BLOCKED"):
        assert refused_certificate_error(other) is None


def test_the_certificate_of_a_localhost_portal_is_read_by_its_name(tmp_path: Path) -> None:
    with https_portal(local_ca(tmp_path)) as portal:
        facts = loops.run(peer_certificate(portal.url + "connexion"))
    assert facts is not None
    assert facts.issuer == CA_NAME
    assert facts.names == MOCK_NAMES
    assert not facts.expired() and not facts.not_yet_valid()
    detail = certificate_detail("ERR_CERT_AUTHORITY_INVALID", facts)
    assert detail.params["issuer"] == CA_NAME
    assert str(detail.params["until"]).startswith(f"{facts.not_after:%Y-%m-%d}")


def test_nothing_is_read_where_nothing_answers_or_over_plain_http() -> None:
    assert loops.run(peer_certificate("https://portal.localhost:9/")) is None
    assert loops.run(peer_certificate("http://portal.localhost/")) is None
