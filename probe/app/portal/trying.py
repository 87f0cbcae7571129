"""Learning what a login page alone cannot show, by logging in: ``probe portal draft --user``.

With the person's consent, probe makes at most two logins in a fresh headless Chromium:
first one with a password that is surely wrong, then one with theirs. From the answers it
learns whether the portal answers with a new page or in the page, where the rejection
message appears and what it says, what only a logged-in person sees (the marker), and
whether a second step (a security code) follows. ``probe.app.portal.draft_toml`` writes
each learned value with what was seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, Page, Request, async_playwright
from playwright.async_api import Error as PlaywrightError

from probe._util import loops
from probe.app.portal.login_page import LoginPage, launch, open_login_page
from probe.browsers.chromium.discovery import Chromium, find_chromium
from probe.errors import PortalFailure

ATTEMPTS = 2  # one wrong password, then the person's
_SETTLE_S = 0.8  # no request under way for this long: the answer has arrived
_ANSWER_LIMIT_S = 12.0

# Runs in the page before the button is pressed: the visible texts and fields already there.
_BEFORE = r"""
() => {
  const seen = new Set();
  const all = document.body ? document.body.querySelectorAll("*") : [];
  for (let i = 0; i < all.length && i < 20000; i++) {
    const el = all[i];
    if (!(el.offsetWidth || el.offsetHeight)) continue;
    const t = (el.innerText || "").trim();
    if (t && t.length <= 400) seen.add(t.slice(0, 400));
  }
  const inputs = [...document.querySelectorAll("input, select, textarea")]
    .filter((f) => f.type !== "hidden" && (f.offsetWidth || f.offsetHeight))
    .map((f) => f.name || f.id || f.type);
  return { texts: [...seen].slice(0, 5000), inputs };
}
"""

# Runs in the page once the answer has arrived: what changed, and what it looks like.
_AFTER = r"""
({ before, password, identifier, userText }) => {
  const beforeTexts = new Set(before.texts);
  const beforeInputs = new Set(before.inputs);
  const visible = (el) => !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length));
  const unique = (sel) => { try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; } };
  const first = (sel, el) => { try { return document.querySelector(sel) === el; } catch (e) { return false; } };
  const stableId = (id) => id && /^[A-Za-z][\w-]*$/.test(id) && !/[0-9a-f]{6,}/i.test(id) && id.length < 60;
  const q = (v) => JSON.stringify(v);
  function selectorFor(el) {
    const tag = el.tagName.toLowerCase();
    const id = el.getAttribute("id") || "";  // a form's .id may be its field named "id"
    if (stableId(id) && unique("#" + id)) return "#" + id;
    const tries = [];
    for (const c of [...el.classList].slice(0, 6)) {
      if (/^[A-Za-z][\w-]*$/.test(c) && !/[0-9a-f]{6,}/i.test(c)) tries.push(`${tag}.${c}`);
    }
    for (const a of ["role", "name", "title", "aria-live"]) {
      const v = el.getAttribute(a);
      if (v && v.length < 60) tries.push(`${tag}[${a}=${q(v)}]`);
    }
    const href = el.getAttribute("href") || "";
    const word = /(do=logout|logout|log-out|log_out|signout|sign-out|sign_out|deconnexion)/i.exec(href);
    if (word) tries.push(`${tag}[href*=${q(word[1])}]`);
    for (const t of tries) if (unique(t)) return t;
    for (const t of tries) if (first(t, el)) return t;
    const parent = el.parentElement;
    if (parent && parent !== document.body && stableId(parent.getAttribute("id") || "")) {
      const t = `#${parent.getAttribute("id")} > ${tag}`;
      if (first(t, el)) return t;
    }
    return null;
  }
  const out = { passwordVisible: false, message: null, marker: null, second: null, question: null };
  let pw = null;
  try { pw = document.querySelector(password); } catch (e) {}
  out.passwordVisible = visible(pw);
  const all = document.body ? [...document.body.querySelectorAll("*")].slice(0, 20000) : [];
  // A new visible text: the portal's words. The innermost element holding it, then the
  // nearest message-like container around it (a role, an error or message class).
  const messageLike = (el) => el.matches("[role=alert], [role=status], [aria-live]")
    || /error|alert|message|flash|notice|warning|danger|invalid|fail|notif/i.test((el.getAttribute("class") || "") + " " + (el.getAttribute("id") || ""));
  const form = pw ? pw.closest("form") : null;
  const candidates = [];
  for (const el of all) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "OPTION", "INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) continue;
    if (!visible(el)) continue;
    const text = (el.innerText || "").trim();
    if (text.length < 2 || text.length > 300 || beforeTexts.has(text)) continue;
    if ([...el.children].some((c) => (c.innerText || "").trim() === text)) continue;
    let box = el;
    for (let up = el, i = 0; up && up !== document.body && i < 4; up = up.parentElement, i++) {
      if (messageLike(up)) { box = up; break; }
    }
    const boxText = (box.innerText || "").trim();
    if (!boxText || boxText.length > 400) continue;
    const selector = selectorFor(box) || selectorFor(el);
    if (!selector) continue;
    let score = messageLike(box) ? 2 : 0;
    if (form && (form.contains(box) || box.contains(form) === false && Math.abs(box.getBoundingClientRect().top - form.getBoundingClientRect().top) < 400)) score += 1;
    candidates.push({ selector, text: boxText.slice(0, 300), score });
  }
  candidates.sort((a, b) => b.score - a.score);
  if (candidates.length) out.message = candidates[0];
  // Fields the form did not have before: a question (a CAPTCHA, a code).
  const fresh = [...document.querySelectorAll("input, select, textarea")].filter(
    (f) => f.type !== "hidden" && visible(f) && !beforeInputs.has(f.name || f.id || f.type));
  const describe = (f) => {
    const label = (f.id && document.querySelector(`label[for=${q(f.id)}]`)) || f.closest("label");
    return ((label && label.innerText) || f.getAttribute("placeholder") || f.name || f.id || "").trim().slice(0, 200);
  };
  const codeLike = (f) => f.getAttribute("autocomplete") === "one-time-code"
    || /code|otp|totp|token|2fa|mfa|verif/i.test((f.name || "") + " " + (f.id || ""));
  const code = fresh.find((f) => ["text", "number", "tel", ""].includes((f.getAttribute("type") || "").toLowerCase()) && codeLike(f));
  if (code && !out.passwordVisible) {
    const codeForm = code.closest("form");
    const button = (codeForm || document).querySelector("button[type=submit], input[type=submit], button:not([type])");
    out.second = {
      form: codeForm ? selectorFor(codeForm) || "form" : selectorFor(code),
      code: selectorFor(code), submit: button ? selectorFor(button) : null, text: describe(code),
    };
  } else if (fresh.length && out.passwordVisible) {
    out.question = describe(fresh[0]) || "a new field";
  }
  // What only a logged-in person sees: their name, a way to log out, or the page's own parts.
  if (!out.passwordVisible) {
    const markers = [];
    const logout = /\b(log ?out|sign ?out|logoff|se deconnecter|deconnexion|abmelden)\b/i;
    for (const el of all) {
      if (!visible(el) || ["SCRIPT", "STYLE", "HTML", "BODY"].includes(el.tagName)) continue;
      const text = (el.innerText || el.value || "").trim();
      const own = text && ![...el.children].some((c) => (c.innerText || "").trim() === text);
      let rank = 0;
      if (own && userText && text.length < 200 && text.toLowerCase().includes(userText.toLowerCase())) rank = 3;
      else if (own && text.length < 40 && logout.test(text.normalize("NFKD").replace(/[\u0300-\u036f]/g, ""))) rank = 2;
      else if (/logout|signout|log_out|sign_out/i.test(el.getAttribute("href") || "")) rank = 2;
      else if (stableId(el.getAttribute("id") || "") && el.children.length && (el.offsetWidth * el.offsetHeight) > 2000) rank = 1;
      if (!rank) continue;
      const selector = selectorFor(el);
      if (selector) markers.push({ selector, text: text.slice(0, 120), rank });
    }
    markers.sort((a, b) => b.rank - a.rank);
    out.markers = markers.slice(0, 40);
  }
  return out;
}
"""

# Runs on the login page as it is after a rejection: which marker candidates are there too.
_PRESENT = r"""
(selectors) => selectors.filter((s) => { try { return !!document.querySelector(s); } catch (e) { return true; } })
"""


@dataclass(frozen=True)
class Seen:
    """One thing seen after a login: where (a selector) and what it said."""

    selector: str
    text: str


@dataclass
class Attempt:
    """What one login showed."""

    navigated: bool  # the answer was a new page
    request: str | None = None  # the login request: "POST /login"
    status: int | None = None  # its HTTP status
    password_visible: bool = True  # the password field is still there
    message: Seen | None = None  # a new text near the form
    marker: Seen | None = None  # what only a logged-in person sees
    second: dict[str, str | None] | None = None  # a security-code form
    question: str | None = None  # a field the form did not have before


@dataclass
class Learned:
    """What the two logins taught: the wrong one, then the person's."""

    wrong: Attempt | None = None
    right: Attempt | None = None
    notes: list[str] = field(default_factory=list)


