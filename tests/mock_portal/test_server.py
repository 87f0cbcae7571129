"""The embedded portal over real HTTP: a uvicorn thread on a free loopback port."""

from __future__ import annotations

import errno
import threading
import time
from contextlib import suppress

import anyio
import httpx
import pytest
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from probe.app.cli import app
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.server import ThreadedServer
from probe.mock_portal.state import MaintenanceConfig, PortalConfig


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


# ---------------------------------------------------------------- the thread server itself


def test_threaded_server_serves_any_app_on_a_free_port_and_stops_with_a_request_hanging() -> None:
    reached = threading.Event()

    async def hangs(scope: Scope, receive: Receive, send: Send) -> None:
        reached.set()
        await anyio.sleep(60)

    with ThreadedServer(hangs) as server, ThreadedServer(hangs) as other:
        assert server.port > 0 and other.port not in (0, server.port)
        hanging = threading.Thread(
            target=lambda: suppress_transport_errors(f"http://127.0.0.1:{server.port}/"),
            daemon=True,
        )
        hanging.start()
        assert reached.wait(timeout=10), "the request never reached the app"
        server.stop()  # the test's timeout catches a stop() that hangs
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{server.port}/", timeout=1)
    hanging.join(timeout=10)
    assert not hanging.is_alive()


def suppress_transport_errors(url: str) -> None:
    with suppress(httpx.TransportError):
        httpx.get(url, timeout=30)


def test_a_port_already_taken_is_an_os_error_before_any_thread_starts() -> None:
    async def empty(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("never called")

    with ThreadedServer(empty) as first:
        threads = threading.active_count()
        with pytest.raises(OSError) as caught:
            ThreadedServer(empty, port=first.port).start()
        assert caught.value.errno == errno.EADDRINUSE
        assert threading.active_count() == threads


def test_probe_portal_on_a_taken_port_says_so_in_one_line() -> None:
    with EmbeddedPortal() as taken:
        done = CliRunner().invoke(app, ["portal", "serve", "--port", str(taken.port)])
    assert done.exit_code == 2
    assert (
        done.output.strip()
        .splitlines()[-1]
        .endswith(
            f"--port {taken.port}: cannot listen there (Address already in use); try --port 0"
        )
    )
