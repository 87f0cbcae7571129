"""A local certificate authority, the HTTPS embedded portal, and a person's NSS database.

The CA is made with ``trustme``; a person (or their IT) trusts it the way Linux Chromium
reads it: ``certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n NAME -i ca.pem``.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import trustme

from probe.mock_portal.server import EmbeddedPortal
from probe.mock_portal.state import PortalConfig
from probe.mock_portal.tls import TlsFiles

CA_NAME = "Home Network CA"
# The three sites of the embedded portal, on one port.
MOCK_NAMES = ("portal.localhost", "captcha.localhost", "idp.localhost")


@dataclass(frozen=True)
class LocalCA:
    """A CA, its PEM file, and a server certificate it issued for ``MOCK_NAMES``."""

    ca: trustme.CA
    ca_pem: Path
    server: TlsFiles


def local_ca(
    folder: Path, names: tuple[str, ...] = MOCK_NAMES, organization: str = CA_NAME
) -> LocalCA:
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name=organization)
    issued = ca.issue_cert(*names)
    ca_pem, chain, key = folder / "ca.pem", folder / "chain.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    chain.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    return LocalCA(ca, ca_pem, TlsFiles(str(chain), str(key)))


def person_home(folder: Path, trusted: LocalCA | None) -> Path:
    """A HOME with an NSS database, holding ``trusted``'s CA when given (as certutil adds it)."""
    certutil = shutil.which("certutil")
    assert certutil, "certutil missing: run bash scripts/setup.sh (it installs libnss3-tools)"
    nssdb = folder / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    database = f"sql:{nssdb}"
    subprocess.run([certutil, "-d", database, "-N", "--empty-password"], check=True)
    if trusted is not None:
        subprocess.run(
            [certutil, "-d", database, "-A", "-t", "C,,", "-n", CA_NAME, "-i", trusted.ca_pem],
            check=True,
        )
    return folder


def https_portal(ca: LocalCA, config: PortalConfig | None = None) -> EmbeddedPortal:
    """The embedded portal over HTTPS, its certificate from ``ca`` (start it with ``with``)."""
    return EmbeddedPortal(config, tls=ca.server)
