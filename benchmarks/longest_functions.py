"""The longest functions of probe/, and how many modules it has, at a commit or in a folder.

Run by hand (not a test):

    .venv/bin/python benchmarks/longest_functions.py                 # the work tree's probe/
    .venv/bin/python benchmarks/longest_functions.py --commit f264190 -n 10
    .venv/bin/python benchmarks/longest_functions.py --root /tmp/old  # a folder holding probe/

A function's length is its lines from ``def`` to its last line (decorators not counted,
its docstring and comments counted); a nested function counts in its parent too, and is
listed under ``parent.<locals>.name``. Methods are ``Class.method``. At a commit, the
files are read from git (``git show``), nothing is checked out.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "probe"


@dataclass(frozen=True)
class Function:
    name: str
    file: str
    line: int
    lines: int


def sources_at(commit: str) -> dict[str, str]:
    """Every ``.py`` file of probe/ at ``commit``: path -> text."""
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit, f"{PACKAGE}/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        path: subprocess.run(
            ["git", "show", f"{commit}:{path}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for path in listed
        if path.endswith(".py")
    }


def top_level_at(commit: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", commit, f"{PACKAGE}/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [path.removeprefix(f"{PACKAGE}/") for path in listed]


def sources_in(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for path in sorted((root / PACKAGE).rglob("*.py"))
    }


def top_level_in(root: Path) -> list[str]:
    skipped = {"__pycache__"}
    return sorted(path.name for path in (root / PACKAGE).iterdir() if path.name not in skipped)


def functions(file: str, text: str) -> Iterator[Function]:
    def visit(node: ast.AST, prefix: str) -> Iterator[Function]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                end = child.end_lineno or child.lineno
                yield Function(f"{prefix}{child.name}", file, child.lineno, end - child.lineno + 1)
                yield from visit(child, f"{prefix}{child.name}.<locals>.")
            else:
                yield from visit(child, prefix)

    yield from visit(ast.parse(text, filename=file), "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--commit", help="a commit of this repository (read with git show)")
    where.add_argument("--root", type=Path, help="a folder holding probe/ (default: the repo)")
    parser.add_argument("-n", type=int, default=10, help="how many functions (default 10)")
    args = parser.parse_args()
    if args.commit:
        sources, top = sources_at(args.commit), top_level_at(args.commit)
    else:
        root = args.root or REPO
        sources, top = sources_in(root), top_level_in(root)

    modules = [path for path in sources if not path.endswith("/__init__.py")]
    top_modules = [name for name in top if name.endswith(".py") and name != "__init__.py"]
    packages = sorted({path.split("/")[1] for path in sources if path.count("/") >= 2})
    print(
        f"{PACKAGE}/: {len(top)} top-level entries ({len(top_modules)} modules, "
        f"{len(packages)} packages), {len(sources)} .py files ({len(modules)} not __init__.py), "
        f"{sum(text.count(chr(10)) for text in sources.values())} lines"
    )
    found = sorted(
        (f for path, text in sources.items() for f in functions(path, text)),
        key=lambda f: (-f.lines, f.file, f.line),
    )
    print(f"{'lines':>5}  function  (file:line)")
    for function in found[: args.n]:
        print(f"{function.lines:>5}  {function.name}  ({function.file}:{function.line})")


if __name__ == "__main__":
    main()
