"""The mock portal in real Chromium: the CAPTCHA widget, the whole login, the sites.

One browser per session (pytest-playwright), a fresh context per test, short timeouts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, Frame, Page, expect

from probe.browsers.chromium.discovery import launch_args
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, CaptchaConfig, PortalConfig

TIMEOUT_MS = 5_000


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


def _portal(config: PortalConfig) -> Iterator[EmbeddedPortal]:
    with EmbeddedPortal(config) as running:
        yield running


@pytest.fixture
def interactive_portal() -> Iterator[EmbeddedPortal]:
    yield from _portal(PortalConfig(captcha=CaptchaConfig(mode="interactive")))


@pytest.fixture
def failing_portal() -> Iterator[EmbeddedPortal]:
    yield from _portal(PortalConfig(captcha=CaptchaConfig(mode="fail")))


@pytest.fixture
def never_portal() -> Iterator[EmbeddedPortal]:
    yield from _portal(PortalConfig(captcha=CaptchaConfig(mode="never")))


def outbox_code(portal: EmbeddedPortal) -> str:
    """The newest code in the outbox, read over HTTP like the journey does."""
    answer = httpx.get(
        f"http://127.0.0.1:{portal.port}/_outbox/api/messages",
        headers={"Host": f"portal.localhost:{portal.port}"},
        timeout=5,
    )
    found = re.search(r"\b(\d{6})\b", answer.json()["messages"][0]["body"])
    assert found
    return found.group(1)


def tick_captcha(page: Page) -> None:
    frame = page.frame_locator("#captcha iframe[src*='/widget']")
    frame.locator("#captcha-checkbox").click()


def fill_credentials(page: Page) -> None:
    page.fill("#identifiant", DEMO_IDENTIFIER)
    page.fill("#mot-de-passe", DEMO_PASSWORD)


def test_captcha_pass_mode_writes_the_token_and_login_completes(
    page: Page, portal: EmbeddedPortal
) -> None:
    page.goto(portal.url + "connexion")
    expect(page.locator("#captcha iframe")).to_have_attribute("src", re.compile("/widget"))
    expect(page.locator("#captcha-token")).to_have_value("")
    tick_captcha(page)
    expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
    expect(page.locator("#captcha-token")).not_to_have_value("")
    fill_credentials(page)
    page.click("#se-connecter")
    expect(page).to_have_url(re.compile("/code-securite$"))
    expect(page.locator("#message")).to_contain_text("Un code de sécurité a été envoyé par SMS")


def test_full_login_with_code_from_outbox_then_attestation_download(
    page: Page, portal: EmbeddedPortal
) -> None:
    page.goto(portal.url + "connexion")
    tick_captcha(page)
    expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
    fill_credentials(page)
    page.click("#se-connecter")
    page.fill("#code", outbox_code(portal))
    page.click("#valider-code")
    expect(page.locator("#titre-compte")).to_be_visible()
    with page.expect_download() as info:
        page.click("#telecharger-attestation")
    download = info.value
    assert download.suggested_filename == "attestation-droits.pdf"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF-") and b"Attestation de droits" in content


def test_captcha_interactive_mode_needs_the_verify_button(
    page: Page, interactive_portal: EmbeddedPortal
) -> None:
    page.goto(interactive_portal.url + "connexion")
    tick_captcha(page)
    frame = page.frame_locator("#captcha iframe")
    verify = frame.locator("#captcha-verify")
    expect(verify).to_be_visible()
    expect(page.locator("#captcha-token")).to_have_value("")
    verify.click()
    expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
    fill_credentials(page)
    page.click("#se-connecter")
    expect(page).to_have_url(re.compile("/code-securite$"))


def test_captcha_fail_mode_shows_the_failure_and_login_is_refused(
    page: Page, failing_portal: EmbeddedPortal
) -> None:
    page.goto(failing_portal.url + "connexion")
    tick_captcha(page)
    frame = page.frame_locator("#captcha iframe")
    expect(frame.locator("#captcha-status")).to_have_text("Échec de la vérification")
    expect(page.locator("#captcha")).to_have_attribute("data-state", "failed")
    expect(page.locator("#captcha-token")).to_have_value("")
    fill_credentials(page)
    page.click("#se-connecter")
    expect(page.locator("#message")).to_contain_text("Vérification anti-robot")


def test_captcha_never_mode_keeps_spinning_without_a_token(
    page: Page, never_portal: EmbeddedPortal
) -> None:
    page.goto(never_portal.url + "connexion")
    # The vendor's answer is where a token would come from: once it is in, look.
    with page.expect_response(lambda r: r.url.endswith("/api/verify")) as answered:
        tick_captcha(page)
    assert answered.value.json()["result"] == "pending"
    frame = page.frame_locator("#captcha iframe")
    expect(frame.locator("#captcha-spinner")).to_be_visible()
    expect(frame.locator("#captcha-widget")).to_have_attribute("data-state", "checking")
    expect(page.locator("#captcha-token")).to_have_value("")
    assert page.locator("#captcha").get_attribute("data-state") != "verified"


def test_portal_and_captcha_are_distinct_sites(browser: Browser, portal: EmbeddedPortal) -> None:
    # CSP bypassed only so that the test may fetch across sites from inside the frame.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        with page.expect_request(re.compile(r"/widget\?")) as widget_request:
            page.goto(portal.url + "connexion")
        headers = widget_request.value.all_headers()
        assert headers.get("sec-fetch-site") == "cross-site"
        assert headers.get("sec-fetch-dest") == "iframe"

        context.add_cookies(
            [{"name": "strict_probe", "value": "1", "url": portal.url, "sameSite": "Strict"}]
        )
        target = portal.url + "_outbox/api/messages"
        fetch = "url => fetch(url, {credentials: 'include', mode: 'no-cors'}).then(() => true)"

        def cookie_sent_from(frame: Frame) -> str:
            with page.expect_request(lambda r: r.url == target) as sent:
                frame.evaluate(fetch, target)
            return sent.value.all_headers().get("cookie", "")

        # Same site: the portal's own page sends its Strict cookie ...
        assert "strict_probe" in cookie_sent_from(page.main_frame)
        # ... a request to the portal started by the CAPTCHA frame does not.
        widget = next(f for f in page.frames if "/widget" in f.url)
        assert "strict_probe" not in cookie_sent_from(widget)
    finally:
        context.close()


def test_captcha_works_in_a_default_profile_that_blocks_third_party_cookies(
    browser_type: BrowserType, portal: EmbeddedPortal, tmp_path: Path, probe_chromium: object
) -> None:
    from probe.browsers.chromium.discovery import Chromium

    assert isinstance(probe_chromium, Chromium)
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
        widget = next(f for f in page.frames if "/widget" in f.url)
        # Inside the cross-site frame, unpartitioned (third-party) cookies are off.
        assert widget.evaluate("document.hasStorageAccess()") is False
        tick_captcha(page)
        expect(page.locator("#captcha")).to_have_attribute(
            "data-state", "verified", timeout=TIMEOUT_MS
        )
        fill_credentials(page)
        page.click("#se-connecter")
        expect(page).to_have_url(re.compile("/code-securite$"), timeout=TIMEOUT_MS)
    finally:
        context.close()


def _wait_for_cached_login_page(page: Page) -> None:
    # Polled from here: wait_for_function compiles its predicate with eval in the page,
    # which the portal's Content-Security-Policy refuses once the page has loaded.
    check = (
        "async () => navigator.serviceWorker.controller !== null"
        " && Boolean(await caches.match('/connexion'))"
    )
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not page.evaluate(check):
        assert time.monotonic() < deadline, "the service worker never cached the login page"
        page.wait_for_timeout(100)


def test_stale_service_worker_keeps_the_old_release_until_site_data_is_cleared(
    page: Page, portal: EmbeddedPortal
) -> None:
    page.goto(portal.url + "connexion")
    _wait_for_cached_login_page(page)
    portal.set_config(PortalConfig(release=2))

    # Reloading does not update the worker: it keeps serving the release-1 page.
    for _ in range(2):
        response = page.goto(portal.url + "connexion")
        assert response is not None and response.from_service_worker
        expect(page.locator("#version-portail")).to_have_text("1")
    tick_captcha(page)
    expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
    fill_credentials(page)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#se-connecter")
    assert posted.value.status == 409
    expect(page.locator("#message")).to_contain_text("obsolète")

    # What the message tells the person to do: clear the site's data.
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Storage.clearDataForOrigin",
        {"origin": portal.url.rstrip("/"), "storageTypes": "all"},
    )
    response = page.goto(portal.url + "connexion")
    assert response is not None and not response.from_service_worker
    expect(page.locator("#version-portail")).to_have_text("2")
    tick_captcha(page)
    expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
    fill_credentials(page)
    page.click("#se-connecter")
    expect(page).to_have_url(re.compile("/code-securite$"))


def test_a_cached_login_page_of_the_current_release_still_logs_in(
    page: Page, portal: EmbeddedPortal
) -> None:
    page.goto(portal.url + "connexion")
    _wait_for_cached_login_page(page)
    # Even with a new session, the cached page gets the current CSRF token.
    page.context.clear_cookies()
    response = page.goto(portal.url + "connexion")
    assert response is not None and response.from_service_worker
    tick_captcha(page)
    expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
    fill_credentials(page)
    page.click("#se-connecter")
    expect(page).to_have_url(re.compile("/code-securite$"))


def test_without_service_worker_a_release_switch_is_harmless(page: Page) -> None:
    with EmbeddedPortal(PortalConfig(service_worker=False)) as portal:
        page.goto(portal.url + "connexion")
        # The page asks for its worker while it loads, and goto() waits for the load event:
        # by now a registration would exist.
        registrations = "navigator.serviceWorker.getRegistrations().then((found) => found.length)"
        assert page.evaluate(registrations) == 0
        assert page.evaluate("navigator.serviceWorker.controller") is None
        portal.set_config(PortalConfig(release=2, service_worker=False))
        response = page.goto(portal.url + "connexion")
        assert response is not None and not response.from_service_worker
        expect(page.locator("#version-portail")).to_have_text("2")
        tick_captcha(page)
        expect(page.locator("#captcha")).to_have_attribute("data-state", "verified")
        fill_credentials(page)
        page.click("#se-connecter")
        expect(page).to_have_url(re.compile("/code-securite$"))
