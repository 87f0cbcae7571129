"""Which portal a diagnosis is about: ``--portal FILE|URL`` and ``--portal-url``, resolved.

No ``--portal``: the embedded mock portal, described by the file shipped in the package.
``--portal FILE``: that description; ``--portal-url`` moves it elsewhere (another port, a
staging host). ``--portal URL`` without a description: one is drafted from the login
page on the fly (``probe portal draft``), and the person is told so.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx

from probe._util import loops
from probe._util.tls import (
    CertificateRefused,
    by_name_transport,
    peer_certificate,
    person_ssl_context,
    refused_line,
    trusted_context,
)
from probe._util.trust import TrustStore
from probe.browsers.chromium.discovery import Chromium, find_chromium
from probe.description.model import (
    MOCK_SOURCE,
    PortalDescription,
    load_description,
    mock_description,
)
from probe.description.target import relocated
from probe.errors import BadInput, PortalFailure


@dataclass(frozen=True)
class PortalChoice:
    """A portal's description and where it came from: the one shape both travel in."""

    description: PortalDescription
    source: str  # the file it came from, or how it was made
    drafted: bool = False  # guessed from the login page just now

    def moved_to(self, url: str) -> PortalChoice:
        """The same portal running at ``url`` (another host or port)."""
        return PortalChoice(relocated(self.description, url), self.source, self.drafted)

    def note(self) -> str | None:
        """What the person should know about where the description came from."""
        if not self.drafted:
            return None
        return (
            f"No portal description given: drafted one from {self.description.login_url} "
            "(guesses; save it with 'probe portal draft URL -o FILE', correct it, then use "
            "--portal FILE)"
        )


def _is_url(value: str) -> bool:
    if "://" in value and not value.startswith(("http://", "https://")):
        raise BadInput(f"--portal {value}: not an http(s) URL")
    return value.startswith(("http://", "https://"))


def choose_portal(
    portal: str | None,
    portal_url: str | None = None,
    *,
    chromium: Chromium | None = None,
    chromium_path: str | None = None,
) -> PortalChoice:
    """The description ``--portal`` and ``--portal-url`` point at."""
    if portal_url is not None and not portal_url.startswith(("http://", "https://")):
        raise BadInput(f"--portal-url {portal_url}: not an http(s) URL")
    if portal is None:
        mock = PortalChoice(mock_description(), MOCK_SOURCE)
        return mock if portal_url is None else mock.moved_to(portal_url)
    if _is_url(portal):
        if portal_url is not None:
            raise BadInput("--portal-url moves a description file: give --portal FILE with it")
        from probe.app.portal.draft import draft_portal

        check_url(portal, f"--portal {portal}")  # before any browser starts
        draft = draft_portal(portal, chromium or find_chromium(chromium_path))
        return PortalChoice(draft.description, f"drafted from {portal}", drafted=True)
    path = Path(portal).expanduser()
    if not path.exists():
        raise BadInput(
            f"--portal {portal}: no such file (give a portal description file, or the "
            "login page's http(s) URL)"
        )
    description = load_description(path)
    if portal_url is not None:
        description = relocated(description, portal_url)
    return PortalChoice(description, str(path))


def check_login_page(choice: PortalChoice) -> None:
    """Fail in one line, before any browser starts, when the login URL is not a page.

    Names the description file and its ``login_url`` field: nothing answers there, or
    it answers with an HTTP error (a 404 is a wrong path). A certificate the person's
    browser would refuse does not stop here: the runs meet it as the person does, and the
    report names it (a certificate problem, not the browser's set-up).
    """
    url = choice.description.login_url
    try:
        check_url(url, f"{choice.source}: login_url: {url}")
    except CertificateRefused:
        return


def check_url(url: str, where: str) -> None:
    """One line starting with ``where`` when nothing answers at ``url`` or it is not a page."""
    status = check_reachable(url, where)
    if status in (404, 410):
        raise PortalFailure(
            f"{where}: answers HTTP {status}: no page there; give the login page's URL"
        )


# The reachability check only needs the answer's status line and headers.
REACHABLE_DEADLINE_S = 10.0


def check_reachable(url: str, where: str | None = None, trust: TrustStore | None = None) -> int:
    """Fail in one line, before starting any browser, when nothing answers at ``url``.

    Returns the answer's HTTP status. The answer is streamed and its body never read (an
    endless one cannot fill memory); a portal that trickles its headers a byte every few
    seconds, each read within the read timeout, is given up on at the overall deadline.
    ``where`` starts the error line (default: ``--portal URL``). The connection is made
    by host name (``.localhost`` names to loopback), trusting what the person's browser
    trusts (``trust``, default: the person's store); a certificate it would refuse raises
    ``CertificateRefused``, naming the certificate.
    """
    where = where or f"--portal {url}"
    transport = by_name_transport(person_ssl_context(trust) if trust else trusted_context())

    async def first_bytes() -> int:
        async with (
            httpx.AsyncClient(transport=transport, timeout=5.0, follow_redirects=False) as client,
            client.stream("GET", url) as answer,
        ):
            return answer.status_code

    async def within_deadline() -> int:
        return await asyncio.wait_for(first_bytes(), REACHABLE_DEADLINE_S)

    try:
        return loops.run(within_deadline())
    except httpx.HTTPError as exc:
        if (error := _certificate_error(exc)) is not None:
            facts = loops.run(peer_certificate(url))
            raise CertificateRefused(refused_line(where, error, facts), error, facts) from exc
        reason = type(exc).__name__.replace("Error", " error").lower()
        raise PortalFailure(f"{where}: nothing answers there ({reason})") from exc
    except TimeoutError as exc:
        raise PortalFailure(
            f"{where}: the portal did not answer within {REACHABLE_DEADLINE_S:g} s"
        ) from exc


def _certificate_error(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None
