"""The layers hold: import-linter's contracts (pyproject.toml) pass, and cover every module."""

from __future__ import annotations

import ast
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


def import_graph(root: Path) -> dict[str, set[str]]:
    """Which modules of probe/ each module of probe/ imports: every ``import`` statement,
    those inside functions and ``if TYPE_CHECKING:`` blocks too (read with ``ast``).

    ``from package import name`` is an import of the submodule when ``name`` is one, else of
    the package; an import of a module that is not a file of probe/ counts for the nearest
    enclosing one (a name from a package is an import of its ``__init__.py``).
    """
    files = {}
    for path in sorted((root / "probe").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        files[".".join(parts[:-1] if is_package else parts)] = (path, is_package)

    def nearest(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {module: set() for module in files}
    for module, (path, is_package) in files.items():
        package = module if is_package else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    above = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{above}.{base}" if base else above
                named = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            else:
                continue
            for name in named:
                target = nearest(name) if name.split(".")[0] == "probe" else None
                if target is not None and target != module:
                    graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: each strongly connected group of modules (Tarjan), as one cycle
    through them, sorted; empty when the graph is a DAG."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group: list[str] = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(_one_cycle(graph, set(group)) for group in groups)


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A path from the group's first module back to it, inside the group (breadth first)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in sorted(graph[module] & group):
                if target == start:
                    path = [module]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target not in came_from:
                    came_from[target] = module
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {sorted(group)}")


def test_the_cycle_finder_finds_a_cycle_and_none_in_a_chain() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_cycle() -> None:
    """No module of probe/ imports itself through others, even from inside a function."""
    assert cycles(import_graph(ROOT)) == []
