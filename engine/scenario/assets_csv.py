"""Reading the pool from ``assets_file``: a CSV with one asset per row.

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
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.inputs import Unreadable, path_inside, read_user_file
from engine.scenario.models import Asset

__all__ = ["AssetRows", "read_assets_csv", "ASSET_COLUMNS", "REQUIRED_COLUMNS"]

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

    def where(self, index: int | None = None, column: str | None = None) -> str:
        """``pool.csv line 5, column balance`` for row ``index`` (0-based data row)."""
        text = self.name
        if index is not None and 0 <= index < len(self.lines):
            text += f" line {self.lines[index]}"
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
            f"{out.name} line {line}: has {len(cells)} fields but the header has {len(columns)}"
        )
        return
    row: dict[str, Any] = {}
    ok = True
    for column, raw in zip(columns, cells):
        cell = raw.strip()
        if not cell:
            if column in REQUIRED_COLUMNS:
                out.errors.append(f"{out.name} line {line}, column {column}: empty, but required")
                ok = False
            continue
        try:
            row[column] = _cell_value(column, cell)
        except ValueError as exc:
            out.errors.append(f"{out.name} line {line}, column {column}: {exc}")
            ok = False
    if ok:
        out.rows.append(row)
        out.lines.append(line)
