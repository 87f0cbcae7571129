"""The portal's account rules, independent of HTTP: who may log in, lockout, one-time codes.

Identifiers are matched exactly at login (a pasted trailing space is a wrong
identifier, as on the real portal), but failed attempts are counted on the
*normalised* identifier, so that adding spaces or changing case cannot dodge the lockout.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from probe.mock_portal.runtime import IssuedCode, PortalRuntime
from probe.mock_portal.state import Account

CodePurpose = Literal["login", "unlock", "reset"]
# "void": too many wrong tries on the latest code; only a new code can work now.
CodeCheck = Literal["ok", "wrong", "expired", "void"]
LoginAnswer = Literal["ok", "wrong", "locked", "just-locked", "rights-not-open", "provisional"]

SUPPORT_LINE = "36 46"


def normalise(identifier: str) -> str:
    """The identifier the lockout counter is keyed on: no whitespace at all, upper case."""
    return "".join(identifier.split()).upper()


def find_exact(runtime: PortalRuntime, identifier: str) -> Account | None:
    with runtime.lock:
        return runtime.accounts.get(identifier)


def find_normalised(runtime: PortalRuntime, identifier: str) -> Account | None:
    key = normalise(identifier)
    if not key:
        return None
    with runtime.lock:
        for account in runtime.accounts.values():
            if normalise(account.identifier) == key:
                return account
    return None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def check_login(runtime: PortalRuntime, identifier: str, password: str) -> LoginAnswer:
    """Decide a login attempt and update the failure counter; locks at the threshold."""
    with runtime.lock:
        account = find_normalised(runtime, identifier)
        if account is not None:
            # Status answers come first: these accounts have no usable password at all.
            if account.status == "locked":
                return "locked"
            if account.status == "rights-not-open":
                return "rights-not-open"
            if account.status == "provisional":
                return "provisional"
        exact = find_exact(runtime, identifier)
        if exact is not None and _same(password, exact.password):
            exact.failed_attempts = 0
            return "ok"
        if account is None:
            return "wrong"
        account.failed_attempts += 1
        if account.failed_attempts < runtime.config.lockout_threshold:
            return "wrong"
        account.status = "locked"
    send_unlock_code(runtime, account)
    return "just-locked"


def send_unlock_code(runtime: PortalRuntime, account: Account) -> None:
    """What the support line does for a locked account: an unlock code by SMS."""
    code = issue_code(runtime, account.identifier, "unlock")
    runtime.send(
        account.phone,
        "sms",
        "Déverrouillage de votre compte",
        f"Votre code de déverrouillage Mon Compte est {code}. "
        "Saisissez-le sur la page « Déverrouiller mon compte ».",
    )


def unlock(runtime: PortalRuntime, account: Account, code: str) -> CodeCheck:
    answer = use_code(runtime, account.identifier, "unlock", code)
    if answer == "ok":
        with runtime.lock:
            account.status = "active"
            account.failed_attempts = 0
    return answer


def issue_code(runtime: PortalRuntime, identifier: str, purpose: CodePurpose) -> str:
    """A fresh 6-digit code; any earlier code for the same purpose stops working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    ttl = runtime.config.second_factor.code_ttl_seconds
    with runtime.lock:
        runtime.codes[(identifier, purpose)] = IssuedCode(
            code=code, expires_at=time.monotonic() + ttl
        )
    return code


def use_code(
    runtime: PortalRuntime, identifier: str, purpose: CodePurpose, typed: str, *, spend: bool = True
) -> CodeCheck:
    """Check a typed code against the latest one issued; a good code is single-use.

    Wrong tries are counted on the code, so per account and whatever the session: at
    ``max_wrong_codes`` the code is void, even for the right digits, until a new one is sent.
    """
    limit = runtime.config.second_factor.max_wrong_codes
    with runtime.lock:
        issued = runtime.codes.get((identifier, purpose))
        if issued is None or issued.used:
            return "wrong"
        if issued.wrong_tries >= limit:
            return "void"
        if not _same(typed.strip(), issued.code):
            issued.wrong_tries += 1
            return "void" if issued.wrong_tries >= limit else "wrong"
        if time.monotonic() > issued.expires_at:
            return "expired"
        if spend:
            issued.used = True
    return "ok"


@dataclass(frozen=True)
class Destination:
    channel: Literal["sms", "email"]
    address: str
    shown: str  # masked, fit for a page


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    if phone.startswith("+33") and len(digits) == 11:
        digits = ["0", *digits[2:]]
    tail = "".join(digits[-2:])
    return f"{''.join(digits[:2])} •• •• •• {tail}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def destination(account: Account) -> Destination:
    """Where the account's codes go: its second-factor channel (SMS when it has none)."""
    if account.second_factor == "email":
        return Destination("email", account.email, mask_email(account.email))
    return Destination("sms", account.phone, mask_phone(account.phone))


def send_login_code(runtime: PortalRuntime, account: Account) -> Destination:
    where = destination(account)
    code = issue_code(runtime, account.identifier, "login")
    minutes = max(1, runtime.config.second_factor.code_ttl_seconds // 60)
    runtime.send(
        where.address,
        where.channel,
        "Votre code de sécurité",
        f"Votre code de sécurité Mon Compte est {code}. Il est valable {minutes} minutes. "
        "Ne le communiquez à personne.",
    )
    return where


def send_reset_code(runtime: PortalRuntime, account: Account) -> Destination:
    where = destination(account)
    code = issue_code(runtime, account.identifier, "reset")
    runtime.send(
        where.address,
        where.channel,
        "Réinitialisation de votre mot de passe",
        f"Votre code pour choisir un nouveau mot de passe Mon Compte est {code}.",
    )
    return where


PASSWORD_RULES: tuple[tuple[str, str], ...] = (
    ("length", "au moins 12 caractères"),
    ("upper", "au moins une lettre majuscule"),
    ("lower", "au moins une lettre minuscule"),
    ("digit", "au moins un chiffre"),
    ("symbol", "au moins un caractère spécial (par exemple ! ? - _ @)"),
)


def password_problems(password: str) -> list[str]:
    """The strength rules a new password breaks, as a person would read them."""
    met = {
        "length": len(password) >= 12,
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "symbol": any(not c.isalnum() and not c.isspace() for c in password),
    }
    return [text for rule, text in PASSWORD_RULES if not met[rule]]
