"""The embedded portal over real HTTP: a uvicorn thread on a free loopback port."""

from __future__ import annotations

import time

import httpx

from probe.portal import EmbeddedPortal
from probe.portal.state import MaintenanceConfig, PortalConfig


def _get(portal: EmbeddedPortal, host: str, path: str) -> httpx.Response:
    return httpx.get(
        f"http://127.0.0.1:{portal.port}{path}",
        headers={"Host": f"{host}:{portal.port}"},
        timeout=5,
    )


def test_embedded_portal_serves_the_three_sites_on_one_port(portal: EmbeddedPortal) -> None:
    assert portal.port > 0
    assert portal.url == f"http://portal.localhost:{portal.port}/"
    assert portal.captcha_url == f"http://captcha.localhost:{portal.port}/"
    assert portal.idp_url == f"http://idp.localhost:{portal.port}/"
    assert portal.outbox_url == f"http://portal.localhost:{portal.port}/_outbox/api/messages"
    login = _get(portal, "portal.localhost", "/connexion")
    assert login.status_code == 200 and 'id="login-form"' in login.text
    assert f"http://captcha.localhost:{portal.port}/api.js" in login.text
    assert _get(portal, "captcha.localhost", "/api.js").status_code == 200
    assert _get(portal, "elsewhere.localhost", "/connexion").status_code == 404
    assert _get(portal, "portal.localhost", "/_outbox/api/messages").json() == {"messages": []}


def test_set_config_switches_the_running_portal(portal: EmbeddedPortal) -> None:
    portal.set_config(PortalConfig(maintenance=MaintenanceConfig(enabled=True)))
    assert _get(portal, "portal.localhost", "/connexion").status_code == 503
    portal.set_config(PortalConfig(release=2))
    page = _get(portal, "portal.localhost", "/connexion")
    assert page.status_code == 200 and 'name="version_formulaire" value="2"' in page.text


def test_two_portals_run_side_by_side_and_stop_quickly() -> None:
    with EmbeddedPortal() as first, EmbeddedPortal() as second:
        assert first.port != second.port
        # A keep-alive connection left open must not hold up stop().
        client = httpx.Client(headers={"Host": f"portal.localhost:{first.port}"})
        assert client.get(f"http://127.0.0.1:{first.port}/connexion").status_code == 200
        started = time.monotonic()
        first.stop()
        assert time.monotonic() - started < 3
        client.close()
    # Stopped: nothing listens on that port any more.
    try:
        httpx.get(f"http://127.0.0.1:{first.port}/", timeout=1)
    except httpx.TransportError:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("the portal still answers after stop()")