def wrong_password(real: str) -> str:
    """A password that is surely not the person's."""
    candidate = "probe-wrong-" + secrets.token_hex(4)
    return candidate if candidate != real else candidate + "x"


async def _attempt(
    browser: Browser, page_seen: LoginPage, identifier: str, password: str
) -> tuple[Attempt, Page, dict[str, Any]]:
    e = page_seen.elements
    context = await browser.new_context()
    page = await context.new_page()
    await open_login_page(page, page_seen.url, [])
    with contextlib.suppress(PlaywrightError):  # a script may draw the form after the load
        await page.wait_for_selector(e["password"], state="visible", timeout=10_000)
    before = await page.evaluate(_BEFORE)
    in_flight: set[Request] = set()
    sent: list[Request] = []
    last_change = [time.monotonic()]
    pressed = [False]

    def started(request: Request) -> None:
        if pressed[0]:
            sent.append(request)
            in_flight.add(request)
            last_change[0] = time.monotonic()

    def ended(request: Request) -> None:
        in_flight.discard(request)
        last_change[0] = time.monotonic()

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    await _solve_in_page_widget(page, page_seen)
    try:
        if e.get("identifier"):
            await page.fill(e["identifier"], identifier, timeout=10_000)
        await page.fill(e["password"], password, timeout=10_000)
        pressed[0] = True
        pressed_at = time.monotonic()
        if e.get("submit"):
            await page.click(e["submit"], timeout=5_000, no_wait_after=True)
        else:
            await page.press(e["password"], "Enter", timeout=5_000)
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
        raise PortalFailure(
            f"{page_seen.url}: could not type into the login form ({first})"
        ) from exc
    while time.monotonic() - pressed_at < _ANSWER_LIMIT_S:
        await asyncio.sleep(0.1)
        quiet = time.monotonic() - last_change[0]
        if time.monotonic() - pressed_at > 1.0 and not in_flight and quiet > _SETTLE_S:
            break
    with contextlib.suppress(PlaywrightError):
        await page.wait_for_load_state("load", timeout=5_000)
    navigated = any(r.is_navigation_request() and r.frame == page.main_frame for r in sent)
    login = next((r for r in sent if r.method != "GET"), None) or next(
        (r for r in sent if r.is_navigation_request()), None
    )
    attempt = Attempt(navigated=navigated)
    if login is not None:
        path = login.url.split("://", 1)[-1]
        attempt.request = f"{login.method} /{path.split('/', 1)[1] if '/' in path else ''}"
        with contextlib.suppress(PlaywrightError):
            response = await login.response()
            attempt.status = response.status if response is not None else None
    found: dict[str, Any] = await page.evaluate(
        _AFTER,
        {
            "before": before,
            "password": e["password"],
            "identifier": e.get("identifier"),
            "userText": identifier,
        },
    )
    attempt.password_visible = bool(found.get("passwordVisible"))
    if found.get("message"):
        attempt.message = Seen(found["message"]["selector"], found["message"]["text"])
    attempt.second = found.get("second")
    attempt.question = found.get("question")
    return attempt, page, found


