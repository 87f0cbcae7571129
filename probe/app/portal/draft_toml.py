"""Writing a drafted portal description as TOML, each guess with the reason for it."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from probe.app.portal.login_page import KNOWN_WIDGETS, LoginPage
from probe.app.portal.trying import Attempt, Learned
from probe.description.pagemap import fold

REPLACE_ME = "#REPLACE-ME"
LOGGED_IN_GUESS = "html:not(:has(input[type=password]))"

# Starting rules by language: what portals commonly say, most specific first.
STARTER_RULES: dict[str, list[tuple[str, str]]] = {
    "en": [
        (r"maintenance|temporarily unavailable", "maintenance"),
        (r"too many requests", "rate-limited"),
        (
            r"too many (failed )?(login |sign.in )?attempts|account (is )?locked|locked out",
            "account-locked",
        ),
        (r"cookies?", "cookies-refused"),
        (
            r"automated (browsing|access|traffic|queries|requests)|unusual traffic"
            r"|(bot|robot|automation) (detected|activity)|look(s|ed)? (like a )?(bot|robot|automated)",
            "automation-refused",
        ),
        (r"captcha|robot", "captcha-rejected"),
        (
            r"(username|password|e-?mail|credentials|login).*(not correct|incorrect|invalid|wrong)"
            r"|invalid (username|password|credentials|login)",
            "invalid-credentials",
        ),
    ],
    "fr": [
        (r"maintenance|indisponible", "maintenance"),
        (r"trop de requetes", "rate-limited"),
        (r"trop de tentatives|verrouille|bloque", "account-locked"),
        (r"cookies?", "cookies-refused"),
        (
            r"navigation automatisee|(acces|requetes?|trafic) (automatise|inhabituel)"
            r"|(robot|bot) detecte|activite (automatisee|inhabituelle)",
            "automation-refused",
        ),
        (r"captcha|robot", "captcha-rejected"),
        (r"(identifiant|mot de passe).*(incorrect|invalide|errone)", "invalid-credentials"),
    ],
}
_FRENCH_WORDS = re.compile(r"\b(connexion|mot de passe|identifiant|se connecter)\b", re.I)


# What TOML refuses raw in a string or a comment (C0 and C1 controls, DEL), and what
# UTF-8 cannot write (lone surrogates, which a page's script can put in a label).
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LONGEST = 300  # characters of page text kept in a comment or a guessed value


def _s(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's; DEL and C1 controls escaped too, and
    a lone surrogate (no Unicode scalar value, which TOML cannot hold) replaced by U+FFFD."""
    text = json.dumps(value, ensure_ascii=False)

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return "\ufffd" if 0xD800 <= code <= 0xDFFF else f"\\u{code:04x}"

    return _UNWRITABLE.sub(escape, text)


def _said(text: str) -> str:
    """Page text fit for a TOML comment: one line, printable, not too long."""
    flat = " ".join(_UNWRITABLE.sub(" ", text).split())
    return repr(flat[:_LONGEST] + ("..." if len(flat) > _LONGEST else ""))


def _language(page: LoginPage) -> str:
    lang = str(page.elements.get("lang") or "")[:2].lower()
    if lang in STARTER_RULES:
        return lang
    return "fr" if _FRENCH_WORDS.search(str(page.elements.get("text") or "")) else "en"


