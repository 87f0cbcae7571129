"""Mutable run-time data of one mock portal: sessions, codes, counters, the outbox.

One ``PortalRuntime`` per app (``create_app`` makes it), shared by the portal, the
CAPTCHA vendor and the identity provider routes, all guarded by one lock because
uvicorn may serve requests from several threads (sync endpoints) at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from probe.mock_portal.state import Account, PortalConfig


@dataclass
class OutboxMessage:
    id: str
    to: str  # phone number or e-mail address
    channel: Literal["sms", "email"]
    folder: Literal["inbox", "spam"]
    subject: str
    body: str
    sent_at: datetime

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "to": self.to,
            "channel": self.channel,
            "folder": self.folder,
            "subject": self.subject,
            "body": self.body,
            "sent_at": self.sent_at.isoformat(),
        }


@dataclass
class Session:
    id: str
    csrf_token: str
    created_at: float = field(default_factory=time.monotonic)
    # Set once the password was accepted and a second factor is pending.
    pending_identifier: str | None = None
    # Set once fully logged in.
    identifier: str | None = None
    # FranceConnect: expected state/nonce for the flow in progress.
    oidc_state: str | None = None
    oidc_nonce: str | None = None
    # Forgotten password: the account a reset code was requested for.
    reset_identifier: str | None = None


@dataclass
class IssuedCode:
    """A one-time code; only the latest per (identifier, purpose) is valid."""

    code: str
    expires_at: float
    used: bool = False
    wrong_tries: int = 0


class PortalRuntime:
    """Run-time data of one portal instance."""

    def __init__(self, config: PortalConfig) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.secret = secrets.token_bytes(32)
        self.accounts: dict[str, Account] = {
            a.identifier: a.model_copy(deep=True) for a in config.accounts
        }
        self.sessions: dict[str, Session] = {}
        self.outbox: list[OutboxMessage] = []
        # (identifier, purpose) -> latest code; purposes: "login", "unlock", "reset".
        self.codes: dict[tuple[str, str], IssuedCode] = {}
        self.used_captcha_tokens: set[str] = set()
        self.oidc_codes: dict[str, dict[str, str]] = {}  # authorization code -> claims
        self.request_log: dict[str, list[float]] = {}  # client -> request times

    def set_config(self, config: PortalConfig) -> None:
        """Switch to a new portal state (e.g. a new release), keeping sessions and outbox."""
        with self.lock:
            self.config = config
            for account in config.accounts:
                self.accounts.setdefault(account.identifier, account.model_copy(deep=True))

    def send(self, to: str, channel: Literal["sms", "email"], subject: str, body: str) -> None:
        """Deliver a message to the mock outbox, as the configured delivery decides."""
        delivery = self.config.second_factor.delivery
        if delivery == "undelivered":
            return
        with self.lock:
            self.outbox.insert(
                0,
                OutboxMessage(
                    id=secrets.token_hex(6),
                    to=to,
                    channel=channel,
                    folder="spam" if delivery == "spam" else "inbox",
                    subject=subject,
                    body=body,
                    sent_at=datetime.now(UTC),
                ),
            )
