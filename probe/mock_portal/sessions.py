"""Portal sessions, CSRF tokens and page rendering, shared by every portal route.

A session is an opaque random id in an HttpOnly, SameSite=Lax cookie; everything else
(CSRF token, who is logged in, a pending second factor) stays server-side in
``PortalRuntime.sessions``. Routes call :func:`ensure_session` (or :func:`get_session`),
then :func:`render` or :func:`redirect`, which set the cookie whenever the request
created or rotated a session.

The FranceConnect routes use the same helpers: :func:`login_as` after a successful
callback (it issues a new session id, against session fixation).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, Protocol

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from probe.mock_portal.runtime import PortalRuntime, Session

SESSION_COOKIE = "session_portail"

# Keys of the short notices the login page shows after a redirect (never secrets).
NOTICES: dict[str, tuple[str, str]] = {
    "compte-cree": (
        "success",
        "Votre compte est activé. Connectez-vous avec votre numéro de sécurité sociale "
        "et votre mot de passe.",
    ),
    "mot-de-passe-modifie": (
        "success",
        "Votre nouveau mot de passe est enregistré. Vous pouvez vous connecter.",
    ),
    "compte-deverrouille": (
        "success",
        "Votre compte est déverrouillé. Vous pouvez vous connecter.",
    ),
    "session-requise": ("info", "Connectez-vous pour accéder à votre compte."),
}


def runtime_of(request: Request) -> PortalRuntime:
    """The ``PortalRuntime`` of the app serving this request."""
    runtime: PortalRuntime = request.app.state.runtime
    return runtime


def templates_of(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def sibling_origin(request: Request, site: str) -> str:
    """The origin of one of the three sites, on the port this request came in on.

    ``sibling_origin(request, "captcha")`` -> ``"http://captcha.localhost:PORT"``.
    """
    port = request.url.port
    return f"{request.url.scheme}://{site}.localhost" + (f":{port}" if port else "")


def get_session(request: Request) -> Session | None:
    """The session the request's cookie names, or None (no cookie, or an unknown id)."""
    attached: Session | None = getattr(request.state, "session", None)
    if attached is not None:
        return attached
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    runtime = runtime_of(request)
    with runtime.lock:
        session = runtime.sessions.get(session_id)
    if session is not None:
        request.state.session = session
    return session


def _new_session(runtime: PortalRuntime) -> Session:
    session = Session(id=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32))
    with runtime.lock:
        runtime.sessions[session.id] = session
    return session


def ensure_session(request: Request) -> Session:
    """The request's session, created (and marked for the cookie) when there is none."""
    session = get_session(request)
    if session is None:
        session = _new_session(runtime_of(request))
        request.state.session = session
        request.state.session_changed = True
    return session


def login_as(request: Request, identifier: str) -> Session:
    """Mark the request's session logged in as ``identifier``, under a new session id.

    The old id is dropped so that a session id planted before login is worthless
    (session fixation); the CSRF token is renewed with it.
    """
    runtime = runtime_of(request)
    old = get_session(request)
    session = _new_session(runtime)
    session.identifier = identifier
    with runtime.lock:
        if old is not None:
            runtime.sessions.pop(old.id, None)
    request.state.session = session
    request.state.session_changed = True
    return session


def set_session_cookie(response: Response, session: Session) -> None:
    """Put the session cookie on a response (HttpOnly, SameSite=Lax, whole site)."""
    response.set_cookie(SESSION_COOKIE, session.id, path="/", httponly=True, samesite="lax")


def with_session_cookie(request: Request, response: Response) -> Response:
    """Set the cookie on ``response`` if this request created or rotated its session."""
    session: Session | None = getattr(request.state, "session", None)
    if session is not None and getattr(request.state, "session_changed", False):
        set_session_cookie(response, session)
    return response


def csrf_ok(request: Request, form: FormData) -> bool:
    """Whether the form carries the CSRF token of an existing session."""
    session = get_session(request)
    sent = form.get("csrf_token")
    if session is None or not isinstance(sent, str):
        return False
    return hmac.compare_digest(sent.encode(), session.csrf_token.encode())


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render one of the portal's Jinja2 templates, with the session's CSRF token.

    Context keys every page understands: ``message`` (text) and ``message_kind``
    (``error``, ``info`` or ``success``); ``title`` for the page title.
    """
    session: Session | None = getattr(request.state, "session", None)
    runtime = runtime_of(request)
    full: dict[str, Any] = {
        "csrf_token": session.csrf_token if session else "",
        "release": runtime.config.release,
        "message": None,
        "message_kind": "error",
    }
    full.update(context or {})
    response = templates_of(request).TemplateResponse(
        request, template_name, full, status_code=status_code, headers=headers
    )
    return with_session_cookie(request, response)


def redirect(request: Request, url: str) -> Response:
    """A 303 "see other" to a path on the same site, keeping a new session's cookie."""
    return with_session_cookie(request, RedirectResponse(url, status_code=303))


def form_text(form: FormData, name: str) -> str:
    """A text field of a posted form, exactly as typed ("" when missing)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


COOKIES_REFUSED = (
    "Votre session n'a pas été reconnue : les cookies de ce site semblent bloqués, ou la "
    "page est restée ouverte trop longtemps. Autorisez les cookies pour ce site, rechargez "
    "la page puis recommencez."
)


class PageBuilder(Protocol):
    def __call__(self, request: Request, status_code: int = 200, **context: Any) -> Response: ...


def form_page(template_name: str, title: str) -> PageBuilder:
    """The builder of a simple form page: a session (for its CSRF token), a title and an
    empty identifier field, then whatever the caller adds (a message, what was typed)."""

    def page(request: Request, status_code: int = 200, **context: Any) -> Response:
        ensure_session(request)
        values: dict[str, Any] = {"title": title, "identifier": "", **context}
        return render(request, template_name, values, status_code=status_code)

    return page


def cookies_refused(request: Request, page: PageBuilder) -> Response:
    """The answer to a form posted without its session cookie or with a wrong CSRF token:
    the same page again (``page`` builds it), with status 400 and a message about cookies.
    """
    ensure_session(request)
    return page(request, 400, message=COOKIES_REFUSED)
