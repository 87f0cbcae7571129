"""Serving an ASGI app from a daemon thread on a loopback port, and the embedded portal.

    with EmbeddedPortal() as portal:
        print(portal.url + "connexion")   # http://portal.localhost:PORT/connexion

    with ThreadedServer(any_asgi_app) as server:   # what the tests' small sites use
        print(server.port)

Chromium resolves ``*.localhost`` to loopback by itself; Python clients must connect to
``127.0.0.1:PORT`` and send the ``Host`` header of the site they want.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from probe.errors import PortalFailure
from probe.mock_portal.app import create_app
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.state import PortalConfig
from probe.mock_portal.tls import TlsFiles, temporary_untrusted_ca

START_TIMEOUT_SECONDS = 10.0


def sock_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


class ThreadedServer:
    """``app`` served by uvicorn in a daemon thread (httpx's test-suite pattern).

    Port 0 (the default) asks the system for a free port; ``port`` tells which it got once
    started. ``stop()`` returns within a few seconds even with browser keep-alive
    connections or requests still hanging open.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "the server",
        tls: TlsFiles | None = None,
    ) -> None:
        self.app = app
        self.tls = tls
        self.name = name
        self._host = host
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    def start(self) -> ThreadedServer:
        """Listen and serve; an address that cannot be bound raises ``OSError`` here."""
        if self._thread is not None:
            return self
        # Bound here, in the caller's thread: a taken port is an OSError the caller can
        # word for a person, not a SystemExit inside uvicorn's thread.
        sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn would
        try:
            sock.bind((self._host, self._requested_port))
        except OSError:
            sock.close()
            raise
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            # Keep-alive connections from a browser, and requests a test site leaves
            # hanging, must not hold up stop().
            timeout_graceful_shutdown=1,
            timeout_keep_alive=2,
            ssl_certfile=self.tls.certfile if self.tls else None,
            ssl_keyfile=self.tls.keyfile if self.tls else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(timeout=2)
                sock.close()
                raise PortalFailure(f"{self.name} did not start on {self._host}:{sock_port(sock)}")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        self.port = sock_port(sock)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        if server is None or thread is None or sock is None:
            return
        server.should_exit = True
        thread.join(timeout=3)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=2)
        sock.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmbeddedPortal:
    """The mock portal on a free loopback port, as a context manager."""

    def __init__(
        self,
        config: PortalConfig | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        tls: TlsFiles | None = None,
    ) -> None:
        app = create_app(config)
        self._tls_folder: tempfile.TemporaryDirectory[str] | None = None
        if tls is None and config is not None and config.tls == "untrusted-ca":
            self._tls_folder, tls = temporary_untrusted_ca()
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.runtime: PortalRuntime = app.state.runtime
        self.app: ASGIApp = app
        self._requested_port = port
        self._host = host
        self._server: ThreadedServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{self.scheme}://portal.localhost:{self.port}/"

    @property
    def captcha_url(self) -> str:
        return f"{self.scheme}://captcha.localhost:{self.port}/"

    @property
    def idp_url(self) -> str:
        return f"{self.scheme}://idp.localhost:{self.port}/"

    @property
    def outbox_url(self) -> str:
        return f"{self.url}_outbox/api/messages"

    def set_config(self, config: PortalConfig) -> None:
        """Switch the running portal to another state (e.g. a new release), live."""
        self.runtime.set_config(config)

    def start(self) -> EmbeddedPortal:
        if self._server is None:
            # ``self.app`` is read here, not in __init__: a test may wrap it first.
            server = ThreadedServer(
                self.app,
                host=self._host,
                port=self._requested_port,
                name="the embedded portal",
                tls=self.tls,
            )
            self._server = server.start()
            self.port = server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._tls_folder is not None:
            self._tls_folder.cleanup()
            self._tls_folder = None

    def __enter__(self) -> EmbeddedPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
