"""A last line of defence before anything is written: no query strings, no secret-looking values.

The engine already drops query strings when it records a URL, but a report may come from
an older probe or a hand-edited ``report.json`` (``probe report DIR``), and free text such
as console errors quotes URLs verbatim. One-time codes, OIDC codes and CAPTCHA tokens
travel in query strings and fragments, so every URL the report shows loses both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from probe.models import Detail, FailedRequest, ParamValue, PortalInfo, Report, Step, VariantRun

HIDDEN = "[hidden]"
_TRACE = re.compile(r"traces/[A-Za-z0-9][A-Za-z0-9._-]*\.zip")

# A portal's message or a console error longer than this is cut: a hostile page could
# otherwise make report.json as big as it likes.
MAX_TEXT_CHARS = 2_000
# Shorter secrets cannot be told apart from ordinary words and digits in a text.
MIN_SECRET_CHARS = 4

# C0 controls but tab and newline, DEL, C1 controls (ESC, CSI...), surrogates and the two
# non-characters XML 1.0 forbids: a terminal obeys them, an XML parser rejects them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# URLs quoted inside free text (console messages, details, portal messages).
_URL_IN_TEXT = re.compile(r"""\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+""")

# key=value pairs whose value is a secret wherever they appear (cookie headers, logs).
_SECRET_PAIR = re.compile(
    r"""(?ix)
    \b(
        code | otp | token | [a-z_]*_token | access_token | id_token | password | passwd
        | pwd | pw | mot[-_]de[-_]passe | session | sessionid | sid | state | nonce
        | csrf | csrf_token | captcha | captcha_token | secret | api[-_]?key | cookie
    )
    (\s*[=:]\s*)
    ("[^"]*"|'[^']*'|[^\s&;,'"<>)\]}]+)
    """
)


def strip_url(url: str) -> str:
    """``url`` without its query string, fragment or user info.

    >>> strip_url("http://portal.localhost:8000/franceconnect/callback?code=abc#x")
    'http://portal.localhost:8000/franceconnect/callback'
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return redact_text(url.split("?", 1)[0].split("#", 1)[0])
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    elif ":" in host:  # an IPv6 literal lost its brackets in hostname
        host = f"[{host}]"
    netloc = host if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def hide_secret_pairs(value: str) -> str:
    """``code=abc&lang=fr`` -> ``code=[hidden]&lang=fr``: secret-looking values hidden, text kept."""
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{HIDDEN}", value)


def redact_text(value: str) -> str:
    """Free text with every quoted URL stripped and every secret-looking value hidden."""
    without_queries = _URL_IN_TEXT.sub(lambda m: strip_url(m.group(0)), value)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{HIDDEN}", without_queries)


def strip_controls(value: str) -> str:
    """``value`` without control characters a terminal would obey or XML would reject.

    >>> strip_controls("ok\x1b[2J\x07")
    'ok[2J'
    """
    return _CONTROL.sub("", value)


def bounded(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``value`` cut to ``limit`` characters, saying how much was left out."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… [{len(value) - limit} more characters not kept]"


def _forms(secret: str) -> set[str]:
    """The ways a typed secret shows up again: as typed, and percent-encoded in a URL."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}


def hide_secrets(value: str, secrets: Iterable[str]) -> str:
    """``value`` with each of ``secrets`` (the password, codes, identifier) replaced.

    >>> hide_secrets("Mot de passe « S3cret-Pw » accepté", ["S3cret-Pw"])
    'Mot de passe « [hidden] » accepté'
    """
    forms = {
        form for secret in secrets if len(secret) >= MIN_SECRET_CHARS for form in _forms(secret)
    }
    for form in sorted(forms, key=len, reverse=True):
        value = value.replace(form, HIDDEN)
    return value


def clean_text(value: str, secrets: Iterable[str] = ()) -> str:
    """What a page showed, made safe to keep: bounded, no controls, no secrets, no queries."""
    return redact_text(hide_secrets(strip_controls(bounded(value)), secrets))


def clean_url(value: str, secrets: Iterable[str] = ()) -> str:
    return strip_url(hide_secrets(strip_controls(bounded(value)), secrets))


def clean_detail(detail: Detail, secrets: Iterable[str] = ()) -> Detail:
    """``detail`` with every text it carries cleaned (a browser's error, a URL...)."""
    kept = tuple(secrets)

    def value(item: ParamValue) -> ParamValue:
        if isinstance(item, str):
            return clean_text(item, kept)
        if isinstance(item, Detail):
            return clean_detail(item, kept)
        return item

    return Detail(key=detail.key, params={name: value(v) for name, v in detail.params.items()})


def clean_step(step: Step, secrets: Iterable[str] = ()) -> Step:
    """``step`` with every recorded text and URL cleaned (see :func:`clean_text`)."""
    kept = tuple(secrets)

    def text(value: str | None) -> str | None:
        return None if value is None else clean_text(value, kept)

    return step.model_copy(
        update={
            "url": None if step.url is None else clean_url(step.url, kept),
            "message": text(step.message),
            "note": None if step.note is None else clean_detail(step.note, kept),
            "detail": text(step.detail),
            "console_errors": [clean_text(line, kept) for line in step.console_errors],
            "failed_requests": [
                FailedRequest(
                    url=clean_url(request.url, kept),
                    resource_type=strip_controls(bounded(request.resource_type, 40)),
                    error=clean_text(request.error, kept),
                )
                for request in step.failed_requests
            ],
        }
    )


def _optional_text(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def _step(step: Step) -> Step:
    return clean_step(step)


def _variant(run: VariantRun) -> VariantRun:
    return run.model_copy(
        update={
            "message": _optional_text(run.message),
            "skipped_reason": _optional_text(run.skipped_reason),
            "skipped_because": None
            if run.skipped_because is None
            else clean_detail(run.skipped_because),
            "steps": [_step(step) for step in run.steps],
            "evidence": [e.model_copy(update={"url": strip_url(e.url)}) for e in run.evidence],
            # Only a trace probe wrote itself is linked: a path inside traces/, nothing else.
            "trace": run.trace if run.trace and _TRACE.fullmatch(run.trace) else None,
        }
    )


def redact_report(report: Report) -> Report:
    """A copy of ``report`` that is safe to write and show."""
    portal = PortalInfo(
        url=clean_url(report.portal.url),
        embedded=report.portal.embedded,
        scenario=report.portal.scenario,
    )
    credentials = [
        finding.model_copy(
            update={
                "detail": clean_text(finding.detail),
                "says": None if finding.says is None else clean_detail(finding.says),
            }
        )
        for finding in report.credentials
    ]
    return report.model_copy(
        update={
            "portal": portal,
            "credentials": credentials,
            "variants": [_variant(run) for run in report.variants],
        }
    )
