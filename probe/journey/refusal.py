"""A portal's "no" to a login, recognised whatever its wording and wherever it shows it.

A description's message rules say what a portal's words *mean* (a locked account, a
maintenance...), but a portal refuses a login the same way everywhere: the login form
comes back (or stays) with a text that was not there before, near it, or the answer is
HTTP 401 or 403. ``FormState`` is what the form and its surroundings show at one moment;
the difference between the state before the press and the state after is the portal's
answer, in its own words. A form that gained an input (a question, a code to type) or a
frame (a CAPTCHA) now asks something the journey was not told about: said as such.

Only texts in the form and up to two levels around it count, shown ones, outside buttons
and the CAPTCHA widget the journey already knows (its own texts change as it is solved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from probe._util.redact import bounded
from probe.description.pagemap import PageMap, fold
from probe.models import Symptom

# HTTP statuses that say "not you" whatever the page shows (RFC 9110 15.5.2, 15.5.4).
REFUSING_STATUSES = frozenset({401, 403})
# What a form-less answer page quotes at most of its text.
PAGE_WORDS_CHARS = 300
# Wordings of a lost login session that no description needs to teach: a session or CSRF
# check failed (the form's token no longer matches the session cookie).
SESSION_LOST = re.compile(
    r"\bcsrf\b|\bxsrf\b|session (has )?(expired|timed out|was lost|is (no longer )?valid)"
    r"|(form|page) (has )?expired|request (token|verification) (is )?(invalid|failed)"
    r"|jeton (csrf )?invalide|session (a )?expire"
)

_STATE = """(form, skip) => {
    let scope = form;
    for (let up = 0; up < 2; up++) {
        const parent = scope.parentElement;
        if (!parent || parent === document.body || parent === document.documentElement) break;
        scope = parent;
    }
    const shown = (el) => {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
    };
    const quiet = "script,style,noscript,template,button,select,option,textarea,[aria-hidden=true]";
    const ignored = (el) => el.closest(quiet) || (skip && el.closest(skip));
    const texts = [];
    const seen = new Set();
    const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node && texts.length < 200; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!node.data.trim() || !el || seen.has(el)) continue;
        seen.add(el);
        if (ignored(el) || !shown(el)) continue;
        const text = (el.innerText || "").replace(/\\s+/g, " ").trim();
        if (text) texts.push(text.slice(0, 500));
    }
    const key = (el) => [el.tagName, el.type || "", el.name || el.id || ""].join(":");
    const asks = [];
    for (const el of form.querySelectorAll("input,select,textarea,iframe,canvas")) {
        if (asks.length >= 50) break;
        if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) continue;
        if (skip && el.closest(skip)) continue;
        if (shown(el)) asks.push(key(el));
    }
    return {texts, asks};
}"""


@dataclass(frozen=True)
class FormState:
    """What the login form and its surroundings show at one moment."""

    texts: frozenset[str] = field(default_factory=frozenset)
    asks: frozenset[str] = field(default_factory=frozenset)  # inputs and frames, by key

    def __or__(self, other: FormState) -> FormState:
        return FormState(self.texts | other.texts, self.asks | other.asks)


@dataclass(frozen=True)
class Refusal:
    """The portal refused the login: what it means, in whose words."""

    symptom: Symptom
    words: str | None  # the portal's own words (not yet cleaned of secrets)


async def form_state(page: Page, pagemap: PageMap) -> FormState | None:
    """The state of the login form now; None when the page holds no such form."""
    try:
        form = page.locator(pagemap.login_form).first
        if await form.count() == 0:
            return None
        raw = await form.evaluate(_STATE, pagemap.captcha_container or None, timeout=2_000)
    except PlaywrightError:
        return None
    if not isinstance(raw, dict):
        return None
    texts = raw.get("texts") or []
    asks = raw.get("asks") or []
    return FormState(frozenset(map(str, texts)), frozenset(map(str, asks)))


async def page_words(page: Page) -> str | None:
    """The beginning of what a form-less answer page says (its title, then its text)."""
    try:
        title = (await page.title()).strip()
        body = await page.locator("body").first.inner_text(timeout=1_000)
    except PlaywrightError:
        return None
    text = " ".join(f"{title} {body}".split())
    return bounded(text, PAGE_WORDS_CHARS) if text else None


def new_words(before: FormState, after: FormState) -> str | None:
    """The texts shown after that were not before, each once, the longest kept whole."""
    fresh = sorted(after.texts - before.texts, key=len, reverse=True)
    kept: list[str] = []
    for text in fresh:
        if not any(text in longer for longer in kept):
            kept.append(text)
    return bounded(" ".join(kept)) if kept else None


def refusal_of(
    pagemap: PageMap,
    before: FormState | None,
    after: FormState | None,
    status: int | None,
    words: str | None = None,
) -> Refusal | None:
    """What the portal's answer to a login means when no description rule said it.

    ``after`` is None when the form is gone; ``words`` is what the portal said where its
    description says it speaks (its message area), or on a form-less page. The rules of
    the description refine the meaning of the words found; a lost session is recognised
    whatever the description; otherwise a form back with new words, or a 401 or 403, is
    "the portal refused this login".
    """
    fresh = new_words(before, after) if before is not None and after is not None else None
    known = before.texts if before is not None else frozenset()
    said = words if words and words not in known else fresh
    for text in dict.fromkeys(t for t in (said, fresh) if t):
        meaning = pagemap.symptom_of(text)
        if meaning is not None and meaning != "page-error":
            return Refusal(meaning, text)
    if said and SESSION_LOST.search(fold(said)):
        return Refusal("session-lost", said)
    if before is not None and after is not None and after.asks - before.asks:
        return Refusal("login-question", said)
    if after is not None and fresh is not None:
        return Refusal("login-refused", said)
    if status is not None and status in REFUSING_STATUSES:
        return Refusal("login-refused", said)
    return None
