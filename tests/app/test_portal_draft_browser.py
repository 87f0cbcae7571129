"""``probe portal draft`` and ``probe portal check`` in real Chromium, on both test portals.

What a person checks: the draft finds the fields they would point at, says whether the
answer comes by navigation or in the page, finds the CAPTCHA wherever it renders, and
types nothing; the check says found for each declared element of a correct description
and names the one that is wrong in a broken one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from probe.app.portal.check import check_description
from probe.app.portal.draft import draft_description
from probe.description.model import load_description, mock_description, parse_description
from probe.description.target import relocated
from probe.errors import PortalFailure
from probe.mock_portal import EmbeddedPortal
from tests.helpers.paths import ALLAUTH_ALTCHA
from tests.portals.allauth_altcha import AllauthAltchaPortal

ALLAUTH_DIR = ALLAUTH_ALTCHA


@pytest.fixture
def allauth() -> Iterator[AllauthAltchaPortal]:
    with AllauthAltchaPortal() as running:
        yield running


def _without_header_and_port(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.startswith("# Drafted by")]
    return re.sub(r"localhost:\d+", "localhost:PORT", "\n".join(lines))


def test_draft_of_the_mock_portal_finds_its_fields_and_iframe_captcha(
    portal: EmbeddedPortal,
) -> None:
    text = draft_description(portal.url + "connexion")
    draft = parse_description(text, "draft")
    mock = mock_description()
    assert draft.credentials.identifier == mock.credentials.identifier == "#identifiant"
    assert draft.credentials.password == "#mot-de-passe"
    assert draft.credentials.submit == "#se-connecter"
    assert draft.credentials.answer == "navigation"
    assert draft.open is not None and draft.open.form == "#login-form"
    assert draft.open.noscript == "#noscript-warning"
    captcha = draft.captcha
    assert captcha is not None and captcha.where == "iframe"
    assert (captcha.container, captcha.frame_url, captcha.click) == (
        "#captcha",
        "/widget",
        "#captcha-checkbox",
    )
    assert captcha.token == "#captcha-token"
    assert captcha.blocked_hosts == ["captcha.localhost"]
    assert draft.languages == ["fr"]
    assert draft.logged_in.marker == "html:not(:has(input[type=password]))"
    assert "# CHECK: probe cannot see the page after login" in text  # a guess, marked


def test_draft_of_the_second_portal_is_the_stored_draft_and_sends_nothing(
    allauth: AllauthAltchaPortal,
) -> None:
    text = draft_description(allauth.login_url)
    stored = (ALLAUTH_DIR / "portal.draft.toml").read_text(encoding="utf-8")
    assert _without_header_and_port(text) == _without_header_and_port(stored)
    draft = parse_description(text, "draft")
    assert draft.credentials.answer == "in-page"  # login.js handles the submit
    assert draft.captcha is not None and draft.captcha.where == "page"
    assert draft.captcha.click == "altcha-widget label"  # the words, not the covered box
    assert allauth.received == []  # nothing was typed or sent


def test_draft_refuses_a_page_without_password_field(portal: EmbeddedPortal) -> None:
    with pytest.raises(PortalFailure, match="no password field"):
        draft_description(portal.url + "mot-de-passe-oublie")


def test_check_finds_every_element_of_the_mock_description(portal: EmbeddedPortal) -> None:
    description = relocated(mock_description(), portal.url)
    result = check_description(description, "ameli-mock.toml")
    outcomes = {e.element: e.outcome for e in result.elements}
    assert result.all_found, result.lines()
    assert outcomes["captcha.rendered"] == "found"
    assert outcomes["open.noscript"] == "found"  # shown with JavaScript off
    assert outcomes["logged-in.marker"] == "unseen"  # after login: not checked
    assert len(result.lines()) == len(result.elements)


def test_check_finds_every_element_of_the_second_portal_and_sends_nothing(
    allauth: AllauthAltchaPortal,
) -> None:
    description = relocated(load_description(ALLAUTH_DIR / "portal.toml"), allauth.login_url)
    result = check_description(description, "portal.toml")
    outcomes = {e.element: e.outcome for e in result.elements}
    assert result.all_found, result.lines()
    assert outcomes["captcha.rendered"] == "found"  # the in-page widget rendered
    assert outcomes["messages.page"] == "found"
    assert allauth.received == []


def test_check_names_the_element_that_is_not_there(allauth: AllauthAltchaPortal) -> None:
    text = (ALLAUTH_DIR / "portal.toml").read_text(encoding="utf-8")
    broken = parse_description(text.replace('"#id_login"', '"#username"'), "broken.toml")
    result = check_description(relocated(broken, allauth.login_url), "broken.toml")
    missing = [e for e in result.elements if e.outcome == "missing"]
    assert [(e.element, e.selector) for e in missing] == [("credentials.identifier", "#username")]
    assert not result.all_found
    assert any(line.startswith("MISSING credentials.identifier") for line in result.lines())


def test_check_of_a_login_url_that_answers_404(portal: EmbeddedPortal) -> None:
    description = relocated(mock_description(), portal.url + "no-such-page")
    result = check_description(description, "ameli-mock.toml")
    assert not result.all_found
    assert result.elements[0].element == "login_url"
    assert "HTTP 404" in result.elements[0].note


def test_check_of_an_unreachable_portal_names_file_and_field() -> None:
    description = relocated(mock_description(), "http://127.0.0.1:9/connexion")
    with pytest.raises(PortalFailure) as caught:
        check_description(description, "ameli-mock.toml")
    assert str(caught.value).startswith("ameli-mock.toml: login_url: http://127.0.0.1:9/connexion")
