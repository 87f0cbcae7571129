"""Refresh the report pictures linked from the README (reports/examples/*.png).

Runs real diagnoses of a few scenarios and photographs the top of each report:
    .venv/bin/python scripts/make_examples.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from probe.app.ci import diagnose_scenario
from probe.app.request import DiagnosisRequest
from probe.browsers.chromium.discovery import find_chromium, launch_args

EXAMPLES = {
    "ok": "healthy-busy-profile",
    "extension": "ad-blocker-hides-captcha",
    "cookies": "oversized-cookies",
    "maintenance": "maintenance",
    "account-locked": "account-locked",
}
REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "reports" / "examples"


def main() -> None:
    chromium = find_chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="probe-examples-") as tmp:
        pages = {}
        for label, scenario in EXAMPLES.items():
            folder = Path(tmp) / label
            report, _ = diagnose_scenario(
                scenario, DiagnosisRequest(report_dir=folder, lang="en"), chromium=chromium
            )
            print(
                f"{label}: {report.verdict.factor} in {report.browser_runs} runs", file=sys.stderr
            )
            pages[label] = folder / "index.html"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium.executable), args=launch_args()
            )
            page = browser.new_page(viewport={"width": 1000, "height": 1300})
            for label, html in pages.items():
                page.goto(html.as_uri())
                page.screenshot(path=OUT / f"{label}.png")
            browser.close()


if __name__ == "__main__":
    main()
