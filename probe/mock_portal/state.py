"""The typed state of the mock portal: every behaviour is switched here, never by the browser.

Scenario files embed a ``PortalConfig`` (TOML table ``[portal]``); ``create_app`` builds the
Starlette app from it. Runtime data (sessions, codes, counters, outbox) lives in
``PortalRuntime``, created fresh for each app.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEMO_IDENTIFIER = "1850775123456"
DEMO_PASSWORD = "Ameli-Demo-2026!"
# The FranceConnect partners' password for any identifier (the portal's accounts log in
# at a partner with their own identifier and this password); a partner is another system,
# so it is deliberately not the portal's password.
DEMO_PARTNER_PASSWORD = "Partenaire-Demo-2026!"


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Account(Config):
    identifier: str  # numéro de sécurité sociale (13 digits), as the portal stores it
    password: str
    phone: str = "+33612345678"
    email: str = "assure@example.test"
    second_factor: Literal["sms", "email", "none"] = "sms"
    # "active": can log in; "locked": already locked (too many failures);
    # "rights-not-open": affiliation not consolidated, cannot create nor use the account;
    # "provisional": created but waiting for the provisional code (account creation).
    status: Literal["active", "locked", "rights-not-open", "provisional"] = "active"
    failed_attempts: int = 0


class CaptchaConfig(Config):
    enabled: bool = True
    # Modelled on Cloudflare Turnstile's test keys.
    mode: Literal["pass", "fail", "interactive", "never"] = "pass"
    token_ttl_seconds: int = 120


class SecondFactorConfig(Config):
    enabled: bool = True
    code_ttl_seconds: int = 300
    # Wrong tries a one-time code (security, unlock, reset) survives; then it is void and
    # a new one must be requested, so six digits cannot be guessed by trying them all.
    max_wrong_codes: int = Field(default=5, ge=1)
    # "inbox": delivered; "spam": delivered to the spam folder; "undelivered": lost.
    delivery: Literal["inbox", "spam", "undelivered"] = "inbox"


PartnerMode = Literal["ok", "down", "rejected"]


def _all_partners_ok() -> dict[str, PartnerMode]:
    return {"impots": "ok", "identite-numerique": "ok", "msa": "ok"}


class IdentityProviderConfig(Config):
    enabled: bool = True
    # Per partner: "ok", "down" (the partner's page fails), "rejected" (identity refused).
    partners: dict[str, PartnerMode] = Field(default_factory=_all_partners_ok)


class MaintenanceConfig(Config):
    enabled: bool = False
    retry_after_seconds: int = 1800


class RateLimitConfig(Config):
    enabled: bool = True
    max_requests: int = 600  # page requests per client per window
    window_seconds: int = 60


class PortalConfig(Config):
    """Everything that decides how the portal behaves."""

    release: int = 1
    lockout_threshold: int = 5
    accounts: list[Account] = Field(
        default_factory=lambda: [Account(identifier=DEMO_IDENTIFIER, password=DEMO_PASSWORD)]
    )
    captcha: CaptchaConfig = Field(default_factory=CaptchaConfig)
    second_factor: SecondFactorConfig = Field(default_factory=SecondFactorConfig)
    identity_provider: IdentityProviderConfig = Field(default_factory=IdentityProviderConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    max_cookie_header_bytes: int = 8192
    # The portal's bot detection distrusts every client (an address range it blocks): every
    # login is refused as automated browsing, whatever the browser.
    refuse_as_automated: bool = False
    # A new release words a wrong password in a way the portal's description has no rule
    # for ("Connexion refusée (réf. AUTH-17)..."): still a refusal, in the portal's words.
    unexplained_refusal: bool = False
    # A new check: every login is first answered with a security question added to the
    # form (before the password is looked at), which the description does not know.
    ask_question: bool = False
    # The portal's servers do not share sessions: every login is answered "your session
    # has expired", whatever the browser (a session check fails on the portal's side).
    session_lost: bool = False
    service_worker: bool = True
    # "untrusted-ca": served over HTTPS with a certificate from a CA made on the spot,
    # which no browser trusts (a company network's or an antivirus's interception).
    tls: Literal["off", "untrusted-ca"] = "off"
    # Provisional codes issued for account creation, oldest first; only the last is valid.
    provisional_codes: dict[str, list[str]] = Field(default_factory=dict)
