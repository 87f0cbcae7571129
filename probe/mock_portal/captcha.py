"""The mock CAPTCHA vendor (``captcha.localhost``) and the portal's server-side token check.

Modelled on Cloudflare Turnstile: the portal page loads the vendor's ``api.js``, which
inserts an iframe from the vendor's own origin. The checkbox inside talks only to that
origin (``fetch`` POST, no cookies: third-party cookies are blocked in Debian's
Chromium and in incognito windows, and the widget must work there), then hands the
token to the parent page with ``postMessage``, both sides checking the other's origin.

Tokens are signed with the runtime secret, bound to the site key, short-lived and
single-use. The vendor's behaviour (``CaptchaConfig.mode``) mirrors Turnstile's test
keys: ``pass``, ``fail``, ``interactive`` (a second click on ``#captcha-verify``) and
``never`` (the spinner never stops).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.sessions import runtime_of, sibling_origin, templates_of

# The portal's site key, and the host it is registered for (Turnstile binds both).
SITE_KEY = "cle-site-portail-demo"
REGISTERED_HOSTS = {SITE_KEY: "portal.localhost"}

CHALLENGE_TTL_SECONDS = 300
STATIC = Path(__file__).parent / "static" / "captcha"


def _tokens(runtime: PortalRuntime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.secret, salt="captcha-token")


def _challenges(runtime: PortalRuntime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.secret, salt="captcha-challenge")


def issue_token(runtime: PortalRuntime, site_key: str) -> str:
    """A signed token proving one solved challenge for ``site_key``."""
    return _tokens(runtime).dumps({"k": site_key, "n": secrets.token_urlsafe(12)})


def verify_token(runtime: PortalRuntime, token: str, site_key: str = SITE_KEY) -> bool:
    """The portal's server-side check: signed by us, for this site key, fresh, unused."""
    if not token:
        return False
    try:
        claims: Any = _tokens(runtime).loads(
            token, max_age=runtime.config.captcha.token_ttl_seconds
        )
    except (SignatureExpired, BadSignature):
        return False
    if not isinstance(claims, dict) or claims.get("k") != site_key:
        return False
    with runtime.lock:
        if token in runtime.used_captcha_tokens:
            return False
        runtime.used_captcha_tokens.add(token)
    return True


def _parent_allowed(site_key: str, parent: str) -> bool:
    host = REGISTERED_HOSTS.get(site_key)
    if host is None:
        return False
    scheme, _, rest = parent.partition("://")
    hostname = rest.split(":", 1)[0]
    return scheme in ("http", "https") and hostname == host and "/" not in rest


def _vendor_headers(request: Request, *, frame: bool) -> dict[str, str]:
    portal = sibling_origin(request, "portal")
    policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'"
    policy += f"; frame-ancestors {portal}" if frame else "; frame-ancestors 'none'"
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


async def api_js(request: Request) -> Response:
    response = FileResponse(STATIC / "api.js", media_type="text/javascript")
    # Loaded as a classic script by the portal's page, from another site.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cache-Control"] = "no-cache"
    return response


async def widget_asset(request: Request) -> Response:
    name = request.path_params["name"]
    media = {"widget.js": "text/javascript", "widget.css": "text/css"}
    if name not in media:
        return Response("Not Found", status_code=404, media_type="text/plain")
    response = FileResponse(STATIC / name, media_type=media[name])
    response.headers["Cache-Control"] = "no-cache"
    return response


async def widget(request: Request) -> Response:
    """The page inside the iframe: the checkbox, its status line, the verify button."""
    site_key = request.query_params.get("sitekey", "")
    parent = request.query_params.get("parent", "")
    valid = _parent_allowed(site_key, parent)
    return templates_of(request).TemplateResponse(
        request,
        "captcha/widget.html",
        {"site_key": site_key, "parent": parent if valid else "", "valid": valid},
        status_code=200 if valid else 400,
        headers=_vendor_headers(request, frame=True),
    )


async def verify(request: Request) -> Response:
    """The widget's one call: what the vendor answers after a click, per configured mode."""
    runtime = runtime_of(request)
    headers = _vendor_headers(request, frame=False)
    try:
        body = json.loads(await request.body())
    # Deeply nested JSON overflows the parser's recursion: bad input, not a server error.
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        refusal = {"result": "error", "message": "Requête invalide : objet JSON attendu."}
        return JSONResponse(refusal, status_code=400, headers=headers)
    site_key = str(body.get("sitekey", ""))
    if not _parent_allowed(site_key, str(body.get("parent", ""))):
        return JSONResponse({"result": "error"}, status_code=400, headers=headers)
    config = runtime.config.captcha
    ttl = config.token_ttl_seconds
    match config.mode:
        case "pass":
            answer: dict[str, Any] = {"result": "pass", "token": issue_token(runtime, site_key)}
        case "fail":
            answer = {"result": "fail"}
        case "never":
            answer = {"result": "pending"}
        case "interactive":
            challenge = body.get("challenge")
            if isinstance(challenge, str) and _challenge_ok(runtime, challenge, site_key):
                answer = {"result": "pass", "token": issue_token(runtime, site_key)}
            else:
                answer = {"result": "challenge", "challenge": _challenges(runtime).dumps(site_key)}
    answer["ttl"] = ttl
    return JSONResponse(answer, headers=headers)


def _challenge_ok(runtime: PortalRuntime, challenge: str, site_key: str) -> bool:
    try:
        signed_key = _challenges(runtime).loads(challenge, max_age=CHALLENGE_TTL_SECONDS)
    except (SignatureExpired, BadSignature):
        return False
    return bool(signed_key == site_key)


def routes() -> list[BaseRoute]:
    """The vendor's site, mounted on ``captcha.localhost``."""
    return [
        Route("/api.js", api_js),
        Route("/widget", widget),
        Route("/assets/{name}", widget_asset),
        Route("/api/verify", verify, methods=["POST"]),
    ]
