"""The FranceConnect-like identity provider, the whole ``idp.localhost`` site.

``GET /authorize`` (OIDC authorization request from the portal) shows the partner
chooser; a partner's login page (``/partenaire/<id>``) checks the person's credentials
and sends them back to the portal's ``redirect_uri`` with a code, or with
``error=access_denied`` when the partner refuses the identity. ``POST /token`` is the
back-channel (see ``probe.mock_portal.oidc``).

Demo credentials at every partner: any identifier (the portal's accounts use their own,
e.g. ``DEMO_IDENTIFIER``) with ``DEMO_PARTNER_PASSWORD`` from ``probe.mock_portal.state``.

The idp is another operator than the portal: its own session cookie (signed, HttpOnly,
SameSite=Lax, on ``idp.localhost``) carries the pending authorization request and the
CSRF token of its forms, and its own security headers. The portal's maintenance mode
does not reach it; each partner's mode (``ok``, ``down``, ``rejected``) comes from
``IdentityProviderConfig.partners``. Every step is a top-level navigation, so blocked
third-party cookies do not get in the way.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from probe.mock_portal import oidc
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.sessions import form_text, runtime_of, sibling_origin, templates_of
from probe.mock_portal.state import DEMO_PARTNER_PASSWORD

SESSION_COOKIE = "session_idp"
SESSION_MAX_AGE_SECONDS = 1800
STYLESHEET = Path(__file__).parent / "static" / "idp" / "idp.css"


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    hint: str  # one line under the name on the chooser
    identifier_label: str


PARTNERS: dict[str, Partner] = {
    "impots": Partner(
        "impots",
        "impots.gouv.fr",
        "Le compte de votre espace particulier des impôts",
        "Numéro fiscal",
    ),
    "identite-numerique": Partner(
        "identite-numerique",
        "L'Identité Numérique La Poste",
        "L'identité vérifiée par La Poste, avec son application mobile",
        "Adresse e-mail ou identifiant La Poste",
    ),
    "msa": Partner(
        "msa",
        "MSA",
        "Le compte de la Mutualité sociale agricole",
        "Numéro de sécurité sociale",
    ),
}

COOKIES_REFUSED = (
    "Votre session FranceConnect n'a pas été reconnue : les cookies semblent bloqués pour "
    "ce site, ou la page est restée ouverte trop longtemps. Autorisez les cookies, puis "
    "recommencez depuis le site du service."
)
INVALID_REQUEST = (
    "Demande de connexion FranceConnect invalide : le service qui vous a envoyé ici a fait "
    "une demande incorrecte. Revenez sur son site et recommencez."
)
REQUEST_EXPIRED = (
    "Demande de connexion FranceConnect expirée ou introuvable. Revenez sur le site du "
    "service et recommencez."
)
WRONG_CREDENTIALS = "Identifiant ou mot de passe incorrect. Vérifiez votre saisie et réessayez."


def partner_down_message(partner: Partner) -> str:
    return (
        f"Partenaire indisponible : le service {partner.name} ne répond pas pour le moment. "
        "Choisissez un autre compte, ou réessayez plus tard."
    )


# ----- the idp's own session (a signed cookie: the idp keeps nothing server-side) -----


@dataclass(frozen=True)
class IdpSession:
    csrf_token: str
    pending: oidc.AuthorizationRequest | None = None


def _signer(runtime: PortalRuntime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.secret, salt="idp-session")


def read_session(request: Request) -> IdpSession | None:
    """The idp session the request's cookie carries; None when missing, forged or old."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _signer(runtime_of(request)).loads(raw, max_age=SESSION_MAX_AGE_SECONDS)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    return IdpSession(data["csrf"], oidc.AuthorizationRequest.from_dict(data.get("pending")))


def _store_session(request: Request, response: Response, session: IdpSession) -> Response:
    data = {"csrf": session.csrf_token, "pending": session.pending and session.pending.as_dict()}
    value = _signer(runtime_of(request)).dumps(data)
    response.set_cookie(SESSION_COOKIE, value, path="/", httponly=True, samesite="lax")
    return response


