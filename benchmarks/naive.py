"""The naive way, for comparison: every checklist variant in its own cold browser, one
after the other, then one run per extension (each turned off in turn) to find a culprit."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from probe.browsers.chromium.discovery import find_chromium, launch_args
from probe.browsers.chromium.engine import ChromiumEngine
from probe.browsers.chromium.profile import (
    extension_launch_args,
    locate_profile,
    prepare_run_dir,
    snapshot_profile,
)
from probe.description.model import mock_description
from probe.description.target import Target, Timeouts, relocated, target_of
from probe.diagnosis.runner import Environment, Runner
from probe.journey.account_guard import AccountGuard
from probe.journey.credentials import Credentials
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD


def bench_target(args: dict[str, Any]) -> Target:
    """The embedded portal the parent started, as the core is told about it."""
    return target_of(relocated(mock_description(), args["portal"]), outbox_url=args["outbox"])


def naive_diagnosis(args: dict[str, Any]) -> tuple[int, str]:
    return asyncio.run(_naive(args))


def cold_launch(args: dict[str, Any]) -> tuple[int, str, float]:
    """One cold start of Chromium with the case's profile and extensions, to its first
    page, then closed: the unit the targets count in (seconds, the driver already running)."""
    return asyncio.run(_cold_launch(args))


async def _cold_launch(args: dict[str, Any]) -> tuple[int, str, float]:
    chromium = find_chromium(args["chromium"])
    with tempfile.TemporaryDirectory(prefix="probe-launch-") as tmp:
        snapshot = snapshot_profile(locate_profile(Path(args["profile"])), Path(tmp) / "snap")
        extensions = [e for e in snapshot.extensions if e.enabled]
        user_data_dir = prepare_run_dir(
            snapshot,
            Path(tmp) / "run",
            keep_cookies=True,
            keep_site_data=True,
            reset_settings=[],
            extensions=extensions,
        )
        async with async_playwright() as playwright:
            started = time.monotonic()
            context = await playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(chromium.executable),
                headless=True,
                args=launch_args() + extension_launch_args(extensions),
                ignore_default_args=["--disable-extensions"],
            )
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto("about:blank")
            await context.close()
            seconds = time.monotonic() - started
    return 1, "none", seconds


async def _naive(args: dict[str, Any]) -> tuple[int, str]:
    chromium = find_chromium(args["chromium"])
    target = bench_target(args)
    credentials = Credentials(DEMO_IDENTIFIER, DEMO_PASSWORD)
    engine = ChromiumEngine(chromium, locate_profile(Path(args["profile"])))
    with tempfile.TemporaryDirectory(prefix="probe-naive-") as tmp:
        copy = engine.copy_profile(Path(tmp) / "snap", target.sites)
        inventory = copy.inventory
        everything = inventory.ids
        async with async_playwright() as playwright:
            runner = Runner(
                playwright,
                engine,
                copy,
                target,
                Path(tmp) / "runs",
                gate=AccountGuard(),
                timeouts=Timeouts(),
                screenshots=None,
            )

            def without(kind: str) -> frozenset[str]:
                return everything - {c.id for c in inventory.of_kind(kind)}

            checklist = [
                Environment("current", "", everything, credentials),
                Environment(
                    "private",
                    "",
                    frozenset(c.id for c in inventory.of_kind("setting")),
                    credentials,
                ),
                Environment("no-extensions", "", without("extension"), credentials),
                Environment("cookies-cleared", "", without("cookie"), credentials),
                Environment("site-data-cleared", "", without("site-data"), credentials),
                Environment("settings-reset", "", without("setting"), credentials),
                Environment("fresh", "", frozenset(), credentials, fresh=True),
            ]
            results = {env.name: await runner.run(env) for env in checklist}
            verdict = "none" if results["current"].outcome == "pass" else "unknown"
            if results["current"].outcome == "fail" and results["no-extensions"].outcome == "pass":
                verdict = "extension"
                for component in inventory.of_kind("extension"):
                    env = Environment(
                        f"without-{component.id}", "", everything - {component.id}, credentials
                    )
                    await runner.run(env)
            elif results["current"].outcome == "fail" and results["fresh"].outcome == "fail":
                verdict = results["fresh"].symptom
            await runner.drain()
        return runner.browser_runs, verdict
