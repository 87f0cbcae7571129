"""What packaging promises without building anything: the lock, the package list, the pins.

The wheel itself, installed outside the repository, is tested in test_wheel_browser.py.
"""

from __future__ import annotations

import subprocess
import tomllib
from importlib.metadata import version
from typing import Any

from typer.testing import CliRunner
from uv import find_uv_bin

import probe
from probe.app import resources
from probe.app.cli import app
from tests.helpers.paths import REPO


def pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_the_lock_is_current_with_pyproject() -> None:
    # The same check `uv sync --locked` makes in scripts/setup.sh; offline, it only compares.
    result = subprocess.run(
        [find_uv_bin(), "lock", "--check", "--offline"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"uv.lock is not current with pyproject.toml; run bash scripts/lock.sh\n{result.stderr}"
    )


def test_the_lock_covers_the_dev_tools_and_pins_playwright_1_64() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    for tool in ("pytest", "pytest-timeout", "import-linter", "mypy", "ruff", "uv"):
        assert tool in locked, f"{tool} is not in uv.lock"
    assert locked["playwright"].startswith("1.64.")


def test_the_installed_playwright_is_the_pinned_one() -> None:
    # scripts/setup.sh must bring an older .venv (Playwright 1.65) back to the lock.
    assert version("playwright").startswith("1.64.")


def test_every_package_under_probe_is_listed_for_the_wheel() -> None:
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts) for init in REPO.glob("probe/**/__init__.py")
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_the_data_packages_are_the_top_level_folders() -> None:
    mapping = pyproject()["tool"]["setuptools"]["package-dir"]
    assert mapping == {resources.SCENARIOS: "scenarios", resources.FIXTURES: "fixtures"}
    # The editable install maps the same names onto the repository's folders.
    assert resources.scenarios_dir().resolve() == REPO / "scenarios"
    assert resources.fixtures_dir().resolve() == REPO / "fixtures"


def test_the_version_is_written_once_and_shown_by_probe_version() -> None:
    written = pyproject()["project"]["version"]
    assert probe.__version__ == written
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"probe {written}"


def test_the_distribution_name_is_not_probe_but_the_command_is() -> None:
    project = pyproject()["project"]
    # "probe" on PyPI is someone else's package (0.0.2, 2013).
    assert project["name"] == "probe-login"
    assert project["scripts"] == {"probe": "probe.app.cli:main"}
    assert project["license"] == "MIT"
    assert (REPO / "probe" / "py.typed").is_file()


def test_the_dev_tools_are_a_dependency_group_not_an_extra() -> None:
    # PEP 735: `pip install probe-login` / `uv tool install` never bring the test tools.
    project = pyproject()
    assert "optional-dependencies" not in project["project"]
    dev = " ".join(project["dependency-groups"]["dev"])
    for tool in ("pytest", "mypy", "ruff", "django", "uv"):
        assert tool in dev
    runtime = " ".join(project["project"]["dependencies"])
    assert "psutil" in runtime and "pytest" not in runtime
    assert "--group dev" in (REPO / "scripts" / "setup.sh").read_text()
