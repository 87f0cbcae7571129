"""The rendered pages opened from disk in real Chromium, on a phone-sized screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from probe.models import Lang
from probe.report import rerender, write_report
from tests.helpers.report_examples import example_reports, extension_report, render_examples

PHONE: ViewportSize = {"width": 375, "height": 812}

pytestmark = pytest.mark.browser_context_args(viewport=PHONE)

EXAMPLES = example_reports()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, Lang], Path]:
    """Every example rendered in both languages (the fr copies re-rendered from report.json)."""
    root = tmp_path_factory.mktemp("reports")
    rendered: dict[tuple[str, Lang], Path] = {}
    for name, page in render_examples(root / "en").items():
        rendered[(name, "en")] = rerender(page.parent, lang="en")
    for name, page in render_examples(root / "fr").items():
        rendered[(name, "fr")] = rerender(page.parent, lang="fr")
    return rendered


@pytest.fixture
def requests_seen(page: Page) -> Iterator[list[str]]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    yield seen


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_reader_sees_verdict_first_remedy_and_grid_on_a_phone(
    name: str,
    lang: Lang,
    pages: dict[tuple[str, Lang], Path],
    page: Page,
    requests_seen: list[str],
    tmp_path: Path,
) -> None:
    report = EXAMPLES[name]
    page.goto(pages[(name, lang)].as_uri())
    page.screenshot(path=tmp_path / f"{name}-{lang}.png")

    summary = report.verdict.summary_fr if lang == "fr" else report.verdict.summary_en
    expect(page.get_by_role("heading", level=1)).to_have_text(summary)
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()
    if report.verdict.remedies:
        first = report.verdict.remedies[0]
        remedy = page.locator(".remedies li").first
        expect(remedy).to_have_text(first.fr if lang == "fr" else first.en)
        expect(remedy).to_be_visible()
    grid = page.locator("#grid")
    expect(grid).to_be_visible()
    expect(grid.locator("tbody tr")).to_have_count(len(report.variants))

    # Every picture decoded: a broken data URI would show as an empty box.
    widths = page.locator("img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert widths and all(width > 0 for width in widths)

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px of horizontal scrolling at {PHONE['width']}px"

    schemes = {url.split(":", 1)[0] for url in requests_seen}
    assert requests_seen and schemes <= {"file", "data"}, requests_seen


def test_thumbnail_enlarges_on_click_and_closes(
    pages: dict[tuple[str, Lang], Path], page: Page
) -> None:
    page.goto(pages[("extension", "en")].as_uri())
    picture = page.locator("#shot-run-current img")
    small = picture.bounding_box()
    assert small is not None
    page.locator("#shot-run-current a.shot-open").click()
    close = page.locator("#shot-run-current a.shot-close")
    expect(close).to_be_visible()
    expect(picture).to_be_in_viewport()
    position = picture.evaluate("img => getComputedStyle(img.closest('figure')).position")
    assert position == "fixed"
    close.click()
    expect(close).to_be_hidden()


def test_page_is_complete_without_javascript(
    browser: Browser, pages: dict[tuple[str, Lang], Path]
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(pages[("extension", "fr")].as_uri())
        expect(page.get_by_role("heading", level=1)).to_have_text(
            EXAMPLES["extension"].verdict.summary_fr
        )
        expect(page.get_by_text("bloquée dans le navigateur").first).to_be_visible()
        page.locator("#shot-run-current a.shot-open").click()
        expect(page.locator("#shot-run-current a.shot-close")).to_be_visible()
    finally:
        context.close()


def test_print_layout_keeps_everything(pages: dict[tuple[str, Lang], Path], page: Page) -> None:
    page.goto(pages[("extension", "en")].as_uri())
    page.emulate_media(media="print")
    expect(page.locator("#shot-run-current a.shot-close")).to_be_hidden()
    expect(page.locator(".remedies li").first).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_chromium_jpeg_screenshots_are_inlined(page: Page, tmp_path: Path) -> None:
    # The journey saves JPEG screenshots; take a real one and render a report around it.
    page.set_content("<h1 style='color:#1f4fa3'>Connexion</h1><p role=alert>Compte verrouillé</p>")
    report = extension_report()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page.screenshot(path=shots / "current-captcha.jpg", type="jpeg", quality=60)
    run = report.variants[0]
    last = run.steps[-1].model_copy(update={"screenshot": "screenshots/current-captcha.jpg"})
    report = report.model_copy(
        update={"variants": [run.model_copy(update={"steps": [*run.steps[:-1], last]})]}
    )
    index = write_report(report, tmp_path)
    page.goto(index.as_uri())
    image = page.locator("#shot-run-current img")
    assert (image.get_attribute("src") or "").startswith("data:image/jpeg;base64,")
    assert image.evaluate("img => img.naturalWidth") == PHONE["width"]
