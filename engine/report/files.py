"""Writing results without ever destroying what a user owns.

:class:`Outputs` owns every file and folder a command writes. The rules, checked when a
target is added (before any work) and again just before the rename:

- a file output (``--json``, ``--csv``, a golden file) replaces only a regular file: never a
  folder, a symbolic link, a device, a FIFO or a socket; a path ending in ``/`` names a
  folder and is refused;
- a document output (``--json``) replaces only an empty file or an earlier output of
  ipabs: a JSON object whose ``format`` is one of :data:`OUTPUT_FORMATS`; never a document a
  user keeps (a golden result, a deal state, a book), which ipabs also marks ``ipabs-``; a
  golden file (``check --update``) replaces only a golden result;
- a table output (``--csv``) replaces only an empty file or a table ipabs wrote: a UTF-8
  CSV starting with the byte-order mark and a header row whose first column is the table's
  (``period`` / ``期数`` for the cash flows), in any language ipabs writes;
- a new-file output (``--state-out``, a deal state) is never replaced: it must not exist;
- a folder output (``--out``) is created, or replaces a folder this tool wrote (one holding
  :data:`MARKER` and nothing the marker does not list, each file as ipabs wrote it: the
  marker keeps its SHA-256) or an empty folder; never a file;
- no output is an input of the run, lies inside a folder output, holds an input, or names
  the same path as another output;
- everything is written under a temporary name beside its target; at the end all targets
  are renamed into place together, under an exclusive lock on each target's folder (so
  concurrent runs never interleave) and with SIGINT / SIGTERM deferred until the renames are
  done. :attr:`Outputs.written` says what was committed.

New files get mode ``0666 & ~umask`` and folders ``0777 & ~umask``; a replaced file or
folder keeps its mode. A write that fails (a full disk) names the option and the path.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from engine.errors import InputError
from engine.report.sheets import csv_text, write_csv  # noqa: F401 (re-exported)


try:
    import fcntl
except ImportError:             # not POSIX: outputs are written unlocked
    fcntl = None
from engine.inputs import Unreadable, file_kind, read_user_file

__all__ = ["MARKER", "OUTPUT_FORMATS", "OutputError", "Outputs", "result_json", "write_json_atomic",
           "write_out_dir", "write_text_atomic"]

#: What a ``--json`` writes, and so may replace: ipabs's output documents. Documents a
#: user keeps (``ipabs-golden/v1``, ``ipabs-state/v1``, ``ipabs-book/v1``) are not here.
OUTPUT_FORMATS = frozenset({
    "ipabs-result/v1", "ipabs-compare/v1", "ipabs-sensitivity/v1", "ipabs-sweep/v1",
    "ipabs-size/v1", "ipabs-cashflows/v1", "ipabs-check/v1", "ipabs-track/v1",
    "ipabs-book-result/v1"})

#: The file that marks a folder as written by ipabs; it lists the folder's files.
MARKER = ".ipabs-output"
_MARKER_HEAD = "written by ipabs: the next run onto this folder replaces it as a whole\n"


class OutputError(InputError):
    """An output ipabs refuses or could not write (the CLI exits 2)."""


@dataclass
class Target:
    """One output: the option that named it, the path as given, where it really goes."""

    option: str
    path: str
    folder: bool
    parent: str             # the containing folder, symbolic links resolved
    name: str
    tmp: str | None = None  # the staged temporary, until committed
    new: bool = False       # a new file only: never replaces anything (a state file)
    document: frozenset = frozenset()  # replaces only a JSON document of these formats
    table: str = ""         # replaces only a CSV table ipabs wrote with this first column

    @property
    def real(self) -> str:
        return os.path.join(self.parent, self.name)

    def label(self) -> str:
        return f"{self.option} {self.path}" if self.option else str(self.path)


def _inside(path: str, folder: str) -> bool:
    return path != folder and os.path.commonpath([path, folder]) == folder


def _digest(path: str) -> str | None:
    """SHA-256 of the regular file ``path`` (None: unreadable)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _marked_names(folder: str) -> dict[str, str | None] | None:
    """The files the marker of ``folder`` lists, each with the SHA-256 it had when ipabs
    wrote it (None: a marker from before digests were kept); None if no readable marker."""
    try:
        text = read_user_file(os.path.join(folder, MARKER), limit=1 << 16).decode("utf-8")
    except (Unreadable, UnicodeDecodeError):
        return None
    if not text.startswith(_MARKER_HEAD):
        return None
    listed = {}
    for line in text.splitlines()[1:]:
        name, _, digest = line.partition("\t")
        listed[name] = digest or None
    return listed


