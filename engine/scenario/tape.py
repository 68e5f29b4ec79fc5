"""Reading the scenario's lists from the tape a structurer already has: ``obligors_file``,
``assets_file`` and ``collateral_file`` (each a CSV file or an Excel workbook), or
``tape``, one workbook with a sheet per list.

This module owns where a tape may be (inside the scenario's folder only, see
:func:`engine.inputs.path_inside`), finding its header and rows, and reporting what it
cannot read with the file's name, the line (CSV) or sheet and row (workbook), and the
column; the columns and the reading of a cell are :mod:`engine.scenario.tape_columns`,
the bounded reading of a workbook :mod:`engine.scenario.workbook`. The models then
validate the rows like YAML items.

A file of one list (``assets_file: pool.xlsx``) reads the sheet named for that list
(``assets`` or ``基础资产``; ``obligors`` or ``借款人``; ``collateral`` or ``质押物``), else
the first visible sheet. ``tape: deal.xlsx`` reads those three sheets, each optional. The
header is the first non-empty row; a number cell may hold a number or text.
"""
from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from engine.inputs import Unreadable, path_inside, read_user_file
from engine.limits import MAX_TAPE_ROWS
from engine.scenario.tape_columns import TABLES, Table, cell_value, nest
from engine.scenario.workbook import (
    XLSX_SUFFIXES,
    WorkbookError,
    choose_sheet,
    opened,
    sheet_rows,
)

__all__ = ["TapeRows", "read_list_file", "read_tape", "is_workbook", "TAPE_KEY"]

#: The scenario key of the one workbook holding every list.
TAPE_KEY = "tape"
#: Problems listed for one file or sheet before reading stops (a shifted column would
#: otherwise give one per row).
_MAX_ERRORS = 50


@dataclass
class TapeRows:
    """What was read for one list from one file (or one sheet of a workbook).

    Attributes
    ----------
    name
        The file as the scenario names it (used in messages).
    table
        The list it fills (its columns).
    key
        The scenario key that named the file (``assets_file``, ``tape``).
    rows
        One dict of the model's fields per data row (only cells that were given).
    lines
        The line (CSV) or row (workbook) of each of ``rows``.
    errors
        Messages for what could not be read, each naming the file, row and column.
    sheet
        The workbook sheet the rows come from (``None`` for a CSV file).
    """

    name: str
    table: Table
    key: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sheet: str | None = None

    def line_name(self, line: int) -> str:
        """``line 5`` (CSV) or ``sheet 'assets' row 5`` (workbook)."""
        return f"line {line}" if self.sheet is None else f"sheet {self.sheet!r} row {line}"

    def where(self, index: int | None = None, column: str | None = None) -> str:
        """``pool.csv line 5, column balance`` (or ``tape.xlsx sheet 'assets' row 5, column
        balance``) for row ``index`` (0-based data row)."""
        text = self.name
        if self.sheet is not None and (index is None or not 0 <= index < len(self.lines)):
            text += f" sheet {self.sheet!r}"
        if index is not None and 0 <= index < len(self.lines):
            text += f" {self.line_name(self.lines[index])}"
        if column is not None:
            text += f", column {column}" if index is not None else f" column {column}"
        return text


def is_workbook(name: str) -> bool:
    """Whether ``name`` is read as an Excel workbook (``.xlsx``, ``.xlsm``)."""
    return PurePosixPath(name.strip()).suffix.lower() in XLSX_SUFFIXES


# ----------------------------------------------------------------------------- rows


def _check_header(table: Table, columns: list[str]) -> list[str]:
    problems = []
    unknown = [c for c in columns if c not in table.names]
    if unknown:
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(table.names)}"
        )
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        problems.append(f"column {', '.join(map(repr, dup))} appears more than once")
    missing = [c for c in table.required if c not in columns]
    if missing:
        problems.append(f"missing required column{'s' if len(missing) > 1 else ''}: "
                        f"{', '.join(missing)}")
    return problems


def _read_row(out: TapeRows, columns: list[str], cells: list[str], line: int) -> None:
    if len(cells) != len(columns):
        out.errors.append(f"{out.name} {out.line_name(line)}: has {len(cells)} fields but "
                          f"the header has {len(columns)}")
        return
    values: dict[tuple[str, ...], Any] = {}
    ok = True
    for name, raw in zip(columns, cells):
        column = out.table.column(name)
        cell = raw.strip()
        if not cell:
            if column.required:
                out.errors.append(f"{out.name} {out.line_name(line)}, column {name}: empty, "
                                  "but required")
                ok = False
            continue
        try:
            values[column.path] = cell_value(column, cell)
        except ValueError as exc:
            out.errors.append(f"{out.name} {out.line_name(line)}, column {name}: {exc}")
            ok = False
    if ok:
        out.rows.append(nest(values))
        out.lines.append(line)


