"""``--portal FILE|URL`` and ``--portal-url``, and the portal's own remedy texts."""

from __future__ import annotations

import pytest

from probe.app.portal_choice import PortalChoice, check_login_page, choose_portal
from probe.description.model import load_description, mock_description
from probe.description.target import relocated
from probe.diagnosis.portal_remedies import with_portal_texts
from probe.errors import BadInput, PortalFailure
from probe.mock_portal import EmbeddedPortal
from probe.models import Remedy, Verdict
from tests.helpers.paths import ALLAUTH_ALTCHA

ALLAUTH = ALLAUTH_ALTCHA / "portal.toml"


def test_no_portal_is_the_embedded_mock_through_its_description() -> None:
    choice = choose_portal(None)
    assert not choice.drafted
    assert choice.description.name == "ameli-mock"
    assert choice.source == "probe/description/portals/ameli-mock.toml"
    assert choice.note() is None


def test_portal_url_alone_moves_the_mock_description() -> None:
    choice = choose_portal(None, "http://portal.localhost:8123/")
    assert choice.description.login_url == "http://portal.localhost:8123/connexion"


def test_a_description_file_with_portal_url_override() -> None:
    choice = choose_portal(str(ALLAUTH), "http://app2.localhost:9999/")
    assert choice.source == str(ALLAUTH)
    assert choice.description.login_url == "http://app2.localhost:9999/accounts/login/"


def test_a_missing_description_file_is_one_line() -> None:
    with pytest.raises(BadInput, match=r"--portal nope\.toml: no such file"):
        choose_portal("nope.toml")


def test_portal_url_must_be_a_url() -> None:
    with pytest.raises(BadInput, match="--portal-url portal.localhost: not an http"):
        choose_portal(str(ALLAUTH), "portal.localhost")


def test_a_login_url_answering_404_names_file_and_field() -> None:
    with EmbeddedPortal() as portal:
        moved = relocated(load_description(ALLAUTH), portal.url + "accounts/login/")
        with pytest.raises(PortalFailure) as caught:
            check_login_page(PortalChoice(moved, "portal.toml"))
        check_login_page(PortalChoice(relocated(mock_description(), portal.url), "mock"))
    message = str(caught.value)
    assert message.startswith("portal.toml: login_url: http://portal.localhost:")
    assert message.endswith(
        "/accounts/login/: answers HTTP 404: no page there; give the login page's URL"
    )
    assert caught.value.exit_code == 3


def test_an_unreachable_login_url_names_file_and_field() -> None:
    moved = relocated(mock_description(), "http://127.0.0.1:9/")
    with pytest.raises(
        PortalFailure,
        match=r"^mock\.toml: login_url: http://127\.0\.0\.1:9/connexion: nothing answers there",
    ):
        check_login_page(PortalChoice(moved, "mock.toml"))


def _verdict(*remedies: Remedy) -> Verdict:
    return Verdict(
        status="blocked",
        factor="invalid-credentials",
        summary_en="",
        summary_fr="",
        remedies=list(remedies),
        if_that_fails=[Remedy(id="call-support", en="Call support.", fr="Appelez.")],
    )


def test_the_portal_says_who_to_call_and_loses_remedies_it_has_no_step_for() -> None:
    generic = _verdict(
        Remedy(id="reset-password", en="Reset it.", fr="Réinitialisez."),
        Remedy(id="federation", en="Use the other way in.", fr="Autre accès."),
    )
    mock = with_portal_texts(generic, mock_description())
    assert "36 46" in mock.if_that_fails[0].en
    assert [r.id for r in mock.remedies] == ["reset-password", "federation"]
    assert "FranceConnect" in mock.remedies[1].en
    allauth = with_portal_texts(generic, load_description(ALLAUTH))
    assert [r.id for r in allauth.remedies] == ["reset-password"]  # it has no federation
    assert "administrator" in allauth.if_that_fails[0].en
