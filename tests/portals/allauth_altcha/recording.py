"""What the portal received: every login attempt's identifier and password, for the tests.

A test of ``--no-submit`` proves that probe typed no credentials by finding this list empty.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

# The stock form's address (JavaScript off) and allauth's headless login (the page's fetch).
LOGIN_PATHS = ("/accounts/login/", "/_allauth/browser/v1/auth/login")


@dataclass(frozen=True)
class ReceivedLogin:
    path: str
    identifier: str
    password: str
    captcha_payload: bool


class LoginRecord:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedLogin] = []

    def add(self, received: ReceivedLogin) -> None:
        with self._lock:
            self._received.append(received)

    def all(self) -> list[ReceivedLogin]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()


RECEIVED = LoginRecord()


def _fields(request: HttpRequest) -> dict[str, object]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return dict(request.POST.items())


class RecordLoginsMiddleware:
    """Notes each POST to a login address before anything else looks at it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path in LOGIN_PATHS:
            fields = _fields(request)
            RECEIVED.add(
                ReceivedLogin(
                    path=request.path,
                    identifier=str(fields.get("login", fields.get("username", ""))),
                    password=str(fields.get("password", "")),
                    captcha_payload=bool(fields.get("altcha")),
                )
            )
        return self.get_response(request)
