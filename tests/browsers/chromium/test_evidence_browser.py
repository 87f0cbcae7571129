"""Evidence first and several blockers, in real Chromium: the verdicts a person would check."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Worker, async_playwright

from probe._util import loops
from probe.app.ci import compare, diagnose_scenario
from probe.app.request import DiagnosisRequest
from probe.app.scenarios import load_scenario
from probe.browsers.chromium.discovery import Chromium, launch_args
from probe.browsers.chromium.evidence import EvidenceWatch
from probe.browsers.chromium.profile import Extension, extension_launch_args
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD
from probe.models import Evidence, Lang, Report
from tests.helpers.ci_run import CiRun, in_its_shard
from tests.helpers.paths import REPO

if TYPE_CHECKING:
    from collections.abc import Callable

    from probe.mock_portal import EmbeddedPortal


FIXTURES = REPO / "fixtures" / "extensions"

AD_SHIELD = "iphdiopgiobfbnfmjdcfdllcfljonaoj"


def diagnosed(
    name: str, chromium: Chromium, folder: Path, *, trace: bool = False, lang: Lang = "en"
) -> Report:
    request = DiagnosisRequest(report_dir=folder, trace=trace, lang=lang)
    report, _ = diagnose_scenario(name, request, chromium=chromium)
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
    # Cookie values never leave probe, in a trace neither (headers, cookie lists, results).
    assert b"session_portail" in blob
    assert re.search(rb"session_portail=(?!\[redacted\])", blob) is None
    assert re.search(rb'"name":"session_portail","value":"(?!\[redacted\])', blob) is None


# The acceptance run (``ci_run``) diagnosed these scenarios already; these tests read its
# reports (the same request: English, no traces).


@in_its_shard(["captcha-blocked-and-wrong-password"])
def test_a_wrong_password_behind_a_blocked_captcha_names_both(name: str, ci_run: CiRun) -> None:
    report = ci_run.report(name)
    blockers = [(b.factor, [c.id for c in b.culprits], b.step) for b in report.verdict.blockers]
    assert blockers == [
        ("extension", [AD_SHIELD], "captcha"),
        ("invalid-credentials", [], "credentials"),
    ]
    assert "every browser set-up" not in report.verdict.summary_en
    html = (ci_run.root / "reports" / name / "index.html").read_text(encoding="utf-8")
    assert "2 problems block the login, one after the other" in html


@in_its_shard(
    [
        "oversized-cookies-and-ad-blocker",
        "javascript-off-and-ad-blocker",
        "stale-service-worker-and-oversized-cookies",
    ]
)
def test_two_blockers_of_different_kinds(name: str, ci_run: CiRun) -> None:
    assert compare(load_scenario(name), ci_run.report(name).verdict) is None


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


def unpacked(folder: Path, name: str) -> Extension:
    return Extension(
        id=name,
        name=name,
        version="1",
        path=folder,
        enabled=True,
        incognito=False,
        source="unpacked",
    )


def observe(
    extensions: list[Extension],
    chromium: Chromium,
    portal: EmbeddedPortal,
    folder: Path,
    *,
    workers: bool = False,
    registered: int = 0,
    until: str | None = None,
) -> list[Evidence]:
    """Open the portal's login page with ``extensions`` and say what the watch saw;
    ``workers``: the extensions have service workers (else none may be running);
    ``registered``: content scripts their workers register, waited for before the page
    opens; ``until``: a condition on the page, waited for instead of a fixed time (a
    loaded machine makes the extensions slow)."""

    async def watch_once() -> list[Evidence]:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(folder / "profile"),
                executable_path=str(chromium.executable),
                headless=True,
                args=launch_args() + extension_launch_args(extensions),
                ignore_default_args=["--disable-extensions"],
            )
            try:
                running = [w for w in context.service_workers if "chrome-extension" in w.url]
                if not workers:
                    assert not running
                else:
                    # Their listeners are set once their workers run: wait for each.
                    while len(running) < sum(map(_has_worker, extensions)):
                        await context.wait_for_event("serviceworker", timeout=30_000)
                        running = [
                            w for w in context.service_workers if "chrome-extension" in w.url
                        ]
                while await _registered(running) < registered:
                    await asyncio.sleep(0.1)
                watch = EvidenceWatch(
                    context, extensions, ("portal.localhost", "captcha.localhost")
                )
                await watch.start()
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(portal.url + "connexion")
                if until is not None:
                    await page.wait_for_function(until, timeout=30_000)
                    await page.wait_for_timeout(300)
                else:
                    await page.wait_for_timeout(1500 if workers else 500)
                return await watch.conclude()
            finally:
                await context.close()

    return loops.run(watch_once())


async def _registered(workers: list[Worker]) -> int:
    """How many content scripts the extensions' workers have registered so far."""
    count = 0
    for worker in workers:
        count += await worker.evaluate(
            "async () => globalThis.chrome && chrome.scripting"
            " ? (await chrome.scripting.getRegisteredContentScripts()).length : 0"
        )
    return count


