"""Bad input through the real CLI: one clear line, the right exit code, never a traceback.

Every case here fails before a browser starts, so the whole file runs without Chromium
(except ``find_chromium``'s ``--version`` call, which is cached). A person reads the
error line and must learn what is wrong and what to do; a CI job reads the exit code:
2 for bad input, 3 when the portal or the browser fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from probe.app.cli import app

ERROR_PREFIX = "probe: error: "


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """``probe ARGS`` in-process, with a terminal wide enough that nothing wraps."""
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def error_line(stdout: str, stderr: str, exit_code: int, expected_code: int) -> str:
    """The one error line of a failed command, after checking how it failed."""
    assert exit_code == expected_code, f"exit {exit_code}\n{stdout}\n{stderr}"
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("probe: error:")]
    assert len(errors) == 1, stderr
    # Progress notes may come first; the error is the last word.
    assert lines[-1] == errors[0], stderr
    assert "probe: error" not in stdout
    return errors[0].removeprefix(ERROR_PREFIX)


def only_line(result: Result, expected_code: int) -> str:
    """The error line of a command that must fail before printing anything else."""
    message = error_line(result.stdout, result.stderr, result.exit_code, expected_code)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    return message


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home folder: no Chromium or Chrome profile to fall back on."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def browser(*args: str, home: Path) -> Result:
    return invoke("browser", *args, env={"HOME": str(home), "XDG_CONFIG_HOME": ""})


def profile_with(root: Path, prefs: str = "{}", last_version: str | None = None) -> Path:
    (root / "Default").mkdir(parents=True)
    (root / "Default" / "Preferences").write_text(prefs)
    if last_version is not None:
        (root / "Last Version").write_text(last_version)
    return root


# ------------------------------------------------------------------ profiles


def test_a_missing_profile_folder_is_named(tmp_path: Path, home: Path) -> None:
    message = only_line(browser("--profile", str(tmp_path / "nowhere"), home=home), 2)
    assert message == f"profile folder not found: {tmp_path / 'nowhere'}"


def test_a_file_given_as_profile_is_refused(tmp_path: Path, home: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    message = only_line(browser("--profile", str(tmp_path / "notes.txt"), home=home), 2)
    assert str(tmp_path / "notes.txt") in message
    assert "is a file, not a browser profile folder" in message


def test_a_folder_that_is_not_a_profile_says_what_was_looked_for(
    tmp_path: Path, home: Path
) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    message = only_line(browser("--profile", str(tmp_path / "photos"), home=home), 2)
    assert "is not a browser profile" in message
    assert "Preferences" in message and "Default" in message


@pytest.mark.parametrize("broken", ['{"profile": ', "\x00\x01binary", ""])
def test_preferences_that_are_not_json_point_at_the_file(
    tmp_path: Path, home: Path, broken: str
) -> None:
    profile = profile_with(tmp_path / "ud", broken)
    message = only_line(browser("--profile", str(profile), home=home), 2)
    assert str(profile / "Default" / "Preferences") in message
    assert "not valid JSON" in message and "damaged" in message


def test_preferences_that_are_json_but_not_an_object_are_refused(
    tmp_path: Path, home: Path
) -> None:
    profile = profile_with(tmp_path / "ud", "[1, 2, 3]")
    message = only_line(browser("--profile", str(profile / "Default"), home=home), 2)
    assert "Preferences is not a JSON object" in message


@pytest.mark.parametrize(
    ("prefs", "last_version"),
    [
        ("{}", "999.0.1.2"),
        (json.dumps({"extensions": {"last_chrome_version": "999.0.1.2"}}), None),
    ],
    ids=["last-version-file", "preferences"],
)
def test_a_profile_of_a_newer_chromium_is_refused_with_what_to_do(
    tmp_path: Path, home: Path, prefs: str, last_version: str | None
) -> None:
    profile = profile_with(tmp_path / "ud", prefs, last_version)
    message = only_line(browser("--profile", str(profile), home=home), 2)
    assert "last used by Chromium 999.0.1.2" in message
    assert "newer than" in message and "--chromium" in message


# ------------------------------------------------------------------ scenarios


def test_an_unknown_scenario_suggests_the_closest_names(home: Path) -> None:
    message = only_line(browser("--scenario", "maintenace", home=home), 2)
    assert message.startswith("unknown scenario 'maintenace'")
    assert "closest: maintenance" in message


def test_a_scenario_nothing_resembles_points_at_the_list(home: Path) -> None:
    message = only_line(browser("--scenario", "zzzzzz", home=home), 2)
    assert "see 'probe scenarios list'" in message


GOOD_SCENARIO = """\
description = "A demo case"
reproduces = "nothing"

