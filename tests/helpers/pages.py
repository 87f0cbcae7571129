"""A tiny HTTP(S) server for pages a test writes: every request answered by one function.

It is a real server (not a Playwright route): what the browser sends really leaves it,
so a test can count what reached the "portal", and TLS is the network's own.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (method, path) -> (content type, body)
Answer = Callable[[str, str], tuple[str, str]]


@contextlib.contextmanager
def page_server(answer: Answer, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``answer`` on a free loopback port; yields the server's origin URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self._send(*answer("GET", self.path))

        def do_POST(self) -> None:  # noqa: N802
            self._send(*answer("POST", self.path))

        def _send(self, content_type: str, text: str) -> None:
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    host = "localhost" if tls is not None else "127.0.0.1"
    try:
        yield f"{scheme}://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