async def _solve_in_page_widget(page: Page, page_seen: LoginPage) -> None:
    """Tick a CAPTCHA drawn in the page (ALTCHA-like) as a person would, and let it finish.

    A widget in another site's iframe is left alone: these logins then learn what the
    portal says about an unsolved CAPTCHA, and the draft says so.
    """
    widget = page_seen.widget or {}
    if not widget.get("click") or widget.get("frame"):
        return
    with contextlib.suppress(PlaywrightError):
        await page.click(widget["click"], timeout=5_000)
        if widget.get("token"):
            await page.wait_for_function(
                "(s) => { const f = document.querySelector(s); return !!(f && f.value); }",
                arg=widget["token"],
                timeout=15_000,
            )


async def _learn(browser: Browser, page_seen: LoginPage, identifier: str, password: str) -> Learned:
    learned = Learned()
    wrong, wrong_page, _ = await _attempt(browser, page_seen, identifier, wrong_password(password))
    learned.wrong = wrong
    right, right_page, found = await _attempt(browser, page_seen, identifier, password)
    learned.right = right
    markers = [m for m in found.get("markers") or [] if m.get("selector")]
    if markers and right.second is None:
        # A marker must be absent from the login page, as a rejected person sees it.
        present = set(await wrong_page.evaluate(_PRESENT, [m["selector"] for m in markers]))
        for m in markers:
            if m["selector"] not in present:
                right.marker = Seen(m["selector"], m["text"])
                break
    for page in (wrong_page, right_page):
        with contextlib.suppress(PlaywrightError):
            await page.context.close()
    return learned


async def _learn_async(
    page_seen: LoginPage, identifier: str, password: str, chromium: Chromium
) -> Learned:
    async with async_playwright() as playwright:
        browser = await launch(playwright, chromium)
        try:
            return await asyncio.wait_for(
                _learn(browser, page_seen, identifier, password), timeout=120
            )
        except TimeoutError as exc:
            raise PortalFailure(
                f"{page_seen.url}: the logins did not finish within 120 s; "
                "draft without --user and check the file by hand"
            ) from exc
        finally:
            await browser.close()


def learn_by_trying(
    page_seen: LoginPage, identifier: str, password: str, chromium: Chromium | None = None
) -> Learned:
    """Log in twice on ``page_seen`` (a wrong password, then ``password``); what was seen."""
    return loops.run(_learn_async(page_seen, identifier, password, chromium or find_chromium()))
