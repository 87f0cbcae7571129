"""A profile's files as untrusted input: regular files only, links never followed, sizes bounded.

A profile folder may come from anywhere (issue 11): damaged, or made by someone who wants
to harm the person running probe; a file can be a symlink to ``/etc/shadow``, a FIFO that
never ends, ``/dev/zero``, or a gigabyte of JSON. So nothing here follows a symbolic link,
opens a FIFO or a device for reading, reads a file whole without a bound, or writes
outside the private folder it was given. The one reader is ``read_regular`` and the one
copier ``_copy_regular``; each engine reads through them:

- Chromium: ``read_regular`` (``Unreadable``), copies counted in a ``CopyBudget`` and
  told as notes;
- Firefox: ``read_bounded``/``read_text`` (``UnsafeFile``, a ``BadInput`` naming the
  file), ``copy_tree`` (a folder copied at once, what it left out one line each).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from probe.errors import BadInput, NoSpaceLeft
from probe.models import LimitationKind as NoteKind

MB = 1024 * 1024
# Preferences of a profile used for years hold a few MB of site engagement data.
MAX_JSON_BYTES = 32 * MB
MAX_SMALL_BYTES = 4096  # "Last Version"
# Firefox's text and JSON files (prefs.js, extensions.json) are well under a few MB.
MAX_TEXT_BYTES = 16 * MB
# One file copied into a Firefox run folder (a large cookies.sqlite or an IndexedDB blob).
MAX_COPY_FILE_BYTES = 512 * MB
# All files copied into one Firefox run folder.
MAX_COPY_TOTAL_BYTES = 2 * 1024 * MB
_CHUNK = MB
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_SHOWN = 3  # names shown per kind of skipped file


UnreadableKind = Literal["missing", "link", "special", "large", "error"]


class Unreadable(ValueError):
    """A file that cannot be read safely; the message says why in a few words.

    ``kind`` says which refusal it is; an ``error`` has the ``OSError`` as its cause.
    """

    def __init__(self, reason: str, kind: UnreadableKind = "error") -> None:
        super().__init__(reason)
        self.kind: UnreadableKind = kind


class UnsafeFile(BadInput):
    """A profile file that is a link, not a regular file, or too large."""


_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes.

    Refuses symbolic links, FIFOs, devices and sockets before opening them (a FIFO would
    block forever, ``/dev/zero`` never ends), and files larger than ``limit``.
    """
    try:
        info = path.lstat()
    except FileNotFoundError as exc:
        raise Unreadable("missing", "missing") from exc
    except OSError as exc:
        raise _unreadable(exc) from exc
    if stat.S_ISLNK(info.st_mode):
        raise Unreadable("a symbolic link (never followed)", "link")
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable("not a regular file", "special")
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise _unreadable(exc) from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the lstat
            raise Unreadable("not a regular file", "special")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _unreadable(exc) from exc
    if len(data) > limit:
        raise Unreadable(f"larger than {_size(limit)}", "large")
    return data


