"""An HTTPS portal whose certificate comes from a CA the person trusts in their NSS database.

The person's Chromium trusts the CA (``certutil -A -t "C,,"`` in ``$HOME/.pki/nssdb``), so
probe's runs must too; with the CA not trusted, every browser refuses the certificate and
the report names that, never the profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from probe.description.model import mock_description
from probe.mock_portal import EmbeddedPortal
from probe.models import Report
from tests.helpers.tls import CA_NAME, LocalCA, https_portal, local_ca, person_home

Diagnose = Callable[..., Report]
CREDENTIALS = ("1850775123456", "Ameli-Demo-2026!")
FORM_BREAKER = {"extensions": ["form-filler-pro", "harmless/notes", "harmless/stopwatch"]}


@pytest.fixture
def ca(tmp_path: Path) -> LocalCA:
    return local_ca(tmp_path / "ca")


@pytest.fixture
def portal(ca: LocalCA) -> Iterator[EmbeddedPortal]:
    with https_portal(ca) as running:
        yield running


def _diagnose(probe_diagnose: Diagnose, portal: EmbeddedPortal, profile: object) -> Report:
    return probe_diagnose(
        portal_description=mock_description(),
        portal_url=portal.url,
        profile=profile,
        credentials=CREDENTIALS,
    )


def test_a_healthy_profile_trusting_the_ca_logs_in(
    ca: LocalCA,
    portal: EmbeddedPortal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    probe_diagnose: Diagnose,
) -> None:
    monkeypatch.setenv("HOME", str(person_home(tmp_path / "home", ca)))
    report = _diagnose(probe_diagnose, portal, {})
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")
    assert report.portal.url.startswith("https://portal.localhost:")
    assert report.browser_runs == 1


def test_an_extension_breaking_the_form_is_named_behind_https(
    ca: LocalCA,
    portal: EmbeddedPortal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    probe_diagnose: Diagnose,
) -> None:
    monkeypatch.setenv("HOME", str(person_home(tmp_path / "home", ca)))
    report = _diagnose(probe_diagnose, portal, FORM_BREAKER)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Form Filler Pro"]


def test_a_ca_not_trusted_is_a_certificate_problem_and_nothing_in_the_profile(
    ca: LocalCA,
    portal: EmbeddedPortal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    probe_diagnose: Diagnose,
) -> None:
    monkeypatch.setenv("HOME", str(person_home(tmp_path / "home", None)))
    report = _diagnose(probe_diagnose, portal, FORM_BREAKER)
    verdict = report.verdict
    assert (verdict.status, verdict.factor, verdict.culprits) == ("blocked", "certificate", [])
    assert [b.factor for b in verdict.blockers] == ["certificate"]
    assert verdict.blockers[0].symptom == "certificate-refused"
    said = verdict.blockers[0].summary_en
    assert "ERR_CERT_AUTHORITY_INVALID" in said
    assert f"issued by {CA_NAME} for portal.localhost" in said
    assert "Le navigateur refuse le certificat" in verdict.blockers[0].summary_fr
    assert [r.id for r in verdict.remedies][:1] == ["check-clock"]
