"""The Dockerfile's install commands, run here (Debian 12, as the image): no container
engine runs on this machine, so the image itself is never built; its RUN line that
installs probe is, with the paths moved under tmp and the registry (or uv's cache) for
the pinned packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from uv import find_uv_bin

from tests.helpers.paths import REPO
from tests.test_ci_pieces import action, instructions


def test_the_dockerfile_s_install_line_installs_a_working_probe(tmp_path: Path) -> None:
    [line] = [rest for keyword, rest in instructions() if keyword == "RUN" and "uv export" in rest]
    source = tmp_path / "src"
    # The build context: the repository less what .dockerignore leaves out (roughly).
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "__pycache__", "reports", "tests", "docs", "site"
        ),
    )
    script = (
        line.replace("/opt/uv/bin/uv", find_uv_bin())
        .replace("/opt/probe", str(tmp_path / "probe"))
        .replace("/tmp/requirements.txt", str(tmp_path / "requirements.txt"))
        .replace("/src", str(source))
    )
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not source.exists(), "the sources are removed from the image"
    probe = tmp_path / "probe" / "bin" / "probe"
    version = subprocess.run([probe, "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("probe ")
    # Compiled at install time: the image starts probe without compiling its imports.
    assert list((tmp_path / "probe").rglob("probe/app/cli/__pycache__/base.*.pyc"))


def test_the_action_s_ci_step_runs_probe_ci_here(tmp_path: Path) -> None:
    """action.yml's "Diagnose the scenarios" step, its script run by bash with the inputs
    as the action passes them (env), GitHub's files under tmp: one real scenario."""
    [step] = [s for s in action()["runs"]["steps"] if s.get("id") == "ci"]
    outputs = tmp_path / "github-output"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "BROWSERS": "chromium",
        "SCENARIO_DIR": "",
        "ONLY": "healthy",
        "SHARD": "",
        "JOBS": "1",
        "PORTAL_URL": "",
        "TRACE": "false",
        "REPORT_DIR": "probe-reports",
        "EXTRA_ARGS": "",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert written["junit"] == "probe-reports/junit.xml"
    assert (written["passed"], written["failed"]) == ("1", "0")
    assert json.loads(written["verdicts"]) == {"healthy": "ok / none"}
    assert (tmp_path / "probe-reports" / "junit.xml").is_file()
    assert (tmp_path / "probe-reports" / "healthy" / "index.html").is_file()
    assert "::error" not in done.stdout