def read_bounded(path: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """``read_regular``, refusals as a ``BadInput`` naming the file (``UnsafeFile`` for a
    link, a special file or one over ``limit``); a missing file is ``FileNotFoundError``."""
    try:
        return read_regular(path, limit)
    except Unreadable as exc:
        cause = exc.__cause__
        match exc.kind:
            case "missing":
                raise FileNotFoundError(errno.ENOENT, "No such file", str(path)) from None
            case "link":
                raise UnsafeFile(f"{path} is a symbolic link: not read") from None
            case "special":
                raise UnsafeFile(f"{path} is not a regular file: not read") from None
            case "large":
                megabytes = limit // MB
                raise UnsafeFile(f"{path} is larger than {megabytes} MB: not read") from None
            case _:
                why = cause.strerror if isinstance(cause, OSError) and cause.strerror else exc
                raise BadInput(f"cannot read {path}: {why}") from cause


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


def _unreadable(exc: OSError) -> Unreadable:
    return Unreadable(_reason(exc), "link" if exc.errno == errno.ELOOP else "error")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link (never followed)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def plain_name(name: str) -> bool:
    """True if ``name`` is one folder name: no separator, not ``..``, nothing hidden."""
    return (
        bool(name)
        and name not in (".", "..")
        and not any(c in name for c in "/\\\0")
        and name.isprintable()
    )


def has_parent_step(path: str) -> bool:
    """True if ``path`` has a ``..`` part (it could climb out of the folder it is in)."""
    return ".." in Path(path).parts or "\0" in path


def inside(path: Path, root: Path) -> bool:
    """True if ``path``, links resolved, is ``root`` or in it."""
    return path.resolve().is_relative_to(root.resolve())


def shown(text: str, width: int = 40) -> str:
    """A name from the profile as a note shows it: quoted, escaped, cut short."""
    return repr(text if len(text) <= width else text[:width] + "…")


def _cut(text: str, width: int = 120) -> str:
    return text if len(text) <= width else text[:width] + "…"


def one_line(text: str) -> str:
    """A note as the terminal may print it: control characters (from the profile) as '?'."""
    return "".join(c if c.isprintable() else "?" for c in text)


@dataclass(frozen=True)
class Note:
    """Something probe noticed but cannot replay or had to ignore, in one English line.

    ``kind`` becomes the kind of the report's ``Limitation`` made from it.

    ``params`` are the plain values (names, counts) a translated text is built from.
    """

    kind: NoteKind
    text: str
    params: tuple[tuple[str, str], ...] = ()


class Notes(list[Note]):
    """The notes gathered while reading or copying a profile."""

    def add(self, kind: NoteKind, text: str, **params: object) -> None:
        """Note ``text``; ``params`` are shown cut to a line (``hosts`` and ``cookies``, lists
        of names, are kept whole)."""
        clean = tuple(
            (k, one_line(str(v)) if k in ("hosts", "cookies") else _cut(one_line(str(v))))
            for k, v in params.items()
        )
        self.append(Note(kind, one_line(text), clean))

    def texts(self) -> tuple[str, ...]:
        return tuple(n.text for n in self)


@dataclass(frozen=True)
class CopyLimits:
    """The most a snapshot copies: larger files and anything past the total are skipped."""

    file_bytes: int = 256 * MB
    total_bytes: int = 1024 * MB


@dataclass
class CopyBudget:
    """What copies into one private folder used, and what they skipped (and why)."""

    root: Path  # every destination must stay inside it
    limits: CopyLimits = field(default_factory=CopyLimits)
    source: Path | None = None  # skipped files are named relative to it
    _sizes: dict[Path, int] = field(default_factory=dict)
    _skipped: dict[str, dict[str, None]] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return sum(self._sizes.values())

    def skip(self, why: str, path: Path) -> None:
        name = str(path)
        if self.source is not None and path.is_relative_to(self.source):
            name = str(path.relative_to(self.source))
        self._skipped.setdefault(why, {})[name] = None

    def notes(self) -> list[str]:
        """One line per kind of skipped file, naming a few of them."""
        found = []
        for why, names in self._skipped.items():
            listed = [shown(n, 60) for n in list(names)[:_SHOWN]]
            more = len(names) - len(listed)
            tail = f" and {more} more" if more else ""
            found.append(f"not copied, {why}: {', '.join(listed)}{tail}")
        return found

    def copy(self, source: Path, dest: Path) -> bool:
        """Copy one regular file; False if it vanished meanwhile (skips are noted, not False).

        Raises ``NoSpaceLeft`` when the disk fills up.
        """
        if not inside(dest, self.root):
            self.skip("its destination would be outside the private folder", source)
            return True
        try:
            info = source.lstat()
        except FileNotFoundError:
            return False
        except OSError as exc:
            self.skip(f"could not be read ({_reason(exc)})", source)
            return True
        if stat.S_ISLNK(info.st_mode):
            self.skip("symbolic links (never followed)", source)
            return True
        if not stat.S_ISREG(info.st_mode):
            self.skip("not regular files (FIFOs, devices, sockets)", source)
            return True
        if info.st_size > self.limits.file_bytes:
            self.skip(f"larger than {_size(self.limits.file_bytes)} each", source)
            return True
        room = self.limits.total_bytes - (self.used - self._sizes.get(dest, 0))
        if info.st_size > room:
            self.skip(f"past the {_size(self.limits.total_bytes)} a copy may hold", source)
            return True
        try:
            written = self._copy_bytes(source, dest, min(room, self.limits.file_bytes))
        except FileNotFoundError:
            return False
        except _Skip as skipped:
            self.skip(str(skipped), source)
            return True
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise NoSpaceLeft(
                    f"no space left in {self.root} while copying the profile: free some "
                    "space or point TMPDIR at a folder with more room"
                ) from exc
            self.skip(f"could not be read ({_reason(exc)})", source)
            return True
        self._sizes[dest] = written
        return True

    def _copy_bytes(self, source: Path, dest: Path, limit: int) -> int:
        try:
            return _copy_regular(source, dest, limit)
        except _NotRegular:
            raise _Skip("not regular files (FIFOs, devices, sockets)") from None  # swapped
        except _GrewPast:
            raise _Skip(self._too_large) from None

    @property
    def _too_large(self) -> str:
        return f"grew past {_size(self.limits.file_bytes)} or the total while being copied"


class _Skip(Exception):
    """A file found unfit halfway through copying it; the message says why."""


class _NotRegular(Exception):
    """Not a regular file once opened (it was swapped since it was listed)."""


class _GrewPast(Exception):
    """The file grew past the bound while it was copied."""


def _copy_regular(source: Path, dest: Path, limit: int) -> int:
    """Copy the regular file ``source`` to ``dest`` (private, 0600), never through a link
    at either end, at most ``limit`` bytes; returns the bytes written.

    ``_NotRegular``, ``_GrewPast``: nothing is left at ``dest``.
    """
    fd = os.open(source, _READ_FLAGS)
    with os.fdopen(fd, "rb") as reader:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        out = os.open(dest, flags, 0o600)
        written = 0
        try:
            with os.fdopen(out, "wb") as writer:
                os.fchmod(out, 0o600)  # the source may be read-only; the copy must not be
                while chunk := reader.read(_CHUNK):
                    written += len(chunk)
                    if written > limit:  # it grew while being copied
                        raise _GrewPast
                    writer.write(chunk)
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
    return written


def tree_files(
    src_dir: Path, dst_dir: Path, skipped: Iterable[str] = ()
) -> list[tuple[Path, Path]]:
    """(source, destination) for every entry under ``src_dir``, links not followed.

    Links and special files are listed too, for ``CopyBudget.copy`` to skip and note;
    folders that are links are listed, never entered. If ``src_dir`` is itself a link
    it is listed as one entry; if it is a regular file, nothing is.
    """
    leave_out = set(skipped)
    try:
        top = src_dir.lstat()
    except OSError:
        return []
    if stat.S_ISREG(top.st_mode):
        return []  # a file where a folder belongs: nothing of a login is in it
    if not stat.S_ISDIR(top.st_mode):
        return [(src_dir, dst_dir)]
    found: list[tuple[Path, Path]] = []
    for root, dirs, names in os.walk(src_dir):
        relative = Path(root).relative_to(src_dir)
        links = [d for d in dirs if (Path(root) / d).is_symlink()]
        dirs[:] = sorted(d for d in dirs if d != ".git" and d not in links)
        for name in sorted(names + links):
            if name not in leave_out and not name.startswith("Singleton"):
                found.append((Path(root) / name, dst_dir / relative / name))
    return found


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
    """What a ``copy_tree`` left out, one line each, and how much it copied."""

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
                        _copy_regular(Path(entry.path), target, max_file)
                        result.copied_bytes += size
                else:
                    result.skipped.append(f"{rel}: not a regular file, not copied")
            except _NotRegular:
                result.skipped.append(f"{rel}: {entry.path} is not a regular file")
            except _GrewPast:
                result.skipped.append(
                    f"{rel}: {entry.path} grew past {max_file >> 20} MB while copied"
                )
            except OSError as exc:
                result.skipped.append(f"{rel}: {exc.strerror or exc}")
    return result


def write_private(path: Path, text: str) -> None:
    """Write a file of probe's own (in a private folder); ``NoSpaceLeft`` if the disk is full."""
    try:
        path.write_text(text)
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise NoSpaceLeft(
                f"no space left in {path.parent} while preparing a browser run: free some "
                "space or point TMPDIR at a folder with more room"
            ) from exc
        raise


def _size(count: int) -> str:
    return f"{count // MB} MB" if count >= MB else f"{count} bytes"