def _read_grid(out: TapeRows, grid: Iterable[tuple[int, list[str]]], whole: str) -> None:
    """Header and rows from ``(line, cells)`` pairs; ``whole`` names the file or sheet."""
    columns: list[str] | None = None
    seen = 0
    for line, cells in grid:
        if len(out.errors) >= _MAX_ERRORS:
            out.errors.append(f"{whole}: reading stopped after {_MAX_ERRORS} problems; fix "
                              "these first")
            return
        if columns is None:
            if not any(c.strip() for c in cells):
                continue
            while cells and not cells[-1].strip():        # trailing empty header cells
                cells = cells[:-1]
            columns = [c.strip() for c in cells]
            bad = _check_header(out.table, columns)
            if bad:
                out.errors.extend(f"{out.name} {out.line_name(line)}: {msg}" for msg in bad)
                return
            continue
        if any(c.strip() for c in cells[len(columns):]):
            out.errors.append(f"{out.name} {out.line_name(line)}: has values beyond the "
                              f"{len(columns)} columns of the header")
            continue
        if out.sheet is not None:
            cells = (cells + [""] * len(columns))[:len(columns)]
        if not any(c.strip() for c in cells):
            continue
        seen += 1
        if seen > MAX_TAPE_ROWS:
            out.errors.append(f"{whole}: more than {MAX_TAPE_ROWS:,} rows; at most "
                              f"{MAX_TAPE_ROWS:,} are read")
            return
        _read_row(out, columns, cells, line)
    what = "the file" if out.sheet is None else "the sheet"
    if columns is None:
        out.errors.append(f"{whole}: {what} is empty; expected a header row: "
                          f"{','.join(out.table.names)}")
    elif not out.rows and not out.errors:
        hint = "; fill it, or delete the sheet" if out.key == TAPE_KEY else ""
        out.errors.append(f"{whole}: {what} has a header but no {out.table.noun} rows{hint}")


def _csv_grid(text: str, out: TapeRows) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        out.errors.append(f"{out.name} line {reader.line_num}: cannot parse CSV: {exc}")


# ----------------------------------------------------------------------------- files


def _read_bytes(name: str, base_dir: Path, key: str) -> bytes:
    """The bytes of the file ``key`` names; :class:`Unreadable` with the reason."""
    path = path_inside(name, base_dir, key)
    try:
        return read_user_file(path)
    except Unreadable as exc:
        raise Unreadable(f"cannot read {name}: {exc}") from None


def _read_csv(data: bytes, out: TapeRows) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.errors.append(f"{out.name}: not UTF-8 text (byte {exc.start}); save it as "
                          "\"CSV UTF-8\" or give the workbook (.xlsx)")
        return
    _read_grid(out, _csv_grid(text, out), out.name)


def _read_sheet(book, out: TapeRows, fallback: bool) -> bool:
    """Rows of the sheet for ``out.table`` into ``out``; False if the workbook has none."""
    sheet = choose_sheet(book, out.name, out.table.sheets, fallback)
    if sheet is None:
        return False
    out.sheet = sheet.title
    _read_grid(out, sheet_rows(sheet, out.name), f"{out.name} sheet {sheet.title!r}")
    return True


def read_list_file(table_key: str, name: str, base_dir: Path) -> TapeRows:
    """Read ``<list>_file`` (``obligors_file``, ``assets_file``, ``collateral_file``):
    a CSV file, or a workbook's sheet named for the list, else its first visible sheet.
    Collects every problem in :attr:`TapeRows.errors` (never raises for a bad file)."""
    table = TABLES[table_key]
    out = TapeRows(name, table, table.file_key)
    try:
        data = _read_bytes(name, base_dir, table.file_key)
        if not is_workbook(name):
            _read_csv(data, out)
            return out
        with opened(data, name) as book:
            _read_sheet(book, out, fallback=True)
    except (Unreadable, WorkbookError) as exc:
        out.errors.append(str(exc))
    return out


def read_tape(name: str, base_dir: Path) -> tuple[dict[str, TapeRows], list[str]]:
    """Read ``tape``, one workbook with the sheets ``obligors`` / ``借款人``, ``assets`` /
    ``基础资产`` and ``collateral`` / ``质押物`` (each optional, at least one).

    Returns
    -------
    (dict, list)
        The lists found, by scenario key, and problems with the workbook as a whole
        (each list's own problems are in its :attr:`TapeRows.errors`).
    """
    if not is_workbook(name):
        return {}, [f"tape {name!r} must be an Excel workbook (.xlsx); a CSV file holds one "
                    "list: give it as obligors_file, assets_file or collateral_file"]
    found: dict[str, TapeRows] = {}
    try:
        data = _read_bytes(name, base_dir, TAPE_KEY)
        with opened(data, name) as book, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, table in TABLES.items():
                out = TapeRows(name, table, TAPE_KEY)
                try:
                    if _read_sheet(book, out, fallback=False):
                        found[key] = out
                except WorkbookError as exc:
                    out.errors.append(str(exc))
                    found[key] = out
            if not found:
                names = ", ".join(repr(ws.title) for ws in book.worksheets)
                wanted = "; ".join(" or ".join(t.sheets) for t in TABLES.values())
                return {}, [f"{name}: no sheet named for a list (it has {names}); name the "
                            f"sheets {wanted}"]
    except (Unreadable, WorkbookError) as exc:
        return {}, [str(exc)]
    return found, []
