"""The habits of a CLI, with Typer's CliRunner: completion, -v/--debug, -q, PROBE_* for options."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperCommand, TyperOption
from typer.testing import CliRunner

from probe.app import console
from probe.app.cli import app
from probe.app.scenarios import scenario_files
from probe.models import VariantRun
from probe.report.details import summary_text
from tests.helpers.report_examples import example_reports


@pytest.fixture(autouse=True)
def normal_verbosity() -> Iterator[None]:
    yield
    console.set_verbosity(0)


def commands() -> Iterator[tuple[str, TyperCommand]]:
    root = typer.main.get_command(app)

    def walk(prefix: str, group: object) -> Iterator[tuple[str, TyperCommand]]:
        for name, command in getattr(group, "commands", {}).items():
            if isinstance(command, TyperCommand):
                yield f"{prefix}{name}", command
            else:
                yield from walk(f"{prefix}{name} ", command)

    return walk("", root)


def complete(line: str, shell: str = "bash") -> list[str]:
    words = line.split(" ")
    result = CliRunner().invoke(
        app,
        [],
        prog_name="probe",
        env={
            "_PROBE_COMPLETE": f"complete_{shell}",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
    )
    assert result.exit_code == 0, result.output
    return result.output.split()


# ---------------------------------------------------------------- completion


def test_completion_can_be_installed_and_shown() -> None:
    help_text = CliRunner().invoke(app, ["--help"]).output
    assert "--install-completion" in help_text and "--show-completion" in help_text
    # The shell is found from the process tree (shellingham): run it under bash.
    probe = Path(sys.executable).parent / "probe"
    script = subprocess.run(
        ["bash", "-c", f"'{probe}' --show-completion"], capture_output=True, text=True
    )
    assert script.returncode == 0, script.stderr
    assert "_PROBE_COMPLETE=complete_bash" in script.stdout
    assert "complete -o default -F _probe_completion probe" in script.stdout


def test_scenario_names_complete_after_scenario() -> None:
    shipped = {path.stem for path in scenario_files()}
    assert set(complete("probe browser --scenario ")) == shipped
    assert complete("probe browser --scenario ad-blocker-h") == ["ad-blocker-hides-captcha"]
    assert set(complete("probe ci --only capt")) <= shipped
    assert complete("probe ci --only nothing-like-this") == []


def test_browsers_and_languages_complete() -> None:
    assert complete("probe browser --browser f") == ["firefox"]
    assert complete("probe ci --browser ") == ["chromium", "firefox"]
    assert complete("probe browser --lang ") == ["en", "fr"]
    assert complete("probe install c") == ["chromium"]


def test_commands_complete() -> None:
    assert {"browser", "ci", "install", "portal", "scenarios"} <= set(complete("probe "))


# ---------------------------------------------------------------- PROBE_*


def test_every_option_of_every_command_reads_a_probe_variable_shown_in_help() -> None:
    seen = 0
    for name, command in commands():
        for param in command.params:
            if not isinstance(param, TyperOption):
                continue
            long = next(o for o in param.opts if o.startswith("--"))
            expected = "PROBE_" + long[2:].replace("-", "_").upper()
            assert param.envvar == expected, f"probe {name} {long}"
            assert param.show_envvar, f"probe {name} {long}"
            seen += 1
        shown = CliRunner().invoke(app, [*name.split(), "--help"])
        flat = " ".join(shown.output.split())  # --help wraps its lines
        for param in command.params:
            if isinstance(param, TyperOption):
                assert f"env var: {param.envvar}" in flat, f"probe {name} --help"
    assert seen > 30


def test_a_probe_variable_sets_its_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # probe scenarios list --dir, given by PROBE_DIR: a folder that does not exist is named.
    result = CliRunner().invoke(
        app, ["scenarios", "list"], env={"PROBE_DIR": str(tmp_path / "nowhere")}
    )
    assert result.exit_code == 2
    assert "nowhere: no such scenario folder" in result.output
    # ... and the option on the command line wins over the variable.
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "one.toml").write_text(
        'description = "one"\nreproduces = "x"\nno_submit = true\n[expect]\nstatus = "ok"\nfactor = "none"\n'
    )
    given = CliRunner().invoke(
        app,
        ["scenarios", "list", "--dir", str(folder)],
        env={"PROBE_DIR": str(tmp_path / "nowhere"), "COLUMNS": "200"},
    )
    assert given.exit_code == 0, given.output
    assert "1 scenarios" in given.output


def test_a_boolean_flag_reads_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["scenarios", "list"], env={"PROBE_QUIET": "1"})
    assert result.exit_code == 0
    assert console.verbosity() == -1


# ---------------------------------------------------------------- -v / -q


def crash(*args: object, **kwargs: object) -> None:
    raise ZeroDivisionError("deep inside")


def test_an_unexpected_error_is_one_line_and_v_shows_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("probe.report.rerender", crash)
    args = ["report", "some-folder"]
    plain = CliRunner().invoke(app, args)
    assert plain.exit_code == 3
    assert "Traceback" not in plain.output
    assert "unexpected error (ZeroDivisionError: deep inside)" in plain.output
    assert "again with -v" in plain.output
    for flag in ("-v", "--debug", "--verbose"):
        verbose = CliRunner().invoke(app, [flag, *args])
        assert verbose.exit_code == 3
        assert "Traceback (most recent call last)" in verbose.output
        assert 'raise ZeroDivisionError("deep inside")' in verbose.output
        # The one line still comes last, after the traceback.
        assert verbose.output.rstrip().splitlines()[-1].startswith("probe: error: ")


def test_v_and_q_together_are_refused() -> None:
    result = CliRunner().invoke(app, ["-v", "-q", "scenarios", "list"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "probe: error: -v and -q ask for opposite things: give one of them"
    )


def test_verbose_and_quiet_are_in_the_help() -> None:
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert "-v, --verbose, --debug" in text and "-q, --quiet" in text
    assert "PROBE_VERBOSE" in text and "PROBE_QUIET" in text


def test_quiet_shows_the_verdict_line_only_and_verbose_each_run_as_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = example_reports()["maintenance"]
    run = VariantRun(name="current", outcome="fail", symptom="page-error")
    console.set_verbosity(-1)
    with console.LiveProgress() as progress:
        progress.note("Browser: Chromium 156")
        progress.started("current", "your profile as it is")
        progress.finished(run)
    console.verdict_panel(report, tmp_path, "en")
    quiet = capsys.readouterr()
    assert quiet.err == ""
    [line] = quiet.out.splitlines()
    assert line.startswith("Access blocked: ")
    assert summary_text(report.verdict, "en") in line

    console.set_verbosity(1)
    with console.LiveProgress() as progress:
        progress.started("current", "your profile as it is")
        progress.finished(run)
    verbose = capsys.readouterr().err
    assert "current" in verbose and "your profile as it is" in verbose

    console.set_verbosity(0)
    with console.LiveProgress() as progress:
        progress.started("current", "your profile as it is")
    assert "your profile as it is" not in capsys.readouterr().err


def test_v_and_q_work_after_the_command_too() -> None:
    result = CliRunner().invoke(app, ["scenarios", "list", "-q"])
    assert result.exit_code == 0
    assert console.verbosity() == -1
    CliRunner().invoke(app, ["scenarios", "list", "--debug"])
    assert console.verbosity() == 1
    opposite = CliRunner().invoke(app, ["-q", "scenarios", "list", "-v"])
    assert opposite.exit_code == 2
    assert "-v and -q ask for opposite things" in opposite.output
    shown = " ".join(CliRunner().invoke(app, ["browser", "--help"]).output.split())
    assert "-v, --verbose, --debug" in shown and "-q, --quiet" in shown
