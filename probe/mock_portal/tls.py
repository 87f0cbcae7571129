"""A certificate authority made on the spot, which no browser trusts, for the portal's HTTPS.

A person whose company network or antivirus intercepts secure connections meets a
certificate from a CA their browser does not know; ``PortalConfig.tls = "untrusted-ca"``
serves the portal that way (scenario ``certificate-not-trusted``).
"""

from __future__ import annotations

import datetime
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# The embedded portal's three sites, served on one port.
SITE_NAMES = ("portal.localhost", "captcha.localhost", "idp.localhost")
UNTRUSTED_CA_NAME = "Untrusted Interception CA (probe demo)"


@dataclass(frozen=True)
class TlsFiles:
    """A server's certificate chain and key, PEM files: it then serves HTTPS."""

    certfile: str
    keyfile: str


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, text)])


def untrusted_ca_files(folder: Path) -> TlsFiles:
    """A new CA and a certificate it issued for ``SITE_NAMES``, written into ``folder``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(UNTRUSTED_CA_NAME))
        .issuer_name(_name(UNTRUSTED_CA_NAME))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("probe demo portal"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in SITE_NAMES]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    chain = folder / "chain.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    )
    keyfile = folder / "key.pem"
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsFiles(str(chain), str(keyfile))


def temporary_untrusted_ca() -> tuple[tempfile.TemporaryDirectory[str], TlsFiles]:
    """``untrusted_ca_files`` in a private temporary folder (remove it when done)."""
    folder = tempfile.TemporaryDirectory(prefix="probe-tls-")
    return folder, untrusted_ca_files(Path(folder.name))
