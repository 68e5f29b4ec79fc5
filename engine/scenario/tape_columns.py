"""The columns of a tape: the scenario's lists (``obligors``, ``assets``, ``collateral``) as
tables, one row per item.

This module owns what a column is called and how its cell becomes the value the model
expects; :mod:`engine.scenario.tape` owns reading the files. The columns are the model's
fields (:class:`~engine.scenario.pool.Obligor`, :class:`~engine.scenario.pool.Asset`,
:class:`~engine.scenario.pool.Collateral`), so a column exists exactly where a YAML key
does:

- a nested field is a dotted column: ``pd.annual``, ``pd.cumulative``, ``haircut.mean``,
  ``haircut.sd``, ``correlation_with.pool``;
- a list is ``;``-separated: ``collateral`` and ``support`` ids, ``pd.cumulative``
  numbers; a mapping is ``;``-separated ``key=value`` pairs
  (``correlation_with.obligors``: ``GC=0.5;B02=0.3``);
- ``amortization`` is ``bullet``, ``equal_principal``, ``annuity`` or ``schedule:``
  followed by ``;``-separated principal amounts (``schedule:5e6;5e6``);
- a boolean is ``true`` or ``false`` (an Excel TRUE / FALSE cell is one).

An empty cell leaves the key out (the model's default, or its message for a required key).
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel

from engine.scenario.pool import Asset, Collateral, Obligor

__all__ = ["Column", "Table", "TABLES", "cell_value"]

_SCHEDULE_PREFIX = "schedule:"


@dataclass(frozen=True)
class Column:
    """One column: its name (``haircut.mean``), the key path it fills, how a cell is read,
    whether a row must fill it, and the model field it is."""

    name: str
    path: tuple[str, ...]
    kind: str           # text | float | int | bool | ids | floats | mapping | amortization
    required: bool
    owner: type[BaseModel]
    field: str

    @property
    def description(self) -> str:
        """What the column means: its field's description (``ipabs schema``)."""
        return self.owner.model_fields[self.field].description or ""


@dataclass(frozen=True)
class Table:
    """A scenario list as a table: its key (``assets``), the key of its own file
    (``assets_file``), the sheet names a workbook may give it, and its columns."""

    key: str
    file_key: str
    sheets: tuple[str, ...]
    model: type[BaseModel]
    columns: tuple[Column, ...]

    @property
    def noun(self) -> str:
        """One row's name: obligor, asset, collateral."""
        return self.key.removesuffix("s")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def column_of(self, loc: tuple[Any, ...]) -> str | None:
        """The column of a model location inside one row (``("haircut", "sd")`` ->
        ``haircut.sd``; ``("pd", "cumulative", 2)`` -> ``pd.cumulative``)."""
        names = set(self.names)
        for n in range(len(loc), 0, -1):
            name = ".".join(str(p) for p in loc[:n])
            if name in names:
                return name
        return str(loc[0]) if loc else None


def _plain(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` and ``Optional``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _kind(name: str, annotation: Any) -> str:
    if name == "amortization":
        return "amortization"
    plain = _plain(annotation)
    origin = typing.get_origin(plain)
    if origin is list:
        return "floats" if _plain(typing.get_args(plain)[0]) is float else "ids"
    if origin is dict:
        return "mapping"
    if plain is bool:
        return "bool"
    if plain is int:
        return "int"
    if plain is float:
        return "float"
    if plain is str or origin is Literal:
        return "text"
    raise TypeError(f"no tape column kind for {name}: {annotation!r}")


def _columns(model: type[BaseModel], prefix: tuple[str, ...] = (),
             required: bool = True) -> list[Column]:
    out: list[Column] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = (*prefix, key)
        plain = _plain(field.annotation)
        needed = required and field.is_required()
        if isinstance(plain, type) and issubclass(plain, BaseModel):
            out += _columns(plain, path, needed)
        else:
            out.append(Column(".".join(path), path, _kind(name, field.annotation), needed,
                              model, name))
    return out


def _table(key: str, sheets: tuple[str, ...], model: type[BaseModel]) -> Table:
    return Table(key, f"{key}_file", sheets, model, tuple(_columns(model)))


#: The three lists a tape may hold, with the workbook sheet names each is read from
#: (English, then Chinese).
TABLES: dict[str, Table] = {
    "obligors": _table("obligors", ("obligors", "借款人"), Obligor),
    "assets": _table("assets", ("assets", "基础资产"), Asset),
    "collateral": _table("collateral", ("collateral", "质押物"), Collateral),
}


def _number(cell: str, kind: type) -> Any:
    """``cell`` as ``kind`` (int or float), or raise ValueError with a readable reason."""
    try:
        return kind(cell)
    except (ValueError, OverflowError):
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{cell!r} is not {what}") from None


def _parts(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(";") if p.strip()]


def _mapping(cell: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in _parts(cell):
        key, eq, value = part.rpartition("=")
        if not eq or not key.strip():
            raise ValueError(f"{part!r} is not `id=value` (pairs are `;`-separated: "
                             "`GC=0.5;B02=0.3`)")
        if key.strip() in out:
            raise ValueError(f"{key.strip()!r} is given twice")
        out[key.strip()] = _number(value.strip(), float)
    return out


def cell_value(column: Column, cell: str) -> Any:
    """Convert one non-empty (stripped) cell to the value the model expects.

    Raises
    ------
    ValueError
        With a readable reason and what the column allows.
    """
    kind = column.kind
    if kind == "float":
        return _number(cell, float)
    if kind == "int":
        return _number(cell, int)
    if kind == "ids":
        return _parts(cell)
    if kind == "floats":
        return [_number(p, float) for p in _parts(cell)]
    if kind == "mapping":
        return _mapping(cell)
    if kind == "bool":
        if cell.lower() in ("true", "false"):
            return cell.lower() == "true"
        raise ValueError(f"{cell!r} is not true or false")
    if kind == "amortization" and cell.startswith(_SCHEDULE_PREFIX):
        return {"schedule": [_number(p, float) for p in _parts(cell[len(_SCHEDULE_PREFIX):])]}
    return cell


def nest(row: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """Values by key path -> the nested mapping the model reads."""
    out: dict[str, Any] = {}
    for path, value in row.items():
        place = out
        for key in path[:-1]:
            place = place.setdefault(key, {})
        place[path[-1]] = value
    return out
