"""Reading the pool from ``assets_file``: a CSV file or an Excel workbook (``.xlsx``, the
first sheet, or a sheet named ``assets``) with one asset per row.

This module owns the CSV form of ``assets``: where the file may be (inside the
scenario's folder only, see :func:`engine.inputs.path_inside`), its columns (the :class:`~engine.scenario.models.Asset`
fields), and turning each cell into the value the model expects. It reports what it
cannot read with the file's name, line and column; the models then validate the rows
like YAML assets.

Columns: ``id,obligor,type,balance,rate,term,amortization,collateral,support``.
``id``, ``obligor``, ``balance``, ``rate`` and ``term`` are required; an empty cell in
another column takes the default. ``collateral`` and ``support`` hold ``;``-separated
ids; ``amortization`` is ``bullet``, ``equal_principal``, ``annuity`` or
``schedule:`` followed by ``;``-separated principal amounts (``schedule:5e6;5e6``).
A workbook has the same columns in its first row; number cells may hold numbers or text.
Problems name the file, line (CSV) or sheet and row (workbook), and column.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from engine.inputs import Unreadable, path_inside, read_user_file
from engine.scenario.parts import Asset

__all__ = ["AssetRows", "read_assets_csv", "read_assets_xlsx", "read_assets_file",
           "ASSET_COLUMNS", "REQUIRED_COLUMNS"]

#: Allowed columns, in the documented order (the Asset fields).
ASSET_COLUMNS: tuple[str, ...] = tuple(Asset.model_fields)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    name for name, f in Asset.model_fields.items() if f.is_required()
)
_FLOAT_COLUMNS = {"balance", "rate"}
_INT_COLUMNS = {"term"}
_LIST_COLUMNS = {"collateral", "support"}
_SCHEDULE_PREFIX = "schedule:"


@dataclass
class AssetRows:
    """What was read from an assets CSV.

    Attributes
    ----------
    name
        The file as the scenario names it (used in messages).
    rows
        One dict of Asset fields per data row (only cells that were given).
    lines
        The CSV line (1-based) each row starts on.
    errors
        Messages for what could not be read, each naming the file, line and column.
    """

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: the workbook sheet the rows come from (``None`` for a CSV file)
    sheet: str | None = None

    def line_name(self, line: int) -> str:
        """``line 5`` (CSV) or ``sheet assets row 5`` (workbook)."""
        return f"line {line}" if self.sheet is None else f"sheet {self.sheet!r} row {line}"

    def where(self, index: int | None = None, column: str | None = None) -> str:
        """``pool.csv line 5, column balance`` (or ``tape.xlsx sheet 'assets' row 5, column
        balance``) for row ``index`` (0-based data row)."""
        text = self.name
        if index is not None and 0 <= index < len(self.lines):
            text += f" {self.line_name(self.lines[index])}"
        if column is not None:
            text += f", column {column}" if index is not None else f" column {column}"
        return text


def _number(cell: str, kind: type) -> Any:
    """``cell`` as ``kind`` (int or float), or raise ValueError with a readable reason."""
    try:
        return kind(cell)
    except (ValueError, OverflowError):
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{cell!r} is not {what}") from None


def _cell_value(column: str, cell: str) -> Any:
    """Convert one non-empty cell to the value the Asset model expects."""
    if column in _FLOAT_COLUMNS:
        return _number(cell, float)
    if column in _INT_COLUMNS:
        return _number(cell, int)
    if column in _LIST_COLUMNS:
        return [part.strip() for part in cell.split(";") if part.strip()]
    if column == "amortization" and cell.startswith(_SCHEDULE_PREFIX):
        parts = [p.strip() for p in cell[len(_SCHEDULE_PREFIX):].split(";") if p.strip()]
        return {"schedule": [_number(p, float) for p in parts]}
    return cell


def read_assets_csv(name: str, base_dir: Path) -> AssetRows:
    """Read the assets CSV ``name`` (relative to ``base_dir``), collecting every problem.

    Parameters
    ----------
    name
        The ``assets_file`` value as written in the scenario.
    base_dir
        The scenario's folder; the file must resolve to a path inside it.

    Returns
    -------
    AssetRows
        Rows, their CSV lines, and error messages (never raises for a bad file).
    """
    out = AssetRows(name)
    try:
        path = path_inside(name, base_dir, "assets_file")
    except Unreadable as exc:
        out.errors.append(str(exc))
        return out
    try:
        text = read_user_file(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.errors.append(f"{name}: not UTF-8 text (byte {exc.start})")
        return out
    except Unreadable as exc:
        out.errors.append(f"cannot read {name}: {exc}")
        return out
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            out.errors.append(f"{name}: the file is empty; expected a header row: {','.join(ASSET_COLUMNS)}")
            return out
        header_line = reader.line_num
        columns = [h.strip() for h in header]
        bad = _check_header(columns)
        if bad:
            out.errors.extend(f"{name} line {header_line}: {msg}" for msg in bad)
            return out
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            _read_row(out, columns, cells, line)
    except csv.Error as exc:
        out.errors.append(f"{name} line {reader.line_num}: cannot parse CSV: {exc}")
    if not out.rows and not out.errors:
        out.errors.append(f"{name}: the file has a header but no asset rows")
    return out


def _check_header(columns: list[str]) -> list[str]:
    problems = []
    unknown = [c for c in columns if c not in ASSET_COLUMNS]
    if unknown:
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(ASSET_COLUMNS)}"
        )
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        problems.append(f"column {', '.join(map(repr, dup))} appears more than once")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    return problems


def _read_row(out: AssetRows, columns: list[str], cells: list[str], line: int) -> None:
    if len(cells) != len(columns):
        out.errors.append(
            f"{out.name} {out.line_name(line)}: has {len(cells)} fields but the header has "
            f"{len(columns)}"
        )
        return
    row: dict[str, Any] = {}
    ok = True
    for column, raw in zip(columns, cells):
        cell = raw.strip()
        if not cell:
            if column in REQUIRED_COLUMNS:
                out.errors.append(f"{out.name} {out.line_name(line)}, column {column}: empty, "
                                  "but required")
                ok = False
            continue
        try:
            row[column] = _cell_value(column, cell)
        except ValueError as exc:
            out.errors.append(f"{out.name} {out.line_name(line)}, column {column}: {exc}")
            ok = False
    if ok:
        out.rows.append(row)
        out.lines.append(line)


#: The workbook sheet read when it exists (else the first sheet).
XLSX_SHEET = "assets"


def _xlsx_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold (``5000000.0`` -> ``5000000``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_assets_xlsx(name: str, base_dir: Path) -> AssetRows:
    """Read the assets workbook ``name`` (relative to ``base_dir``): the sheet ``assets``,
    or the first sheet; the header in its first non-empty row, the same columns as the
    CSV form. Collects every problem (never raises for a bad file)."""
    out = AssetRows(name)
    try:
        data = read_user_file(path_inside(name, base_dir, "assets_file"))
    except Unreadable as exc:
        out.errors.append(str(exc))
        return out
    try:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        out.errors.append(f"cannot read {name} as an Excel workbook: "
                          f"{getattr(exc, 'strerror', None) or exc}")
        return out
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile and the like
        out.errors.append(f"cannot read {name} as an Excel workbook (.xlsx): {exc}")
        return out
    try:
        sheet = book[XLSX_SHEET] if XLSX_SHEET in book.sheetnames else book.worksheets[0]
        out.sheet = sheet.title
        rows = ([_xlsx_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
        header, header_line = None, 0
        for header_line, cells in enumerate(rows, start=1):
            if any(c.strip() for c in cells):
                header = cells
                break
        if header is None:
            out.errors.append(f"{name} sheet {out.sheet!r}: the sheet is empty; expected a "
                              f"header row: {','.join(ASSET_COLUMNS)}")
            return out
        while header and not header[-1].strip():      # trailing empty header cells
            header = header[:-1]
        columns = [h.strip() for h in header]
        bad = _check_header(columns)
        if bad:
            out.errors.extend(f"{name} sheet {out.sheet!r} row {header_line}: {msg}"
                              for msg in bad)
            return out
        for line, cells in enumerate(rows, start=header_line + 1):
            extra = cells[len(columns):]
            if any(c.strip() for c in extra):
                out.errors.append(f"{name} {out.line_name(line)}: has values beyond the "
                                  f"{len(columns)} columns of the header")
                continue
            cells = (cells + [""] * len(columns))[:len(columns)]
            if not any(c.strip() for c in cells):
                continue
            _read_row(out, columns, cells, line)
    finally:
        book.close()
    if not out.rows and not out.errors:
        out.errors.append(f"{name} sheet {out.sheet!r}: a header but no asset rows")
    return out


def read_assets_file(name: str, base_dir: Path) -> AssetRows:
    """:func:`read_assets_xlsx` for a ``.xlsx`` file, else :func:`read_assets_csv`."""
    if PurePosixPath(name.strip()).suffix.lower() in (".xlsx", ".xlsm"):
        return read_assets_xlsx(name, base_dir)
    return read_assets_csv(name, base_dir)
