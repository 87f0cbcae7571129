"""Reading security codes from a mock outbox (the embedded portal's, or a Mailpit-like one).

Host names under ``.localhost`` always mean this machine (RFC 6761); Python's resolver
does not know that, so requests to them are sent to 127.0.0.1 with the right Host header.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from probe.pagemap import CODE_PATTERN


@dataclass(frozen=True)
class FoundCode:
    code: str | None
    in_spam: bool = False


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


async def latest_code(outbox_url: str, *, since: float, timeout: float) -> FoundCode:
    """The newest 6-digit code delivered to the inbox after ``since`` (epoch seconds)."""
    url, headers = loopback_request(outbox_url)
    deadline = time.monotonic() + timeout
    in_spam = False
    async with httpx.AsyncClient(timeout=5.0) as client:
        while True:
            try:
                answer = await client.get(url, headers=headers)
                messages = answer.json().get("messages", []) if answer.status_code == 200 else []
            except (httpx.HTTPError, ValueError):
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
                return FoundCode(None, in_spam=in_spam)
            await asyncio.sleep(0.15)
