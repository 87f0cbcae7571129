"""A scenario's person who trusts a certificate authority of their own, and the HTTPS
portal whose certificate it issued.

A company's or a home network's CA is trusted on Linux in the person's NSS database
(``~/.pki/nssdb``, where ``certutil -A -t "C,,"`` adds it), which Chromium reads. A
scenario cannot touch the real person's database: the CA, the portal's certificate and a
HOME of the scenario's person with that database are made in a private folder, and
Chromium's runs trust that HOME's database instead (``ChromiumEngine.trust_home``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from probe._util.trust import NSS_FOLDER
from probe.errors import ProbeError
from probe.mock_portal.tls import TlsFiles, untrusted_ca_files

CA_NICKNAME = "Home Network CA (probe scenario)"
_PEM_END = b"-----END CERTIFICATE-----"


@dataclass(frozen=True)
class TrustedCA:
    """The portal's certificate files, and the HOME whose NSS database trusts their CA."""

    server: TlsFiles
    home: Path


def person_trusting_a_ca(folder: Path) -> TrustedCA:
    """Make, in the empty private ``folder``, a CA with a certificate for the embedded
    portal's sites, and a HOME whose NSS database trusts the CA for web sites."""
    server = untrusted_ca_files(_made(folder / "ca"))
    # The chain file holds the portal's certificate, then the CA's.
    chain = Path(server.certfile).read_bytes()
    ca_pem = folder / "ca" / "ca.pem"
    ca_pem.write_bytes(chain[chain.index(_PEM_END) + len(_PEM_END) :].lstrip())
    home = _made(folder / "home")
    database = f"sql:{_made(home / NSS_FOLDER)}"
    _certutil("-d", database, "-N", "--empty-password")
    _certutil("-d", database, "-A", "-t", "C,,", "-n", CA_NICKNAME, "-i", str(ca_pem))
    return TrustedCA(server=server, home=home)


def _made(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _certutil(*args: str) -> None:
    certutil = shutil.which("certutil")
    if certutil is None:
        raise ProbeError(
            "certutil not found: a scenario whose person trusts a CA needs NSS's tools "
            "(Debian: apt-get install libnss3-tools)"
        )
    done = subprocess.run([certutil, *args], capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        raise ProbeError(f"certutil {args[2]} failed: {done.stderr.strip()[:200]}")
