"""The Flask-Security test portal in-process: Flask behind uvicorn in a thread.

    with FlaskSecurityPortal() as portal:          # or FlaskSecurityPortal(tls=ca.server)
        print(portal.login_url)   # http://fs.localhost:PORT/login

Flask-Security-Too's stock login page (its own templates, unchanged), a SQLite database in
a private folder, one demo account. Each start begins from the same data.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from probe.mock_portal.server import ThreadedServer
from probe.mock_portal.tls import TlsFiles

HOST = "fs.localhost"
DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "Tulip-Garden-7"
LOGIN_PATH = "/login"

_HOME = """<!doctype html>
<html lang="en"><head><title>Home</title></head><body>
<p id="signed-in">Signed in as {{ current_user.email }}.</p>
{% include "security/_menu.html" %}
</body></html>"""


@dataclass(frozen=True)
class ReceivedLogin:
    identifier: str
    password: str


def create_app(folder: Path, received: list[ReceivedLogin], lock: threading.Lock) -> Any:
    """Flask with Flask-Security-Too's defaults, a demo account, and a home page."""
    from flask import Flask, render_template_string, request
    from flask_security import (
        Security,
        SQLAlchemyUserDatastore,
        auth_required,
        hash_password,
    )
    from flask_security.models import fsqla_v3 as fsqla
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("flask_security_portal")
    app.config.update(
        SECRET_KEY="test-portal-secret-key",
        SECURITY_PASSWORD_SALT="test-portal-salt",
        # pbkdf2 needs no compiled extension (Flask-Security's default is argon2).
        SECURITY_PASSWORD_HASH="pbkdf2_sha512",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'portal.sqlite3'}",
        SECURITY_CHANGEABLE=True,
        SECURITY_RECOVERABLE=False,
        SECURITY_SEND_REGISTER_EMAIL=False,
    )
    db = SQLAlchemy(app)
    fsqla.FsModels.set_db_info(db)  # type: ignore[attr-defined,no-untyped-call]

    class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
        pass

    class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
        pass

    datastore = SQLAlchemyUserDatastore(db, User, Role)
    Security(app, datastore)

    @app.before_request
    def record_login() -> None:
        if request.method == "POST" and request.path == LOGIN_PATH:
            form = request.form if request.form else (request.get_json(silent=True) or {})
            with lock:
                received.append(
                    ReceivedLogin(str(form.get("email", "")), str(form.get("password", "")))
                )

    @app.route("/")
    @auth_required()
    def home() -> str:
        return render_template_string(_HOME)

    with app.app_context():
        db.create_all()
        datastore.create_user(email=DEMO_EMAIL, password=hash_password(DEMO_PASSWORD))
        db.session.commit()
    return app


class FlaskSecurityPortal:
    """Flask-Security-Too's stock login at ``http(s)://fs.localhost:PORT/login``."""

    def __init__(self, *, port: int = 0, tls: TlsFiles | None = None) -> None:
        self._port = port
        self._tls = tls
        self._folder: Path | None = None
        self._server: ThreadedServer | None = None
        self._lock = threading.Lock()
        self._received: list[ReceivedLogin] = []

    @property
    def origin(self) -> str:
        scheme = "https" if self._tls else "http"
        port = self._server.port if self._server else 0
        return f"{scheme}://{HOST}:{port}"

    @property
    def login_url(self) -> str:
        return self.origin + LOGIN_PATH

    @property
    def received(self) -> list[ReceivedLogin]:
        """Every login POST so far (identifier and password), oldest first."""
        with self._lock:
            return list(self._received)

    def start(self) -> FlaskSecurityPortal:
        # uvicorn's WSGI bridge is enough for a test portal.
        from uvicorn.middleware.wsgi import WSGIMiddleware  # type: ignore[attr-defined]

        self._folder = Path(tempfile.mkdtemp(prefix="fs-portal-"))
        app = create_app(self._folder, self._received, self._lock)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            asgi = WSGIMiddleware(app)
        self._server = ThreadedServer(
            asgi, port=self._port, name="the Flask-Security portal", tls=self._tls
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> FlaskSecurityPortal:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
