"""Runs stopped by SIGTERM or SIGHUP mid-diagnosis, in real Chromium: they clean up as Ctrl-C does.

The fast part (folders and files that are not a run's own) is tests/app/test_hostile_runs.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@contextlib.contextmanager
def _probe_process(tmp_path: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m probe ARGS`` with a TMPDIR of its own (``tmp_path / "tmp"``), stderr
    piped, stdout in ``tmp_path / "stdout.txt"``; killed afterwards if still running."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "COLUMNS": "200"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    with (
        open(tmp_path / "stdout.txt", "w") as out,
        subprocess.Popen(
            [sys.executable, "-m", "probe", *args],
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        ) as process,
    ):
        assert process.stderr is not None
        try:
            yield process
        finally:
            if process.poll() is None:  # it did not stop: do not leave it running
                process.kill()


def _stop(process: subprocess.Popen[str], stop: signal.Signals) -> tuple[int, str]:
    """Send ``stop``; the exit code and what was printed afterwards."""
    assert process.stderr is not None
    process.send_signal(stop)
    rest = process.stderr.read()
    return process.wait(timeout=120), rest


def _assert_cleaned_up(tmp_path: Path, code: int, rest: str, stop: signal.Signals) -> None:
    assert code == 128 + stop, rest
    assert f"stopped by {stop.name}; temporary copies were removed" in rest
    assert "Traceback" not in rest
    temporary = tmp_path / "tmp"
    leftovers = [p.name for p in temporary.iterdir() if p.name.startswith(("probe-", "playwright"))]
    assert leftovers == [], sorted(str(p) for p in temporary.rglob("*"))[:10]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_run_cleans_up_like_ctrl_c(tmp_path: Path, stop: signal.Signals) -> None:
    report = tmp_path / "report"
    scenario = ["--scenario", "ad-blocker-hides-captcha"]
    with _probe_process(tmp_path, "browser", *scenario, "--report-dir", str(report)) as process:
        assert process.stderr is not None
        # "Portal: ..." is printed once the profile copy exists, right before the browsers.
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith("Portal:"):
                break
        code, rest = _stop(process, stop)
    _assert_cleaned_up(tmp_path, code, "".join(seen) + rest, stop)
    assert not report.exists()


@pytest.mark.timeout(240)
def test_probe_ci_stopped_mid_run_stops_every_scenario_and_cleans_up(tmp_path: Path) -> None:
    """Several scenarios under way in one shared driver: SIGTERM stops them all, at once."""
    import psutil

    only = ["ad-blocker-among-sixteen", "extensions-clash", "oversized-cookies", "healthy"]
    args = ["ci", "--jobs", "2", "--report-dir", str(tmp_path / "ci")]
    args += [arg for name in only for arg in ("--only", name)]
    with _probe_process(tmp_path, *args) as process:
        parent = psutil.Process(process.pid)
        browsers: list[psutil.Process] = []
        for _ in range(1200):  # up to 120 s: two diagnosis runs' browsers at once
            browsers = _diagnosis_browsers(parent)
            if len(browsers) >= 2 or process.poll() is not None:
                break
            time.sleep(0.1)
        ended = "" if process.poll() is None else f"; it ended, code {process.returncode}:\n"
        printed = (tmp_path / "stdout.txt").read_text() if ended else ""
        assert len(browsers) >= 2, "no two diagnosis browsers ran at once" + ended + printed
        code, rest = _stop(process, signal.SIGTERM)
    _assert_cleaned_up(tmp_path, code, rest, signal.SIGTERM)
    assert [b.pid for b in browsers if b.is_running() and b.status() != psutil.STATUS_ZOMBIE] == []


def _diagnosis_browsers(parent: Any) -> list[Any]:
    """The main Chromium processes of diagnosis runs (not profile builds) under ``parent``."""
    import psutil

    found = []
    for child in parent.children(recursive=True):
        try:
            line = child.cmdline()
        except psutil.Error:
            continue
        main = not any(arg.startswith("--type=") for arg in line)
        if main and any(arg.startswith("--user-data-dir=") and "/runs/" in arg for arg in line):
            found.append(child)
    return found
