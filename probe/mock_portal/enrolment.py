"""Getting an account or a password: account creation with a provisional code, and the
forgotten-password flow (code to the outbox, then a new password that meets the rules).
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from probe.mock_portal import accounts
from probe.mock_portal.login import RIGHTS_NOT_OPEN
from probe.mock_portal.sessions import (
    cookies_refused,
    csrf_ok,
    ensure_session,
    form_page,
    form_text,
    get_session,
    redirect,
    render,
    runtime_of,
)

_creation_page = form_page("creer_compte.html", "Créer mon compte")


async def creation_form(request: Request) -> Response:
    return _creation_page(request)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def create_account(request: Request) -> Response:
    """Activate a provisional account; only the latest provisional code issued works."""
    runtime = runtime_of(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return cookies_refused(request, _creation_page)
    identifier = form_text(form, "identifiant")
    typed = form_text(form, "code_provisoire").strip()
    with runtime.lock:
        account = accounts.find_exact(runtime, identifier)
        issued = list(runtime.config.provisional_codes.get(identifier, []))
        if account is not None and account.status == "rights-not-open":
            return _creation_page(request, 403, message=RIGHTS_NOT_OPEN, identifier=identifier)
        if account is not None and account.status != "provisional":
            return _creation_page(
                request,
                400,
                message="Un compte existe déjà pour ce numéro de sécurité sociale : "
                "connectez-vous, ou utilisez « Mot de passe oublié ».",
                identifier=identifier,
            )
        if account is not None and issued and typed and _same(typed, issued[-1]):
            account.status = "active"
            account.failed_attempts = 0
            return redirect(request, "/connexion?message=compte-cree")
    if typed and any(_same(typed, old) for old in issued[:-1]):
        return _creation_page(
            request,
            400,
            message="Ce code provisoire n'est plus valide : un code plus récent vous a été "
            "envoyé depuis. Utilisez le dernier code reçu, ou demandez-en un nouveau au "
            f"{accounts.SUPPORT_LINE}.",
            identifier=identifier,
        )
    return _creation_page(
        request,
        400,
        message="Numéro de sécurité sociale ou code provisoire incorrect. Vérifiez votre "
        "saisie, sans espace avant ni après.",
        identifier=identifier,
    )


_forgot_page = form_page("mot_de_passe_oublie.html", "Mot de passe oublié")


async def forgot_form(request: Request) -> Response:
    return _forgot_page(request)


async def request_reset(request: Request) -> Response:
    """Send a reset code when the account exists; the answer never says whether it does."""
    runtime = runtime_of(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return cookies_refused(request, _forgot_page)
    identifier = form_text(form, "identifiant")
    session = ensure_session(request)
    session.reset_identifier = identifier
    account = accounts.find_exact(runtime, identifier)
    if account is not None and account.status in ("active", "locked"):
        accounts.send_reset_code(runtime, account)
    return redirect(request, "/nouveau-mot-de-passe")


def _new_password_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    page: dict[str, Any] = {
        "title": "Choisir un nouveau mot de passe",
        "rules": [text for _, text in accounts.PASSWORD_RULES],
    }
    page.update(context)
    return render(request, "nouveau_mot_de_passe.html", page, status_code=status_code)


async def new_password_form(request: Request) -> Response:
    session = get_session(request)
    if session is None or not session.reset_identifier:
        return redirect(request, "/mot-de-passe-oublie")
    return _new_password_page(
        request,
        message="Si ce numéro correspond à un compte, un code vient d'être envoyé par SMS "
        "ou par e-mail, selon vos préférences.",
        message_kind="info",
    )


async def set_new_password(request: Request) -> Response:
    runtime = runtime_of(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return cookies_refused(request, _new_password_page)
    session = get_session(request)
    identifier = session.reset_identifier if session else None
    if not identifier:
        return redirect(request, "/mot-de-passe-oublie")
    password = form_text(form, "nouveau_mot_de_passe")
    problems = accounts.password_problems(password)
    if problems:
        return _new_password_page(
            request, 400, message="Mot de passe trop faible : il faut " + ", ".join(problems) + "."
        )
    if password != form_text(form, "confirmation"):
        return _new_password_page(
            request, 400, message="Les deux mots de passe saisis ne sont pas identiques."
        )
    # Check the code last, so a person fixing a weak password can reuse the same code.
    match accounts.use_code(runtime, identifier, "reset", form_text(form, "code")):
        case "wrong":
            return _new_password_page(request, 401, message="Code de sécurité incorrect.")
        case "expired":
            return _new_password_page(
                request, 401, message="Code de sécurité expiré : demandez un nouveau code."
            )
        case "void":
            return _new_password_page(
                request,
                401,
                message="Code de sécurité incorrect. Trop d'essais : ce code n'est plus "
                "valable, demandez un nouveau code.",
            )
    account = accounts.find_exact(runtime, identifier)
    if account is None:  # pragma: no cover - a code is only issued to an existing account
        return redirect(request, "/mot-de-passe-oublie")
    with runtime.lock:
        account.password = password
        account.failed_attempts = 0
    assert session is not None
    session.reset_identifier = None
    return redirect(request, "/connexion?message=mot-de-passe-modifie")


def routes() -> list[BaseRoute]:
    return [
        Route("/creer-compte", creation_form, methods=["GET"]),
        Route("/creer-compte", create_account, methods=["POST"]),
        Route("/mot-de-passe-oublie", forgot_form, methods=["GET"]),
        Route("/mot-de-passe-oublie", request_reset, methods=["POST"]),
        Route("/nouveau-mot-de-passe", new_password_form, methods=["GET"]),
        Route("/nouveau-mot-de-passe", set_new_password, methods=["POST"]),
    ]
