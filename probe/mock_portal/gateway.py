"""What stands in front of the portal's pages, as a reverse proxy and the platform would.

In order: an over-large ``Cookie`` header (431, as nginx-like proxies refuse it), the
maintenance page (503), the per-client rate limit (429); then security headers on
every portal answer (a strict Content-Security-Policy that allows only the CAPTCHA
vendor's script and frame). All switched by ``PortalConfig``, never by the request.
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.sessions import render, runtime_of, sibling_origin

# Requests that are not pages or forms: they neither count towards the rate limit nor
# get the maintenance page (the stylesheet keeps error pages readable, and the mock
# outbox stands for the person's phone and mailbox, not for the portal).
NOT_PAGES = ("/static/", "/sw.js", "/favicon.ico", "/_outbox", "/connexion/jeton")


def _is_page(path: str) -> bool:
    return not any(path == p or path.startswith(p) for p in NOT_PAGES)


def cookie_header_bytes(scope: Scope) -> int:
    return sum(len(v) for k, v in scope.get("headers", []) if k == b"cookie")


def rate_limited(runtime: PortalRuntime, client: str) -> int | None:
    """Count one page request; the seconds to wait when the client is over its quota."""
    limits = runtime.config.rate_limit
    if not limits.enabled:
        return None
    now = time.monotonic()
    with runtime.lock:
        recent = [t for t in runtime.request_log.get(client, []) if now - t < limits.window_seconds]
        if len(recent) >= limits.max_requests:
            runtime.request_log[client] = recent
            if not recent:  # a quota of zero: refused for a whole window
                return max(1, limits.window_seconds)
            return max(1, int(limits.window_seconds - (now - recent[0])) + 1)
        recent.append(now)
        runtime.request_log[client] = recent
    return None


def content_security_policy(request: Request) -> str:
    captcha = sibling_origin(request, "captcha")
    idp = sibling_origin(request, "idp")
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {captcha}",
            f"frame-src {captcha}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            f"form-action 'self' {idp}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


class PortalGate:
    """ASGI middleware wrapped around the portal site (``portal.localhost``) only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        policy = content_security_policy(request)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            await send(message)

        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> ASGIApp | None:
        runtime = runtime_of(request)
        config = runtime.config
        path = request.url.path
        if cookie_header_bytes(request.scope) > config.max_cookie_header_bytes:
            return render(
                request,
                "erreur.html",
                {
                    "title": "Requête refusée",
                    "message": "En-têtes de requête trop volumineux : votre navigateur envoie "
                    "trop de cookies pour ce site. Supprimez les cookies de ce site, puis "
                    "rechargez la page.",
                },
                status_code=431,
            )
        if not _is_page(path):
            return None
        if config.maintenance.enabled:
            wait = config.maintenance.retry_after_seconds
            return render(
                request,
                "erreur.html",
                {
                    "title": "Service momentanément indisponible",
                    "message": "Service momentanément indisponible : le portail est en "
                    "maintenance. Merci de revenir plus tard, de préférence en dehors des "
                    "heures d'affluence.",
                },
                status_code=503,
                headers={"Retry-After": str(wait), "Cache-Control": "no-store"},
            )
        client = request.client.host if request.client else "inconnu"
        wait_for = rate_limited(runtime, client)
        if wait_for is not None:
            return render(
                request,
                "erreur.html",
                {
                    "title": "Trop de requêtes",
                    "message": "Trop de requêtes depuis votre connexion en peu de temps. "
                    f"Patientez environ {wait_for} secondes avant de réessayer.",
                },
                status_code=429,
                headers={"Retry-After": str(wait_for), "Cache-Control": "no-store"},
            )
        return None


# The portal's largest honest body is a form of a few fields (well under 4 KiB); the
# cap leaves room for that and refuses anything that could fill memory.
MAX_BODY_BYTES = 64 * 1024


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware around the whole app (all three sites): bodies over a cap get 413.

    A declared ``Content-Length`` over the cap is refused before anything is read; a
    body without one (chunked) is counted while the app reads it, and refused as soon
    as it passes the cap, so no more than the cap plus one chunk is ever held.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = [v for k, v in scope.get("headers", []) if k == b"content-length"]
        if declared and (not declared[0].isdigit() or int(declared[0]) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except _BodyTooLarge:
            if started:  # pragma: no cover - every handler reads its body before answering
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = "Requête trop volumineuse.\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
