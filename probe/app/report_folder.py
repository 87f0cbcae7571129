"""Where a diagnosis's report goes: a new ``reports/<timestamp>/`` or the folder asked for."""

from __future__ import annotations

from pathlib import Path

from probe.errors import BadInput
from probe.report.files import clear_report_folder, new_report_folder


def default_report_dir() -> Path:
    """A new ``reports/<timestamp>/`` folder, created exclusively (a suffix when taken)."""
    return new_report_folder(Path("reports"))


def prepare_report_dir(path: Path) -> Path:
    """Create ``path`` and check it can be written to; ``BadInput`` in one line if not.

    An earlier report there is replaced whole (no stale screenshot stays); a folder holding
    anything else is refused.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        clear_report_folder(path)
        probe_file = path / ".write-test"
        probe_file.write_text("")
        probe_file.unlink()
    except OSError as exc:
        raise BadInput(f"--report-dir {path}: cannot write there ({exc.strerror})") from exc
    return path
