"""Bringing the tape into a scenario: ``obligors_file``, ``assets_file``,
``collateral_file`` and ``tape`` merged into the YAML's lists before validation, and
problems in a merged item pointed back at its file, sheet, row and column.

The YAML list and a file may both give ``obligors`` or ``collateral`` (the YAML's items
first; ids must not repeat, as everywhere). ``assets`` come from exactly one place: the YAML
list, ``assets_file`` or the ``assets`` sheet of ``tape``. A list's own file and a sheet of
``tape`` for the same list are an error (keep one).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engine.scenario.tape import TAPE_KEY, TapeRows, read_list_file, read_tape
from engine.scenario.tape_columns import TABLES

__all__ = ["TapeSources", "merge_tapes", "TAPE_KEYS"]

#: The scenario keys that name a tape file.
TAPE_KEYS: tuple[str, ...] = (*(t.file_key for t in TABLES.values()), TAPE_KEY)

Add = Callable[[tuple[Any, ...], str], None]


@dataclass
class _Source:
    start: int              # index in the merged list of the file's first row
    rows: TapeRows


@dataclass
class TapeSources:
    """Where each list's items came from, and the lists a problem made unusable."""

    by_list: dict[str, _Source] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)

    def locate(self, parts: tuple[Any, ...]) -> tuple[str, str] | None:
        """For a problem at ``parts`` (``("assets", 3, "balance")``) inside an item read
        from a file: the scenario key that named the file and the place
        (``pool.csv line 5, column balance``); ``None`` for a YAML item."""
        source = self.by_list.get(parts[0]) if parts else None
        if source is None or len(parts) < 2:
            return None
        try:
            index = int(parts[1])
        except (TypeError, ValueError):
            return None
        if index < source.start:
            return None
        column = source.rows.table.column_of(tuple(parts[2:])) if len(parts) > 2 else None
        return source.rows.key, source.rows.where(index - source.start, column)

    def named(self, message: str) -> str:
        """``message`` with each item it names by path (``already used by obligors.14``)
        named by its file and row instead, where it was read from a tape."""
        def place(match: re.Match) -> str:
            found = self.locate((match.group(1), int(match.group(2))))
            return match.group(0) if found is None else found[1]

        return _ITEM_PATH.sub(place, message) if self.by_list else message


_ITEM_PATH = re.compile(r"\b(obligors|assets|collateral)\.(\d+)\b")


def _read_files(data: dict[str, Any], base_dir: Path, add: Add,
                sources: TapeSources) -> dict[str, TapeRows]:
    """Each list's rows from its own file or the tape's sheet (problems reported)."""
    from_tape: dict[str, TapeRows] = {}
    tape = data.get(TAPE_KEY)
    if isinstance(tape, str):
        from_tape, errors = read_tape(tape, base_dir)
        for message in errors:
            add((TAPE_KEY,), message)
        if errors:
            sources.failed.update(TABLES)
    found: dict[str, TapeRows] = {}
    for key, table in TABLES.items():
        name = data.get(table.file_key)
        if key == "assets" and "assets" in data and table.file_key in data:
            add((table.file_key,), "give either `assets` or `assets_file`, not both")
            sources.failed.add(key)
            continue
        own = read_list_file(key, name, base_dir) if isinstance(name, str) else None
        sheet = from_tape.get(key)
        if own is not None and sheet is not None:
            add((table.file_key,), f"{table.file_key} and the sheet {sheet.sheet!r} of tape "
                                   f"{tape!r} both give {key}; keep one")
            sources.failed.add(key)
            continue
        rows = own or sheet
        if rows is None:
            continue
        for message in rows.errors:
            add((rows.key,), message)
        if rows.errors:
            sources.failed.add(key)
        else:
            found[key] = rows
    return found


def merge_tapes(data: dict[str, Any], base_dir: Path | None, add: Add) -> TapeSources:
    """Merge the rows of every tape ``data`` names into its lists, in place.

    ``add(loc, message)`` reports a problem at a YAML location. Returns where the items
    came from (:meth:`TapeSources.locate`) and the lists that are unusable because of a
    problem already reported.
    """
    sources = TapeSources()
    named = [k for k in TAPE_KEYS if k in data]
    if named and base_dir is None:
        for key in named:
            add((key,), f"{key} needs the scenario's folder: load the scenario from a file, "
                        "or pass base_dir")
        sources.failed.update(TABLES)
        return sources
    found = _read_files(data, base_dir, add, sources) if named else {}
    for key, rows in found.items():
        yaml_items = data.get(key)
        if key == "assets" and yaml_items is not None:
            add((rows.key,), f"give either `assets` or the sheet {rows.sheet!r} of `tape`, "
                             "not both")
            sources.failed.add(key)
            continue
        if yaml_items is not None and not isinstance(yaml_items, list):
            continue                    # the model reports the type
        yaml_items = list(yaml_items or [])
        sources.by_list[key] = _Source(len(yaml_items), rows)
        data[key] = yaml_items + rows.rows
    if "assets" not in data and "assets" not in sources.failed:
        add(("assets",), "missing required key: give `assets` (a list) or `assets_file` "
                         "(a CSV or .xlsx path), or an `assets` sheet in `tape`")
        sources.failed.add("assets")
    return sources
