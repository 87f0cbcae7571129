"""The portal's side of the FranceConnect-like login: an OpenID Connect client.

``GET /franceconnect/start`` draws a fresh ``state`` and ``nonce``, keeps them in the
portal session and in a signed, HttpOnly, SameSite=Lax cookie (``fc_state``, scoped to
``/franceconnect``), then redirects to the idp's ``/authorize``. ``GET
/franceconnect/callback`` checks the ``state`` against both, redeems the ``code`` at the
idp's token endpoint (``oidc.exchange_code``, the back-channel), verifies the ID token
and its ``nonce``, maps the identity to an account by identifier, and logs the session
in under a new id (no second factor: the partner authenticated the person).

The flow uses top-level navigations only; SameSite=Lax cookies ride along on them, and
third-party cookie blocking does not apply. Both routes sit behind the portal's guards
(maintenance, rate limit, CSP). ``app.py`` mounts :func:`portal_routes` on the portal
site and :func:`idp_routes` on ``idp.localhost``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from probe.mock_portal import accounts, idp, oidc
from probe.mock_portal.login import RIGHTS_NOT_OPEN
from probe.mock_portal.runtime import PortalRuntime
from probe.mock_portal.sessions import (
    ensure_session,
    get_session,
    login_as,
    redirect,
    render,
    runtime_of,
    sibling_origin,
    with_session_cookie,
)

STATE_COOKIE = "fc_state"
STATE_COOKIE_PATH = "/franceconnect"
STATE_MAX_AGE_SECONDS = 600

DISABLED = (
    "La connexion avec FranceConnect n'est pas proposée pour le moment. Connectez-vous "
    "avec votre numéro de sécurité sociale et votre mot de passe."
)
# Mentions cookies on purpose: without the state cookie, the likeliest cause is a
# browser that refuses the portal's cookies.
STATE_MISSING = (
    "Connexion FranceConnect interrompue : votre navigateur n'a pas renvoyé le cookie de "
    "connexion du portail, ou la demande a expiré. Autorisez les cookies pour ce site, "
    "puis recommencez depuis la page de connexion."
)
STATE_MISMATCH = (
    "Connexion FranceConnect interrompue : la réponse reçue ne correspond pas à votre "
    "demande de connexion (autre onglet, ou demande trop ancienne). Recommencez depuis la "
    "page de connexion."
)
RESPONSE_REFUSED = (
    "Connexion FranceConnect refusée : la réponse d'identité reçue n'a pas pu être "
    "vérifiée, ou elle a déjà servi. Recommencez depuis la page de connexion."
)
IDENTITY_REJECTED = (
    "Connexion FranceConnect impossible : le partenaire choisi n'a pas pu confirmer votre "
    "identité. Choisissez un autre compte, ou connectez-vous avec votre numéro de sécurité "
    "sociale et votre mot de passe."
)
NO_ACCOUNT = (
    "Connexion FranceConnect impossible : aucun compte de ce portail ne correspond à "
    "l'identité transmise par le partenaire. Connectez-vous avec votre numéro de sécurité "
    "sociale, ou créez votre compte."
)
IDP_FAILED = (
    "Connexion FranceConnect impossible : le service d'identité a signalé une erreur. "
    "Réessayez plus tard, ou connectez-vous avec votre numéro de sécurité sociale."
)


@dataclass(frozen=True)
class PendingLogin:
    """What the portal expects back from the idp for the flow in progress."""

    state: str
    nonce: str


def _signer(runtime: PortalRuntime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.secret, salt="franceconnect-state")


def _read_state_cookie(request: Request) -> PendingLogin | None:
    raw = request.cookies.get(STATE_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _signer(runtime_of(request)).loads(raw, max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict):
        return None
    state, nonce = data.get("state"), data.get("nonce")
    if not isinstance(state, str) or not isinstance(nonce, str):
        return None
    return PendingLogin(state, nonce)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _refuse(request: Request, status_code: int, message: str, *, forget: bool = True) -> Response:
    response = render(
        request,
        "erreur.html",
        {"title": "Connexion avec FranceConnect", "message": message},
        status_code=status_code,
    )
    if forget:
        response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH, httponly=True, samesite="lax")
    return response


async def start(request: Request) -> Response:
    """Begin the flow: remember state and nonce, send the person to the idp."""
    runtime = runtime_of(request)
    if not runtime.config.identity_provider.enabled:
        return _refuse(request, 404, DISABLED, forget=False)
    pending = PendingLogin(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
    session = ensure_session(request)
    with runtime.lock:
        session.oidc_state, session.oidc_nonce = pending.state, pending.nonce
    query = urlencode(
        {
            "response_type": "code",
            "client_id": oidc.CLIENT_ID,
            "redirect_uri": sibling_origin(request, "portal") + oidc.CALLBACK_PATH,
            "scope": "openid",
            "state": pending.state,
            "nonce": pending.nonce,
        }
    )
    response = RedirectResponse(f"{sibling_origin(request, 'idp')}/authorize?{query}", 302)
    response.set_cookie(
        STATE_COOKIE,
        _signer(runtime).dumps({"state": pending.state, "nonce": pending.nonce}),
        max_age=STATE_MAX_AGE_SECONDS,
        path=STATE_COOKIE_PATH,
        httponly=True,
        samesite="lax",
    )
    return with_session_cookie(request, response)


async def callback(request: Request) -> Response:
    """The idp's answer: check state, redeem the code, check the nonce, log in."""
    runtime = runtime_of(request)
    if not runtime.config.identity_provider.enabled:
        return _refuse(request, 404, DISABLED)
    expected = _read_state_cookie(request)
    if expected is None:
        return _refuse(request, 400, STATE_MISSING, forget=False)
    state = request.query_params.get("state", "")
    session = get_session(request)
    session_state = session.oidc_state if session else None
    # Kept on a mismatch: a forged callback must not cancel the person's own flow.
    if not _same(state, expected.state) or (
        session_state is not None and not _same(state, session_state)
    ):
        return _refuse(request, 400, STATE_MISMATCH, forget=False)
    if session is not None:
        with runtime.lock:
            session.oidc_state = session.oidc_nonce = None
    error = request.query_params.get("error")
    if error == "access_denied":
        return _refuse(request, 403, IDENTITY_REJECTED)
    if error is not None:
        return _refuse(request, 502, IDP_FAILED)
    identity = _redeem(request, runtime, request.query_params.get("code", ""))
    if identity is None or not _same(identity.nonce, expected.nonce):
        return _refuse(request, 400, RESPONSE_REFUSED)
    account = accounts.find_exact(runtime, identity.identifier)
    if account is None:
        return _refuse(request, 403, NO_ACCOUNT)
    # A locked password does not lock FranceConnect out (it is the suggested way back in);
    # an account whose rights are not open cannot be used by any route.
    if account.status == "rights-not-open":
        return _refuse(request, 403, RIGHTS_NOT_OPEN)
    login_as(request, account.identifier)
    response = redirect(request, "/compte")
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH, httponly=True, samesite="lax")
    return response


def _redeem(request: Request, runtime: PortalRuntime, code: str) -> oidc.Identity | None:
    """The back-channel: code for tokens at the idp, then the ID token's checks."""
    if not code:
        return None
    issuer = sibling_origin(request, "idp")
    answer = oidc.exchange_code(
        runtime,
        oidc.TokenRequest(
            grant_type=oidc.GRANT_TYPE,
            code=code,
            redirect_uri=sibling_origin(request, "portal") + oidc.CALLBACK_PATH,
            client_id=oidc.CLIENT_ID,
            client_secret=oidc.client_secret(runtime),
        ),
        issuer=issuer,
    )
    if isinstance(answer, oidc.TokenRefusal):
        return None
    return oidc.verify_id_token(
        answer.id_token, key=oidc.client_secret(runtime), issuer=issuer, audience=oidc.CLIENT_ID
    )


def portal_routes() -> list[BaseRoute]:
    """The client's two routes, mounted on portal.localhost behind the portal's guards."""
    return [
        Route("/franceconnect/start", start),
        Route("/franceconnect/callback", callback),
    ]


def idp_routes() -> list[BaseRoute]:
    """The whole idp.localhost site."""
    return idp.routes()
