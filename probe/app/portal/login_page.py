"""A login page as probe sees it before typing anything: what ``probe portal draft`` and
``probe portal check`` read.

Chromium opens the login page (nothing is typed, nothing is submitted) and probe looks at
it the way a person would: the password field and its form, the identifier field before
it, the button that sends them, the places messages can appear, a CAPTCHA widget (in an
iframe or in the page), the warning shown without JavaScript, and every host the page
talks to. ``probe.app.portal.draft_toml`` writes what is found as a commented description.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from probe._util import loops
from probe._util.tls import (
    CertificateRefused,
    peer_certificate,
    refused_certificate_error,
    refused_line,
)
from probe.browsers.chromium.discovery import (
    Chromium,
    find_chromium,
    launch_args,
    with_short_temporary,
)
from probe.errors import BadInput, BrowserFailure, PortalFailure
from probe.journey.page_steps import form_drawn

READ_LIMIT_S = 60  # opening and reading the login page, at most

# In-page widgets and iframe vendors probe recognises by name, with what their
# documentation says about their token field and states.
KNOWN_WIDGETS: dict[str, dict[str, Any]] = {
    "altcha": {
        "container": "altcha-widget",
        "where": "page",
        "solved": ["verified"],
        "failed": ["error", "expired"],
    },
    "recaptcha": {
        "container": ".g-recaptcha",
        "where": "iframe",
        "frame_url": "/recaptcha/",
        "click": "#recaptcha-anchor",
        "token": "#g-recaptcha-response",
    },
    "turnstile": {
        "container": ".cf-turnstile",
        "where": "iframe",
        "frame_url": "challenges.cloudflare.com",
        "click": "input[type=checkbox]",
        "token": 'input[name="cf-turnstile-response"]',
    },
    "hcaptcha": {
        "container": ".h-captcha",
        "where": "iframe",
        "frame_url": "hcaptcha.com",
        "click": "#checkbox",
        "token": 'textarea[name="h-captcha-response"]',
    },
}

# Runs in the login page: finds the elements and builds a selector for each.
_FIND_ELEMENTS = r"""
(known) => {
  const unique = (sel, root = document) => {
    try { return root.querySelectorAll(sel).length === 1; } catch (e) { return false; }
  };
  // Generated ids (a run of hex digits) change on every load: never build on them.
  const stableId = (id) => id && /^[A-Za-z][\w-]*$/.test(id) && !/[0-9a-f]{6,}/i.test(id);
  const quoted = (value) => JSON.stringify(value);
  // A form's .id is its field named "id" when it has one (DokuWiki's has): read attributes.
  const idOf = (el) => el.getAttribute("id") || "";
  function selectorFor(el, scope, root = document) {
    const tag = el.tagName.toLowerCase();
    if (stableId(idOf(el)) && unique("#" + idOf(el))) return "#" + idOf(el);
    const prefix = scope ? scope + " " : "";
    // A custom element's tag names the widget better than any attribute.
    if (tag.includes("-") && unique(tag)) return tag;
    const tries = [];
    if (el.getAttribute("name")) tries.push(`${tag}[name=${quoted(el.getAttribute("name"))}]`);
    if (el.getAttribute("type")) tries.push(`${tag}[type=${quoted(el.getAttribute("type"))}]`);
    if (el.classList.length) tries.push(`${tag}.${CSS.escape(el.classList[0])}`);
    tries.push(tag);
    for (const t of tries) if (unique(prefix + t, root)) return prefix + t;
    for (const t of tries) if (unique(t, root)) return t;
    return null;
  }
  function formSelector(form) {
    if (stableId(idOf(form)) && unique("#" + idOf(form))) return "#" + idOf(form);
    const action = form.getAttribute("action");
    if (action !== null && unique(`form[action=${quoted(action)}]`)) return `form[action=${quoted(action)}]`;
    if (unique("form")) return "form";
    return null;
  }
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const out = { lang: document.documentElement.lang || "", text: document.body ? document.body.innerText.slice(0, 3000) : "" };
  const passwords = [...document.querySelectorAll("input[type=password]")];
  const password = passwords.find(visible) || passwords[0];
  if (!password) return out;
  const form = password.form || password.closest("form");
  out.form = form ? formSelector(form) : null;
  out.password = selectorFor(password, out.form);
  const scope = form || document;
  const fields = [...scope.querySelectorAll("input")];
  const textual = new Set(["", "text", "email", "tel", "number"]);
  const before = fields.slice(0, fields.indexOf(password)).filter(
    (f) => textual.has((f.getAttribute("type") || "").toLowerCase()) && visible(f));
  const identifier = before.length ? before[before.length - 1]
    : document.querySelector("input[autocomplete=username], input[type=email]");
  out.identifier = identifier ? selectorFor(identifier, out.form) : null;
  const buttons = [...scope.querySelectorAll("button[type=submit], input[type=submit], button:not([type])")];
  const submit = buttons.find(visible) || buttons[0];
  if (submit) {
    out.submit = selectorFor(submit, out.form);
    if (out.submit === submit.tagName.toLowerCase() || !unique(out.submit)) {
      const typed = `${out.form ? out.form + " " : ""}${submit.tagName.toLowerCase()}[type="submit"]`;
      out.submit = unique(typed) ? typed : out.submit;
    }
    out.submitText = (submit.innerText || submit.value || "").trim();
  }
  // Where messages may appear: a page banner, errors attached to a field.
  const areas = [];
  for (const sel of ["[role=alert]", "[aria-live]", "#message", "#messages", "#error",
                     ".alert", ".error", ".errors", ".errorlist", ".message", ".messages",
                     ".notification", ".flash"]) {
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest(known.containers) || areas.some((a) => a.el === el)) continue;
      areas.push({ el, selector: selectorFor(el, null), how: sel });
    }
  }
  out.messages = areas.filter((a) => a.selector).map((a) => ({ selector: a.selector, how: a.how }));
  // The warning shown without JavaScript: a <noscript> or an element inside one.
  out.noscript = null;
  for (const ns of document.querySelectorAll("noscript")) {
    if (stableId(ns.id)) { out.noscript = "#" + ns.id; break; }
    const inner = /\sid=["']([A-Za-z][\w-]*)["']/.exec(ns.textContent || ns.innerHTML || "");
    if (inner) { out.noscript = "#" + inner[1]; break; }
    out.noscript = "noscript";
  }
  // CAPTCHA candidates: widgets by name, elements with a site key, iframes from elsewhere.
  out.widgets = [];
  for (const [vendor, sel] of Object.entries(known.byVendor)) {
    const el = document.querySelector(sel);
    if (el) out.widgets.push({ vendor, container: selectorFor(el, null) || sel });
  }
  const here = location.hostname;
  out.iframes = [...document.querySelectorAll("iframe[src]")].map((f) => {
    const src = new URL(f.src, location.href);
    const holder = f.closest("[data-sitekey], [id]");
    return { src: src.href, host: src.hostname, path: src.pathname,
             container: holder && holder !== document.body ? selectorFor(holder, null) : null,
             other: src.hostname !== here };
  });
  const keyed = document.querySelector("[data-sitekey]");
  out.sitekey = keyed ? selectorFor(keyed, null) : null;
  out.scripts = [...document.querySelectorAll("script[src]")].map((s) => new URL(s.src, location.href))
    .filter((u) => u.hostname !== here).map((u) => u.href);
  const hidden = form ? [...form.querySelectorAll("input[type=hidden], textarea")] : [];
  const token = hidden.find((f) => /captcha|altcha|recaptcha|turnstile|token/i.test(f.name || f.id || "")
    && !/csrf/i.test(f.name || f.id || ""));
  out.token = token ? selectorFor(token, null) : null;
  out.federation = null;
  for (const a of document.querySelectorAll("a[href], button")) {
    if (/franceconnect|s'identifier avec|sign in with|continue with|log in with/i.test(a.innerText || a.id || "")) {
      out.federation = { selector: selectorFor(a, null), text: (a.innerText || "").trim() };
      break;
    }
  }
  return out;
}
"""

# Runs in the page or in the CAPTCHA's iframe: what to click, how "rendered" shows.
_FIND_WIDGET = r"""
(container) => {
  const root = container ? document.querySelector(container) : document;
  if (!root) return null;
  const stableId = (id) => id && /^[A-Za-z][\w-]*$/.test(id) && !/[0-9a-f]{6,}/i.test(id);
  const inside = (el) => {
    if (stableId(el.id)) return "#" + el.id;
    const base = container ? container + " " : "";
    const tag = el.tagName.toLowerCase();
    const options = [];
    if (el.getAttribute("name")) options.push(`${tag}[name=${JSON.stringify(el.getAttribute("name"))}]`);
    if (el.classList.length) options.push(`${tag === "div" ? "" : tag}.${CSS.escape(el.classList[0])}`);
    if (el.getAttribute("type")) options.push(`${tag}[type=${JSON.stringify(el.getAttribute("type"))}]`);
    options.push(tag);
    for (const o of options) if (document.querySelectorAll(base + o).length === 1) return base + o;
    return base + options[0];
  };
  const out = {};
  const box = root.querySelector("input[type=checkbox]");
  if (box) {
    // A person clicks the box, or the words beside it when the widget draws an image
    // over the box (the image would take the click).
    const label = (box.id && root.querySelector(`label[for="${box.id}"]`)) || box.closest("label");
    const r = box.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const covered = r.width > 0 && top !== box && !(label && label.contains(top) && top === label);
    out.click = inside(covered && label ? label : box);
    const verify = root.querySelector("button");
    if (verify) out.verify = inside(verify);
    out.clickText = ((label || box).innerText || "").trim();
    out.checkbox = inside(box);
  } else {
    const button = root.querySelector("button, [role=button], [role=checkbox]");
    if (button) { out.click = inside(button); out.clickText = (button.innerText || "").trim(); }
  }
  const stateful = root.querySelector("[data-state]");
  if (stateful) { out.state = inside(stateful); out.stateValue = stateful.getAttribute("data-state"); }
  const status = root.querySelector("[role=status], [aria-live]");
  if (status) out.status = inside(status);
  const token = root.querySelector("input[type=hidden], textarea");
  if (token && container) out.token = inside(token);
  return out;
}
"""


@dataclass
class LoginPage:
    """What probe saw on a login page before typing anything."""

    url: str
    status: int | None
    elements: dict[str, Any]
    hosts: list[str] = field(default_factory=list)  # every host the page sent requests to
    widget: dict[str, Any] | None = None  # inside the CAPTCHA (page or iframe)
    in_page_answer: bool = False  # a script listens to the form's submit event


async def launch(playwright: Playwright, chromium: Chromium) -> Browser:
    """A headless Chromium started the way every probe run starts it."""
    try:
        return await playwright.chromium.launch(
            executable_path=str(chromium.executable),
            args=launch_args(headless_of=chromium),
            headless=True,
            env=with_short_temporary(os.environ),
        )
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise BrowserFailure(f"Chromium did not start: {first}") from exc


async def open_login_page(page: Page, url: str, hosts: list[str]) -> int | None:
    """Go to ``url``; return the HTTP status; raise PortalFailure when nothing answers."""
    page.on(
        "request",
        lambda request: (
            hosts.append(urlsplit(request.url).hostname or "")
            if urlsplit(request.url).hostname not in hosts
            else None
        ),
    )
    try:
        response = await page.goto(url, wait_until="load", timeout=15_000)
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0]
        error = refused_certificate_error(first) or refused_certificate_error(page.url)
        if error is not None:  # it answers; the browser refuses its certificate
            facts = await peer_certificate(url)
            raise CertificateRefused(refused_line(url, error, facts), error, facts) from exc
        if "Timeout" not in first:
            raise PortalFailure(f"{url}: nothing answers there ({first})") from exc
        # Something on the page never finishes (an image, a frame): read what is there.
        try:
            ready = await asyncio.wait_for(page.evaluate("document.readyState"), 5)
        except (PlaywrightError, TimeoutError):
            ready = "loading"
        if ready == "loading":
            raise BadInput(
                f"{url}: the page did not load within 15 s (it never stops loading); "
                "give the URL of a login page that loads"
            ) from exc
        return None
    # Widgets render after the load event; give them the time a person would.
    with contextlib.suppress(PlaywrightError):
        await page.wait_for_load_state("networkidle", timeout=3_000)
    return response.status if response is not None else None


async def _read_login_page(browser: Browser, url: str) -> LoginPage:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        hosts: list[str] = []
        status = await open_login_page(page, url, hosts)
        # A single-page application draws its login form by script, after its own requests.
        await form_drawn(page, "input[type=password]")
        known = {
            "byVendor": {name: w["container"] for name, w in KNOWN_WIDGETS.items()},
            "containers": ", ".join(w["container"] for w in KNOWN_WIDGETS.values()),
        }
        elements: dict[str, Any] = await page.evaluate(_FIND_ELEMENTS, known)
        found = LoginPage(url=page.url, status=status, elements=elements, hosts=hosts)
        found.widget = await _read_widget(page, elements)
        found.in_page_answer = await _form_has_submit_listener(page, elements.get("form"))
        return found
    finally:
        await context.close()


async def _read_widget(page: Page, elements: dict[str, Any]) -> dict[str, Any] | None:
    widgets = elements.get("widgets") or []
    if widgets and KNOWN_WIDGETS[widgets[0]["vendor"]]["where"] == "page":
        found: dict[str, Any] | None = await page.evaluate(_FIND_WIDGET, widgets[0]["container"])
        return found
    frames = [f for f in elements.get("iframes", []) if f["other"]]
    for candidate in frames:
        frame = next((f for f in page.frames if f.url == candidate["src"]), None)
        if frame is None:
            continue
        try:
            inner: dict[str, Any] | None = await frame.evaluate(_FIND_WIDGET, None)
        except PlaywrightError:
            continue
        if inner:
            return {**inner, "frame": candidate}
    return None


async def _form_has_submit_listener(page: Page, form: str | None) -> bool:
    """Whether a script handles the form's submit (a sign that the answer comes in-page)."""
    if not form:
        return False
    try:
        session = await page.context.new_cdp_session(page)
        handle = await session.send(
            "Runtime.evaluate", {"expression": f"document.querySelector({json.dumps(form)})"}
        )
        object_id = handle.get("result", {}).get("objectId")
        if not object_id:
            return False
        listeners = await session.send("DOMDebugger.getEventListeners", {"objectId": object_id})
        await session.detach()
    except PlaywrightError:
        return False
    return any(item.get("type") == "submit" for item in listeners.get("listeners", []))


async def _draft_async(url: str, chromium: Chromium) -> LoginPage:
    async with async_playwright() as playwright:
        browser = await launch(playwright, chromium)
        try:
            return await asyncio.wait_for(_read_login_page(browser, url), timeout=READ_LIMIT_S)
        except TimeoutError as exc:
            raise BadInput(
                f"{url}: the login page could not be read within {READ_LIMIT_S} s (its "
                "scripts never let go, or it is too large); give the URL of another page"
            ) from exc
        finally:
            await browser.close()


def read_login_page(url: str, chromium: Chromium | None = None) -> LoginPage:
    """Open ``url`` in a fresh headless Chromium and note what its login page shows."""
    return loops.run(_draft_async(url, chromium or find_chromium()))
