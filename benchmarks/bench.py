"""How long a diagnosis takes and how much memory it needs, against the naive way.

Run by hand (not a test):  .venv/bin/python benchmarks/bench.py [--repeat 5]

Cases (embedded portal, real headless Chromium):
  healthy      a profile with 3 harmless extensions and a few cookies; login works
  extension    1 culprit among 16 extensions, named by evidence: an ad blocker's network
               rules hide the CAPTCHA (scenario ad-blocker-among-sixteen)
  no-evidence  1 culprit among 16 extensions that evidence cannot name: a form filler's
               script breaks the login, and 5 extensions run scripts in the portal's pages
               (more than evidence takes as suspects), so it is found by elimination
  cosmetic     a cosmetic filter's CSS (no script, no network rule) hides the CAPTCHA box,
               among 5 extensions
  user-filter  1 culprit among 16: a filtering extension whose only blocking rule is one
               the person added (kept in its stored state, a dynamic rule), which the
               copy of the profile must carry into every run
  maintenance  the portal answers 503 for maintenance

Each diagnosis runs in a child process (``probe.diagnosis.session.diagnose``, the core the CLI calls),
timed from start to verdict, with the peak memory of that process and all its children
(the Chromium processes) sampled every 50 ms. Measured in the same run, for comparison:
the same diagnosis with every run in a browser of its own (``--no-reuse``), one cold
launch of Chromium with the case's profile (start, first page, no journey: the unit the
targets count in), and the naive way: one cold ``launch_persistent_context`` per
checklist variant, one after the other, and for the extension cases one run per
extension to find the culprit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from tests.helpers.paths import REPO

ROOT = REPO
sys.path.insert(0, str(ROOT))

from probe.app.recipes.chromium import CookieSeed, ProfileRecipe, build_profile, harmless_extensions  # noqa: E402
from probe.browsers.chromium.discovery import find_chromium  # noqa: E402
from probe.mock_portal import EmbeddedPortal  # noqa: E402
from probe.mock_portal.state import MaintenanceConfig, PortalConfig  # noqa: E402

CASES = {
    "healthy": (
        PortalConfig(),
        lambda: ProfileRecipe(
            extensions=harmless_extensions()[:3],
            cookies=[CookieSeed(name="preferences", domain="portal.localhost", size=40)],
        ),
    ),
    "extension": (
        PortalConfig(),
        lambda: ProfileRecipe(extensions=["ad-shield", *harmless_extensions()[:15]]),
    ),
    "no-evidence": (
        PortalConfig(),
        lambda: ProfileRecipe(
            extensions=["form-filler-pro", "pair-a", *_with_scripts(harmless_extensions(), 14)]
        ),
    ),
    "cosmetic": (
        PortalConfig(),
        lambda: ProfileRecipe(extensions=["cosmetic-filter", *harmless_extensions()[:4]]),
    ),
    "user-filter": (
        PortalConfig(),
        # A rule the person added to a filtering extension, kept only in its stored state
        # (a dynamic rule): issue 13's faithful copy, among 16.
        lambda: ProfileRecipe(
            extensions=["my-filters", *harmless_extensions()[:15]], run_extensions=True
        ),
    ),
    "maintenance": (
        PortalConfig(maintenance=MaintenanceConfig(enabled=True)),
        lambda: ProfileRecipe(extensions=harmless_extensions()[:3]),
    ),
}

CHILD = """
import json, sys, time
from pathlib import Path
from probe.browsers.chromium.discovery import find_chromium
from probe.browsers.chromium.engine import ChromiumEngine
from probe.diagnosis.session import DiagnosisRequest, DiagnosisSetup, diagnose, prepare_report_dir
from probe.app.setup import demo_credentials
from benchmarks.naive import bench_target
from probe.description.model import mock_description
from probe.description.target import relocated
from probe.browsers.chromium.profile import locate_profile
args = json.loads(sys.argv[1])
started = time.monotonic()
launches = None
if args["naive"] == "launch":
    from benchmarks.naive import cold_launch
    runs, verdict = cold_launch(args)
elif args["naive"]:
    from benchmarks.naive import naive_diagnosis
    runs, verdict = naive_diagnosis(args)
else:
    # The parent runs the embedded portal and built the profile: the core is handed both.
    request = DiagnosisRequest(
        report_dir=Path(args["report"]), jobs=args["jobs"], reuse_browsers=args["reuse"]
    )
    engine = ChromiumEngine(find_chromium(), locate_profile(Path(args["profile"])))
    report = diagnose(DiagnosisSetup(
        request=request, engine=engine,
        target=bench_target(args), description=relocated(mock_description(), args["portal"]),
        credentials=demo_credentials(), report_dir=prepare_report_dir(Path(args["report"])),
        portal_embedded=True, profile_from_recipe=True,
    ))
    runs, verdict = report.browser_runs, report.verdict.factor
    launches = report.browsers_started
