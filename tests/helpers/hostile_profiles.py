"""Helpers of the hostile-profile tests (tests/browsers/chromium/test_hostile_profiles*.py):
planted extensions, a listing of a folder, the CLI run in-process and its one error line.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from typer.testing import CliRunner, Result

from probe.app.cli import app

ERROR_PREFIX = "probe: error: "


MANIFEST = {"manifest_version": 3, "name": "Harmless", "version": "1.0"}


def listing(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (links not followed) and its kind and content."""
    found: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            kind = "link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode) else "file"
            content = path.read_bytes().hex() if kind == "file" else ""
            found[str(path.relative_to(root))] = f"{kind}:{content}"
    return found


def unpacked_extension(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def entry(path: str | Path, location: int = 4) -> dict[str, object]:
    return {"location": location, "path": str(path), "state": 1}


def invoke(*args: str, home: Path) -> Result:
    env = {"COLUMNS": "200", "HOME": str(home), "XDG_CONFIG_HOME": ""}
    return CliRunner().invoke(app, list(args), env=env)


def one_error_line(result: Result, expected_code: int) -> str:
    output = result.stdout + result.stderr
    assert result.exit_code == expected_code, output
    assert "Traceback" not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1 and result.stderr.splitlines()[-1] == errors[0], result.stderr
    return errors[0].removeprefix(ERROR_PREFIX)
