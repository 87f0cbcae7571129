"""``probe ci`` on an HTTPS portal whose certificate comes from a CA the scenario's person
trusts in their NSS database (``profile.trusts_portal_ca``), in real Chromium.

Checked by hand first with a plain Playwright script and Debian's Chromium 156: with
HOME pointing at the person's folder that ``person_trusting_a_ca`` makes, the portal's
page loads; with a HOME whose NSS database lacks the CA, ``page.goto`` fails with
``net::ERR_CERT_AUTHORITY_INVALID``. The real person's NSS database is never touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.app.ci import CiOptions, CiSummary, ScenarioResult, run_ci
from probe.models import Report

HOME_NSS = Path.home() / ".pki" / "nssdb"


def _state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("*")} if folder.is_dir() else {}


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> CiSummary:
    before = _state(HOME_NSS)
    done = run_ci(
        CiOptions(
            jobs=2,
            only=[
                "https-trusted-ca-healthy",
                "https-trusted-ca-extension-breaks-form",
                "certificate-not-trusted",
            ],
            browsers=["chromium"],
            report_dir=tmp_path_factory.mktemp("ci") / "reports",
        )
    )
    assert _state(HOME_NSS) == before  # the person's own database is left as it was
    return done


def _report(summary: CiSummary, name: str) -> Report:
    result: ScenarioResult = next(r for r in summary.results if r.scenario.name == name)
    assert result.error is None and result.report is not None, result.error
    return result.report


def test_a_healthy_profile_behind_a_trusted_ca_logs_in(summary: CiSummary) -> None:
    report = _report(summary, "https-trusted-ca-healthy")
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")
    assert report.portal.url.startswith("https://portal.localhost:")


def test_an_extension_breaking_the_form_is_named_behind_a_trusted_ca(summary: CiSummary) -> None:
    report = _report(summary, "https-trusted-ca-extension-breaks-form")
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Form Filler Pro"]
    assert all(b.factor != "certificate" for b in report.verdict.blockers)


def test_the_same_portal_with_the_ca_not_trusted_is_a_certificate_problem(
    summary: CiSummary,
) -> None:
    report = _report(summary, "certificate-not-trusted")
    assert (report.verdict.status, report.verdict.factor, report.verdict.culprits) == (
        "blocked",
        "certificate",
        [],
    )
