"""Runs that are killed, run twice at once, or pointed at folders and files that are not theirs.

Nothing a run writes may follow a symbolic link or land in another run's folder; output
options that cannot be written fail before the diagnosis, in one line. A run stopped by
SIGTERM or SIGHUP cleans up as Ctrl-C does: tests/app/test_hostile_runs_browser.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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
