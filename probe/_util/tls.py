"""TLS as a person's browser does it: by host name, and what a refused certificate says.

Host names under ``.localhost`` always mean this machine (RFC 6761) but Python's resolver
does not know that. Rewriting the URL to 127.0.0.1 would also change the name sent in
SNI and checked against the certificate, so the name is kept and only the address the
socket connects to is loopback (``connect_host``, ``LoopbackBackend``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID

from probe._util.redact import clean_text
from probe._util.trust import TrustStore, person_trust
from probe.errors import PortalFailure
from probe.models import Detail

# How each engine says a certificate was refused: Chromium's net::ERR_CERT_*, Firefox's
# SEC_ERROR_* (unknown issuer, expired), SSL_ERROR_BAD_CERT_DOMAIN and
# MOZILLA_PKIX_ERROR_* (self-signed, not yet valid).
# Firefox driven over BiDi (ESR 153) says only "unknown error" and shows its own page,
# ``about:certerror?e=nssBadCert&...``: the page's URL tells.
_REFUSED = re.compile(
    r"\b(?:net::)?(ERR_CERT_[A-Z_]+|SEC_ERROR_[A-Z_]+|SSL_ERROR_BAD_CERT[A-Z_]*"
    r"|MOZILLA_PKIX_ERROR_[A-Z_]+|about:certerror\?e=\w+)"
)

# Reading a certificate is one handshake: a portal that does not answer is not waited for.
FACTS_DEADLINE_S = 5.0


def refused_certificate_error(text: str) -> str | None:
    """The browser's error code when ``text`` says a certificate was refused, else None.

    >>> refused_certificate_error("page.goto: net::ERR_CERT_AUTHORITY_INVALID at https://x/")
    'ERR_CERT_AUTHORITY_INVALID'
    >>> refused_certificate_error("page.goto: SEC_ERROR_UNKNOWN_ISSUER")
    'SEC_ERROR_UNKNOWN_ISSUER'
    >>> refused_certificate_error("about:certerror?e=nssBadCert&u=https%3A//x/")
    'about:certerror?e=nssBadCert'
    >>> refused_certificate_error("net::ERR_CONNECTION_REFUSED") is None
    True
    """
    match = _REFUSED.search(text)
    return match.group(1) if match else None


def connect_host(host: str) -> str:
    """The address to open a socket to for ``host``: loopback for ``.localhost`` names.

    >>> connect_host("portal.localhost"), connect_host("example.org")
    ('127.0.0.1', 'example.org')
    """
    host = host.lower().rstrip(".")
    return "127.0.0.1" if host == "localhost" or host.endswith(".localhost") else host


class LoopbackBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, connecting ``.localhost`` names to loopback.

    httpcore takes the TLS server name from the request's URL, so SNI and the host-name
    check still see the name the person typed.
    """

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_tcp(
            connect_host(host), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def person_ssl_context(trust: TrustStore | None = None) -> ssl.SSLContext:
    """What the person's browser trusts: the public CAs and those the person added."""
    context = ssl.create_default_context(cafile=certifi.where())
    extra = (trust or person_trust()).ca_certificates()
    if extra:
        context.load_verify_locations(cadata="\n".join(extra))
    return context


@functools.lru_cache(maxsize=4)
def _context_of_home(home: str) -> ssl.SSLContext:
    return person_ssl_context(person_trust(home=Path(home)))


def trusted_context() -> ssl.SSLContext:
    """``person_ssl_context()`` of the person's own store, read once per HOME."""
    return _context_of_home(os.environ.get("HOME") or str(Path.home()))


def by_name_transport(context: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """An httpx transport that verifies with ``context`` and connects by host name.

    httpx has no option for the network backend, so its connection pool is made again
    with ``LoopbackBackend``.
    """
    transport = httpx.AsyncHTTPTransport(verify=context)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, network_backend=LoopbackBackend()
    )
    return transport


@dataclass(frozen=True)
class CertificateFacts:
    """What a person can check of a certificate: who issued it, for which names, until when."""

    issuer: str
    names: tuple[str, ...]
    not_before: datetime
    not_after: datetime

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) > self.not_after

    def not_yet_valid(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) < self.not_before


def certificate_facts(der: bytes) -> CertificateFacts:
    """The facts of a DER-encoded certificate."""
    cert = x509.load_der_x509_certificate(der)
    issuer = _first(cert.issuer, NameOID.ORGANIZATION_NAME) or _first(
        cert.issuer, NameOID.COMMON_NAME
    )
    if not issuer:
        issuer = cert.issuer.rfc4514_string() or "?"
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(str(n) for n in san.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        names = ()
    if not names:
        names = tuple(filter(None, [_first(cert.subject, NameOID.COMMON_NAME)]))
    return CertificateFacts(
        issuer=issuer,
        names=names,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else ""


async def peer_certificate(url: str) -> CertificateFacts | None:
    """The certificate the server at ``url`` presents, unverified; None when none is read.

    Only read to name it to the person: nothing is sent but a TLS handshake.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme != "https" or not host:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(
                connect_host(host), parts.port or 443, ssl=context, server_hostname=host
            ),
            FACTS_DEADLINE_S,
        )
    except (OSError, TimeoutError, ssl.SSLError):
        return None
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), FACTS_DEADLINE_S)
    if not der:
        return None
    try:
        return certificate_facts(der)
    except ValueError:
        return None


# A certificate may list thousands of names; a person needs the first few.
SHOWN_NAMES = 8


def shown_names(names: tuple[str, ...]) -> str:
    """The certificate's first names, comma-separated (an ellipsis when there are more).

    >>> shown_names(("a.example", "b.example")), shown_names(())
    ('a.example, b.example', '?')
    """
    more = ", …" if len(names) > SHOWN_NAMES else ""
    return (", ".join(names[:SHOWN_NAMES]) + more) or "?"


def certificate_detail(error: str, facts: CertificateFacts | None) -> Detail:
    """What the browser refused, as data: its error code and the certificate's facts."""
    if facts is None:
        return Detail(key="detail.certificate-refused.unread", params={"error": error})
    return Detail(
        key="detail.certificate-refused",
        params={
            "error": error,
            "issuer": facts.issuer,
            "names": shown_names(facts.names),
            "until": f"{facts.not_after:%Y-%m-%d %H:%M} UTC",
        },
    )


class CertificateRefused(PortalFailure):
    """The portal answers, with a certificate the person's browser would refuse."""

    def __init__(self, message: str, error: str, facts: CertificateFacts | None) -> None:
        super().__init__(message)
        self.error = error
        self.facts = facts


def refused_line(where: str, error: str, facts: CertificateFacts | None) -> str:
    """One line naming a refused certificate and what usually causes it."""
    # The certificate is the portal's text: no terminal escapes, no endless list.
    named = ""
    if facts is not None:
        said = (
            f"issued by {facts.issuer} for {shown_names(facts.names)}, "
            f"valid until {facts.not_after:%Y-%m-%d}"
        )
        named = f" ({' '.join(clean_text(said).split())})"
    return (
        f"{where}: the portal's certificate is refused{named}: {error}; check the "
        "computer's clock, an antivirus or proxy that intercepts secure connections, or "
        "the company network's own certificate authority"
    )