[portal]
lockout_threshold = 3

[credentials]
identifier = "1850775123456"
password = "Ameli-Demo-2026!"

[expect]
status = "ok"
factor = "none"
"""


@pytest.mark.parametrize("command", [["scenarios", "list"], ["ci"]])
def test_a_toml_syntax_error_names_the_file_and_line(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD_SCENARIO)
    (folder / "broken.toml").write_text(GOOD_SCENARIO.replace("lockout_threshold = 3", "x = = 3"))
    args = [*command, "--dir", str(folder)]
    if command == ["ci"]:
        args += ["--report-dir", str(tmp_path / "reports")]
    message = only_line(invoke(*args), 2)
    assert "broken.toml: line 5" in message and "not valid TOML" in message
    assert not (tmp_path / "reports").exists(), "nothing runs when a file is broken"


@pytest.mark.parametrize("command", [["scenarios", "list"], ["ci"]])
def test_a_misspelt_field_names_the_file_the_field_and_the_right_names(
    tmp_path: Path, command: list[str]
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "typo.toml").write_text(
        GOOD_SCENARIO.replace("lockout_threshold", "lockout_treshold")
    )
    args = [*command, "--dir", str(folder)]
    if command == ["ci"]:
        args += ["--report-dir", str(tmp_path / "reports")]
    message = only_line(invoke(*args), 2)
    assert "typo.toml: portal.lockout_treshold: unknown field" in message
    assert "lockout_threshold" in message.split("expected one of:", 1)[1]


def test_a_wrong_value_in_a_scenario_given_by_path_is_named(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "odd.toml"
    path.write_text(GOOD_SCENARIO.replace('status = "ok"', 'status = "fine"'))
    message = only_line(browser("--scenario", str(path), home=home), 2)
    assert "odd.toml: expect.status: expected one of" in message and "'fine'" in message


def test_a_missing_scenario_folder_is_named(tmp_path: Path) -> None:
    message = only_line(invoke("scenarios", "list", "--dir", str(tmp_path / "none")), 2)
    assert "no such scenario folder" in message


# ------------------------------------------------------------------ where to write


def test_a_report_dir_under_a_regular_file_cannot_be_written(tmp_path: Path, home: Path) -> None:
    # As root, permissions stop nothing: a path through a regular file fails for everyone.
    (tmp_path / "plain-file").write_text("x")
    target = tmp_path / "plain-file" / "report"
    message = only_line(browser("--report-dir", str(target), home=home), 2)
    assert message.startswith(f"--report-dir {target}: cannot write there")
    assert "Not a directory" in message


def test_a_report_dir_that_is_a_file_cannot_be_written(tmp_path: Path, home: Path) -> None:
    (tmp_path / "report.html").write_text("x")
    message = only_line(browser("--report-dir", str(tmp_path / "report.html"), home=home), 2)
    assert "cannot write there" in message
    assert (tmp_path / "report.html").read_text() == "x", "the file was left as it was"


def test_ci_report_dir_under_a_regular_file_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("x")
    target = tmp_path / "plain-file" / "ci"
    message = only_line(invoke("ci", "--only", "healthy", "--report-dir", str(target)), 2)
    assert message.startswith(f"--report-dir {target}: cannot write there")


# ------------------------------------------------------------------ the portal


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("host", ["127.0.0.1", "portal.localhost"])
def test_a_portal_where_nothing_listens_fails_before_any_browser_starts(
    tmp_path: Path, home: Path, host: str
) -> None:
    profile = profile_with(tmp_path / "ud")
    url = f"http://{host}:{closed_port()}/"
    result = invoke(
        "browser",
        "--profile",
        str(profile),
        "--portal",
        url,
        "--user",
        "1850775123456",
        "--report-dir",
        str(tmp_path / "report"),
        env={"HOME": str(home), "PROBE_PASSWORD": "not-a-real-one"},
    )
    message = error_line(result.stdout, result.stderr, result.exit_code, 3)
    # The URL is used as given: its path is not replaced by the mock portal's /connexion.
    assert message == f"--portal {url}: nothing answers there (connect error)"
    assert "not-a-real-one" not in result.stdout + result.stderr


def test_a_portal_url_that_is_not_http_is_bad_input(tmp_path: Path, home: Path) -> None:
    profile = profile_with(tmp_path / "ud")
    result = invoke(
        "browser",
        "--profile",
        str(profile),
        "--portal",
        "ftp://portal.example/",
        "--user",
        "1",
        "--report-dir",
        str(tmp_path / "report"),
        env={"HOME": str(home), "PROBE_PASSWORD": "x"},
    )
    message = error_line(result.stdout, result.stderr, result.exit_code, 2)
    assert "not an http(s) URL" in message


def test_a_portal_without_credentials_asks_for_them(home: Path) -> None:
    message = only_line(browser("--portal", "http://portal.example/", home=home), 2)
    assert "--portal needs --user" in message


def test_a_user_without_a_password_and_no_terminal_says_where_to_put_it(home: Path) -> None:
    result = invoke(
        "browser", "--user", "1850775123456", env={"HOME": str(home), "PROBE_PASSWORD": ""}
    )
    message = only_line(result, 2)
    assert "PROBE_PASSWORD" in message and "--password" in message


# ------------------------------------------------------------------ the browser


def run_module(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m probe ARGS`` with exactly ``env``: the entry point a person runs."""
    return subprocess.run(
        [sys.executable, "-m", "probe", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("home_kind", ["empty-folder", "empty-variable"])
def test_no_chromium_anywhere_says_how_to_install_one(
    tmp_path: Path, home: Path, home_kind: str
) -> None:
    home_value = str(home) if home_kind == "empty-folder" else ""
    env = {"PATH": "", "HOME": home_value, "TMPDIR": str(tmp_path), "LANG": "C.UTF-8"}
    done = run_module("browser", env=env)
    message = error_line(done.stdout, done.stderr, done.returncode, 2)
    assert message.startswith("no Chromium found")
    assert "probe install chromium" in message and "PROBE_CHROMIUM" in message
    assert done.stderr.count("\n") == 1 and done.stdout == ""


@pytest.mark.parametrize("how", ["option", "env"])
def test_a_chromium_path_that_is_not_a_program_is_named(
    tmp_path: Path, home: Path, how: str
) -> None:
    not_a_browser = tmp_path / "chromium.txt"
    not_a_browser.write_text("not a program")
    env = {"HOME": str(home)}
    if how == "option":
        result = invoke("browser", "--chromium", str(not_a_browser), env=env)
    else:
        result = invoke("browser", env={**env, "PROBE_CHROMIUM": str(not_a_browser)})
    # Typer hands PROBE_CHROMIUM to the --chromium option, so both read "--chromium PATH".
    assert only_line(result, 2) == f"--chromium {not_a_browser}: not an executable file"


def test_report_of_a_folder_without_report_json_says_what_to_give(tmp_path: Path) -> None:
    message = only_line(invoke("report", str(tmp_path)), 2)
    assert "no report.json" in message and "probe browser" in message


def test_report_of_a_damaged_report_json_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text('{"verdict": 1}')
    message = only_line(invoke("report", str(tmp_path)), 2)
    assert "is not a probe report" in message


def test_the_real_entry_point_prints_no_traceback_for_bad_input(tmp_path: Path, home: Path) -> None:
    """The same one line from the installed program, not just from Typer's test runner."""
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp_path), "COLUMNS": "40"}
    done = run_module("browser", "--profile", str(tmp_path / "nowhere"), env=env)
    message = error_line(done.stdout, done.stderr, done.returncode, 2)
    # A narrow terminal must not wrap the line either.
    assert message == f"profile folder not found: {tmp_path / 'nowhere'}"


def test_bad_input_leaves_no_empty_report_folder(tmp_path: Path) -> None:
    from probe.app.request import DiagnosisRequest
    from probe.app.setup import run_diagnosis
    from probe.errors import BadInput

    report_dir = tmp_path / "reports" / "run"
    with pytest.raises(BadInput):
        run_diagnosis(DiagnosisRequest(profile=tmp_path / "no-such-profile", report_dir=report_dir))
    assert not report_dir.exists()


def test_an_unexpected_failure_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    # Exit 1 means "blocked and diagnosed": CI must be able to tell a crash from a verdict.
    import probe.app.setup

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(probe.app.setup, "run_diagnosis", crash)
    result = invoke("browser")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "unexpected error (RuntimeError: something broke)" in result.output


def test_a_full_disk_is_said_in_one_line_with_exit_3(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    import errno

    import probe.app.setup

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/x/report.json")

    monkeypatch.setattr(probe.app.setup, "run_diagnosis", full)
    result = invoke("browser")
    assert result.exit_code == 3, result.output
    assert "no space left on the disk (/tmp/x/report.json)" in result.output
