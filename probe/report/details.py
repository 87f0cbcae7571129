"""What probe noticed at a step, and why a run was skipped, in the reader's language.

The journey and the account guard write these in plain English (they also reach the
terminal and ``report.json``); the report recognises each known sentence and shows the
catalog's version (``detail.<key>``), with the values it carried. A sentence it does not
know is shown as it is, marked as English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from probe.models import Lang
from probe.report.i18n import text
from probe.report.vocabulary import SYMPTOMS, pick

# (pattern, catalog key); named groups become the message's placeholders.
_KNOWN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), key)
    for p, key in [
        (r"Something inside the browser blocked the portal\.", "blocked-portal"),
        (r"The portal could not be reached \((?P<error>.*)\)\.", "unreachable"),
        (r"The portal answered HTTP (?P<status>\d+)\.", "http-status"),
        (r"The portal showed a message instead of the login form\.", "message-not-form"),
        (r"The page has no login form\.", "no-login-form"),
        (r"JavaScript is switched off in this browser; the portal needs it\.", "javascript-off"),
        (
            r"The security check was blocked inside the browser \((?P<error>\S+) for (?P<url>.*)\)\.",
            "captcha-blocked",
        ),
        (r"The security check did not appear within (?P<seconds>[\d.]+) s\.", "captcha-missing"),
        (
            r"The security check is on the page, but something hides it \(a style rule\)\.",
            "captcha-hidden",
        ),
        (r"The security check refused this browser\.", "captcha-refused"),
        (
            r"The security check appeared but gave no answer within (?P<seconds>[\d.]+) s\.",
            "captcha-no-answer",
        ),
        (r"The login form could not be filled in\.", "form-not-filled"),
        (
            r"Pressing the login button did nothing: the form was not sent \(still on (?P<url>.*)\)\.",
            "form-not-sent",
        ),
        (r"The portal refused the login \(HTTP (?P<status>\S+)\)\.", "login-refused"),
        (r"The security code was refused \(HTTP (?P<status>\S+)\)\.", "code-refused"),
        (r"The identity federation answered \(HTTP (?P<status>\S+)\)\.", "federation-answered"),
        (r"The partner answered \(HTTP (?P<status>\S+)\)\.", "partner-answered"),
        (r"Back on the portal, it answered \(HTTP (?P<status>\S+)\)\.", "back-on-portal"),
        (r"The portal shows no FranceConnect button\.", "no-franceconnect"),
        (r"The partner '(?P<partner>.*)' is not offered\.", "partner-missing"),
        (r"No security code arrived within (?P<seconds>[\d.]+) s\.(?P<rest>.*)", "no-code"),
        (r"It landed in the spam folder\.", "in-spam"),
        (r"The account home page did not appear\.", "no-home"),
        (r"The attestation could not be downloaded\.", "no-download"),
        (r"The downloaded attestation is not a PDF document\.", "not-pdf"),
        (r"Downloaded (?P<file>.*)\.", "downloaded"),
        (r"The browser reported: (?P<error>.*)", "browser-reported"),
        (r"not reached", "not-reached"),
        (r"not needed: the problem did not show up by here", "not-needed-here"),
        (r"not needed: the verdict was already certain", "not-needed-verdict"),
        (r"stopped before the end", "stopped"),
        (
            r"The portal asks for a security code and probe has no outbox to read it\.",
            "no-outbox",
        ),
        (
            r"the portal already answered '(?P<answer>[a-z-]+)' for this account; "
            r"submitting again would change nothing",
            "skip-account-answer",
        ),
        (
            r"the portal already rejected these exact credentials; "
            r"submitting them again could lock the account",
            "skip-rejected",
        ),
        (r"already (?P<count>\d+) rejected logins in this diagnosis", "skip-too-many"),
    ]
]


@dataclass(frozen=True)
class Shown:
    text: str
    lang: Lang  # the language the text is in: "en" when the sentence was not recognised


def shown(sentence: str, lang: Lang) -> Shown:
    """``sentence`` in ``lang`` when it is one probe knows, else as it is (in English)."""
    for pattern, key in _KNOWN:
        match = pattern.fullmatch(sentence.strip())
        if match is None:
            continue
        values = match.groupdict()
        if "answer" in values:
            values["answer"] = pick(SYMPTOMS, values["answer"], lang)
        if "rest" in values:
            rest = values["rest"].strip()
            values["rest"] = (" " + shown(rest, lang).text) if rest else ""
        return Shown(text(f"detail.{key}", lang, **values), lang)
    return Shown(sentence, "en")
