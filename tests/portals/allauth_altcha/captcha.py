"""The CAPTCHA vendor's host: ALTCHA's widget script and its challenge endpoint.

It stands for a third party (its own host name, like a CAPTCHA vendor), so that a browser
extension blocking that host breaks the widget the way it does on a real portal. The widget
script is the ``altcha`` npm package's own build, vendored unchanged in ``vendor/``; challenges
are made and checked with the ``altcha`` PyPI package (ALTCHA's v2 proof of work, PBKDF2).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import altcha
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

VENDOR = Path(__file__).parent / "vendor"
# The portal and the vendor share this key, as a self-hosted ALTCHA set-up does.
HMAC_SECRET = "portal2-test-only-altcha-secret"
# Low cost: the proof of work takes well under a second on a loaded test machine.
ALGORITHM = "PBKDF2/SHA-256"
COST = 1000
COUNTER_MAX = 300
CHALLENGE_LIFETIME_SECONDS = 600

# Module scripts and fetch() from another host need CORS, as with any CAPTCHA vendor.
_CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


class SpentPayloads:
    """Solved challenges already used once: a payload lets one login attempt through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spent: set[str] = set()

    def spend(self, payload: str) -> bool:
        """True the first time ``payload`` is seen, False on a replay."""
        with self._lock:
            if payload in self._spent:
                return False
            self._spent.add(payload)
            return True

    def clear(self) -> None:
        with self._lock:
            self._spent.clear()


SPENT = SpentPayloads()


def new_challenge() -> dict[str, object]:
    """A fresh signed challenge, as the widget fetches it."""
    import secrets

    challenge = altcha.create_challenge(
        ALGORITHM,
        COST,
        counter=secrets.randbelow(COUNTER_MAX) + 1,
        expires_at=int(time.time()) + CHALLENGE_LIFETIME_SECONDS,
        hmac_secret=HMAC_SECRET,
    )
    return challenge.to_dict()


def payload_is_valid(payload: str) -> bool:
    """Whether ``payload`` (the widget's hidden field) solves a challenge we signed, once."""
    if not payload:
        return False
    try:
        result = altcha.verify_solution(payload, HMAC_SECRET)
    except (ValueError, TypeError, KeyError):
        return False
    return bool(result.verified) and SPENT.spend(payload)


async def _script(request: Request) -> Response:
    return FileResponse(
        VENDOR / "altcha.min.js", media_type="text/javascript; charset=utf-8", headers=_CORS
    )


async def _challenge(request: Request) -> Response:
    return JSONResponse(new_challenge(), headers=_CORS)


def create_captcha_app() -> Starlette:
    """The vendor host's app: ``/altcha.js`` and ``/challenge``."""
    return Starlette(
        routes=[
            Route("/altcha.js", _script, methods=["GET"]),
            Route("/challenge", _challenge, methods=["GET"]),
        ]
    )