def test_an_extension_without_a_running_worker_is_still_asked(
    probe_chromium: Chromium, portal: EmbeddedPortal, tmp_path: Path
) -> None:
    # Static rules and no service worker at all: the question goes through one of the
    # extension's own pages instead.
    folder = tmp_path / "rules-only"
    shutil.copytree(FIXTURES / "ad-shield", folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["background"], manifest["key"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = observe([unpacked(folder, "rules-only")], probe_chromium, portal, tmp_path)
    assert [(e.kind, e.component, e.url.rsplit("/", 1)[-1]) for e in found] == [
        ("blocks-request", "rules-only", "api.js")
    ]


def test_an_extension_whose_style_sheet_is_injected_is_named(
    probe_chromium: Chromium, portal: EmbeddedPortal, tmp_path: Path
) -> None:
    styles = tmp_path / "hide-boxes"
    styles.mkdir()
    (styles / "hide.css").write_text(".captcha { display: none !important; }\n")
    (styles / "manifest.json").write_text(
        json.dumps(
            {
                "manifest_version": 3,
                "name": "Hide Boxes",
                "version": "1.0",
                "content_scripts": [{"matches": ["*://portal.localhost/*"], "css": ["hide.css"]}],
            }
        )
    )
    # A second extension whose CSS is never injected here: it must not be named.
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "other.css").write_text("body { color: red; }\n")
    (other / "manifest.json").write_text(
        json.dumps(
            {
                "manifest_version": 3,
                "name": "Elsewhere",
                "version": "1.0",
                "content_scripts": [{"matches": ["*://example.org/*"], "css": ["other.css"]}],
            }
        )
    )
    exts = [unpacked(styles, "hide-boxes"), unpacked(other, "elsewhere")]
    found = observe(exts, probe_chromium, portal, tmp_path)
    assert [(e.kind, e.component) for e in found] == [("injects-css", "hide-boxes")]
    assert found[0].url.endswith("/connexion")


def _has_worker(extension: Extension) -> bool:
    manifest = json.loads((extension.path / "manifest.json").read_text(encoding="utf-8"))
    return "background" in manifest


def _extension(folder: Path, manifest: dict[str, object], files: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps({"manifest_version": 3, "version": "1.0", **manifest})
    )
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


# A filter the person typed, kept in the extension's storage and inserted as a string by
# its service worker (chrome.scripting.insertCSS): no file of the extension holds it.
USER_FILTER_WORKER = """
const TYPED = ".captcha { display: none !important; }";
chrome.runtime.onInstalled.addListener(() => chrome.storage.local.set({typed: TYPED}));
chrome.webNavigation.onCommitted.addListener(async ({tabId, frameId}) => {
  const {typed} = await chrome.storage.local.get("typed");
  await chrome.scripting.insertCSS({target: {tabId, frameIds: [frameId]}, css: typed || TYPED});
}, {url: [{hostEquals: "portal.localhost"}]});
"""

# Content-script CSS registered at run time (chrome.scripting.registerContentScripts),
# not declared in the manifest.
REGISTERING_WORKER = """
chrome.runtime.onInstalled.addListener(async () => {
  await chrome.scripting.registerContentScripts([
    {id: "boxes", matches: ["*://portal.localhost/*"], css: ["boxes.css"], runAt: "document_start"},
  ]);
});
"""


def test_style_sheets_inserted_or_registered_at_run_time_are_named(
    probe_chromium: Chromium, portal: EmbeddedPortal, tmp_path: Path
) -> None:
    """Seen by hand (Chromium 156, a plain Playwright script, each extension alone): with
    the typed filter the portal's CAPTCHA box is hidden (``display: none``); with the
    registered sheet it shows (the page has no chat bubble). Either way DevTools reports
    one sheet of origin ``injected``, with no source URL nor title naming its extension."""
    typed = _extension(
        tmp_path / "typed-filter",
        {
            "name": "Typed Filter",
            "permissions": ["scripting", "storage", "webNavigation"],
            "host_permissions": ["*://portal.localhost/*"],
            "background": {"service_worker": "worker.js"},
        },
        {"worker.js": USER_FILTER_WORKER},
    )
    registering = _extension(
        tmp_path / "registered",
        {
            "name": "Registered Boxes",
            "permissions": ["scripting"],
            "host_permissions": ["<all_urls>"],
            "background": {"service_worker": "worker.js"},
        },
        {"worker.js": REGISTERING_WORKER, "boxes.css": ".chat-bubble { display: none; }\n"},
    )
    # May insert CSS too, but only into example.org: it must not be named.
    elsewhere = _extension(
        tmp_path / "elsewhere",
        {
            "name": "Elsewhere",
            "permissions": ["scripting"],
            "host_permissions": ["*://example.org/*"],
        },
        {},
    )
    exts = [
        unpacked(typed, "typed-filter"),
        unpacked(registering, "registered"),
        unpacked(elsewhere, "elsewhere"),
    ]
    found = observe(
        exts,
        probe_chromium,
        portal,
        tmp_path,
        workers=True,
        registered=1,
        until="() => getComputedStyle(document.querySelector('.captcha')).display === 'none'",
    )
    assert sorted((e.kind, e.component) for e in found) == [
        ("injects-css", "registered"),
        ("injects-css", "typed-filter"),
    ]


SCRIPTED = ["harmless/dictionary-lookup", "harmless/json-viewer", "harmless/word-counter"]


@pytest.mark.parametrize("styling", ["cosmetic-filter", "typed-css-filter"])
def test_a_style_sheet_hiding_the_captcha_among_five_is_confirmed_in_two_runs(
    styling: str, probe_diagnose: Callable[..., Report]
) -> None:
    """One extension of five hides the CAPTCHA box with a style sheet (declared in its
    manifest, or made from the person's picked filter and inserted by its worker) while
    three others run scripts in the portal's pages: the sheet names it, two runs confirm it.

    Seen by hand (a plain Playwright script on the embedded portal, either extension
    alone): the login page shows no CAPTCHA box (``.captcha`` is ``display: none``)."""
    report = probe_diagnose(
        profile={"extensions": [styling, *SCRIPTED, "harmless/calculator"]},
        credentials=(DEMO_IDENTIFIER, DEMO_PASSWORD),
    )
    assert report.verdict.factor == "extension"
    assert [c.name for c in report.verdict.culprits] == [
        "Tidy Page" if styling == "cosmetic-filter" else "Pick & Hide"
    ]
    ran = [run.name for run in report.variants if run.outcome != "skipped"]
    assert ran == ["current", "without-suspects", "suspects-only"]
    current = report.variants[0]
    assert {e.kind for e in current.evidence} == {"injects-css", "injects-script"}
    assert report.verdict.blockers[0].evidence[0].kind == "injects-css"
