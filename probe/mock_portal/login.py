"""The login journey's pages: login form, second factor, unlocking a locked account.

``POST /connexion`` checks, in this order: the form's release (409 when the page
came from an older release, e.g. served by a stale service worker), the session and
CSRF token (400 "cookies"), the CAPTCHA token (400), then the account rules of
``accounts.check_login``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from probe.mock_portal import accounts
from probe.mock_portal.captcha import SITE_KEY, verify_token
from probe.mock_portal.sessions import (
    NOTICES,
    cookies_refused,
    csrf_ok,
    ensure_session,
    form_page,
    form_text,
    get_session,
    login_as,
    redirect,
    render,
    runtime_of,
    sibling_origin,
    with_session_cookie,
)

STATIC = Path(__file__).parent / "static" / "portail"

WRONG_CREDENTIALS = (
    "Identifiant ou mot de passe incorrect. Vérifiez la touche de verrouillage des "
    "majuscules et qu'aucun espace ne s'est glissé avant ou après votre saisie."
)
LOCKED = (
    "Compte verrouillé après plusieurs essais infructueux. Un code de déverrouillage est "
    f"envoyé par SMS au numéro de votre dossier (ou appelez le {accounts.SUPPORT_LINE}) : "
    "saisissez-le sur la page « Déverrouiller mon compte »."
)
RIGHTS_NOT_OPEN = (
    "Droits non ouverts : votre affiliation est en cours de traitement, le compte ne peut "
    "pas encore être utilisé. Patientez ou envoyez le justificatif demandé à votre caisse."
)
NOT_ACTIVATED = (
    "Compte non activé : terminez d'abord la création de votre compte avec le dernier "
    "code provisoire reçu."
)
CAPTCHA_MISSING = (
    "Vérification anti-robot non effectuée ou expirée : cochez la case « Je ne suis pas "
    "un robot », puis validez à nouveau."
)
STALE_FORM = (
    "Cette page de connexion est obsolète : le portail a changé depuis qu'elle a été "
    "enregistrée par votre navigateur. Effacez les données de ce site (cache), puis "
    "rechargez la page."
)
AUTOMATED = (
    "Accès refusé : notre système de sécurité a détecté une navigation automatisée depuis "
    "votre connexion. Réessayez plus tard ou depuis un autre réseau."
)
UNEXPLAINED = "Connexion refusée (réf. AUTH-17). Contactez l'assistance si le problème persiste."
QUESTION = "Pour votre sécurité, répondez à la question ci-dessous avant de continuer."
QUESTION_ANSWER = "7"  # "combien font 3 + 4 ?"
SESSION_EXPIRED = "Votre session a expiré. Rechargez la page de connexion et recommencez."
FORM_VERSION_FIELD = "version_formulaire"


def _login_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    ensure_session(request)
    page = _page_context(request)
    page.update(context)
    return render(request, "connexion.html", page, status_code=status_code)


async def home(request: Request) -> Response:
    return RedirectResponse("/connexion", status_code=302)


async def login_form(request: Request) -> Response:
    notice = NOTICES.get(request.query_params.get("message", ""))
    if notice is None:
        return _login_page(request)
    kind, text = notice
    return _login_page(request, message=text, message_kind=kind)


async def csrf_token(request: Request) -> Response:
    """The current session's CSRF token, for a login page restored from a cache."""
    session = ensure_session(request)
    response = JSONResponse({"csrf_token": session.csrf_token})
    response.headers["Cache-Control"] = "no-store"
    return with_session_cookie(request, response)


async def login(request: Request) -> Response:
    runtime = runtime_of(request)
    config = runtime.config
    form = await request.form()
    identifier = form_text(form, "identifiant")
    password = form_text(form, "mot_de_passe")
    if form_text(form, FORM_VERSION_FIELD) != str(config.release):
        return _login_page(request, 409, message=STALE_FORM)
    if config.session_lost:
        return _login_page(request, 403, message=SESSION_EXPIRED)
    if not csrf_ok(request, form):
        return cookies_refused(request, _login_page)
    if config.captcha.enabled and not verify_token(
        runtime, form_text(form, "captcha_token"), SITE_KEY
    ):
        return _login_page(request, 400, message=CAPTCHA_MISSING, identifier=identifier)
    if config.refuse_as_automated:
        return _login_page(request, 403, message=AUTOMATED, identifier=identifier)
    if config.ask_question and form_text(form, "question_securite") != QUESTION_ANSWER:
        return _login_page(request, 400, message=QUESTION, identifier=identifier, question=True)
    answer = accounts.check_login(runtime, identifier, password)
    match answer:
        case "locked" | "just-locked":
            return _login_page(request, 403, message=LOCKED, show_unlock=True)
        case "rights-not-open":
            return _login_page(request, 403, message=RIGHTS_NOT_OPEN)
        case "provisional":
            return _login_page(request, 403, message=NOT_ACTIVATED)
        case "wrong":
            wording = UNEXPLAINED if config.unexplained_refusal else WRONG_CREDENTIALS
            return _login_page(request, 401, message=wording, identifier=identifier)
    account = accounts.find_exact(runtime, identifier)
    assert account is not None  # check_login said "ok"
    if config.second_factor.enabled and account.second_factor != "none":
        session = ensure_session(request)
        session.pending_identifier = account.identifier
        accounts.send_login_code(runtime, account)
        return redirect(request, "/code-securite")
    login_as(request, account.identifier)
    return redirect(request, "/compte")


