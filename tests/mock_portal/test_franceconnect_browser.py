"""The FranceConnect-like login in real Chromium, as a person goes through it.

One browser per session (pytest-playwright), a fresh context per test, short timeouts;
one test runs a default persistent profile, where Debian's Chromium blocks third-party
cookies, to show that the flow's top-level redirects do not depend on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, BrowserType, Page, expect

from probe.browsers.chromium.discovery import Chromium, launch_args
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.state import (
    DEMO_IDENTIFIER,
    DEMO_PARTNER_PASSWORD,
    IdentityProviderConfig,
    PortalConfig,
)

TIMEOUT_MS = 5_000


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


@pytest.fixture
def troubled_portal() -> Iterator[EmbeddedPortal]:
    """The tax office's partner is down, La Poste's refuses identities, MSA works."""
    partners = {"impots": "down", "identite-numerique": "rejected", "msa": "ok"}
    config = PortalConfig(identity_provider=IdentityProviderConfig(partners=partners))
    with EmbeddedPortal(config) as running:
        yield running


def to_chooser(page: Page, portal: EmbeddedPortal) -> None:
    """From the login page's button to the idp's partner chooser."""
    page.goto(portal.url + "connexion")
    page.click("#franceconnect")
    expect(page).to_have_url(re.compile(r"^http://idp\.localhost:\d+/authorize\?"))
    expect(page.locator("h1")).to_contain_text("Je choisis un compte pour me connecter")


def to_partner(page: Page, portal: EmbeddedPortal, partner: str) -> None:
    """On to the partner's page, whatever it answers."""
    to_chooser(page, portal)
    page.click(f"#partenaire-{partner}")


def log_in_at_partner(page: Page, password: str = DEMO_PARTNER_PASSWORD) -> None:
    page.fill("#partenaire-identifiant", DEMO_IDENTIFIER)
    page.fill("#partenaire-mot-de-passe", password)
    page.click("#partenaire-valider")


def test_franceconnect_from_the_login_button_to_the_attestation(
    page: Page, portal: EmbeddedPortal
) -> None:
    to_partner(page, portal, "impots")
    expect(page).to_have_url(re.compile(r"^http://idp\.localhost:\d+/partenaire/impots$"))
    expect(page.locator("#partenaire-nom")).to_have_text("impots.gouv.fr")
    log_in_at_partner(page)
    expect(page).to_have_url(portal.url + "compte")
    expect(page.locator("#titre-compte")).to_be_visible()
    with page.expect_download() as info:
        page.click("#telecharger-attestation")
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")


def test_a_wrong_partner_password_is_said_on_the_partner_page(
    page: Page, portal: EmbeddedPortal
) -> None:
    to_partner(page, portal, "msa")
    log_in_at_partner(page, password="pas-le-bon")
    expect(page.locator("#message")).to_contain_text("Identifiant ou mot de passe incorrect")
    expect(page).to_have_url(re.compile(r"^http://idp\.localhost:\d+/partenaire/msa$"))


def test_a_partner_that_is_down_shows_its_message_and_another_account_works(
    page: Page, troubled_portal: EmbeddedPortal
) -> None:
    to_chooser(page, troubled_portal)
    with page.expect_navigation() as navigation:
        page.click("#partenaire-impots")
    response = navigation.value
    assert response is not None and response.status == 502
    expect(page.locator("#message")).to_contain_text("Partenaire indisponible")
    expect(page.locator("#partenaire-form")).to_have_count(0)
    page.click("#retour-choix")
    page.click("#partenaire-msa")
    log_in_at_partner(page)
    expect(page.locator("#titre-compte")).to_be_visible()


def test_a_rejected_identity_is_explained_back_on_the_portal(
    page: Page, troubled_portal: EmbeddedPortal
) -> None:
    to_partner(page, troubled_portal, "identite-numerique")
    with page.expect_navigation(url=re.compile("/franceconnect/callback")) as navigation:
        log_in_at_partner(page)
    response = navigation.value
    assert response is not None and response.status == 403
    assert response.url.startswith(troubled_portal.url)
    message = page.locator("#message")
    expect(message).to_contain_text("FranceConnect")
    expect(message).to_contain_text("identité")
    page.goto(troubled_portal.url + "compte")
    expect(page).to_have_url(re.compile(r"/connexion\?message=session-requise$"))


def test_franceconnect_works_in_a_default_profile_that_blocks_third_party_cookies(
    browser_type: BrowserType, portal: EmbeddedPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    context: BrowserContext = browser_type.launch_persistent_context(
        str(tmp_path / "profil"),
        executable_path=str(probe_chromium.executable),
        headless=True,
        args=launch_args(),
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(portal.url + "connexion")
        # The login page's CAPTCHA frame is cross-site: this profile refuses it cookies.
        checkbox = page.frame_locator("#captcha iframe").locator("#captcha-checkbox")
        expect(checkbox).to_be_visible(timeout=TIMEOUT_MS)
        widget = next(f for f in page.frames if "/widget" in f.url)
        assert widget.evaluate("document.hasStorageAccess()") is False
        to_partner(page, portal, "identite-numerique")
        log_in_at_partner(page)
        expect(page.locator("#titre-compte")).to_be_visible(timeout=TIMEOUT_MS)
        by_site = {(c["domain"], c["name"]) for c in context.cookies()}
        # The state cookie was spent; each site kept its own session cookie.
        assert ("portal.localhost", "fc_state") not in by_site
        assert {
            ("portal.localhost", "session_portail"),
            ("idp.localhost", "session_idp"),
        } <= by_site
    finally:
        context.close()