def _folder_refusal(folder: str) -> str | None:
    """Why an existing folder may not be replaced (None: empty, or only what ipabs wrote)."""
    names = sorted(os.listdir(folder))
    listed = _marked_names(folder)
    if not names:
        return None
    if listed is None:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return (f"is a folder ipabs did not write (it holds {shown}); --out replaces the whole "
                "folder, so give a new or empty one")
    foreign = [n for n in names if n != MARKER and (
        n not in listed or not stat.S_ISREG(os.lstat(os.path.join(folder, n)).st_mode))]
    if foreign:
        return (f"holds {', '.join(foreign[:5])}, which ipabs did not write; move it out or "
                "give another folder (--out replaces the whole folder)")
    edited = [n for n in names if n != MARKER and listed[n] is not None
              and _digest(os.path.join(folder, n)) != listed[n]]
    if edited:
        return (f"holds {', '.join(edited[:5])}, changed since ipabs wrote it; move it out "
                "(or copy your changes) or give another folder (--out replaces the whole "
                "folder)")
    return None


def _refusal(t: Target) -> str | None:
    """Why ``t`` may not be written now (None: it may)."""
    try:
        st = os.lstat(t.real)
    except FileNotFoundError:
        if not os.path.isdir(t.parent):
            return f"folder {t.parent} does not exist"
        if not os.access(t.parent, os.W_OK | os.X_OK):
            return f"folder {t.parent} is not writable"
        return None
    except OSError as exc:
        return f"cannot use this path ({exc.strerror or exc})"
    if t.new:
        return (f"exists; {t.option or 'this'} writes a new file only and never replaces one: "
                "give another name")
    if not os.access(t.parent, os.W_OK | os.X_OK):
        return f"folder {t.parent} is not writable"
    if t.folder:
        if stat.S_ISDIR(st.st_mode):
            return _folder_refusal(t.real)
        return (f"is {'a file' if stat.S_ISREG(st.st_mode) else file_kind(st.st_mode)}; "
                f"{t.option or 'this'} names a folder that ipabs creates (or one it wrote before)")
    if not stat.S_ISREG(st.st_mode):
        return f"is {file_kind(st.st_mode)}; ipabs replaces only regular files"
    option = t.option or "this"
    if t.document and st.st_size:
        held = _document_format(t.real)
        if held not in t.document:
            if held and held.startswith("ipabs-"):
                return (f"holds an {held} document, which {option} never replaces (only "
                        f"{_formats(t.document)}): {_instead(t)}")
            return (f"holds something ipabs did not write (not an ipabs JSON document); "
                    f"{option} replaces only a file it wrote: {_instead(t)}")
    if t.table and st.st_size and not _ipabs_table(t.real, t.table):
        return (f"holds something other than a table ipabs wrote (a CSV whose header starts "
                f"with {_column_names(t.table)}); {option} replaces only such a table: "
                f"{_instead(t)}")
    return None


def _instead(t: Target) -> str:
    """What the user can do about a file an output may not replace."""
    if t.option == "--update":          # the golden file's name is the scenario's
        return "move the file away (or delete it if it is a damaged golden result) and run again"
    return "give a new name, or move the file away"


def _formats(formats: frozenset) -> str:
    return ("an ipabs output document" if formats == OUTPUT_FORMATS
            else " or ".join(sorted(formats)))


def _document_format(path: str) -> str | None:
    """The ``format`` of the JSON object in ``path`` (None: not JSON, not an object, none)."""
    try:
        doc = json.loads(read_user_file(path))
    except (Unreadable, ValueError):
        return None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    return fmt if isinstance(fmt, str) else None


def _column_names(column: str) -> str:
    """``column``'s header in every language ipabs writes, for a message."""
    from engine.report.i18n import LANGUAGES, column_label

    return " / ".join(dict.fromkeys(f"`{column_label(column, lang)}`" for lang in LANGUAGES))


def _ipabs_table(path: str, column: str) -> bool:
    """Whether ``path`` holds a CSV table as ipabs writes it: the byte-order mark, then a
    header row whose first cell is ``column`` in one of ipabs's languages."""
    from engine.report.i18n import LANGUAGES, column_label

    try:
        head = read_user_file(path)[:4096].decode("utf-8", errors="replace")
    except Unreadable:
        return False
    first = head[1:].split("\n", 1)[0].split(",", 1)[0].strip() if head[:1] == "\ufeff" else None
    return first in {column_label(column, lang) for lang in LANGUAGES}


