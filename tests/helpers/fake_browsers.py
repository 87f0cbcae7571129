"""Fake browser executables: a shell script printing a recorded ``--version`` line."""

from __future__ import annotations

import stat
from pathlib import Path


def fake_browser(folder: Path, name: str, banner: str) -> Path:
    """An executable at ``folder/name`` that prints ``banner`` (what ``--version`` says)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{banner}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path