def _csrf_ok(session: IdpSession | None, sent: str) -> bool:
    return session is not None and hmac.compare_digest(sent.encode(), session.csrf_token.encode())


# ----- pages -----


def security_headers(request: Request) -> dict[str, str]:
    """The idp's own policy: its pages post to itself, and its login form's answer
    redirects to the portal (Chromium applies ``form-action`` to that redirect too)."""
    portal = sibling_origin(request, "portal")
    policy = "; ".join(
        (
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"form-action 'self' {portal}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _page(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    session: IdpSession | None = None,
) -> Response:
    full: dict[str, Any] = {
        "message": None,
        "message_kind": "error",
        "csrf_token": session.csrf_token if session else "",
        "portal_origin": sibling_origin(request, "portal"),
        "can_choose_again": bool(session and session.pending),
        **context,
    }
    response = templates_of(request).TemplateResponse(
        request, template, full, status_code=status_code, headers=security_headers(request)
    )
    return _store_session(request, response, session) if session else response


def _error(
    request: Request, status_code: int, message: str, session: IdpSession | None = None
) -> Response:
    context = {"title": "Connexion impossible", "message": message}
    return _page(request, "idp_erreur.html", context, status_code, session)


def _chooser(request: Request, session: IdpSession) -> Response:
    partners = [
        PARTNERS.get(pid, Partner(pid, pid, "", "Identifiant"))
        for pid in runtime_of(request).config.identity_provider.partners
    ]
    context = {"title": "Je choisis un compte pour me connecter", "partners": partners}
    return _page(request, "idp_choix.html", context, session=session)


def _partner(request: Request) -> Partner | None:
    partner_id = request.path_params["partner"]
    if partner_id not in runtime_of(request).config.identity_provider.partners:
        return None
    return PARTNERS.get(partner_id, Partner(partner_id, partner_id, "", "Identifiant"))


async def authorize(request: Request) -> Response:
    """The authorization endpoint: check the client's request, then offer the partners."""
    params = request.query_params
    expected_redirect = sibling_origin(request, "portal") + oidc.CALLBACK_PATH
    # An unknown client or redirect is answered here, never by redirecting (open redirect).
    if params.get("client_id") != oidc.CLIENT_ID or params.get("redirect_uri") != expected_redirect:
        return _error(request, 400, INVALID_REQUEST)
    state, nonce = params.get("state", ""), params.get("nonce", "")
    scopes = params.get("scope", "").split()
    if params.get("response_type") != "code" or "openid" not in scopes or not state or not nonce:
        return _error(request, 400, INVALID_REQUEST)
    previous = read_session(request)
    session = IdpSession(
        csrf_token=previous.csrf_token if previous else secrets.token_urlsafe(32),
        pending=oidc.AuthorizationRequest(oidc.CLIENT_ID, expected_redirect, state, nonce),
    )
    return _chooser(request, session)


async def chooser_again(request: Request) -> Response:
    """The chooser for the request in progress (the "another account" link)."""
    session = read_session(request)
    if session is None or session.pending is None:
        return _error(request, 400, REQUEST_EXPIRED)
    return _chooser(request, session)


async def choose(request: Request) -> Response:
    form = await request.form()
    session = read_session(request)
    if not _csrf_ok(session, form_text(form, "csrf_token")):
        return _error(request, 400, COOKIES_REFUSED)
    assert session is not None
    if session.pending is None:
        return _error(request, 400, REQUEST_EXPIRED, session)
    partner_id = form_text(form, "partenaire")
    if partner_id not in runtime_of(request).config.identity_provider.partners:
        return _error(request, 400, INVALID_REQUEST, session)
    return RedirectResponse(f"/partenaire/{partner_id}", status_code=303)


def _login_page(
    request: Request,
    partner: Partner,
    session: IdpSession,
    status_code: int = 200,
    message: str | None = None,
    identifier: str = "",
) -> Response:
    context = {
        "title": f"Connexion avec {partner.name}",
        "partner": partner,
        "message": message,
        "identifier": identifier,
    }
    return _page(request, "idp_partenaire.html", context, status_code, session)


async def partner_login_page(request: Request) -> Response:
    partner = _partner(request)
    if partner is None:
        return await not_found_page(request)
    session = read_session(request)
    if _mode(request, partner) == "down":
        return _error(request, 502, partner_down_message(partner), session)
    if session is None or session.pending is None:
        return _error(request, 400, REQUEST_EXPIRED, session)
    return _login_page(request, partner, session)


async def partner_login(request: Request) -> Response:
    """The partner checks the person, then the idp answers the portal (code or refusal)."""
    partner = _partner(request)
    if partner is None:
        return await not_found_page(request)
    form = await request.form()
    session = read_session(request)
    if _mode(request, partner) == "down":
        return _error(request, 502, partner_down_message(partner), session)
    if not _csrf_ok(session, form_text(form, "csrf_token")):
        return _error(request, 400, COOKIES_REFUSED)
    assert session is not None
    pending = session.pending
    if pending is None:
        return _error(request, 400, REQUEST_EXPIRED, session)
    # A partner is its own system: it ignores stray spaces in its identifier.
    identifier = "".join(form_text(form, "identifiant").split())
    password = form_text(form, "mot_de_passe")
    if not identifier or not hmac.compare_digest(password.encode(), DEMO_PARTNER_PASSWORD.encode()):
        return _login_page(request, partner, session, 401, WRONG_CREDENTIALS, identifier)
    if _mode(request, partner) == "rejected":
        answer = {"error": "access_denied", "state": pending.state}
    else:
        code = oidc.issue_code(runtime_of(request), pending, identifier, partner.id)
        answer = {"code": code, "state": pending.state}
    response = RedirectResponse(f"{pending.redirect_uri}?{urlencode(answer)}", status_code=303)
    # The request is answered: it cannot be answered twice.
    return _store_session(request, response, IdpSession(session.csrf_token, None))


def _mode(request: Request, partner: Partner) -> str:
    return runtime_of(request).config.identity_provider.partners.get(partner.id, "down")


async def token(request: Request) -> Response:
    """The token endpoint over HTTP (client_secret_post), as a real client would call it."""
    form = await request.form()
    token_request = oidc.TokenRequest(
        grant_type=form_text(form, "grant_type"),
        code=form_text(form, "code"),
        redirect_uri=form_text(form, "redirect_uri"),
        client_id=form_text(form, "client_id"),
        client_secret=form_text(form, "client_secret"),
    )
    answer = oidc.exchange_code(
        runtime_of(request), token_request, issuer=sibling_origin(request, "idp")
    )
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if isinstance(answer, oidc.TokenRefusal):
        return JSONResponse(answer.as_json(), status_code=answer.status_code, headers=headers)
    return JSONResponse(answer.as_json(), headers=headers)


async def stylesheet(request: Request) -> Response:
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "no-cache"})


async def not_found_page(request: Request) -> Response:
    context = {"title": "Page introuvable", "message": "Cette page n'existe pas sur FranceConnect."}
    return _page(request, "idp_erreur.html", context, 404)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    response = await not_found_page(Request(scope, receive))
    await response(scope, receive, send)


def routes() -> list[BaseRoute]:
    """The whole idp.localhost site; unknown paths get the idp's own 404 page."""
    site = Router(
        routes=[
            Route("/authorize", authorize),
            Route("/choix", chooser_again),
            Route("/choisir", choose, methods=["POST"]),
            Route("/partenaire/{partner}", partner_login_page),
            Route("/partenaire/{partner}", partner_login, methods=["POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/assets/idp.css", stylesheet),
        ],
        default=_not_found,
    )
    return [Mount("", app=site)]
