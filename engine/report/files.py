"""Writing results so that a file or folder is either complete or absent.

Everything is written under a temporary name in the destination's folder and renamed
into place (an atomic step on POSIX file systems).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from engine.report.sheets import write_csv


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def result_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json_atomic(path, doc: dict) -> None:
    write_text_atomic(path, result_json(doc))


def tranche_frame(rows: list[dict]) -> pd.DataFrame:
    """Tranche rows as a flat table (see :func:`engine.report.sheets.tranche_frame`)."""
    from engine.report.sheets import tranche_frame as frame

    return frame(rows)


def _tables(doc: dict) -> dict[str, pd.DataFrame]:
    from engine.report.sheets import result_frames

    return result_frames(doc)


def write_out_dir(out_dir, doc: dict, extra=None) -> None:
    """``result.json`` and CSV tables into ``out_dir``, replacing it as a whole.

    ``extra(tmp_dir)`` may write more files (plots) before the folder is moved into place.
    """
    out_dir = Path(out_dir)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=parent))
    try:
        (tmp / "result.json").write_text(result_json(doc), encoding="utf-8")
        for name, frame in _tables(doc).items():
            write_csv(frame, tmp / name)
        if extra is not None:
            extra(tmp)
        old = None
        if out_dir.exists():
            old = parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
