"""Reading the files a user names, safely.

Every reader of user files (the scenario, ``assets_file``, the rating table, golden results)
goes through :func:`read_user_file`: regular files only (a FIFO, a device or a folder is
refused before it is opened for reading, and the open never blocks), at most
:data:`~engine.limits.MAX_INPUT_BYTES`. A file a scenario names must lie inside the
scenario's folder once symbolic links are resolved (:func:`path_inside`). Messages say why
a file was refused and never quote its contents.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from engine.limits import MAX_INPUT_BYTES

__all__ = ["Unreadable", "file_kind", "path_inside", "read_user_file"]


class Unreadable(Exception):
    """A file cannot or may not be read; the message says why."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


def file_kind(mode: int) -> str:
    """``"a folder"``, ``"a FIFO (named pipe)"``, ... for a ``st_mode`` that is no regular file."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _regular(st: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise Unreadable(f"it is {file_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise Unreadable(f"it is larger than {limit / 2**20:g} MiB")


def read_user_file(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    Raises
    ------
    Unreadable
        With the reason (missing, not permitted, a FIFO / device / folder, too large).
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_NOCTTY", 0)
    try:
        _regular(os.stat(path), limit)          # refuse devices and FIFOs before opening
        fd = os.open(path, flags)               # O_NONBLOCK: a FIFO swapped in cannot block
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None
    except ValueError as exc:                   # e.g. an embedded NUL in the name
        raise Unreadable(str(exc)) from None
    try:
        _regular(os.fstat(fd), limit)           # what was opened, not what was looked at
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:                   # it grew while being read
                raise Unreadable(f"it is larger than {limit / 2**20:g} MiB")
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def path_inside(name: str, base_dir: str | os.PathLike[str], key: str) -> Path:
    """The file ``name`` (relative, as the scenario's ``key`` gives it) under ``base_dir``,
    with symbolic links resolved.

    Raises
    ------
    Unreadable
        If ``name`` is empty or absolute, or leads outside ``base_dir`` (through ``..`` or a
        symbolic link).
    """
    if not name.strip():
        raise Unreadable(f"{key} is empty; give a path relative to the scenario's folder")
    if (PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute()
            or PureWindowsPath(name).drive):
        raise Unreadable(f"{key} {name!r} must be a path relative to the scenario's folder")
    try:
        base = Path(os.path.realpath(base_dir))
        target = Path(os.path.realpath(base / name))
    except (OSError, ValueError) as exc:
        raise Unreadable(f"{key} {name!r} is not a usable path: {exc}") from None
    if not target.is_relative_to(base):
        raise Unreadable(f"{key} {name!r} points outside the scenario's folder {str(base)!r} "
                         f"(it leads to {str(target)!r})")
    return target


def read_user_text(path: str | os.PathLike[str], what: str = "the file") -> tuple[str, bytes]:
    """A user's UTF-8 text file, bounded like :func:`read_user_file`: ``(text, bytes)``.
    Raises a :class:`~engine.errors.ScenarioError` (``source`` the path) naming ``what``
    could not be read, or the line of the first byte that is not UTF-8."""
    from engine.errors import Problem, ScenarioError

    source = os.fspath(path)
    try:
        raw = read_user_file(Path(source))
    except Unreadable as exc:
        raise ScenarioError(Problem("", f"cannot read {what}: {exc}"), source=source) from None
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(Problem("", f"the file is not UTF-8 text (byte "
                                        f"0x{raw[exc.start]:02x})", line),
                            source=source) from None

