"""Reading security codes from a mock outbox (the embedded portal's, or a Mailpit-like one).

Host names under ``.localhost`` always mean this machine (RFC 6761); Python's resolver
does not know that, so requests to them are sent to 127.0.0.1 with the right Host header.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from probe._util.tls import by_name_transport, trusted_context
from probe.description.pagemap import CODE_PATTERN
from probe.description.target import FoundCode
from probe.models import Detail

# An outbox answer bigger than this is not a list of a few messages.
MAX_OUTBOX_BYTES = 2 * 1024 * 1024

UNEXPECTED_SHAPE = Detail(key="detail.outbox-unexpected-shape")


def outbox_messages(payload: Any) -> list[dict[str, Any]] | None:
    """The messages in an outbox's JSON answer, or None when it has another shape.

    >>> outbox_messages({"messages": [{"body": "123456"}, 7]})
    [{'body': '123456'}]
    >>> outbox_messages([1, 2]) is None
    True
    """
    if not isinstance(payload, dict):
        return None
    messages = payload.get("messages", [])
    if not isinstance(messages, list):
        return None
    return [message for message in messages if isinstance(message, dict)]


def loopback_request(url: str) -> tuple[str, dict[str, str]]:
    """The URL to really connect to, and the headers that keep the original host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), {
            "Host": parts.netloc
        }
    return url, {}


def _parse_time(text: str) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


async def latest_code(
    outbox_url: str, *, since: float, timeout: float, context: ssl.SSLContext | None = None
) -> FoundCode:
    """The newest 6-digit code delivered to the inbox after ``since`` (epoch seconds);
    ``context``: the CAs to trust (default: what the person's browser trusts)."""
    # By host name, trusting what the person's browser trusts (an HTTPS portal's outbox).
    url, headers = outbox_url, dict[str, str]()
    deadline = time.monotonic() + timeout
    in_spam = False
    note: Detail | None = None
    transport = by_name_transport(context or trusted_context())
    async with httpx.AsyncClient(timeout=5.0, transport=transport) as client:
        while True:
            messages: list[dict[str, Any]] = []
            try:
                answered, answer = await _bounded_get(client, url, headers)
                if answered:
                    found = outbox_messages(answer)
                    if found is None:
                        note = UNEXPECTED_SHAPE
                    messages = found or []
            except (httpx.HTTPError, ValueError, RecursionError):
                messages = []
            for message in messages:
                if _parse_time(str(message.get("sent_at", ""))) < since:
                    continue
                match = CODE_PATTERN.search(str(message.get("body", "")))
                if not match:
                    continue
                if message.get("folder") == "spam":
                    in_spam = True
                    continue
                return FoundCode(match.group(1))
            if time.monotonic() >= deadline:
                return FoundCode(None, in_spam=in_spam, note=note)
            await asyncio.sleep(0.15)


async def _bounded_get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[bool, Any]:
    """(True, the JSON at ``url``), or (False, None) when not 200 or too big."""
    async with client.stream("GET", url, headers=headers) as answer:
        if answer.status_code != 200:
            return False, None
        body = bytearray()
        async for chunk in answer.aiter_bytes():
            body += chunk
            if len(body) > MAX_OUTBOX_BYTES:
                return False, None
    return True, json.loads(body)
