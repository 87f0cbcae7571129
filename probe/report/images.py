"""Screenshots inlined into the page as data URIs, read only from inside the report folder."""

from __future__ import annotations

import base64
from pathlib import Path

# A screenshot bigger than this is left out rather than bloating the page.
MAX_SCREENSHOT_BYTES = 8 * 1024 * 1024

_IMAGE_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def data_uri(out_dir: Path, relative: str) -> str | None:
    """The image at ``relative`` inside ``out_dir`` as a data URI, or None.

    Only files inside the report folder are read, and only real PNG or JPEG images:
    a hand-edited ``report.json`` must not make the page embed an arbitrary file.
    """
    root = out_dir.resolve()
    try:
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        if path.stat().st_size > MAX_SCREENSHOT_BYTES:
            return None
        content = path.read_bytes()
    except (OSError, ValueError):
        return None
    for magic, mime in _IMAGE_TYPES:
        if content.startswith(magic):
            return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"
    return None