print(json.dumps({"seconds": time.monotonic() - started, "runs": runs, "verdict": verdict,
                  "launches": launches}))
"""


def _tree_memory(process: psutil.Process) -> tuple[int, int]:
    """RSS and PSS summed over a process and its children. Chromium's processes share
    much of their memory, which RSS counts once per process; PSS splits shared pages
    between the processes that share them, so its sum is what the tree really uses."""
    rss = pss = 0
    with contextlib.suppress(psutil.Error):
        for member in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                info = member.memory_full_info()
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
    return rss, pss


def measure(args: dict[str, object]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    wall = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    peak_rss = peak_pss = 0
    watched = psutil.Process(child.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_pss
        while not done.is_set():
            rss, pss = _tree_memory(watched)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"a measured diagnosis failed:\n{err.decode()[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["wall"] = time.monotonic() - wall
    result["peak_mib"] = peak_pss / 2**20
    result["peak_rss_mib"] = peak_rss / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--naive-repeat", type=int, default=2)
    parser.add_argument(
        "--no-reuse-repeat", type=int, default=2, help="diagnoses with every run a new browser"
    )
    parser.add_argument("--launch-repeat", type=int, default=3, help="cold launches measured")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    options = parser.parse_args()
    chromium = find_chromium()
    rows = []
    with tempfile.TemporaryDirectory(prefix="probe-bench-") as tmp:
        for name in options.cases:
            config, recipe = CASES[name]
            with EmbeddedPortal(config) as portal:
                profile = Path(tmp) / name
                build_profile(recipe(), profile, chromium=chromium, portal_url=portal.url)
                base = {
                    "profile": str(profile),
                    "portal": portal.url,
                    "outbox": portal.outbox_url,
                    "report": str(Path(tmp) / f"report-{name}"),
                    "jobs": options.jobs,
                    "chromium": str(chromium.executable),
                    "reuse": True,
                }
                fast = [measure({**base, "naive": False}) for _ in range(options.repeat)]
                cold = [
                    measure({**base, "naive": False, "reuse": False})
                    for _ in range(options.no_reuse_repeat)
                ]
                launch = [
                    measure({**base, "naive": "launch"}) for _ in range(options.launch_repeat)
                ]
                naive = [measure({**base, "naive": True}) for _ in range(options.naive_repeat)]
            med = statistics.median(r["seconds"] for r in fast)
            unit = statistics.median(r["seconds"] for r in launch)
            rows.append(
                (
                    name,
                    f"{med:.2f}",
                    f"{min(r['seconds'] for r in fast):.2f}-{max(r['seconds'] for r in fast):.2f}",
                    f"{statistics.median(r['wall'] for r in fast):.2f}",
                    f"{fast[0]['launches']}/{fast[0]['runs']}",
                    str(fast[0]["verdict"]),
                    f"{max(r['peak_mib'] for r in fast):.0f}",
                    f"{max(r['peak_rss_mib'] for r in fast):.0f}",
                    f"{unit:.2f}",
                    f"{med / unit:.1f}",
                    _versus(cold, med),
                    _versus(naive, med),
                )
            )
            print(f"{name}: done", file=sys.stderr)
    header = (
        "case",
        "median s",
        "range s",
        "CLI wall s",
        "launches/runs",
        "verdict",
        "peak PSS MiB",
        "peak RSS MiB",
        "cold launch s",
        "in cold launches",
        "no-reuse s (speed-up)",
        "naive s (speed-up)",
    )
    print(
        f"\ncores: {os.cpu_count()}, {chromium.describe()}, repeat={options.repeat}, "
        f"jobs={options.jobs}\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def _versus(results: list[dict[str, float]], median: float) -> str:
    """'12.30 (2.1x)': the other way's median, and how many times faster this one is."""
    if not results:
        return "-"
    other = statistics.median(r["seconds"] for r in results)
    return f"{other:.2f} ({other / median:.1f}x)"


def _with_scripts(harmless: list[str], count: int) -> list[str]:
    """``count`` harmless extensions, those whose no-op content script runs on every page first."""
    scripted = {"harmless/dictionary-lookup", "harmless/json-viewer", "harmless/word-counter"}
    return sorted(harmless, key=lambda name: name not in scripted)[:count]


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