def _page_context(request: Request) -> dict[str, Any]:
    config = runtime_of(request).config
    return {
        "title": "Connexion à Mon Compte",
        "captcha_enabled": config.captcha.enabled,
        "captcha_origin": sibling_origin(request, "captcha"),
        "site_key": SITE_KEY,
        "service_worker": config.service_worker,
        "franceconnect_enabled": config.identity_provider.enabled,
        "identifier": "",
    }


def _code_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    runtime = runtime_of(request)
    session = get_session(request)
    account = accounts.find_exact(runtime, session.pending_identifier or "") if session else None
    if account is None:
        return redirect(request, "/connexion?message=session-requise")
    where = accounts.destination(account)
    page: dict[str, Any] = {
        "title": "Code de sécurité",
        "channel": where.channel,
        "shown": where.shown,
        "minutes": max(1, runtime.config.second_factor.code_ttl_seconds // 60),
    }
    if "message" not in context:
        by = "par SMS au" if where.channel == "sms" else "par e-mail à l'adresse"
        page["message"] = f"Un code de sécurité a été envoyé {by} {where.shown}."
        page["message_kind"] = "info"
    page.update(context)
    return render(request, "code_securite.html", page, status_code=status_code)


async def code_form(request: Request) -> Response:
    if request.query_params.get("renvoye"):
        return _code_page(
            request,
            message="Un nouveau code de sécurité vient de vous être envoyé. "
            "Seul ce dernier code est valable.",
            message_kind="info",
        )
    return _code_page(request)


async def check_code(request: Request) -> Response:
    runtime = runtime_of(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return cookies_refused(request, _code_page)
    session = get_session(request)
    identifier = session.pending_identifier if session else None
    if not identifier:
        return redirect(request, "/connexion?message=session-requise")
    match accounts.use_code(runtime, identifier, "login", form_text(form, "code")):
        case "wrong":
            return _code_page(
                request,
                401,
                message="Code de sécurité incorrect. Saisissez le dernier code reçu, "
                "ou demandez-en un nouveau.",
            )
        case "expired":
            return _code_page(
                request,
                401,
                message="Code de sécurité expiré. Demandez un nouveau code avec le "
                "bouton « Recevoir un nouveau code ».",
            )
        case "void":
            return _code_page(
                request,
                401,
                message="Code de sécurité incorrect. Trop d'essais : ce code n'est plus "
                "valable. Demandez un nouveau code avec le bouton « Recevoir un nouveau code ».",
            )
    login_as(request, identifier)
    return redirect(request, "/compte")


async def resend_code(request: Request) -> Response:
    runtime = runtime_of(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return cookies_refused(request, _code_page)
    session = get_session(request)
    account = accounts.find_exact(runtime, session.pending_identifier or "") if session else None
    if account is None:
        return redirect(request, "/connexion?message=session-requise")
    accounts.send_login_code(runtime, account)
    return redirect(request, "/code-securite?renvoye=1")


_unlock_page = form_page("deverrouiller.html", "Déverrouiller mon compte")


async def unlock_form(request: Request) -> Response:
    return _unlock_page(request)


async def unlock(request: Request) -> Response:
    runtime = runtime_of(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return cookies_refused(request, _unlock_page)
    identifier = form_text(form, "identifiant")
    account = accounts.find_normalised(runtime, identifier)
    if form_text(form, "action") == "envoyer-code":
        if account is not None and account.status == "locked":
            accounts.send_unlock_code(runtime, account)
        return _unlock_page(
            request,
            message="Si ce compte est verrouillé, un nouveau code de déverrouillage vient "
            "d'être envoyé par SMS au numéro de votre dossier.",
            message_kind="info",
            identifier=identifier,
        )
    if account is None or account.status != "locked":
        return _unlock_page(
            request,
            400,
            message="Aucun compte verrouillé ne correspond à ce numéro de sécurité sociale.",
            identifier=identifier,
        )
    match accounts.unlock(runtime, account, form_text(form, "code")):
        case "wrong":
            return _unlock_page(
                request, 401, message="Code de déverrouillage incorrect.", identifier=identifier
            )
        case "expired":
            return _unlock_page(
                request,
                401,
                message="Code de déverrouillage expiré : demandez-en un nouveau.",
                identifier=identifier,
            )
        case "void":
            return _unlock_page(
                request,
                401,
                message="Code de déverrouillage incorrect. Trop d'essais : ce code n'est plus "
                "valable, demandez-en un nouveau.",
                identifier=identifier,
            )
    return redirect(request, "/connexion?message=compte-deverrouille")


async def service_worker(request: Request) -> Response:
    """The service worker script: byte-identical across releases, on purpose.

    Browsers compare a registered worker's script byte for byte on each update
    check; because it never changes, a worker installed under release 1 keeps serving
    its cached release-1 login page after the portal moves on, until the person
    clears the site's data. That is the "stale site data" failure this mock models.
    """
    response = FileResponse(STATIC / "sw.js", media_type="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/", home),
        Route("/connexion", login_form, methods=["GET"]),
        Route("/connexion", login, methods=["POST"]),
        Route("/connexion/jeton", csrf_token),
        Route("/code-securite", code_form, methods=["GET"]),
        Route("/code-securite", check_code, methods=["POST"]),
        Route("/code-securite/renvoyer", resend_code, methods=["POST"]),
        Route("/deverrouiller", unlock_form, methods=["GET"]),
        Route("/deverrouiller", unlock, methods=["POST"]),
        Route("/sw.js", service_worker),
    ]
