"""Writing report files safely: never through a symbolic link, never half-written.

A report folder may already exist (``--report-dir``, ``probe report DIR``) and hold what
someone else put there. Every file is written to a temporary file in the same folder and
renamed over its name, so a symbolic link there is replaced, never followed, and a run
stopped mid-write leaves the old file or the new one, not half of one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from probe.errors import BadInput

REPORT_JSON = "report.json"
INDEX_HTML = "index.html"
SCREENSHOTS = "screenshots"
_SCREENSHOT_SUFFIXES = (".jpg", ".jpeg", ".png")
# What a probe report folder holds; anything else there belongs to someone else.
_OWN_FILES = (REPORT_JSON, INDEX_HTML, ".write-test", "error.txt")


def write_text(path: Path, content: str) -> Path:
    """Write ``content`` to ``path`` atomically; refuse when ``path`` is a symbolic link.

    Example: ``write_text(Path("report/index.html"), page)``.
    """
    if path.is_symlink():
        raise BadInput(f"{path} is a symbolic link: probe does not write through links; remove it")
    if path.is_dir():
        raise BadInput(f"{path} is a folder: give a file name")
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def append_text(path: Path, content: str) -> None:
    """Append to ``path`` (e.g. ``$GITHUB_STEP_SUMMARY``), never through a symbolic link."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
    handle = os.open(path, flags, 0o644)
    with os.fdopen(handle, "a", encoding="utf-8") as file:
        file.write(content)


def check_output_file(path: Path, what: str) -> None:
    """Fail in one line, before any diagnosis, when ``path`` cannot be written as a file.

    ``what`` names where the path came from (``--junit``, ``GITHUB_STEP_SUMMARY``).
    """
    if path.is_symlink():
        raise BadInput(f"{what} {path}: a symbolic link; give the path of a regular file")
    if path.is_dir():
        raise BadInput(f"{what} {path}: a folder; give a file name, e.g. {path / 'junit.xml'}")
    if path.exists():
        if not path.is_file():
            raise BadInput(f"{what} {path}: not a regular file; give the path of a regular file")
        if not os.access(path, os.W_OK):
            raise BadInput(f"{what} {path}: cannot write there (permission denied)")
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise BadInput(f"{what} {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise BadInput(f"{what} {path}: cannot write in {ancestor} (permission denied)")


def new_report_folder(parent: Path, now: datetime | None = None) -> Path:
    """A new, empty ``parent/<timestamp>`` folder, created here and by no one else.

    Two runs started in the same second get ``…-153000`` and ``…-153000-2``.
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    parent.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        folder = parent / (stamp if number == 1 else f"{stamp}-{number}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise BadInput(f"{parent}: a thousand reports at {stamp} already; give --report-dir")


def clear_report_folder(folder: Path) -> None:
    """Empty an existing report folder of probe's own files, or refuse a folder of others'.

    A folder holding anything but a report (``report.json``, ``index.html``, screenshots)
    is someone else's: probe will not overwrite it or mix its files with theirs. Links are
    removed, never followed.
    """
    if folder.is_symlink():
        raise BadInput(f"--report-dir {folder}: a symbolic link; give a real folder")
    entries = list(folder.iterdir())
    foreign = [entry.name for entry in entries if not _own(entry)]
    if foreign:
        shown = ", ".join(sorted(foreign)[:3]) + (", …" if len(foreign) > 3 else "")
        raise BadInput(
            f"--report-dir {folder}: holds files that are not a probe report ({shown}); "
            "give an empty or new folder"
        )
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def discard_partial_report(folder: Path, *, created: bool) -> None:
    """After a run stopped early: remove the folder it created, or the files it left.

    A folder that existed keeps an earlier, complete report if the run stopped before
    clearing it; only screenshots without a ``report.json`` beside them are removed.
    """
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    if folder.is_symlink() or not folder.is_dir() or (folder / REPORT_JSON).exists():
        return
    shots = folder / SCREENSHOTS
    if shots.is_dir() and not shots.is_symlink():
        shutil.rmtree(shots, ignore_errors=True)


def _own(entry: Path) -> bool:
    if entry.name in _OWN_FILES:
        return entry.is_symlink() or entry.is_file()
    if entry.name != SCREENSHOTS:
        return False
    if entry.is_symlink() or not entry.is_dir():
        return entry.is_symlink()
    return all(
        shot.name.lower().endswith(_SCREENSHOT_SUFFIXES) and (shot.is_symlink() or shot.is_file())
        for shot in entry.iterdir()
    )
