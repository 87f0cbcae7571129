"""A report with several blockers and evidence, read by a French and an English reader."""

from __future__ import annotations

import html
import re
from pathlib import Path

from probe.diagnosis.decisions import make_blocker, verdict_of
from probe.journey.observation import noted_step
from probe.models import Component, Culprit, Detail, Evidence, Report, VariantRun
from probe.report.html import render_html
from tests.helpers.report_examples import extension_report, write_screenshots

EVIDENCE = Evidence(
    kind="blocks-request",
    component="ad",
    name="Ad Shield",
    url="http://captcha.localhost:8123/api.js",
)


def two_blockers() -> Report:
    report = extension_report()
    js = Culprit(kind="setting", id="javascript", name="JavaScript blocked")
    ad = Culprit(kind="extension", id="ad", name="Ad Shield")
    current = VariantRun(
        name="current",
        outcome="fail",
        symptom="javascript-disabled",
        failed_step="open-login",
        steps=[
            noted_step("open-login", "fail", Detail(key="detail.javascript-off")),
            noted_step("captcha", "skipped", Detail(key="detail.not-reached")),
        ],
        evidence=[EVIDENCE],
        trace="traces/current.zip",
    )
    later = VariantRun(
        name="settings-reset",
        outcome="fail",
        symptom="captcha-blocked",
        failed_step="captcha",
        steps=[
            noted_step(
                "captcha",
                "fail",
                Detail(
                    key="detail.captcha-blocked",
                    params={
                        "error": "net::ERR_BLOCKED_BY_CLIENT",
                        "url": "http://captcha.localhost:8123/api.js",
                    },
                ),
            )
        ],
    )
    fresh = VariantRun(
        name="fresh",
        outcome="skipped",
        skipped_because=Detail(key="detail.skip-rejected"),
        skipped_reason="the portal already rejected these exact credentials; "
        "submitting them again could lock the account",
    )
    again = VariantRun(name="cookies-cleared-2", outcome="pass", kept=["ad"])
    confirm = VariantRun(name="confirm-1", outcome="pass", kept=[])
    report.verdict = verdict_of(
        [
            make_blocker("browser-setting", [js], current),
            make_blocker(
                "extension",
                [ad],
                later,
                note="captcha",
                evidence=[EVIDENCE],
            ),
        ]
    )
    report.variants = [current, fresh, later, again, confirm]
    report.drilldown = []
    report.profile.components = [
        Component(kind="extension", id="ad", name="Ad Shield"),
        Component(kind="site-data", id="site-data", name="Site data and cache"),
        Component(kind="setting", id="javascript", name="JavaScript blocked"),
    ]
    return report


def page_text(report: Report, folder: Path, lang: str) -> str:
    write_screenshots(report, folder)
    page = render_html(report, folder, lang="fr" if lang == "fr" else "en")
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_blockers_are_listed_in_order_with_their_evidence(tmp_path: Path) -> None:
    shown = page_text(two_blockers(), tmp_path, "en")
    assert "2 problems block the login, one after the other" in shown
    first = shown.index("A browser setting, 'JavaScript blocked', blocks the login.")
    second = shown.index("Ad Shield has a rule that blocks captcha.localhost/api.js.")
    assert first < second
    assert "Playwright trace of this run" in shown


def test_a_french_report_has_no_english_component_names_details_or_reasons(
    tmp_path: Path,
) -> None:
    shown = page_text(two_blockers(), tmp_path, "fr")
    assert "2 problèmes bloquent la connexion, l'un après l'autre" in shown
    assert "Ad Shield a une règle qui bloque captcha.localhost/api.js." in shown
    for french in (
        "Données de site et cache",
        "JavaScript bloqué",
        "JavaScript est désactivé dans ce navigateur ; le portail en a besoin.",
        "La vérification anti-robot a été bloquée dans le navigateur",
        "le portail a déjà refusé ces identifiants exacts",
        "Vérification sans les coupables : essai 1",
        "(tour 2)",
        "Trace Playwright de cet essai",
    ):
        assert french in shown, french
    for english in (
        "Site data and cache",
        "JavaScript blocked",
        "switched off",
        "was blocked inside the browser",
        "already rejected",
        "not reached",
        "cookies-cleared-2",
        "confirm-1",
    ):
        assert english not in shown, english


def test_only_a_trace_probe_wrote_is_linked(tmp_path: Path) -> None:
    report = two_blockers()
    report.variants[0].trace = "javascript:alert(1)"
    report.variants[2].trace = "../../etc/passwd.zip"
    write_screenshots(report, tmp_path)
    page = render_html(report, tmp_path, lang="en")
    assert "javascript:alert" not in page and "passwd" not in page
    assert "Playwright trace of this run" not in page
