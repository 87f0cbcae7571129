"""The second test portal in-process: one uvicorn server in a thread, two host names.

    with AllauthAltchaPortal() as portal:
        print(portal.login_url)   # http://app2.localhost:PORT/accounts/login/

``app2.localhost`` is Django with django-allauth; ``captcha2.localhost`` (same port) is the
CAPTCHA vendor. Chromium resolves ``*.localhost`` to loopback and treats the two names as
different sites. Django keeps one configuration per process: one portal runs at a time, and
each start begins from the same data (the demo account, no sessions, no lockout).
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from types import TracebackType
from typing import Any

from probe.mock_portal.server import ThreadedServer

from .captcha import SPENT, create_captcha_app
from .recording import RECEIVED, ReceivedLogin
from .settings import APP_HOST, CAPTCHA_HOST, settings_for

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "Sunflower-42"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
# Django's handler and Starlette's app spell the ASGI types each their own way.
ASGIApp = Callable[..., Awaitable[None]]

_setup_lock = threading.Lock()
_django_ready = False


def _in_plain_thread(work: Callable[[], object]) -> None:
    """Runs Django ORM work in a thread of its own.

    Playwright's sync API keeps an event loop in the test's thread, and Django refuses
    ORM calls from a thread with a running loop (SynchronousOnlyOperation).
    """
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="portal2-django")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _setup_django() -> None:
    global _django_ready
    with _setup_lock:
        if _django_ready:
            return
        import django
        from django.conf import settings
        from django.core.management import call_command

        folder = Path(tempfile.mkdtemp(prefix="portal2-"))
        atexit.register(shutil.rmtree, folder, True)
        settings.configure(**settings_for(folder / "db.sqlite3"))
        django.setup()
        # Django would log every 400 (a wrong password) and 404 to stderr; keep the 500s.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        _in_plain_thread(lambda: call_command("migrate", verbosity=0, interactive=False))
        _django_ready = True


def _reset_data() -> None:
    from django.contrib.auth.models import User  # the settings keep Django's user model
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    User.objects.all().delete()
    Session.objects.all().delete()
    User.objects.create_user(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    # allauth keeps its failed-login counts (the lockout) in the cache.
    cache.clear()


class _HostDispatch:
    """Sends the CAPTCHA host's requests to the vendor app, the rest to Django."""

    def __init__(self, portal: ASGIApp, captcha: ASGIApp) -> None:
        self.portal, self.captcha = portal, captcha

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = ""
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1").rsplit(":", 1)[0].lower()
        app = self.captcha if host == CAPTCHA_HOST else self.portal
        await app(scope, receive, send)


class AllauthAltchaPortal:
    """django-allauth's stock sign-in with an ALTCHA widget, on a loopback port."""

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self._requested_port = port
        self._host = host
        self._server: ThreadedServer | None = None
        self.port = 0

    @property
    def origin(self) -> str:
        return f"http://{APP_HOST}:{self.port}"

    @property
    def login_url(self) -> str:
        return f"{self.origin}/accounts/login/"

    @property
    def account_url(self) -> str:
        return f"{self.origin}/accounts/profile/"

    @property
    def captcha_origin(self) -> str:
        return f"http://{CAPTCHA_HOST}:{self.port}"

    @property
    def received(self) -> list[ReceivedLogin]:
        """Every login attempt the portal received since it started, oldest first."""
        return RECEIVED.all()

    def start(self) -> AllauthAltchaPortal:
        if self._server is not None:
            return self
        _setup_django()
        _in_plain_thread(_reset_data)
        SPENT.clear()
        RECEIVED.clear()
        from django.core.asgi import get_asgi_application

        app = _HostDispatch(get_asgi_application(), create_captcha_app())
        server = ThreadedServer(
            app, host=self._host, port=self._requested_port, name="the second test portal"
        )
        self._server = server.start()
        self.port = server.port
        from django.conf import settings

        settings.PORTAL2_CAPTCHA_ORIGIN = self.captcha_origin
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> AllauthAltchaPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
