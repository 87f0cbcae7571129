"""Evidence first and several blockers, in real Chromium: the verdicts a person would check."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from probe.chromium import Chromium
from probe.ci import compare
from probe.engine import DiagnosisRequest
from probe.models import Report
from probe.portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD
from probe.scenarios import diagnose_scenario, load_scenario

pytestmark = pytest.mark.browser

AD_SHIELD = "iphdiopgiobfbnfmjdcfdllcfljonaoj"


def diagnosed(name: str, chromium: Chromium, folder: Path, **kw: object) -> Report:
    request = DiagnosisRequest(report_dir=folder, chromium=chromium, **kw)  # type: ignore[arg-type]
    report, _ = diagnose_scenario(name, request)
    return report


def entries(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def test_an_extension_caught_in_the_act_among_sixteen_is_confirmed_in_two_runs(
    probe_chromium: Chromium, tmp_path: Path
) -> None:
    report = diagnosed("ad-blocker-among-sixteen", probe_chromium, tmp_path, trace=True)
    assert [c.id for c in report.verdict.culprits] == [AD_SHIELD]
    ran = [run.name for run in report.variants if run.outcome != "skipped"]
    assert ran == ["current", "without-suspects", "suspects-only"]
    assert report.browser_runs == 3  # current, then 2 to confirm
    current = report.variants[0]
    blocking = [e for e in current.evidence if e.kind == "blocks-request"]
    assert [(e.component, e.url.rsplit("/", 1)[-1]) for e in blocking] == [(AD_SHIELD, "api.js")]
    assert "Ad Shield has a rule that blocks captcha.localhost/api.js." in report.verdict.summary_en
    assert "Ad Shield a une règle qui bloque captcha.localhost/api.js." in report.verdict.summary_fr

    # Traces of the person's browser and of the run without the culprit, linked, secret-free.
    traced = {run.name: run.trace for run in report.variants if run.trace}
    assert traced == {
        "current": "traces/current.zip",
        "without-suspects": "traces/without-suspects.zip",
    }
    assert sorted(p.name for p in (tmp_path / "traces").iterdir()) == [
        "current.zip",
        "without-suspects.zip",
    ]
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="traces/without-suspects.zip"' in html
    proof = entries(tmp_path / "traces" / "without-suspects.zip")
    assert any(name.endswith(".trace") for name in proof)
    blob = b"\n".join(proof.values())
    assert b'"method":"fill"' in blob  # the trace does hold the typing, masked
    for secret in (DEMO_PASSWORD, DEMO_IDENTIFIER, "Ameli-Demo-2026%21"):
        assert secret.encode() not in blob, secret
    typed = re.findall(rb'"method":"fill","params":\{"selector":"[^"]*","value":"([^"]*)"', blob)
    assert len(typed) == 3 and set(typed) == {b"[redacted]"}  # identifier, password, code
    assert re.search(rb"code=\d", blob) is None


def test_a_wrong_password_behind_a_blocked_captcha_names_both(
    probe_chromium: Chromium, tmp_path: Path
) -> None:
    report = diagnosed("captcha-blocked-and-wrong-password", probe_chromium, tmp_path)
    blockers = [(b.factor, [c.id for c in b.culprits], b.step) for b in report.verdict.blockers]
    assert blockers == [
        ("extension", [AD_SHIELD], "captcha"),
        ("invalid-credentials", [], "credentials"),
    ]
    assert "every browser set-up" not in report.verdict.summary_en
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "2 problems block the login, one after the other" in html


@pytest.mark.parametrize(
    "name",
    [
        "oversized-cookies-and-ad-blocker",
        "javascript-off-and-ad-blocker",
        "stale-service-worker-and-oversized-cookies",
    ],
)
def test_two_blockers_of_different_kinds(
    name: str, probe_chromium: Chromium, tmp_path: Path
) -> None:
    report = diagnosed(name, probe_chromium, tmp_path)
    assert compare(load_scenario(name), report.verdict) is None


def test_an_oversized_cookie_header_is_named_as_an_amount(
    probe_chromium: Chromium, tmp_path: Path
) -> None:
    report = diagnosed("oversized-cookies", probe_chromium, tmp_path, lang="fr")
    (blocker,) = report.verdict.blockers
    assert blocker.cookies is not None
    assert (blocker.cookies.host, blocker.cookies.count) == ("portal.localhost", 5)
    assert blocker.cookies.total_bytes > 8 * 1024
    kib = f"{blocker.cookies.total_bytes / 1024:.1f}"
    assert f"5 cookies for portal.localhost, {kib} KiB in all" in report.verdict.summary_en
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f"5 cookies pour portal.localhost, {kib.replace('.', ',')} Kio en tout" in html
