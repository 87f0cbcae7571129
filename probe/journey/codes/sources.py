"""Where a security code comes from: the mock's outbox, a Mailpit server, a TOTP secret, a person.

Each source answers one question: the code sent after ``since`` (epoch seconds), waiting
up to ``timeout`` seconds. A TOTP code is computed (RFC 6238, ``pyotp``) from a secret
read from an environment variable, never from a file or the command line. A prompt asks
the person to type the code they received.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import time
from collections.abc import Callable
from datetime import datetime

import httpx
import pyotp

from probe.description.model import CodeSource as DeclaredSource
from probe.description.target import CodeSource, FoundCode
from probe.errors import BadInput
from probe.journey.codes.outbox import latest_code, loopback_request


class OutboxCodes:
    """The embedded mock portal's outbox (JSON list of the messages it sent)."""

    kind = "outbox"

    def __init__(self, url: str, context: ssl.SSLContext | None = None) -> None:
        self.url = url
        self.context = context  # None: what the person's browser trusts

    async def code(self, *, since: float, timeout: float) -> FoundCode:
        return await latest_code(self.url, since=since, timeout=timeout, context=self.context)


def _created(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class MailpitCodes:
    """A Mailpit server's API v1: the newest message to ``to``, code found by ``pattern``.

    ``GET /api/v1/search?query=to:ADDRESS&limit=1`` lists messages newest first (``ID``,
    ``Created``); ``GET /api/v1/message/ID`` has the message's ``Text`` and ``HTML``.
    """

    kind = "mailpit"

    def __init__(
        self,
        url: str,
        to: str,
        pattern: str = r"\b(\d{6})\b",
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.to = to
        self.pattern = re.compile(pattern)
        self.transport = transport

    async def code(self, *, since: float, timeout: float) -> FoundCode:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0, transport=self.transport) as client:
            while True:
                found = await self._latest(client, since)
                if found is not None or time.monotonic() >= deadline:
                    return FoundCode(found)
                await asyncio.sleep(0.3)

    async def _latest(self, client: httpx.AsyncClient, since: float) -> str | None:
        search, headers = loopback_request(f"{self.url}/api/v1/search")
        try:
            answer = await client.get(
                search, params={"query": f"to:{self.to}", "limit": "1"}, headers=headers
            )
            messages = answer.json().get("messages", []) if answer.status_code == 200 else []
            if not messages or _created(str(messages[0].get("Created", ""))) < since:
                return None
            one, headers = loopback_request(f"{self.url}/api/v1/message/{messages[0]['ID']}")
            message = (await client.get(one, headers=headers)).json()
        except (httpx.HTTPError, ValueError, KeyError, AttributeError):
            return None
        for body in (str(message.get("Text", "")), str(message.get("HTML", ""))):
            match = self.pattern.search(body)
            if match:
                return match.group(1) if match.groups() else match.group(0)
        return None


class TotpCodes:
    """An authenticator app's code (RFC 6238), from a base32 secret in an environment variable."""

    kind = "totp"

    def __init__(self, secret_env: str) -> None:
        secret = os.environ.get(secret_env, "").strip()
        if not secret:
            raise BadInput(
                f"second-factor.source: the TOTP secret is read from ${secret_env}, which is not set"
            )
        try:
            self._totp = pyotp.TOTP(secret.replace(" ", "").upper())
            self._totp.now()
        except (ValueError, TypeError) as exc:
            raise BadInput(f"${secret_env}: not a base32 TOTP secret") from exc

    async def code(self, *, since: float, timeout: float) -> FoundCode:
        return FoundCode(self._totp.now())


class PromptCodes:
    """The person types the code they received; ``ask`` shows the question and returns it."""

    kind = "prompt"

    def __init__(self, ask: Callable[[str], str]) -> None:
        self.ask = ask

    async def code(self, *, since: float, timeout: float) -> FoundCode:
        typed = await asyncio.to_thread(self.ask, "Security code the portal just sent you")
        code = typed.strip().replace(" ", "")
        return FoundCode(code or None)


def code_source(
    declared: DeclaredSource | None,
    *,
    login_url: str,
    identifier: str,
    ask: Callable[[str], str] | None = None,
) -> CodeSource | None:
    """The source a description declares, ready to read from; None when it declares none."""
    from urllib.parse import urljoin

    if declared is None:
        return None
    match declared.kind:
        case "outbox":
            return OutboxCodes(urljoin(login_url, declared.url))
        case "mailpit":
            return MailpitCodes(declared.url, declared.to or identifier, declared.pattern)
        case "totp":
            return TotpCodes(declared.secret_env)
        case "prompt":
            if ask is None:
                raise BadInput(
                    "second-factor.source: 'prompt' needs a person at the terminal; "
                    "use mailpit or totp when probe runs unattended"
                )
            return PromptCodes(ask)
    return None
