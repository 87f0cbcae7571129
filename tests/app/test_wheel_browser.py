"""probe installed from its wheel, outside the repository, as a portal team would use it.

The wheel is built from the working tree and installed with no dependencies into a fresh
venv under tmp_path; that venv reuses this venv's installed dependencies through a .pth
file pointing at a view of its site-packages without probe's own editable install.
Nothing is downloaded, and from a folder outside the repository nothing but the wheel can
answer ``import probe``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.helpers.paths import REPO

PLUGIN_TEST = """
import pytest


def test_a_scenario_by_name(probe_diagnose):
    report = probe_diagnose("maintenance")
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "maintenance")


@pytest.mark.probe_portal(scenario="maintenance")
def test_the_portal_in_a_scenario_state(probe_portal):
    assert probe_portal.runtime.config.maintenance.enabled


def test_a_profile_from_the_shipped_fixtures(probe_profile_factory):
    profile = probe_profile_factory({"extensions": ["ad-shield"]})
    assert len(list((profile / "Default" / "Extensions").iterdir())) == 1
"""


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def dependencies_view(tmp_path: Path) -> Path:
    """This venv's site-packages, less probe itself (its dist-info and editable finder)."""
    site = Path(sysconfig.get_path("purelib"))
    view = tmp_path / "dependencies"
    view.mkdir()
    for entry in site.iterdir():
        if entry.name.startswith(("probe", "__editable__")) or entry.suffix == ".pth":
            continue
        (view / entry.name).symlink_to(entry)
    return view


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding probe's wheel."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    dist = tmp_path / "dist"
    built = subprocess.run(
        [find_uv_bin(), "build", "--wheel", "--offline", "--quiet", "--out-dir", str(dist)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = dist.glob("probe_login-*.whl")

    target = tmp_path / "venv"
    venv.create(target, with_pip=False, symlinks=True)
    python = target / "bin" / "python"
    target_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(target_site, "probe-dependencies.pth").write_text(f"{dependencies_view(tmp_path)}\n")
    installed = subprocess.run(
        [find_uv_bin(), "pip", "install", "--offline", "--no-deps", "--python", python, wheel],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    return target / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder outside the repository, and an environment that points nowhere into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROBE_FIXTURES", "PYTHONPATH")}
    env.pop("VIRTUAL_ENV", None)
    return tmp_path, env


def test_probe_comes_from_the_wheel(
    installed: Path, elsewhere: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = elsewhere
    code = "import probe, probe.app.resources as r; print(probe.__file__); print(r.scenarios_dir())"
    out = run([installed / "python", "-c", code], cwd, env)
    assert out.returncode == 0, out.stderr
    module, scenarios = out.stdout.splitlines()
    prefix = str(installed.parent)
    assert module.startswith(prefix) and scenarios.startswith(prefix)
    assert not module.startswith(str(REPO)) and sys.prefix not in module


def test_probe_browser_runs_a_shipped_scenario(
    installed: Path, elsewhere: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = elsewhere
    out = run(
        [
            installed / "probe",
            "browser",
            "--scenario",
            "ad-blocker-hides-captcha",
            "--report-dir",
            "report",
            "--lang",
            "fr",
        ],
        cwd,
        env,
    )
    # Exit 1: the login is blocked and the cause was found.
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads((cwd / "report" / "report.json").read_text())
    verdict = report["verdict"]
    assert (verdict["status"], verdict["factor"]) == ("blocked", "extension")
    assert [c["name"] for c in verdict["culprits"]] == ["Ad Shield"]
    # The French words come from the gettext catalogs shipped in the wheel.
    assert report["lang"] == "fr"
    assert "Accès bloqué" in out.stdout


def test_the_pytest_plugin_works_from_the_wheel(
    installed: Path, elsewhere: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = elsewhere
    (cwd / "test_portal_team.py").write_text(textwrap.dedent(PLUGIN_TEST))
    out = run(
        [
            installed / "python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:playwright",
            "-p",
            "no:cacheprovider",
            "test_portal_team.py",
        ],
        cwd,
        env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout
