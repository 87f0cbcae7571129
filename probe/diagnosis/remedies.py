"""What to tell the person: one sentence per verdict, and the steps that fix it, as data.

Remedies follow the order the domain reference recommends: the obvious first (what was
typed), then the technical checks (maintenance, cookies and cache, extensions, another
browser, private window), then the support line. Nothing here is a sentence: each remedy
and summary is a ``Detail``, a catalog key (``remedy.clear-cookies``,
``summary.extension.captcha``) and its values; the report renders it in the reader's
language (``probe/report/locale``). Every sentence is probe's own and speaks of "the
portal"; a portal's description may give its own text for a remedy (who to call, what to
have at hand), see ``probe/diagnosis/portal_remedies.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from probe.models import CookieGroup, Culprit, Detail, Evidence, Factor, Remedy, Status
from probe.report.details import remedy

# Catalog keys (``remedy.<key>``) whose remedy id differs: the same advice, worded for
# another verdict.
_IDS = {
    "reset-password-code": "reset-password",
    "resend-code-soon": "resend-code",
    "other-network-now": "other-network",
}
# Remedies that name the culprits (``{names}``).
_NAMING = frozenset({"disable-extension", "restore-setting", "remove-site-setting"})

# Remedies worded for several culprits at once (``remedy.<key>``): "turn off the
# extensions 'A' + 'B'", "if you want to keep them".
_SEVERAL = {"disable-extension": "disable-extensions", "allow-portal": "allow-portal.several"}

_BROWSER_FALLBACK = ("private-window", "other-browser", "call-support")

# factor -> (the steps to take, in order; what to do if they do not work)
_REMEDIES: dict[Factor, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "none": ((), ("call-support",)),
    "extension": (("disable-extension", "allow-portal"), _BROWSER_FALLBACK),
    "cookies": (("clear-cookies",), _BROWSER_FALLBACK),
    "site-data": (("clear-site-data",), _BROWSER_FALLBACK),
    "browser-setting": (("restore-setting",), ("other-browser", "call-support")),
    "credentials": (("retype",), ("reset-password", "call-support")),
    "invalid-credentials": (
        ("retype-carefully", "reset-password-code", "federation"),
        ("call-support",),
    ),
    "account-locked": (("unlock-by-phone", "unlock-code"), ("federation", "call-support")),
    "maintenance": (("retry-later", "other-browser", "clear-cache"), ("call-support",)),
    "rate-limited": (("wait", "other-network"), ("call-support",)),
    "stale-provisional-code": (("new-provisional-code",), ("call-support",)),
    "security-code-undelivered": (
        ("check-spam", "resend-code", "update-contact"),
        ("call-support",),
    ),
    "security-code-expired": (("resend-code-soon",), ("call-support",)),
    "rights-not-open": (("wait-rights",), ("call-support",)),
    "identity-provider": (("other-partner",), ("call-support",)),
    "captcha-provider": (("retry-later", "federation"), ("call-support",)),
    "certificate": (
        ("check-clock", "tls-interception", "company-ca"),
        ("other-network", "call-support"),
    ),
    "automation-refused": (("other-network-now", "retry-later"), ("call-support",)),
    "login-refused": (("retype-carefully", "reset-password"), ("call-support",)),
    "login-question": (("answer-question",), ("retry-later", "call-support")),
    "session-lost": (("reload-login", "clear-cookies"), ("private-window", "call-support")),
    "unknown": (("private-window", "other-browser"), ("call-support",)),
}

# (factor, note) with a summary of their own: ``summary.<factor>.<note>``.
_QUALIFIED = frozenset(
    {
        ("none", "no-submit"),
        ("invalid-credentials", "later"),
        ("security-code-undelivered", "spam"),
        ("unknown", "browser-crashed"),
        ("unknown", "runs-stopped"),
    }
)
# Summaries that name the culprits (``{names}``).
_NAMED = frozenset({"browser-setting", "credentials", "cookies"})
# What an extension was seen breaking (a note of the diagnosis) -> its summary's key.
_EXTENSION_BREAKS = {"captcha": "captcha", "form": "form", "automated": "automated"}


def remedies(
    factor: Factor, culprits: Sequence[Culprit], symptom_note: str = ""
) -> tuple[list[Remedy], list[Remedy]]:
    """The steps to take, in order, then what to do if they do not work."""
    steps, fallback = _REMEDIES[factor]
    if factor == "browser-setting":
        steps = _setting_steps(culprits)
    return _made(steps, culprits), _made(fallback, culprits)


def _setting_steps(culprits: Sequence[Culprit]) -> tuple[str, ...]:
    """A per-site exception (``site-cookies:wiki.example``) is undone in the site
    settings, where the person added it; a global setting where it is set."""
    per_site = [":" in c.id for c in culprits]
    if per_site and all(per_site):
        return ("remove-site-setting",)
    return ("restore-setting", "remove-site-setting") if any(per_site) else ("restore-setting",)


def _made(keys: Sequence[str], culprits: Sequence[Culprit]) -> list[Remedy]:
    several = len(culprits) > 1
    return [
        remedy(
            _IDS.get(key, key),
            _SEVERAL.get(key, key) if several else key,
            **({"names": list(culprits)} if key in _NAMING else {}),
        )
        for key in keys
    ]


def summary(
    status: Status,
    factor: Factor,
    culprits: Sequence[Culprit],
    symptom_note: str = "",
    *,
    cookies: CookieGroup | None = None,
    evidence: Sequence[Evidence] = (),
) -> list[Detail]:
    """The verdict in one plain sentence, then what the browser caught each extension doing."""
    if factor == "extension":
        first = _extension(culprits, symptom_note)
    elif factor == "cookies" and symptom_note == "headers-too-large":
        first = _too_large(culprits, cookies)
    elif (factor, symptom_note) in _QUALIFIED:
        first = Detail(key=f"summary.{factor}.{symptom_note}")
    else:
        named = {"names": list(culprits)} if factor in _NAMED else {}
        first = Detail(key=f"summary.{factor}", params=named)
    return [first, *evidence_details(evidence)]


def _extension(culprits: Sequence[Culprit], note: str) -> Detail:
    what = _EXTENSION_BREAKS.get(note, "login")
    many = "extensions" if len(culprits) > 1 else "extension"
    return Detail(key=f"summary.{many}.{what}", params={"names": list(culprits)})


def _too_large(culprits: Sequence[Culprit], cookies: CookieGroup | None) -> Detail:
    """Cookies that make the portal answer HTTP 431: how many and how big, when measured."""
    if cookies is None:
        return Detail(key="summary.cookies.too-large", params={"names": list(culprits)})
    amount: dict[str, Detail | int | str] = {"count": cookies.count, "host": cookies.host}
    if not cookies.total_bytes:
        return Detail(key="summary.cookies.too-many", params=dict(amount))
    amount["size"] = _size(cookies.total_bytes)
    return Detail(key="summary.cookies.too-many.size", params=dict(amount))


def _size(total_bytes: int) -> Detail:
    if total_bytes < 1024:
        return Detail(key="size.bytes", params={"count": total_bytes})
    return Detail(key="size.kib", params={"kib": round(total_bytes / 1024, 1)})


def _shown_url(url: str) -> str:
    """``captcha.localhost/api.js``: what a person recognises of a URL (no scheme, no port)."""
    rest = url.partition("://")[2] or url
    host, _, path = rest.partition("/")
    return host.partition(":")[0] + ("/" + path if path else "")


def evidence_details(evidence: Sequence[Evidence]) -> list[Detail]:
    """What the browser caught each extension doing, one sentence each (each said once)."""
    said = [
        Detail(key=f"evidence.{item.kind}", params={"name": item.name, "url": _shown_url(item.url)})
        for item in evidence
    ]
    return [detail for index, detail in enumerate(said) if detail not in said[:index]]
