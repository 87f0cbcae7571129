"""The CI pieces at the repository's root, read and checked: action.yml and the Dockerfile.

Neither runs here: no GitHub runner, and no container engine on this machine (the docker
client only). What can be checked without them is: the YAML and its keys, every input
used, every step's shell script valid for bash, the options it gives probe ci existing,
the outputs it promises written by probe ci; the Dockerfile's instructions, the commands
it runs (uv's export of the lock is run here), the paths it names, what .dockerignore
keeps out.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import typer.main
import yaml
from typer.core import TyperOption
from uv import find_uv_bin

from probe.app.cli import app
from probe.report import github_outputs
from tests.helpers.paths import REPO


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
    return loaded


def run_steps() -> list[dict[str, Any]]:
    return [step for step in action()["runs"]["steps"] if "run" in step]


def probe_ci_options() -> set[str]:
    command = typer.main.get_command(app).commands["ci"]  # type: ignore[attr-defined]
    return {
        opt
        for p in command.params
        if isinstance(p, TyperOption)
        for opt in [*p.opts, *p.secondary_opts]
    }


# ---------------------------------------------------------------- action.yml


def test_the_action_is_a_composite_action_with_its_keys() -> None:
    loaded = action()
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(loaded)
    assert loaded["runs"]["using"] == "composite"
    for name, spec in loaded["inputs"].items():
        assert spec.get("description"), f"input {name} has no description"
        assert "default" in spec, f"input {name}: give a default"
    for step in loaded["runs"]["steps"]:
        assert "name" in step
        if "uses" in step:
            assert re.fullmatch(r"actions/[\w-]+@v\d+", step["uses"]), step["uses"]
        else:
            assert step["shell"] == "bash", f"{step['name']}: composite run steps need a shell"


def test_every_input_is_used() -> None:
    text = yaml.safe_dump(action()["runs"])
    for name in action()["inputs"]:
        assert f"inputs.{name}" in text, f"input {name} is never used"


def test_every_run_script_is_valid_bash_and_splices_no_expression(tmp_path: Path) -> None:
    for step in run_steps():
        # An input spliced into the script text could run as shell code: env only.
        assert "${{" not in step["run"], f"{step['name']}: pass inputs through env"
        script = tmp_path / "step.sh"
        script.write_text(step["run"])
        checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{step['name']}: {checked.stderr}"


def test_the_options_given_to_probe_are_probe_s_options() -> None:
    known = probe_ci_options()
    [ci_step] = [step for step in run_steps() if step.get("id") == "ci"]
    given = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", ci_step["run"]))
    assert given and given <= known, given - known
    install = next(step for step in run_steps() if "probe install" in step["run"])
    assert 'probe install "$browser"' in install["run"]


def test_the_outputs_are_those_probe_ci_writes() -> None:
    written = {
        line.split("=", 1)[0] for line in github_outputs([], Path("index.html")).splitlines()
    }
    written.add("junit")  # written by the step itself
    for name, spec in action()["outputs"].items():
        assert spec["value"] == f"${{{{ steps.ci.outputs.{name} }}}}"
        assert name in written, f"output {name} is not written by probe ci"
    assert written <= set(action()["outputs"])


def test_reports_are_uploaded_even_when_a_verdict_differs() -> None:
    upload = next(s for s in action()["runs"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"].startswith("always()")
    assert upload["with"]["path"] == "${{ inputs.report-dir }}"


# ---------------------------------------------------------------- Dockerfile


def instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_the_image_is_debian_with_chromium_and_firefox_esr() -> None:
    parsed = instructions()
    assert parsed[0][0] == "FROM" and parsed[0][1].startswith("debian:")
    runs = " ".join(rest for keyword, rest in parsed if keyword == "RUN")
    for package in ("chromium", "firefox-esr", "python3-venv"):
        assert f" {package} " in f" {runs} "
    env = " ".join(rest for keyword, rest in parsed if keyword == "ENV")
    # Where Debian's packages put the browsers (the paths probe drives on this machine).
    assert "PROBE_CHROMIUM=/usr/lib/chromium/chromium" in env
    assert "PROBE_FIREFOX=/usr/lib/firefox-esr/firefox-esr" in env
    assert ("ENTRYPOINT", '["probe"]') in parsed


def test_every_run_instruction_is_valid_shell() -> None:
    for keyword, rest in instructions():
        if keyword == "RUN":
            checked = subprocess.run(["sh", "-n", "-c", rest], capture_output=True, text=True)
            assert checked.returncode == 0, f"RUN {rest}: {checked.stderr}"


def test_uv_is_the_locked_version_and_its_export_runs_here(tmp_path: Path) -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    [uv] = [p["version"] for p in lock["package"] if p["name"] == "uv"]
    assert ("ARG", f"UV_VERSION={uv}") in instructions()
    [build] = [rest for keyword, rest in instructions() if "uv export" in rest]
    export = shlex.split(build.split("&&")[1])
    assert export[0] == "/opt/uv/bin/uv"
    out = tmp_path / "requirements.txt"
    done = subprocess.run(
        [find_uv_bin(), *export[1:-2], "--offline", "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    pinned = {line.split("==")[0] for line in out.read_text().splitlines() if "==" in line}
    assert {"playwright", "psutil", "typer"} <= pinned
    assert not pinned & {"pytest", "mypy", "ruff", "django"}  # the dev group stays out


def test_the_build_context_keeps_what_the_wheel_needs_and_leaves_the_rest() -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("pyproject.toml", "uv.lock", "README.md", "probe", "scenarios", "fixtures"):
        assert (REPO / needed).exists()
        assert needed not in ignored
    for heavy in (".git", ".venv", "**/node_modules", "reports"):
        assert heavy in ignored
    copied = [rest for keyword, rest in instructions() if keyword == "COPY"]
    assert copied == [". /src"]
