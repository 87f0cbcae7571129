"""probe installed as a tool (``uv tool install`` of its wheel) and run from anywhere.

The wheel is built from the working tree; ``uv tool install`` puts it in a tool folder and
a bin folder of its own under tmp (``UV_TOOL_DIR``, ``UV_TOOL_BIN_DIR``), with the
versions uv.lock pins as constraints (read from the registry, or uv's cache). Then
``probe`` runs a diagnosis of the embedded portal from a folder outside the repository,
with nothing of this venv on its path.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.helpers.paths import REPO


def uv(
    *args: str | Path, env: dict[str, str], cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_uv_bin(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def tool_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder holding the ``probe`` of a fresh ``uv tool install``."""
    tmp = tmp_path_factory.mktemp("tool")
    env = {
        **os.environ,
        "UV_TOOL_DIR": str(tmp / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp / "bin"),
    }
    env.pop("VIRTUAL_ENV", None)
    built = uv("build", "--wheel", "--offline", "--quiet", "--out-dir", tmp / "dist", env=env)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp / "dist").glob("probe_login-*.whl")
    pins = tmp / "constraints.txt"
    exported = uv(
        "export", "--locked", "--no-dev", "--no-emit-project", "--no-hashes", "--offline",
        "--quiet", "-o", pins, env=env,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    installed = uv("tool", "install", "--constraints", pins, wheel, env=env, cwd=tmp)
    assert installed.returncode == 0, installed.stderr
    assert "Installed 1 executable: probe" in installed.stderr
    return tmp / "bin"


def test_the_tool_s_probe_is_its_own_install(tool_bin: Path) -> None:
    probe = tool_bin / "probe"
    # The console script's interpreter is the tool's own venv, not this repository's.
    shebang = probe.read_text().splitlines()[0]
    assert str(REPO) not in shebang and "tools/probe-login/bin/python" in shebang


def test_the_tool_diagnoses_the_embedded_portal_from_outside_the_repository(
    tool_bin: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{tool_bin}:/usr/bin:/bin"
    result = subprocess.run(
        ["probe", "-q", "browser", "--scenario", "healthy", "--report-dir", "report"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Access works: ")
    report = json.loads((elsewhere / "report" / "report.json").read_text())
    assert report["verdict"]["status"] == "ok"
    assert (elsewhere / "report" / "index.html").is_file()
    # probe came from the tool folder: its scenarios are the wheel's, not the repository's.
    where = subprocess.run(
        [tool_bin / "probe", "scenarios", "list"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0 and "healthy" in where.stdout
