"""The account home a successful login reaches, and its attestation download."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from probe.mock_portal import accounts
from probe.mock_portal.attestation import attestation_pdf
from probe.mock_portal.runtime import Session
from probe.mock_portal.sessions import get_session, redirect, render, runtime_of


def _logged_in(request: Request) -> Session | None:
    session = get_session(request)
    return session if session is not None and session.identifier else None


def mask_identifier(identifier: str) -> str:
    """Show the start of the NIR only (sex, year and month of birth)."""
    return identifier[:5] + " •••• ••••" if len(identifier) > 5 else "•••"


async def account_home(request: Request) -> Response:
    session = _logged_in(request)
    if session is None or session.identifier is None:
        return redirect(request, "/connexion?message=session-requise")
    account = accounts.find_exact(runtime_of(request), session.identifier)
    where = accounts.destination(account) if account else None
    return render(
        request,
        "compte.html",
        {
            "title": "Mon compte",
            "masked_identifier": mask_identifier(session.identifier),
            "contact": where.shown if where else "",
        },
    )


async def attestation(request: Request) -> Response:
    session = _logged_in(request)
    if session is None or session.identifier is None:
        return redirect(request, "/connexion?message=session-requise")
    body = attestation_pdf(mask_identifier(session.identifier).replace("•", "*"), date.today())
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="attestation-droits.pdf"',
            "Cache-Control": "no-store",
        },
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/compte", account_home),
        Route("/compte/attestation", attestation),
    ]
