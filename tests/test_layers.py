"""The layers hold: import-linter's contracts (pyproject.toml) pass, and cover every module."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tests.helpers.paths import REPO

ROOT = REPO
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_package_of_probe_belongs_to_a_layer() -> None:
    """A new top-level package or module must be placed, or no contract would check it."""
    found = {
        f"probe.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "probe").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    by_id = contracts()
    layered = {module.strip() for layer in by_id["layers"]["layers"] for module in layer.split("|")}
    placed = layered | {"probe.mock_portal"}
    assert sorted(found - placed) == []
    # The mock portal may import probe.errors and nothing else of probe, and only the app
    # (and the entry point above it) may import the mock portal.
    portal_forbidden = set(by_id["mock-portal"]["forbidden_modules"])
    assert portal_forbidden == placed - {"probe.mock_portal", "probe.errors", "probe.__main__"}
    users_forbidden = set(by_id["mock-portal-users"]["source_modules"])
    assert users_forbidden == placed - {
        "probe.mock_portal",
        "probe.errors",
        "probe.__main__",
        "probe.app",
    }


def test_the_two_engines_are_independent() -> None:
    assert set(contracts()["engines"]["modules"]) == {
        "probe.browsers.chromium",
        "probe.browsers.firefox",
    }
