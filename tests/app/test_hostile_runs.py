"""Runs that are killed, run twice at once, or pointed at folders and files that are not theirs.

Nothing a run writes may follow a symbolic link or land in another run's folder; output
options that cannot be written fail before the diagnosis, in one line; a run stopped by
SIGTERM or SIGHUP cleans up as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from probe.app import report_folder
from probe.app.cli import app
from probe.errors import BadInput
from probe.report import write_report
from tests.helpers.report_examples import extension_report

ERROR_PREFIX = "probe: error: "


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def one_error_line(result: Result, code: int) -> str:
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1, result.stderr
    return errors[0].removeprefix(ERROR_PREFIX)


# ------------------------------------------------------------------ B10: one folder per run


def test_two_runs_in_the_same_second_get_two_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first, second = report_folder.default_report_dir(), report_folder.default_report_dir()
    assert first != second
    assert first.is_dir() and second.is_dir()


def test_a_taken_timestamp_gets_a_suffix(tmp_path: Path) -> None:
    from probe.report.files import new_report_folder

    moment = datetime(2026, 12, 1, 15, 30, 0)
    folders = [new_report_folder(tmp_path, moment) for _ in range(3)]
    assert [f.name for f in folders] == [
        "20261201-153000",
        "20261201-153000-2",
        "20261201-153000-3",
    ]


# ------------------------------------------------------------------ B11: no write through links


def test_rerendering_does_not_write_through_a_symlinked_page(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    write_report(extension_report(), folder)
    precious = tmp_path / "precious.txt"
    precious.write_text("precious\n")
    (folder / "index.html").unlink()
    (folder / "index.html").symlink_to(precious)
    result = invoke("report", str(folder), "--lang", "fr")
    assert "symbolic link" in one_error_line(result, 2)
    assert precious.read_text() == "precious\n"


def test_writing_a_report_replaces_a_symlinked_json_without_touching_its_target(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    precious = tmp_path / "precious.json"
    precious.write_text("{}\n")
    (folder / "report.json").symlink_to(precious)
    with pytest.raises(BadInput, match="symbolic link"):
        write_report(extension_report(), folder)
    assert precious.read_text() == "{}\n"


def test_junit_is_not_written_through_a_symlink(tmp_path: Path) -> None:
    from probe.report import write_junit

    precious = tmp_path / "precious.xml"
    precious.write_text("mine\n")
    link = tmp_path / "junit.xml"
    link.symlink_to(precious)
    with pytest.raises(BadInput, match="symbolic link"):
        write_junit([extension_report()], link)
    assert precious.read_text() == "mine\n"


# ------------------------------------------------------------------ B12: outputs checked first


@pytest.mark.parametrize("case", ["junit-folder", "junit-under-a-file", "summary-folder"])
def test_unwritable_outputs_fail_before_the_diagnosis(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    args = ["browser", "--scenario", "healthy", "--report-dir", str(tmp_path / "r")]
    env = {"GITHUB_STEP_SUMMARY": ""}
    if case == "junit-folder":
        args += ["--junit", str(folder)]
    elif case == "junit-under-a-file":
        args += ["--junit", str(afile / "junit.xml")]
    else:
        env["GITHUB_STEP_SUMMARY"] = str(folder)
    message = one_error_line(invoke(*args, env=env), 2)
    assert ("--junit" if case.startswith("junit") else "GITHUB_STEP_SUMMARY") in message
    # Nothing ran: no report folder, and the error is the only thing printed.
    assert not (tmp_path / "r").exists()


def test_probe_ci_checks_its_junit_path_first(tmp_path: Path) -> None:
    result = invoke("ci", "--junit", str(tmp_path), "--report-dir", str(tmp_path / "ci"))
    assert "--junit" in one_error_line(result, 2)
    assert not (tmp_path / "ci").exists()


# ------------------------------------------------------------------ --report-dir of others


def test_a_report_dir_holding_other_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8\xff")
    result = invoke("browser", "--scenario", "healthy", "--report-dir", str(folder))
    assert "not a probe report" in one_error_line(result, 2)
    assert (folder / "holiday.jpg").read_bytes() == b"\xff\xd8\xff"


def test_an_earlier_report_is_replaced_whole_with_no_stale_screenshot(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    write_report(extension_report(), folder)
    (folder / "screenshots").mkdir()
    (folder / "screenshots" / "drill-9-captcha.jpg").write_bytes(b"\xff\xd8\xff")
    report_folder.prepare_report_dir(folder)
    assert list(folder.iterdir()) == []


# ------------------------------------------------------------------ B9: SIGTERM and SIGHUP


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


@pytest.mark.browser
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


@pytest.mark.browser
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