@contextlib.contextmanager
def _locked(folders: Iterable[str]):
    """Exclusive ``flock`` on each folder (in a fixed order, so two runs cannot deadlock).

    Locking the folder itself leaves no lock file behind; on a file system without
    ``flock`` the write goes ahead unlocked.
    """
    fds = []
    try:
        for folder in sorted(set(folders)) if fcntl is not None else ():
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            fds.append(fd)
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            os.close(fd)


@contextlib.contextmanager
def _signals_deferred():
    """SIGINT and SIGTERM arriving inside the block act when it ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list = []
    old = {sig: signal.signal(sig, lambda s, f: caught.append((s, f)))
           for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if caught:
            sig, frame = caught[0]
            if callable(old[sig]):
                old[sig](sig, frame)
            elif old[sig] == signal.SIG_DFL:
                signal.raise_signal(sig)


class Outputs:
    """The outputs of one command: checked as they are added, committed together.

    Use as a context manager; temporaries not committed are removed on exit::

        with Outputs(inputs=[scenario_path]) as outs:
            js = outs.add("--json", "r.json")
            out = outs.add("--out", "rep", folder=True)
            outs.check()                          # OutputError (exit 2) before any work
            ...                                   # the work
            outs.stage_text(js, text)
            outs.stage_folder(out, fill)          # fill(Path) writes the folder's files
            outs.commit()
    """

    def __init__(self, inputs: Iterable = ()):
        self.inputs: dict[str, str] = {}     # real path -> path as given
        self.targets: list[Target] = []
        self.written: list[str] = []
        self.add_inputs(*inputs)

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    def add_inputs(self, *paths) -> None:
        """Files the run reads: no output may be one of them, or replace a folder holding one."""
        for p in paths:
            if p:
                self.inputs.setdefault(os.path.realpath(p), os.fspath(p))

    def add(self, option: str, path, *, folder: bool = False, new: bool = False,
            document: bool | frozenset = False, table: str = "") -> Target | None:
        """Register an output (``None`` for an option not given); :meth:`check` once all
        are added. ``new``: the path must not exist (nothing is ever replaced);
        ``document``: it replaces only an empty file or a JSON document of these formats
        (``True``: :data:`OUTPUT_FORMATS`); ``table``: only an empty file or a CSV table
        ipabs wrote whose first column is ``table``."""
        if path is None:
            return None
        text = os.fspath(path)
        if not text:
            raise OutputError(f"{option}: the path is empty")
        if not folder and text.endswith(("/", os.sep)):
            raise OutputError(f"{option} {text}: ends with a slash, so it names a folder; "
                              f"{option} writes a file: give a file name")
        full = os.path.abspath(text)
        t = Target(option, text, folder, os.path.realpath(os.path.dirname(full)),
                   os.path.basename(full), new=new,
                   document=OUTPUT_FORMATS if document is True else frozenset(document or ()),
                   table=table)
        if not t.name:
            raise OutputError(f"{t.label()}: not a path ipabs can write to")
        self.targets.append(t)
        return t

    def check(self) -> None:
        """Raise :class:`OutputError` for the first output that may not be written now:
        first how outputs relate to the inputs and to each other, then what is on disk."""
        input_ids = {_file_id(p) for p in self.inputs} - {None}
        for i, t in enumerate(self.targets):
            why = None
            if t.real in self.inputs or _file_id(t.real) in input_ids:
                why = (f"is {self.inputs.get(t.real, 'an input')}, an input of this run; "
                       "choose another name")
            held = [given for real, given in self.inputs.items() if _inside(real, t.real)]
            if why is None and t.folder and held:
                why = (f"holds {held[0]}, an input of this run, and {t.option} replaces the "
                       "whole folder")
            who = t
            for other in self.targets[:i]:
                if why is None and t.real == other.real:
                    why = f"{other.option or 'another output'} names the same path"
                for a, b in ((t, other), (other, t)):
                    if why is None and b.folder and _inside(a.real, b.real):
                        who, why = a, (f"is inside {b.label()}, which is replaced as a whole; "
                                       "write it elsewhere")
            if why is not None:
                raise OutputError(f"{who.label()}: {why}")
        for t in self.targets:
            why = _refusal(t)
            if why is not None:
                raise OutputError(f"{t.label()}: {why}")

    def _tmp_name(self, t: Target) -> str:
        return os.path.join(t.parent, f".{t.name}.{secrets.token_hex(4)}.tmp")

    def stage_text(self, t: Target, text: str) -> None:
        """Write ``text`` (UTF-8) to a temporary beside ``t``."""
        self.stage_bytes(t, text.encode("utf-8"))

    def stage_bytes(self, t: Target, data: bytes) -> None:
        """Write ``data`` to a temporary beside ``t``."""
        t.tmp = self._tmp_name(t)
        try:
            fd = os.open(t.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # umask applies
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputError(f"{t.label()}: cannot write ({exc.strerror or exc}); nothing "
                              "was written") from None

    def stage_folder(self, t: Target, fill: Callable[[Path], None]) -> None:
        """Create a temporary folder beside ``t``, let ``fill`` write into it, mark it."""
        t.tmp = self._tmp_name(t)
        try:
            os.mkdir(t.tmp, 0o777)
            fill(Path(t.tmp))
            names = sorted(os.listdir(t.tmp))
            with open(os.path.join(t.tmp, MARKER), "w", encoding="utf-8") as fh:
                fh.write(_MARKER_HEAD + "".join(
                    f"{n}\t{_digest(os.path.join(t.tmp, n)) or ''}\n" for n in names))
        except OSError as exc:
            what = f" {os.path.basename(exc.filename)}" if getattr(exc, "filename", None) else ""
            raise OutputError(f"{t.label()}: cannot write{what} ({exc.strerror or exc}); "
                              "nothing was written") from None

    def commit(self) -> None:
        """Rename every staged output into place, together (see the module docstring)."""
        staged = [t for t in self.targets if t.tmp is not None]
        with _locked(t.parent for t in staged), _signals_deferred():
            self.check()                       # the world may have changed during the run
            for t in staged:
                try:
                    _put_in_place(t)
                except OSError as exc:
                    done = ", ".join(self.written) or "nothing"
                    raise OutputError(f"{t.label()}: cannot write ({exc.strerror or exc}); "
                                      f"written: {done}") from None
                self.written.append(t.label())

    def discard(self) -> None:
        """Remove temporaries not committed."""
        for t in self.targets:
            if t.tmp is not None:
                if t.folder:
                    shutil.rmtree(t.tmp, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(t.tmp)
                t.tmp = None


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _put_in_place(t: Target) -> None:
    """Rename ``t``'s temporary onto it; a replaced file or folder's mode is kept."""
    try:
        old_mode = stat.S_IMODE(os.lstat(t.real).st_mode)
    except FileNotFoundError:
        old_mode = None
    if old_mode is not None:
        os.chmod(t.tmp, old_mode)
    if t.folder and old_mode is not None:
        aside = os.path.join(t.parent, f".{t.name}.old-{secrets.token_hex(4)}")
        os.rename(t.real, aside)
        try:
            os.rename(t.tmp, t.real)
        except OSError:
            os.rename(aside, t.real)
            raise
        shutil.rmtree(aside, ignore_errors=True)
    elif t.new:
        os.link(t.tmp, t.real)          # FileExistsError if one appeared meanwhile
        os.unlink(t.tmp)
    else:
        os.replace(t.tmp, t.real)
    t.tmp = None


# ----------------------------------------------------------------------------- contents


def result_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def tranche_frame(rows: list[dict]) -> pd.DataFrame:
    """Tranche rows as a flat table (see :func:`engine.report.sheets.tranche_frame`)."""
    from engine.report.sheets import tranche_frame as frame

    return frame(rows)


def _tables(doc: dict) -> dict[str, pd.DataFrame]:
    from engine.report.sheets import result_frames

    return result_frames(doc)


def fill_result_folder(folder: Path, doc: dict, extra=None, lang: str = "en") -> None:
    """``result.json`` and the CSV tables (headers in ``lang``) into ``folder``; then
    ``extra(folder)`` (plots)."""
    (folder / "result.json").write_text(result_json(doc), encoding="utf-8")
    for name, frame in _tables(doc).items():
        (folder / name).write_text(csv_text(frame, index=False, lang=lang), encoding="utf-8")
    if extra is not None:
        extra(folder)


# ----------------------------------------------------------------------------- one-off writes


def write_text_atomic(path, text: str, option: str = "") -> None:
    """Write ``text`` to ``path`` (a regular file or a new one) via a temporary and a rename."""
    with Outputs() as outs:
        target = outs.add(option, path)
        outs.check()
        outs.stage_text(target, text)
        outs.commit()


def write_json_atomic(path, doc: dict, option: str = "") -> None:
    write_text_atomic(path, result_json(doc), option)


def write_out_dir(out_dir, doc: dict, extra=None, option: str = "--out") -> None:
    """``result.json`` and CSV tables into ``out_dir``, replacing it as a whole (only if
    ipabs wrote it). ``extra(folder)`` may write more files (plots) before the move."""
    with Outputs() as outs:
        target = outs.add(option, out_dir, folder=True)
        outs.check()
        outs.stage_folder(target, lambda folder: fill_result_folder(folder, doc, extra))
        outs.commit()