def render(url: str, page: LoginPage, learned: Learned | None = None) -> str:
    """The draft description of the login page ``page`` found at ``url``.

    ``learned``: what two logins showed (``probe portal draft --user``); each value taken
    from them says "learned" and what was seen.
    """
    e = page.elements
    host = urlsplit(url).hostname or "portal"
    lang = _language(page)
    if learned is None:
        how = ["# Every value is a guess from the login page alone (nothing was typed or sent)."]
    else:
        how = [
            "# probe logged in twice (a wrong password, then yours): values marked 'learned'",
            "# come from what the portal answered; the others are guesses from the page alone.",
        ]
    out: list[str] = [
        f"# Drafted by 'probe portal draft' from {_said(url)[1:-1]} on {date.today().isoformat()}.",
        *how,
        "# Check it with 'probe portal check FILE', correct what it says, fill in what is",
        "# marked CHECK, then run 'probe browser --portal FILE'.",
        "",
        f"name = {_s(host)}",
        f"login_url = {_s(url)}",
        '# browser_language = "en-GB"  # default: the language of the person\'s browser',
        f"languages = [{_s(lang)}]  # guessed from the page's language and words",
        "",
    ]
    masked = [s for s in (e.get("password"), e.get("identifier")) if s]
    out += [
        "# Fields whose content never appears in a screenshot.",
        "masked = [" + ", ".join(_s(m) for m in masked) + "]",
        "",
    ]
    out += _hosts(page, host)
    out += _open_step(e)
    out += _federation_step(e)
    out += _captcha_step(page)
    out += _credentials_step(page, learned)
    right = learned.right if learned else None
    if right is not None and right.second:
        out += _second_factor(right)
    else:
        out += [
            "# If the portal asks for a security code after the password, describe it here:",
            "# [[steps]]",
            '# kind = "second-factor"',
            '# form = "#code-form"      # its presence means a code is asked for',
            '# code = "#code"',
            '# submit = "#send-code"',
            '# source = { kind = "prompt" }  # or mailpit / totp / outbox',
            "",
        ]
    out += _logged_in(right)
    out += _messages(e, lang, learned)
    out += [
        "# Remedies only this portal needs (who to call, what to have at hand); every other",
        "# remedy is probe's generic text.",
        "# [remedies.call-support]",
        '# en = "Call the support line (01 23 45 67 89) with your customer number at hand."',
        '# fr = "Appelez l\'assistance (01 23 45 67 89) avec votre numéro de client."',
        "",
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def _captcha_hosts(page: LoginPage) -> list[str]:
    e = page.elements
    hosts: list[str] = []
    for frame in e.get("iframes", []):
        if frame["other"]:
            hosts.append(frame["host"])
    for script in e.get("scripts", []):
        hosts.append(urlsplit(script).hostname or "")
    if not (e.get("widgets") or page.widget or e.get("sitekey")):
        return []
    return [h for h in dict.fromkeys(hosts) if h]


def _hosts(page: LoginPage, host: str) -> list[str]:
    captcha = _captcha_hosts(page)
    out = [
        "# The hosts whose cookies and site data belong to the portal.",
        "[[hosts]]",
        f"name = {_s(host)}",
        'role = "portal"',
        "",
    ]
    for name in captcha:
        out += [
            "[[hosts]]  # guess: the CAPTCHA's scripts or frames come from there",
            f"name = {_s(name)}",
            'role = "captcha"',
            "",
        ]
    others = [h for h in page.hosts if h and h != host and h not in captcha]
    if others:
        out.append("# Other hosts the page talked to; uncomment those that belong to the portal:")
        for name in others:
            out += ["# [[hosts]]", f"# name = {_s(name)}", ""]
    return out


def _open_step(e: dict[str, Any]) -> list[str]:
    out = ["[[steps]]", 'kind = "open"']
    if e.get("form"):
        out.append(f"form = {_s(e['form'])}  # the form holding the password field")
    else:
        out.append(f"form = {_s(e['password'])}  # no <form>: the password field itself")
    if e.get("noscript"):
        out.append(f"noscript = {_s(e['noscript'])}  # shown when JavaScript is off")
    else:
        out.append('# noscript = "#noscript"  # none found: what the page shows without JavaScript')
    return [*out, ""]


def _federation_step(e: dict[str, Any]) -> list[str]:
    federation = e.get("federation")
    if not federation or not federation.get("selector"):
        return []
    return [
        f"# A button to log in elsewhere ({_said(federation.get('text', ''))}); to diagnose that",
        "# path, uncomment and fill in the partner's pages:",
        "# [[steps]]",
        '# kind = "federation"',
        f"# button = {_s(federation['selector'])}",
        '# partner_button = "#partner-{partner}"',
        '# default_partner = "..."',
        '# partner_identifier = "#username"',
        '# partner_password = "#password"',
        '# partner_submit = "button[type=submit]"',
        "",
    ]


def _captcha_step(page: LoginPage) -> list[str]:
    e = page.elements
    widget = page.widget or {}
    vendors = e.get("widgets") or []
    known: dict[str, Any] = KNOWN_WIDGETS[vendors[0]["vendor"]] if vendors else {}
    frame = widget.get("frame") or next((f for f in e.get("iframes", []) if f["other"]), None)
    if not (vendors or widget or e.get("sitekey")):
        return ["# No CAPTCHA found on the login page.", ""]
    where = known.get("where") or ("iframe" if frame else "page")
    name = vendors[0]["vendor"] if vendors else "an unknown vendor"
    out = [
        "[[steps]]",
        'kind = "captcha"',
        f"# guess: a CAPTCHA widget from {name}, {'in an iframe' if where == 'iframe' else 'in the page itself'}",
        f"where = {_s(where)}",
    ]
    container = (
        (vendors[0]["container"] if vendors else None)
        or (frame or {}).get("container")
        or e.get("sitekey")
    )
    out.append(f"container = {_s(container or REPLACE_ME)}  # on the login page")
    if where == "iframe":
        path = known.get("frame_url") or (frame or {}).get("path") or "/"
        out.append(f"frame_url = {_s(path)}  # a piece of the iframe's URL")
    click = known.get("click") or widget.get("click") or REPLACE_ME
    label = f" ({_said(widget['clickText'])})" if widget.get("clickText") else ""
    out.append(f"click = {_s(click)}  # what a person clicks{label}")
    if widget.get("verify"):
        out.append(f"verify = {_s(widget['verify'])}  # a second button the widget has")
    if widget.get("state"):
        out.append(
            f'rendered = {{ selector = {_s(widget["state"])}, attribute = "data-state", '
            f"values = [{_s(widget.get('stateValue') or '')}] }}  # its state on arrival"
        )
    else:
        out.append(f"rendered = {{ selector = {_s(click)} }}  # usable once this is there")
    token = known.get("token") or widget.get("token") or e.get("token") or REPLACE_ME
    out.append(f"token = {_s(token)}  # holds the token once solved (CHECK)")
    for mark in ("solved", "failed"):
        if known.get(mark) and widget.get("state"):
            values = ", ".join(_s(v) for v in known[mark])
            out.append(
                f'{mark} = {{ selector = {_s(widget["state"])}, attribute = "data-state", '
                f"values = [{values}] }}  # the vendor's documented states"
            )
    if not known.get("failed"):
        out.append('# failed = { selector = "...", text = "..." }  # CHECK: how a failure shows')
    if widget.get("status"):
        out.append(f"status = {_s(widget['status'])}  # where the widget says what it does")
    hosts = _captcha_hosts(page)
    out.append(
        "blocked_hosts = [" + ", ".join(_s(h) for h in hosts) + "]"
        "  # blocked requests there mean 'CAPTCHA blocked'"
    )
    return [*out, ""]


def _credentials_step(page: LoginPage, learned: Learned | None) -> list[str]:
    e = page.elements
    answers = [a for a in (learned.wrong, learned.right) if a] if learned else []
    if answers:
        navigated = any(a.navigated for a in answers)
        answer = "navigation" if navigated else "in-page"
        seen = answers[0]
        sent = f" ({seen.request}, HTTP {seen.status})" if seen.request else ""
        why = f"learned: the answer to a login{sent} came {'as a new page' if navigated else 'in the page, no new page'}"
    else:
        answer = "in-page" if page.in_page_answer else "navigation"
        why = "guess: " + (
            "a script handles the form's submit: the answer comes without a new page"
            if page.in_page_answer
            else "no script handles the form's submit: the answer is a new page"
        )
    submit_text = f" ({_said(e['submitText'])})" if e.get("submitText") else ""
    return [
        "[[steps]]",
        'kind = "credentials"',
        f"identifier = {_s(e.get('identifier') or REPLACE_ME)}  # the text field before the password",
        f"password = {_s(e['password'])}",
        f"submit = {_s(e.get('submit') or REPLACE_ME)}  # the form's button{submit_text}",
        f"answer = {_s(answer)}  # {why}",
        "",
    ]


def _second_factor(right: Attempt) -> list[str]:
    second = right.second or {}
    return [
        "[[steps]]",
        'kind = "second-factor"',
        f"# learned: after your password the portal asked {_said(second.get('text') or 'for a code')}",
        f"form = {_s(second.get('form') or REPLACE_ME)}",
        f"code = {_s(second.get('code') or REPLACE_ME)}",
        f"submit = {_s(second.get('submit') or REPLACE_ME)}",
        'source = { kind = "prompt" }  # you type the code you receive; or mailpit / totp / outbox',
        "",
    ]


def _logged_in(right: Attempt | None) -> list[str]:
    out = ["[[steps]]", 'kind = "logged-in"']
    if right is not None and right.marker is not None:
        return [
            *out,
            f"# learned: seen after your login ({_said(right.marker.text)}), absent from the",
            "# login page after a wrong password.",
            f"marker = {_s(right.marker.selector)}",
            "",
        ]
    if right is not None and right.second:
        out.append("# CHECK: probe stopped at the security code; what follows it is a guess.")
    elif right is not None and right.password_visible:
        out.append(
            "# CHECK: your login did not get past the login page"
            + (f" (the portal said {_said(right.message.text)})" if right.message else "")
            + "; this is a guess."
        )
    else:
        out += [
            '# CHECK: probe cannot see the page after login. This guess means "no password',
            '# field any more"; a selector only a logged-in person sees (their name, a',
            "# log-out button) tells a login from a page that merely lost its form.",
        ]
    return [*out, f"marker = {_s(LOGGED_IN_GUESS)}", ""]


def _learned_rule(wrong: Attempt | None, lang: str) -> list[str]:
    """A rule for the words the portal answered a wrong password with."""
    if wrong is None or wrong.message is None:
        return []
    folded = fold(wrong.message.text)
    words = folded.split()[:16]
    pattern = r"\s+".join(re.escape(w) for w in words)
    meaning = "invalid-credentials"
    for starter, starter_meaning in STARTER_RULES[lang]:
        if starter_meaning != "invalid-credentials" and re.search(starter, folded):
            meaning = starter_meaning
            break
    return [
        f"# learned: a wrong password was answered {_said(wrong.message.text)}",
        "[[messages.rules]]",
        f"lang = {_s(lang)}",
        f"pattern = {_s(pattern)}",
        f"meaning = {_s(meaning)}",
        "",
    ]


def _messages(e: dict[str, Any], lang: str, learned: Learned | None = None) -> list[str]:
    areas = e.get("messages") or []
    banner = next((a for a in areas if a["how"] == "[role=alert]"), None) or (
        areas[0] if areas else None
    )
    out = ["[messages]"]
    wrong = learned.wrong if learned else None
    if wrong is not None and wrong.message is not None:
        out.append(
            f"page = {_s(wrong.message.selector)}  # learned: where a wrong password's answer appeared"
        )
    elif wrong is not None:
        out.append(
            f"page = {_s(banner['selector'] if banner else '[role=alert]')}  "
            "# CHECK: a wrong password showed no new words near the form"
        )
    elif banner:
        out.append(f"page = {_s(banner['selector'])}  # found: {banner['how']}")
    else:
        out.append(
            'page = "[role=alert]"  # CHECK: none on the page before an answer; most portals use this'
        )
    if wrong is not None and wrong.question:
        out.append(f"# learned: after a wrong password the form asked {_said(wrong.question)}")
    fields = [a["selector"] for a in areas if a is not banner and "error" in a["how"]]
    out.append("fields = [" + ", ".join(_s(f) for f in fields) + "]  # errors next to one field")
    out += [
        "",
        "# What the portal's messages mean; the first matching rule wins. Patterns are",
        "# regular expressions on the text in lower case without accents. These are common",
        f"# wordings in {lang!r}: CHECK them against what this portal really says.",
        "",
    ]
    out += _learned_rule(wrong, lang)
    for pattern, meaning in STARTER_RULES[lang]:
        out += [
            "[[messages.rules]]",
            f"lang = {_s(lang)}",
            f"pattern = {_s(pattern)}",
            f"meaning = {_s(meaning)}",
            "",
        ]
    if wrong is not None and wrong.status in (401, 403):
        out += [
            f"[[messages.status]]  # learned: a wrong password was answered HTTP {wrong.status}",
            f"status = {wrong.status}",
            'meaning = "invalid-credentials"',
            "",
        ]
    for status, meaning in (
        (503, "maintenance"),
        (429, "rate-limited"),
        (431, "headers-too-large"),
    ):
        out += ["[[messages.status]]", f"status = {status}", f"meaning = {_s(meaning)}", ""]
    return out
