"""``probe portal draft URL``: a starting description, guessed from the login page alone.

The page is read (``probe.app.portal.login_page``), written as TOML with each guess
commented so that a person can correct it (``probe.app.portal.draft_toml``; what cannot be
seen before logging in, the logged-in page, is marked for them to fill in), and loaded
once: a draft that does not load is probe's bug.
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.app.portal.draft_toml import render
from probe.app.portal.login_page import read_login_page
from probe.browsers.chromium.discovery import Chromium
from probe.description.model import PortalDescription, parse_description
from probe.errors import PortalFailure


@dataclass(frozen=True)
class Draft:
    """A drafted description: the text to save, and what it loads as."""

    text: str
    description: PortalDescription


def draft_portal(url: str, chromium: Chromium | None = None) -> Draft:
    """A portal description for the login page at ``url``, every guess commented.

    Sends no credentials: the page is only opened and read. Raises PortalFailure when
    the page cannot be reached or has no password field.
    """
    page = read_login_page(url, chromium)
    if page.status is not None and page.status >= 400:
        raise PortalFailure(f"{url}: the login page answered HTTP {page.status}")
    if not page.elements.get("password"):
        raise PortalFailure(
            f"{url}: no password field on this page; give the URL of the page where "
            "the password is typed"
        )
    text = render(url, page)
    return Draft(text, parse_description(text, url))


def draft_description(url: str, chromium: Chromium | None = None) -> str:
    """The text of ``draft_portal(url, chromium)``, to print or save."""
    return draft_portal(url, chromium).text
