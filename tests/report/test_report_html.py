"""The HTML page, read as a helpdesk agent and a developer would read it (no browser)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from probe.models import Component, Lang, Report
from probe.report import render_html, write_report
from tests.helpers.report_dom import Node, parse
from tests.helpers.report_examples import (
    AD_SHIELD,
    example_reports,
    extension_report,
    page_picture,
    write_screenshots,
)

EXAMPLES = example_reports()


def render(report: Report, out_dir: Path, lang: Lang) -> Node:
    write_screenshots(report, out_dir)
    return parse(render_html(report, out_dir, lang=lang))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_top_of_page_says_verdict_then_numbered_remedies(
    name: str, lang: Lang, tmp_path: Path
) -> None:
    report = EXAMPLES[name]
    page = render(report, tmp_path, lang)
    verdict = report.verdict
    header = page.find("header", cls="verdict")
    assert f"verdict--{verdict.status}" in header.classes
    summary = verdict.summary_fr if lang == "fr" else verdict.summary_en
    assert page.find("h1").text() == summary
    status_words = {
        ("ok", "en"): "Login works",
        ("blocked", "en"): "Login blocked",
        ("ok", "fr"): "La connexion fonctionne",
        ("blocked", "fr"): "Connexion bloquée",
    }
    # Not colour only: the status is a word next to an icon.
    status = header.find("p", cls="status")
    assert status.text() == status_words[(verdict.status, lang)]
    assert status.find("svg")

    expected = [r.fr if lang == "fr" else r.en for r in verdict.remedies]
    shown = [
        li.text() for li in page.find_all("section", cls="remedies")[:1] for li in li.find_all("li")
    ]
    assert shown == expected
    fallback = [r.fr if lang == "fr" else r.en for r in verdict.if_that_fails]
    shown_fallback = [
        li.text() for s in page.find_all("section", cls="fallback") for li in s.find_all("li")
    ]
    assert shown_fallback == fallback
    heading = {"en": "If that does not work", "fr": "Si cela ne suffit pas"}[lang]
    assert (heading in page.text()) == bool(fallback)
    assert page.find("html").attrs["lang"] == lang


def test_variant_names_are_plain_words_in_both_languages(tmp_path: Path) -> None:
    report = extension_report()
    english = [th.text() for th in render(report, tmp_path, "en").find("tbody").find_all("th")]
    french = [th.text() for th in render(report, tmp_path, "fr").find("tbody").find_all("th")]
    for label in (
        "Your browser as it is",
        "Private window",
        "Without extensions",
        "Cookies cleared",
        "Narrowing down: run 1",
        "Narrowing down: run 3",
    ):
        assert any(row.startswith(label) for row in english), label
    for label in (
        "Votre navigateur tel quel",
        "Fenêtre de navigation privée",
        "Sans extensions",
        "Recherche de la cause : essai 2",
    ):
        assert any(row.startswith(label) for row in french), label
    assert not any(row.startswith(("no-extensions", "drill-")) for row in english + french)


def test_grid_shows_where_each_attempt_stopped(tmp_path: Path) -> None:
    page = render(extension_report(), tmp_path, "en")
    rows = page.find("tbody").find_all("tr")
    current = rows[0]
    cells = [td.text() for td in current.find_all("td")]
    assert cells == [
        "failed",
        "passed",
        "failed",
        "not reached",
        "not reached",
        "not reached",
        "not reached",
    ]
    assert [td.attrs["data-label"] for td in current.find_all("td")][
        2
    ] == "“I am not a robot” check"
    private = [td.text() for td in rows[1].find_all("td")]
    assert private == ["passed"] * 7


def test_skipped_attempts_say_why(tmp_path: Path) -> None:
    page = render(EXAMPLES["maintenance"], tmp_path, "en")
    skipped = page.find_all("td", cls="skip-reason")
    assert len(skipped) == 2
    assert skipped[0].text() == (
        "Not tried (the portal itself is down, so changing the browser cannot help)"
    )
    assert "Service momentanément indisponible" in page.find("article", id="run-current").text()


def test_thumbnail_is_the_page_where_the_attempt_stopped(tmp_path: Path) -> None:
    report = extension_report()
    page = render(report, tmp_path, "en")
    card = page.find("article", id="run-current")
    img = card.find("img")
    prefix = "data:image/png;base64,"
    assert img.attrs["src"].startswith(prefix)
    assert base64.b64decode(img.attrs["src"][len(prefix) :]) == page_picture("captcha", "fail")
    assert img.attrs["alt"] == "The page at the stage: “I am not a robot” check"
    # One inlined picture per attempt that ran, so the page stays small.
    ran = [run for run in report.variants if run.outcome != "skipped"]
    assert len(page.find_all("img")) == len(ran)
    # Click-to-enlarge works without script: the link targets its own figure.
    figure = card.find("figure", cls="shot")
    assert card.find("a", cls="shot-open").attrs["href"] == "#" + figure.attrs["id"]


def test_blocked_requests_are_explained_and_console_errors_listed(tmp_path: Path) -> None:
    card = render(extension_report(), tmp_path, "en").find("article", id="run-current")
    blocked = card.find("li", cls="blocked")
    assert "blocked inside the browser" in blocked.text()
    assert "http://captcha.localhost:8123/api.js" in blocked.text()
    assert "net::ERR_BLOCKED_BY_CLIENT" in blocked.text()
    console = [li.text() for li in card.find("ul", cls="console").find_all("li")]
    assert console[0].startswith("Failed to load resource: net::ERR_BLOCKED_BY_CLIENT")
    assert "4 cookies for the portal (312 B)" in card.text()


def test_drilldown_is_a_tree_of_runs_with_what_they_kept(tmp_path: Path) -> None:
    section = render(extension_report(), tmp_path, "en").find("section", id="drilldown")
    items = {li.find("strong").text(): li for li in section.find_all("li")}
    assert set(items) == {"Narrowing down: run 1", "Narrowing down: run 2", "Narrowing down: run 3"}
    run1 = items["Narrowing down: run 1"]
    for child in ("Narrowing down: run 2", "Narrowing down: run 3"):
        assert run1 in items[child].ancestors()
    assert "failed" in run1.text().split("kept")[0]
    assert "kept: Night Page" in items["Narrowing down: run 2"].text()
    assert f"kept: {AD_SHIELD.name}" in items["Narrowing down: run 3"].text()
    assert "started from “Your browser as it is”" in run1.text()


def test_timing_bars_are_placed_relative_to_the_whole_diagnosis(tmp_path: Path) -> None:
    report = extension_report()
    page = render(report, tmp_path, "en")
    run = report.variants[3]
    bar = page.find("article", id=f"run-{run.name}").find("div", cls="bar").find("span")
    left, width = (float(v) for v in re.findall(r"([\d.]+)%", bar.attrs["style"]))
    assert left == pytest.approx(100 * run.started_ms / report.duration_ms, abs=0.01)
    assert width == pytest.approx(100 * run.duration_ms / report.duration_ms, abs=0.01)


@pytest.mark.parametrize(
    ("lang", "date", "duration"),
    [
        ("en", "26 November 2026, 20:45 (UTC)", "took 1.5 s"),
        ("fr", "26 novembre 2026 à 20:45 (UTC)", "durée 1,5 s"),
    ],
)
def test_dates_and_numbers_follow_the_language(
    lang: Lang, date: str, duration: str, tmp_path: Path
) -> None:
    page = render(EXAMPLES["cookies"], tmp_path, lang)
    facts = page.find("section", id="details").text()
    assert date in facts
    assert duration in page.find("article", id="run-current").text()
    size = {"en": "48 cookies for the portal (9.2 KB)", "fr": "48 cookies pour le portail (9,2 Ko)"}
    assert size[lang] in page.text()


def test_details_name_portal_browser_profile_and_findings(tmp_path: Path) -> None:
    details = render(EXAMPLES["account-locked"], tmp_path, "en").find("section", id="details")
    text = details.text()
    for expected in (
        "http://portal.localhost:8123/connexion",
        "Chromium 156.0.8078.108",
        "your usual Chromium profile",
        "/home/someone/.config/chromium",
        "Identifier: a space after the text (the identifier ends with a space)",
        "Browser runs 2",
    ):
        assert expected in text, expected
    components = render(EXAMPLES["ok"], tmp_path, "en").find("section", id="details").text()
    assert "Extensions Ad Shield, Night Page, Quick Translate" in components
    assert "Cookies 2" in components
    assert "Settings changed Block third-party cookies" in components


def test_page_references_nothing_outside_itself(tmp_path: Path) -> None:
    for report in EXAMPLES.values():
        write_screenshots(report, tmp_path)
        html = render_html(report, tmp_path, lang="en")
        for node in parse(html).iter():
            for attr in ("src", "href", "action", "srcset", "data"):
                value = node.attrs.get(attr)
                if value is not None:
                    assert value.startswith(("#", "data:")), (node.tag, attr, value[:60])
        assert not re.search(r"url\(\s*['\"]?(?!data:)", html)
        assert "@import" not in html


def test_portal_text_is_escaped_not_executed(tmp_path: Path) -> None:
    report = extension_report()
    hostile = "<script>alert(1)</script>"
    run = report.variants[0].model_copy(update={"message": f"Erreur {hostile}"})
    profile = report.profile.model_copy(
        update={"components": [Component(kind="extension", id="x", name='<img src=x onerror="1">')]}
    )
    report = report.model_copy(update={"variants": [run, *report.variants[1:]], "profile": profile})
    html = render_html(report, tmp_path, lang="en")
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert len(parse(html).find_all("script")) == 1  # only the page's own


def test_only_real_images_inside_the_report_folder_are_inlined(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(page_picture("captcha", "fail"))
    out_dir = tmp_path / "report"
    (out_dir / "screenshots").mkdir(parents=True)
    (out_dir / "screenshots" / "notes.png").write_text("not a picture")
    report = extension_report()
    runs = report.variants
    pointing = [
        ("../elsewhere.png", runs[0]),
        (str(outside), runs[1]),
        ("screenshots/notes.png", runs[2]),
        ("screenshots/absent.png", runs[3]),
    ]
    changed = []
    for path, run in pointing:
        last = run.steps[-1].model_copy(update={"screenshot": path})
        changed.append(run.model_copy(update={"steps": [*run.steps[:-1], last]}))
    report = report.model_copy(update={"variants": [*changed, *runs[4:]]})
    page = parse(render_html(report, out_dir, lang="en"))
    for _, run in pointing:
        card = page.find("article", id=f"run-{run.name}")
        assert not card.find_all("img")
        assert "The picture of this page could not be read." in card.text()


def test_write_report_uses_the_report_language_unless_told(tmp_path: Path) -> None:
    report = EXAMPLES["cookies"]
    assert report.lang == "fr"
    page = write_report(report, tmp_path / "a")
    assert parse(page.read_text()).find("html").attrs["lang"] == "fr"
    page = write_report(report, tmp_path / "b", lang="en")
    assert parse(page.read_text()).find("h1").text() == report.verdict.summary_en


def test_drilldown_without_parent_links_is_nested_by_what_each_run_kept(tmp_path: Path) -> None:
    report = extension_report()
    orphans = [node.model_copy(update={"parent": None}) for node in report.drilldown]
    page = render(report.model_copy(update={"drilldown": orphans}), tmp_path, "en")
    items = {
        li.find("strong").text(): li for li in page.find("section", id="drilldown").find_all("li")
    }
    run1 = items["Narrowing down: run 1"]
    assert run1 in items["Narrowing down: run 2"].ancestors()
    assert run1 in items["Narrowing down: run 3"].ancestors()
    assert "started from" not in run1.text()


def test_narrowing_down_runs_are_explained_by_what_they_kept(tmp_path: Path) -> None:
    expected_by_lang: dict[Lang, str] = {"en": "kept: Ad Shield", "fr": "conservé : Ad Shield"}
    for lang, expected in expected_by_lang.items():
        page = render(extension_report(), tmp_path, lang)
        assert page.find("article", id="run-drill-3").find("p", cls="why").text() == expected
