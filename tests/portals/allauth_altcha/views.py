"""This portal's own pages: the account page after login and the login script's file."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

STATIC = Path(__file__).parent / "static"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Django's default ``LOGIN_REDIRECT_URL``: the "logged in" marker, server-rendered."""
    return render(request, "portal2/profile.html")


def login_script(request: HttpRequest) -> HttpResponse:
    # Not FileResponse: under ASGI Django warns about its synchronous iterator.
    return HttpResponse(
        (STATIC / "login.js").read_bytes(), content_type="text/javascript; charset=utf-8"
    )
