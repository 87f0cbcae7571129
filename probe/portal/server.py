"""The embedded portal: the app served by uvicorn in a daemon thread, on a loopback port.

    with EmbeddedPortal() as portal:
        print(portal.url + "connexion")   # http://portal.localhost:PORT/connexion

Chromium resolves ``*.localhost`` to loopback by itself; Python clients must connect to
``127.0.0.1:PORT`` and send the ``Host`` header of the site they want.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from probe.errors import PortalFailure
from probe.portal.app import create_app
from probe.portal.runtime import PortalRuntime
from probe.portal.state import PortalConfig

START_TIMEOUT_SECONDS = 10.0


class _ThreadedServer(uvicorn.Server):
    """A uvicorn server that tells when it is listening (httpx's test-suite pattern)."""

    @property
    def port(self) -> int:
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise PortalFailure("the embedded portal is not listening")


class EmbeddedPortal:
    """The mock portal on a free loopback port, as a context manager."""

    def __init__(
        self, config: PortalConfig | None = None, *, port: int = 0, host: str = "127.0.0.1"
    ) -> None:
        self.app = create_app(config)
        self.runtime: PortalRuntime = self.app.state.runtime
        self._requested_port = port
        self._host = host
        self._server: _ThreadedServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://portal.localhost:{self.port}/"

    @property
    def captcha_url(self) -> str:
        return f"http://captcha.localhost:{self.port}/"

    @property
    def idp_url(self) -> str:
        return f"http://idp.localhost:{self.port}/"

    @property
    def outbox_url(self) -> str:
        return f"{self.url}_outbox/api/messages"

    def set_config(self, config: PortalConfig) -> None:
        """Switch the running portal to another state (e.g. a new release), live."""
        self.runtime.set_config(config)

    def start(self) -> EmbeddedPortal:
        if self._thread is not None:
            return self
        config = uvicorn.Config(
            self.app,
            host=self._host,
            port=self._requested_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            # Keep-alive connections from a browser must not hold up stop().
            timeout_graceful_shutdown=1,
            timeout_keep_alive=2,
        )
        server = _ThreadedServer(config)
        thread = threading.Thread(target=server.run, name="embedded-portal", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(timeout=2)
                raise PortalFailure(
                    f"the embedded portal could not listen on {self._host}:{self._requested_port}"
                )
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self.port = server.port
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=3)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=2)
        self._server = self._thread = None

    def __enter__(self) -> EmbeddedPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
