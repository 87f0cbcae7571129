"""The layers hold: import-linter's contracts (pyproject.toml) pass, and cover every module."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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


def test_every_module_of_probe_belongs_to_a_layer() -> None:
    """A new module must be placed (core, app or portal), or no contract would check it."""
    found = {
        f"probe.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "probe").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    by_id = contracts()
    core = set(by_id["core"]["source_modules"])
    apps = {module.strip() for layer in by_id["apps"]["layers"] for module in layer.split("|")}
    placed = core | apps | {"probe.portal"}
    assert sorted(found - placed) == []
    assert core.isdisjoint(apps)
    # What the core may not import is exactly everything that is not core.
    assert set(by_id["core"]["forbidden_modules"]) == placed - core
    # The portal may import probe.errors and nothing else of probe.
    portal_forbidden = set(by_id["portal"]["forbidden_modules"])
    assert portal_forbidden == placed - {"probe.portal", "probe.errors"}
