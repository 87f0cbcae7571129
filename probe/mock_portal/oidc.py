"""The OpenID Connect rules shared by the identity provider and its one client, the portal.

Modelled on FranceConnect's authorization-code flow: the client is authenticated by a
secret, and the ID token is a JWT signed HS256 with that secret (PyJWT signs and checks it). Both ends run in one
process here, but the portal still redeems its code through :func:`exchange_code`, the
token endpoint's logic (the idp also serves it over HTTP at ``POST /token``), so the
back-channel keeps its rules: a code is single-use, bound to the client and the
``redirect_uri`` it was issued for, and short-lived.

Codes live in ``PortalRuntime.oidc_codes`` (code -> what it was issued for); nothing
here writes a code, a secret or a token anywhere else.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from probe.mock_portal.runtime import PortalRuntime

CLIENT_ID = "portal"
CALLBACK_PATH = "/franceconnect/callback"
CODE_TTL_SECONDS = 60
ID_TOKEN_TTL_SECONDS = 300
GRANT_TYPE = "authorization_code"

TokenErrorCode = Literal[
    "invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type"
]


def client_secret(runtime: PortalRuntime, client_id: str = CLIENT_ID) -> str:
    """The secret the idp registered for ``client_id`` (derived, so never stored)."""
    return hmac.new(runtime.secret, b"oidc-client:" + client_id.encode(), "sha256").hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the client asked ``/authorize`` for, as the idp remembers it meanwhile."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str

    def as_dict(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "nonce": self.nonce,
        }

    @classmethod
    def from_dict(cls, data: object) -> AuthorizationRequest | None:
        if not isinstance(data, dict):
            return None
        fields = ("client_id", "redirect_uri", "state", "nonce")
        if not all(isinstance(data.get(name), str) for name in fields):
            return None
        return cls(*(str(data[name]) for name in fields))


def issue_code(
    runtime: PortalRuntime, request: AuthorizationRequest, identifier: str, partner: str
) -> str:
    """A fresh authorization code for a person the partner authenticated."""
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with runtime.lock:
        # Unredeemed codes would pile up otherwise: drop the expired ones.
        for stale in [c for c, v in runtime.oidc_codes.items() if float(v["expires_at"]) < now]:
            del runtime.oidc_codes[stale]
        runtime.oidc_codes[code] = {
            **request.as_dict(),
            "identifier": identifier,
            "partner": partner,
            "expires_at": repr(now + CODE_TTL_SECONDS),
        }
    return code


@dataclass(frozen=True)
class TokenRequest:
    """The form a client posts to the token endpoint (RFC 6749 §4.1.3)."""

    grant_type: str
    code: str
    redirect_uri: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class TokenAnswer:
    access_token: str
    id_token: str
    expires_in: int = ID_TOKEN_TTL_SECONDS

    def as_json(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "id_token": self.id_token,
        }


@dataclass(frozen=True)
class TokenRefusal:
    error: TokenErrorCode

    @property
    def status_code(self) -> int:
        return 401 if self.error == "invalid_client" else 400

    def as_json(self) -> dict[str, str]:
        return {"error": self.error}


def exchange_code(
    runtime: PortalRuntime, request: TokenRequest, issuer: str
) -> TokenAnswer | TokenRefusal:
    """The token endpoint: redeem a code once, for the client and redirect it was made for."""
    if request.grant_type != GRANT_TYPE:
        return TokenRefusal("unsupported_grant_type")
    if not request.code or not request.client_id:
        return TokenRefusal("invalid_request")
    if not _same(request.client_secret, client_secret(runtime, request.client_id)):
        return TokenRefusal("invalid_client")
    with runtime.lock:
        # Popped before any check: a code is spent by the first attempt, right or wrong.
        issued = runtime.oidc_codes.pop(request.code, None)
    if issued is None or float(issued["expires_at"]) < time.monotonic():
        return TokenRefusal("invalid_grant")
    if issued["client_id"] != request.client_id or issued["redirect_uri"] != request.redirect_uri:
        return TokenRefusal("invalid_grant")
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": request.client_id,
        "sub": pairwise_subject(runtime, issued["identifier"], request.client_id),
        "iat": now,
        "exp": now + ID_TOKEN_TTL_SECONDS,
        "nonce": issued["nonce"],
        # What the mock hands over instead of FranceConnect's civil-status claims: the
        # identifier the portal maps to an account.
        "identifiant": issued["identifier"],
        "partenaire": issued["partner"],
    }
    key = client_secret(runtime, request.client_id)
    return TokenAnswer(access_token=secrets.token_urlsafe(32), id_token=encode_jwt(claims, key))


def pairwise_subject(runtime: PortalRuntime, identifier: str, client_id: str) -> str:
    """FranceConnect gives each client its own opaque ``sub`` for the same person."""
    material = f"{client_id}:{identifier}".encode()
    return hmac.new(runtime.secret, b"sub:" + material, "sha256").hexdigest()


@dataclass(frozen=True)
class Identity:
    """What the client learns from a verified ID token."""

    subject: str
    identifier: str
    partner: str
    nonce: str


# The claims an ID token must carry; PyJWT refuses a token that lacks one.
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "nonce", "identifiant", "partenaire"]
# Only the one algorithm FranceConnect v1 uses: "none" and any other are refused.
_ALGORITHMS = ["HS256"]


def verify_id_token(token: str, *, key: str, issuer: str, audience: str) -> Identity | None:
    """The client's checks on an ID token: algorithm, signature, issuer, audience, expiry.

    The nonce is returned, not checked: the caller compares it with the one it sent.
    """
    claims = decode_jwt(token, key, issuer=issuer, audience=audience)
    if claims is None:
        return None
    values = [claims.get(k) for k in ("sub", "identifiant", "partenaire", "nonce")]
    if not all(isinstance(v, str) for v in values):
        return None
    subject, identifier, partner, nonce = (str(v) for v in values)
    return Identity(subject=subject, identifier=identifier, partner=partner, nonce=nonce)


def encode_jwt(claims: dict[str, Any], key: str) -> str:
    """A compact JWS, HS256 (FranceConnect v1 signs ID tokens this way)."""
    return jwt.encode(claims, key, algorithm="HS256")


def decode_jwt(token: str, key: str, *, issuer: str, audience: str) -> dict[str, Any] | None:
    """The claims of an ID token signed with ``key`` for ``audience`` by ``issuer``.

    None if anything is off: another algorithm (``none`` included), a bad signature, a
    wrong issuer or audience, an expired or future-dated token, a missing claim.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=_ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options={"require": _REQUIRED_CLAIMS, "verify_iat": True},
        )
    except jwt.PyJWTError:
        return None
    return claims
