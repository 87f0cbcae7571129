"""The mock login portal as one Starlette app serving three sites, routed by host name.

``create_app(config)`` builds a fresh app with its own ``PortalRuntime``
(``app.state.runtime``); nothing is shared between two apps.

Sites: ``portal.localhost`` (the portal and its mock outbox), ``captcha.localhost``
(the CAPTCHA vendor), ``idp.localhost`` (the FranceConnect-like identity provider).
Any other host gets 404.

The default state has one working demo account: identifier ``DEMO_IDENTIFIER``
(``1850775123456``) with password ``DEMO_PASSWORD`` (``Ameli-Demo-2026!``), both in
``probe.mock_portal.state``; its security code goes by SMS to the outbox
(``/_outbox`` on the portal site).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Host, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send

from probe.mock_portal import captcha, enrolment, home, login, outbox
from probe.mock_portal.gateway import BodyLimit, PortalGate, content_security_policy
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.sessions import render
from probe.mock_portal.state import PortalConfig

HERE = Path(__file__).parent
PORTAL_HOST = "portal.localhost"
CAPTCHA_HOST = "captcha.localhost"
IDP_HOST = "idp.localhost"


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return Jinja2Templates(env=env)


def _error_page(request: Request, status_code: int) -> Response:
    texts = {
        404: ("Page introuvable", "Cette page n'existe pas ou n'existe plus."),
        405: ("Action impossible", "Cette action n'est pas possible sur cette page."),
    }
    title, text = texts.get(status_code, ("Erreur", "Une erreur est survenue."))
    response = render(request, "erreur.html", {"title": title, "message": text}, status_code)
    response.headers["Content-Security-Policy"] = content_security_policy(request)
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    status_code = exc.status_code if isinstance(exc, HTTPException) else 500
    if request.url.hostname == PORTAL_HOST:
        return _error_page(request, status_code)
    return PlainTextResponse("Not Found" if status_code == 404 else "Error", status_code)


async def _portal_not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await _error_page(Request(scope, receive), 404)(scope, receive, send)


async def _franceconnect_unavailable(request: Request) -> Response:
    return render(
        request,
        "erreur.html",
        {
            "title": "FranceConnect",
            "message": "La connexion avec FranceConnect n'est pas disponible sur ce portail "
            "de démonstration. Connectez-vous avec votre numéro de sécurité sociale.",
        },
        status_code=501,
    )


def franceconnect_routes() -> tuple[list[BaseRoute], list[BaseRoute]]:
    """Routes of the FranceConnect-like flow: (portal site routes, idp.localhost routes).

    ===== FranceConnect mount point =====
    ``probe/mock_portal/franceconnect.py`` (its own task) plugs in here by defining
    ``portal_routes() -> list[BaseRoute]`` (``/franceconnect/start``,
    ``/franceconnect/callback``, mounted on portal.localhost behind the same guards)
    and ``idp_routes() -> list[BaseRoute]`` (the whole idp.localhost site). It can use
    ``probe.mock_portal.sessions`` (``ensure_session``, ``login_as``, ``render``,
    ``set_session_cookie``, ``sibling_origin``) and put its templates under
    ``templates/franceconnect/``. Until it exists, the button leads to a 501 page.
    """
    name = "probe.mock_portal.franceconnect"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return [Route("/franceconnect/start", _franceconnect_unavailable)], []
    portal_routes: list[BaseRoute] = module.portal_routes()
    idp_routes: list[BaseRoute] = module.idp_routes()
    return portal_routes, idp_routes


def create_app(config: PortalConfig | None = None) -> Starlette:
    """A fresh portal app; ``app.state.runtime`` is its ``PortalRuntime``."""
    runtime = PortalRuntime(config or PortalConfig())
    fc_portal, fc_idp = franceconnect_routes()
    portal_site = Router(
        routes=[
            *login.routes(),
            *enrolment.routes(),
            *home.routes(),
            *outbox.routes(),
            *fc_portal,
            Mount("/static", StaticFiles(directory=HERE / "static" / "portail"), name="static"),
        ],
        default=_portal_not_found,
    )
    app = Starlette(
        routes=[
            Host(PORTAL_HOST, PortalGate(portal_site)),
            Host(CAPTCHA_HOST, Router(routes=captcha.routes())),
            Host(IDP_HOST, Router(routes=fc_idp)),
        ],
        exception_handlers={404: _http_error, 405: _http_error},
        middleware=[Middleware(BodyLimit)],
    )
    app.state.runtime = runtime
    app.state.templates = make_templates()
    return app
