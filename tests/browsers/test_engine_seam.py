"""The engine seam holds: outside ``probe/browsers/`` nobody asks which engine runs.

Read from the sources with ``ast`` (nothing imported): the diagnosis and the journey
import nothing of ``probe.browsers.chromium`` or ``probe.browsers.firefox``, and no module
outside ``probe/browsers/`` calls ``isinstance`` with an engine's or a browser's class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.paths import REPO

PROBE = REPO / "probe"
BROWSERS = PROBE / "browsers"
ENGINE_PACKAGES = ("probe.browsers.chromium", "probe.browsers.firefox")
# Where what one engine alone is (or stands in for one) lives.
ENGINE_MODULES = (*ENGINE_PACKAGES, "probe.browsers.fake")
# Packages that only ever see the seam (``probe.browsers.base``).
SEAM_ONLY = ("probe.diagnosis", "probe.journey")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a ``from ... import`` names, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_engine_class(name: str, origin: str) -> bool:
    """A class of one engine (or its fake), or any engine or browser type of the seam."""
    if not origin.startswith("probe.browsers"):
        return False
    return _within(origin, ENGINE_MODULES) or name.endswith(("Engine", "Browser"))


def seam_breaches(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """What in ``source`` (the module ``module``) goes around the engine seam."""
    tree = ast.parse(source)
    found: list[str] = []
    # Local name -> where it comes from: "probe.browsers.chromium.engine.ChromiumEngine"
    # for a name imported from a module, the module itself for a module.
    origins: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        imported: list[str] = []
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported.append(alias.name)
                local = alias.asname or alias.name.split(".")[0]
                origins[local] = ("", alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source_module = _absolute(node, module, is_package)
            for alias in node.names:
                # ``from probe.browsers import chromium`` imports a module.
                imported.append(f"{source_module}.{alias.name}")
                origins[alias.asname or alias.name] = (alias.name, source_module)
        if _within(module, SEAM_ONLY):
            for name in imported:
                if _within(name, ENGINE_PACKAGES):
                    found.append(f"{module}:{line} imports {name}")
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and len(node.args) == 2
        ):
            continue
        kinds = node.args[1]
        for kind in kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]:
            chain: list[str] = []
            while isinstance(kind, ast.Attribute):
                chain.insert(0, kind.attr)
                kind = kind.value
            if not isinstance(kind, ast.Name) or kind.id not in origins:
                continue
            name, origin = origins[kind.id]
            if chain:  # ``engine_module.ChromiumEngine``: the module is what was imported
                origin = ".".join(p for p in (origin, name, *chain[:-1]) if p)
                name = chain[-1]
            if _is_engine_class(name, origin):
                found.append(f"{module}:{node.lineno} asks isinstance(..., {name})")
    return found


def _outside_browsers() -> list[Path]:
    return [p for p in sorted(PROBE.rglob("*.py")) if not p.is_relative_to(BROWSERS)]


def test_nothing_outside_the_browsers_package_goes_around_the_engine_seam() -> None:
    found = [
        breach
        for path in _outside_browsers()
        for breach in seam_breaches(
            path.read_text(encoding="utf-8"),
            module_name(path),
            is_package=path.name == "__init__.py",
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from probe.browsers.chromium.warm import start_warm\n", "probe.diagnosis.runner"),
        ("from probe.browsers import firefox\n", "probe.journey.login"),
        ("import probe.browsers.firefox.engine\n", "probe.diagnosis.session"),
        ("from ..browsers.chromium import engine\n", "probe.diagnosis.runner"),
        (
            "from probe.browsers.firefox.discovery import Firefox\n"
            "def f(b: object) -> bool:\n    return isinstance(b, (str, Firefox))\n",
            "probe.app.setup",
        ),
        (
            "from probe.browsers.chromium import engine as e\n"
            "def f(b: object) -> bool:\n    return isinstance(b, e.ChromiumEngine)\n",
            "probe.app.ci",
        ),
        (
            "from probe.browsers.base import BrowserEngine\n"
            "def f(b: object) -> bool:\n    return isinstance(b, BrowserEngine)\n",
            "probe.report.view",
        ),
    ],
)
def test_the_check_sees_a_breach(source: str, module: str) -> None:
    assert seam_breaches(source, module) != []


def test_the_check_lets_the_seam_and_other_isinstance_calls_be() -> None:
    source = (
        "from probe.browsers.base import BrowserEngine, Inventory\n"
        "from probe.browsers.registry import find_browser\n"
        "def f(b: object) -> bool:\n    return isinstance(b, (dict, Inventory))\n"
    )
    assert seam_breaches(source, "probe.diagnosis.runner") == []
    # The app may import an engine's modules (it builds profiles from recipes).
    assert seam_breaches("from probe.browsers.chromium import discovery\n", "probe.app.ci") == []
