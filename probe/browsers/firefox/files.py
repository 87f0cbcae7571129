"""Reading and copying a profile's files without trusting them.

A profile folder is input from somewhere else (issue 11): a file can be a symlink to
``/etc/shadow``, a FIFO that never ends, ``/dev/zero``, or a gigabyte of JSON. Only
regular files are read, never through a link, and never more than a bound.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from probe.errors import BadInput

# Text and JSON files of a profile (prefs.js, extensions.json) are well under a few MB.
MAX_TEXT_BYTES = 16 * 1024 * 1024
# One file copied into a run folder (a large cookies.sqlite or an IndexedDB blob).
MAX_COPY_FILE_BYTES = 512 * 1024 * 1024
# All files copied into one run folder.
MAX_COPY_TOTAL_BYTES = 2 * 1024 * 1024 * 1024

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class UnsafeFile(BadInput):
    """A profile file that is a link, not a regular file, or too large."""


def read_bounded(path: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file, refusing links, special files and files over ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if path.is_symlink():
            raise UnsafeFile(f"{path} is a symbolic link: not read") from exc
        raise BadInput(f"cannot read {path}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path} is not a regular file: not read")
        if info.st_size > limit:
            raise UnsafeFile(f"{path} is larger than {limit // (1024 * 1024)} MB: not read")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, 1024 * 1024):
            total += len(chunk)
            if total > limit:
                raise UnsafeFile(f"{path} is larger than {limit // (1024 * 1024)} MB: not read")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """A regular file's text (UTF-8, a BOM dropped, bad bytes replaced)."""
    return read_bounded(path, limit).decode("utf-8-sig", errors="replace")


def is_regular(path: Path) -> bool:
    """True for a regular file that is not a symbolic link."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def is_real_dir(path: Path) -> bool:
    """True for a folder that is not a symbolic link."""
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def tree_size(root: Path, limit_entries: int = 100_000) -> int:
    """Bytes of the regular files under ``root``, links and special files left out."""
    total = 0
    seen = 0
    stack = [root]
    while stack and seen < limit_entries:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


@dataclass
class CopyResult:
    """What a profile copy left out, one line each, and how much it copied."""

    copied_bytes: int = 0
    skipped: list[str] = field(default_factory=list)


def copy_tree(
    src: Path,
    dst: Path,
    *,
    skip: Callable[[str], bool] = lambda rel: False,
    max_file: int = MAX_COPY_FILE_BYTES,
    max_total: int = MAX_COPY_TOTAL_BYTES,
) -> CopyResult:
    """Copy the regular files and folders of ``src`` into ``dst`` (which must exist).

    ``skip`` gets each entry's path relative to ``src`` with ``/`` separators. Links,
    FIFOs, sockets and devices are left out with a note; every destination is checked
    to stay inside ``dst``.
    """
    result = CopyResult()
    root = dst.resolve()
    stack: list[tuple[Path, str]] = [(src, "")]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            result.skipped.append(f"{rel_folder or '.'}: cannot list ({exc.strerror})")
            continue
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            if skip(rel):
                continue
            target = root / rel
            if not target.resolve().is_relative_to(root):
                result.skipped.append(f"{rel}: would land outside the copy")
                continue
            try:
                if entry.is_symlink():
                    result.skipped.append(f"{rel}: symbolic link, not copied")
                elif entry.is_dir(follow_symlinks=False):
                    target.mkdir(mode=0o700, exist_ok=True)
                    stack.append((Path(entry.path), rel))
                elif entry.is_file(follow_symlinks=False):
                    size = entry.stat(follow_symlinks=False).st_size
                    if size > max_file:
                        result.skipped.append(f"{rel}: larger than {max_file >> 20} MB")
                    elif result.copied_bytes + size > max_total:
                        result.skipped.append(f"{rel}: the copy reached {max_total >> 20} MB")
                    else:
                        _copy_file(Path(entry.path), target, max_file)
                        result.copied_bytes += size
                else:
                    result.skipped.append(f"{rel}: not a regular file, not copied")
            except UnsafeFile as exc:
                result.skipped.append(f"{rel}: {exc}")
            except OSError as exc:
                result.skipped.append(f"{rel}: {exc.strerror or exc}")
    return result


def _copy_file(src: Path, dst: Path, limit: int) -> None:
    fd = os.open(src, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeFile(f"{src} is not a regular file")
        out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        with os.fdopen(out, "wb") as sink:
            total = 0
            while chunk := os.read(fd, 1024 * 1024):
                total += len(chunk)
                if total > limit:
                    raise UnsafeFile(f"{src} grew past {limit >> 20} MB while copied")
                sink.write(chunk)
    finally:
        os.close(fd)
