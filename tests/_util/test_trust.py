"""The CAs a person trusts: read from a real NSS database made by certutil, and the seam."""

from __future__ import annotations

import hashlib
import os
import ssl
from pathlib import Path

from probe._util.trust import (
    NSS_FOLDER,
    NssDatabase,
    SystemStore,
    copy_nss_database,
    person_trust,
)
from tests.helpers.tls import local_ca, person_home


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_ca_a_person_added_is_read_and_their_database_left_as_it_was(
    tmp_path: Path,
) -> None:
    ca = local_ca(tmp_path / "ca")
    home = person_home(tmp_path / "home", ca)
    before = _digests(home / NSS_FOLDER)
    found = NssDatabase(home).ca_certificates()
    assert [ssl.PEM_cert_to_DER_cert(pem) for pem in found] == [
        ssl.PEM_cert_to_DER_cert(ca.ca_pem.read_text())
    ]
    assert _digests(home / NSS_FOLDER) == before


def test_a_database_without_the_ca_or_no_database_trusts_nothing_more(tmp_path: Path) -> None:
    assert NssDatabase(person_home(tmp_path / "home", None)).ca_certificates() == []
    assert NssDatabase(tmp_path / "nobody").ca_certificates() == []


def test_the_database_is_copied_into_a_run_home_without_following_links(tmp_path: Path) -> None:
    home = person_home(tmp_path / "home", local_ca(tmp_path / "ca"))
    run_home = tmp_path / "run"
    assert copy_nss_database(home, run_home)
    assert _digests(run_home / NSS_FOLDER) == _digests(home / NSS_FOLDER)
    linked = tmp_path / "linked"
    (linked / NSS_FOLDER).mkdir(parents=True)
    os.symlink(home / NSS_FOLDER / "cert9.db", linked / NSS_FOLDER / "cert9.db")
    assert not copy_nss_database(linked, tmp_path / "run2")
    assert not (tmp_path / "run2" / NSS_FOLDER / "cert9.db").exists()


def test_the_system_store_seam_gives_each_ca_once_as_pem(tmp_path: Path) -> None:
    der = ssl.PEM_cert_to_DER_cert(local_ca(tmp_path).ca_pem.read_text())
    store = SystemStore(lambda: [der, der])
    assert [ssl.PEM_cert_to_DER_cert(p) for p in store.ca_certificates()] == [der]


def test_each_platform_reads_its_own_store(tmp_path: Path) -> None:
    assert isinstance(person_trust("win32"), SystemStore)
    assert isinstance(person_trust("darwin"), SystemStore)
    linux = person_trust("linux", home=tmp_path)
    assert isinstance(linux, NssDatabase) and linux.home == tmp_path
