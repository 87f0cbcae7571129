"""``probe portal draft URL``: a starting description, guessed from the login page alone.

The page is read (``probe.app.portal.login_page``), written as TOML with each guess
commented so that a person can correct it (``probe.app.portal.draft_toml``; what cannot be
seen before logging in, the logged-in page, is marked for them to fill in), and loaded
once: a draft that does not load is probe's bug. With the person's identifier and
password (``--user``), probe also logs in twice, a wrong password then theirs
(``probe.app.portal.trying``), and writes what the answers showed.
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.app.portal.draft_toml import render
from probe.app.portal.login_page import read_login_page
from probe.app.portal.trying import Learned, learn_by_trying
from probe.browsers.chromium.discovery import Chromium
from probe.description.model import PortalDescription, parse_description
from probe.errors import PortalFailure


@dataclass(frozen=True)
class Draft:
    """A drafted description: the text to save, and what it loads as."""

    text: str
    description: PortalDescription
    learned: Learned | None = None


@dataclass(frozen=True)
class Login:
    """The person's account, for a draft that learns by logging in."""

    identifier: str
    password: str


def draft_portal(url: str, chromium: Chromium | None = None, login: Login | None = None) -> Draft:
    """A portal description for the login page at ``url``, every guess commented.

    Without ``login``, sends no credentials: the page is only opened and read. With it,
    logs in twice (``ATTEMPTS``): a wrong password, then ``login``'s. Raises PortalFailure
    when the page cannot be reached or has no password field.
    """
    page = read_login_page(url, chromium)
    if page.status is not None and page.status >= 400:
        raise PortalFailure(f"{url}: the login page answered HTTP {page.status}")
    if not page.elements.get("password"):
        raise PortalFailure(
            f"{url}: no password field on this page; give the URL of the page where "
            "the password is typed"
        )
    learned: Learned | None = None
    if login is not None:
        learned = learn_by_trying(page, login.identifier, login.password, chromium)
    text = render(url, page, learned)
    return Draft(text, parse_description(text, url), learned)


def draft_description(
    url: str, chromium: Chromium | None = None, login: Login | None = None
) -> str:
    """The text of ``draft_portal(url, chromium, login)``, to print or save."""
    return draft_portal(url, chromium, login).text
