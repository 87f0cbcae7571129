"""The check before any browser trusts what the person's browser trusts, by host name."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe._util.tls import CertificateRefused
from probe._util.trust import NssDatabase
from probe.app.portal_choice import (
    PortalChoice,
    check_login_page,
    check_reachable,
)
from probe.description.model import mock_description
from probe.description.target import relocated
from tests.helpers.tls import CA_NAME, https_portal, local_ca, person_home


def test_a_localhost_portal_whose_ca_the_person_trusts_answers(tmp_path: Path) -> None:
    ca = local_ca(tmp_path / "ca")
    trust = NssDatabase(person_home(tmp_path / "home", ca))
    with https_portal(ca) as portal:
        # By name: the certificate is for portal.localhost, not for 127.0.0.1.
        assert check_reachable(portal.url + "connexion", trust=trust) == 200


def test_a_ca_the_person_does_not_trust_is_named_not_unreachable(tmp_path: Path) -> None:
    ca = local_ca(tmp_path / "ca")
    trust = NssDatabase(person_home(tmp_path / "home", None))
    with https_portal(ca) as portal, pytest.raises(CertificateRefused) as caught:
        check_reachable(portal.url + "connexion", "portal.toml: login_url", trust=trust)
    message = str(caught.value)
    assert message.startswith("portal.toml: login_url: the portal's certificate is refused")
    assert f"issued by {CA_NAME} for portal.localhost, captcha.localhost" in message
    assert "nothing answers" not in message and "\n" not in message
    assert caught.value.facts is not None and caught.value.exit_code == 3


def test_a_certificate_for_other_names_is_refused(tmp_path: Path) -> None:
    ca = local_ca(tmp_path / "ca", names=("other.localhost",))
    trust = NssDatabase(person_home(tmp_path / "home", ca))
    with https_portal(ca) as portal, pytest.raises(CertificateRefused, match="other.localhost"):
        check_reachable(portal.url + "connexion", trust=trust)


def test_the_diagnosis_goes_on_to_meet_the_certificate_in_the_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(person_home(tmp_path / "home", None)))
    with https_portal(local_ca(tmp_path / "ca")) as portal:
        check_login_page(PortalChoice(relocated(mock_description(), portal.url), "mock"))


def test_a_hostile_certificate_is_named_in_one_short_clean_line(tmp_path: Path) -> None:
    names = ("portal.localhost", *(f"n{i}.localhost" for i in range(40)))
    ca = local_ca(tmp_path / "ca", names=names, organization="Evil\x1b[31m\nCA")
    trust = NssDatabase(person_home(tmp_path / "home", None))
    with https_portal(ca) as portal, pytest.raises(CertificateRefused) as caught:
        check_reachable(portal.url + "connexion", trust=trust)
    message = str(caught.value)
    assert "\x1b" not in message and "\n" not in message
    assert "n6.localhost, …" in message and "n7.localhost" not in message
