"""The bot-guarded test portal: a sign-in page that runs BotD and refuses robots.

    with BotdPortal() as portal:
        print(portal.login_url)   # http://botd.localhost:PORT/login

The login page runs the open-source bot detector BotD (npm ``@fingerprintjs/botd`` 2.0.0,
MIT, installed by ``scripts/setup.sh`` with ``npm ci`` in this folder) and sends its answer
with the form; the server refuses any login BotD did not call human, the way a portal
with in-page bot detection does: "Access denied: automated browsing is not allowed on
this site." (HTTP 403). Otherwise it checks the password: ``demo`` / ``Clover-73``.

Starlette, in-process, on port 0 (``probe.mock_portal.server.ThreadedServer``); each
portal keeps its own record of what BotD said for each login (``verdicts``).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from probe.mock_portal.server import ThreadedServer

HOST = "botd.localhost"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "Clover-73"
ROBOTS_REFUSED = "Access denied: automated browsing is not allowed on this site."
WRONG_PASSWORD = "Invalid username or password."

HERE = Path(__file__).parent
BOTD_DIST = HERE / "node_modules" / "@fingerprintjs" / "botd" / "dist"


def create_app(verdicts: list[str]) -> Starlette:
    """The portal's app; every login's BotD answer is appended to ``verdicts``."""
    if not (BOTD_DIST / "botd.esm.js").is_file():
        raise RuntimeError(
            f"BotD is not installed in {HERE}: run 'bash scripts/setup.sh' (npm ci there)"
        )
    templates = Jinja2Templates(directory=HERE / "templates")

    async def login_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "login.html", {"message": "", "username": ""})

    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        botd = str(form.get("botd", ""))
        verdicts.append(botd)
        if botd != "human":
            message, status = ROBOTS_REFUSED, 403
        elif username == DEMO_USERNAME and password == DEMO_PASSWORD:
            response = RedirectResponse("/account", status_code=303)
            response.set_cookie("signed_in", username, httponly=True, samesite="lax")
            return response
        else:
            message, status = WRONG_PASSWORD, 200
        return templates.TemplateResponse(
            request,
            "login.html",
            {"message": message, "username": username},
            status_code=status,
        )

    async def account(request: Request) -> Response:
        username = request.cookies.get("signed_in")
        if username != DEMO_USERNAME:
            return RedirectResponse("/login", status_code=303)
        return templates.TemplateResponse(request, "account.html", {"username": username})

    return Starlette(
        routes=[
            Route("/login", login_page, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/account", account, methods=["GET"]),
            Mount("/botd", app=StaticFiles(directory=BOTD_DIST)),
        ]
    )


class BotdPortal:
    """The portal served on a free loopback port, as ``botd.localhost:PORT``."""

    def __init__(self, port: int = 0) -> None:
        self.verdicts: list[str] = []
        self._server = ThreadedServer(
            create_app(self.verdicts), port=port, name="the bot-guarded test portal"
        )

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def login_url(self) -> str:
        return f"http://{HOST}:{self.port}/login"

    def start(self) -> BotdPortal:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> BotdPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
