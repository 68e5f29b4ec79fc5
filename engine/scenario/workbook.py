"""Reading an Excel workbook a user names (``.xlsx``), within bounds.

This module owns how ipabs opens a workbook and walks a sheet, whatever the sheet holds
(a loan tape, a trustee's asset list):

- before any XML is parsed, the zip's members are counted and their uncompressed sizes
  added up (:data:`~engine.limits.MAX_XLSX_MEMBERS`,
  :data:`~engine.limits.MAX_XLSX_UNCOMPRESSED_BYTES`): a small file that inflates to
  gigabytes is refused at once;
- the workbook is read in streaming mode (openpyxl ``read_only``), one row at a time;
- a sheet's declared size (its ``<dimension>``) and the rows and columns really present
  are bounded (:data:`~engine.limits.MAX_TAPE_ROWS`, :data:`~engine.limits.MAX_TAPE_COLUMNS`),
  so one cell at XFD1048576 is refused in milliseconds instead of filling memory;
- a sheet is chosen by name (English or Chinese), else the first *visible* sheet; a
  hidden sheet is never read, and one named like a wanted sheet is an error, not a
  silent substitute.

Every refusal is a :class:`WorkbookError` whose message names the file and the sheet.
"""
from __future__ import annotations

import contextlib
import io
import warnings
import zipfile
from typing import Any, Iterator

from engine.limits import (
    MAX_TAPE_COLUMNS,
    MAX_TAPE_ROWS,
    MAX_XLSX_MEMBERS,
    MAX_XLSX_UNCOMPRESSED_BYTES,
)

__all__ = ["WorkbookError", "open_workbook", "choose_sheet", "sheet_rows", "cell_text",
           "XLSX_SUFFIXES"]

#: File name endings read as a workbook (anything else is CSV).
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class WorkbookError(Exception):
    """A workbook, or a sheet of it, that cannot or may not be read; the message says why."""


def _check_zip(data: bytes, name: str) -> None:
    """Refuse a workbook whose zip has too many members or inflates past the bound."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise WorkbookError(f"cannot read {name} as an Excel workbook (.xlsx): it is not a "
                            f"valid zip file ({exc})") from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise WorkbookError(f"{name}: the workbook has {len(members):,} parts; at most "
                            f"{MAX_XLSX_MEMBERS:,} are read")
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise WorkbookError(
            f"{name}: the workbook unpacks to {total / 2**20:,.0f} MiB; at most "
            f"{MAX_XLSX_UNCOMPRESSED_BYTES / 2**20:g} MiB are read (keep the tape to its "
            f"sheets, at most {MAX_TAPE_ROWS:,} rows each)")


def open_workbook(data: bytes, name: str):
    """The workbook in ``data`` (the bytes of the file ``name``), opened for streaming.

    Close it (``book.close()``) when done. Raises :class:`WorkbookError`.
    """
    _check_zip(data, name)
    try:
        from openpyxl import load_workbook

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # openpyxl's notes on styles and extensions
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise WorkbookError(f"cannot read {name} as an Excel workbook: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None
    except Exception as exc:  # noqa: BLE001 - a broken part: XML errors and the like
        raise WorkbookError(f"cannot read {name} as an Excel workbook (.xlsx): "
                            f"{type(exc).__name__}") from None


def choose_sheet(book, name: str, wanted: tuple[str, ...], fallback: bool):
    """The visible sheet whose name is one of ``wanted`` (case and surrounding spaces
    ignored); without one, the first visible sheet if ``fallback``, else ``None``.

    Raises :class:`WorkbookError` when a wanted sheet is hidden, when two sheets carry
    wanted names, or when ``fallback`` finds no visible sheet.
    """
    keys = {w.strip().casefold() for w in wanted}
    found = [ws for ws in book.worksheets if ws.title.strip().casefold() in keys]
    hidden = [ws for ws in found if ws.sheet_state != "visible"]
    if hidden:
        raise WorkbookError(f"{name}: sheet {hidden[0].title!r} is hidden "
                            f"({hidden[0].sheet_state}); ipabs reads visible sheets only: "
                            "unhide it in Excel, or rename it")
    if len(found) > 1:
        raise WorkbookError(f"{name}: sheets {found[0].title!r} and {found[1].title!r} both "
                            f"name the same list (one of {', '.join(wanted)}); keep one")
    if found:
        return found[0]
    if not fallback:
        return None
    visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise WorkbookError(f"{name}: the workbook has no visible sheet")
    return visible[0]


def cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold (``5000000.0`` -> ``5000000``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _declared(sheet, where: str) -> None:
    rows, cols = sheet.max_row, sheet.max_column
    if (rows or 0) > MAX_TAPE_ROWS + 1 or (cols or 0) > MAX_TAPE_COLUMNS:
        raise WorkbookError(
            f"{where}: the sheet declares {rows or 0:,} rows and {cols or 0:,} columns "
            f"(its used range); at most {MAX_TAPE_ROWS:,} rows below the header and "
            f"{MAX_TAPE_COLUMNS} columns are read: delete the empty rows and columns past the "
            "data (select them, Delete) and save")


def sheet_rows(sheet, name: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells as text)`` for each row of ``sheet``, streamed, within
    :data:`~engine.limits.MAX_TAPE_ROWS` (+ a header) and
    :data:`~engine.limits.MAX_TAPE_COLUMNS`. Raises :class:`WorkbookError` past a bound."""
    where = f"{name} sheet {sheet.title!r}"
    _declared(sheet, where)
    sheet.reset_dimensions()          # the rows really present, not the declared range
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_TAPE_ROWS + 1:
                    raise WorkbookError(f"{where}: more than {MAX_TAPE_ROWS:,} rows below the "
                                        "header (or a cell far below the data); at most "
                                        f"{MAX_TAPE_ROWS:,} are read")
                if len(values) > MAX_TAPE_COLUMNS and any(
                        v is not None for v in values[MAX_TAPE_COLUMNS:]):
                    raise WorkbookError(f"{where} row {number}: a value beyond column "
                                        f"{MAX_TAPE_COLUMNS}; at most {MAX_TAPE_COLUMNS} "
                                        "columns are read")
                yield number, [cell_text(v) for v in values[:MAX_TAPE_COLUMNS]]
        except WorkbookError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken sheet part (XML, zip CRC)
            raise WorkbookError(f"{where}: cannot read the sheet ({type(exc).__name__})") \
                from None


@contextlib.contextmanager
def opened(data: bytes, name: str):
    """:func:`open_workbook` as a context manager that closes the workbook."""
    book = open_workbook(data, name)
    try:
        yield book
    finally:
        book.close()
