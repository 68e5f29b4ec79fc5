"""The ``ipabs-book/v1`` file (``../shared/design/BOOK_FORMAT.md``): a guarantor's book of
deals, the entities whose capital it models, and how to simulate it. This module owns the
keys, their checks and reading the file with line numbers; ``engine.books.assemble`` turns
a book into the deals' Plans."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from engine.errors import Problem, ScenarioError
from engine.inputs import read_user_text
from engine.limits import MAX_PATHS, MIN_PATHS
from engine.scenario.base import FieldProblem, Id, RegionLabel, _Model
from engine.scenario.pool import PD, Correlation
from engine.scenario.settings import SEED_LIMIT
from engine.scenario.validation_errors import translate_validation_error
from engine.scenario.yaml_lines import LineMap, read_yaml

BOOK_FORMAT = "ipabs-book/v1"

#: Deals a book may hold (a market-wide book is about 60).
MAX_BOOK_DEALS = 200


class DealRef(_Model):
    """A deal of the book: its ``ipabs/v1`` file, optionally from a trustee-report state."""

    file: str = Field(min_length=1, description="the scenario file, relative to the book")
    state: str | None = Field(None, description="an ipabs-state/v1 file: the live deal")


class OutsideBook(_Model):
    """The entity's guarantees outside the book's deals, as a large pool on the same
    factors: its claims on a path are ``amount x lgd x`` the pool's conditional default
    rate given the path's factors."""

    amount: float = Field(gt=0.0, le=1e15, description="guaranteed amount, in currency")
    pd: PD = Field(description="annual default probability of the guaranteed firms")
    lgd: float = Field(gt=0.0, le=1.0, description="loss given default (share of amount)")
    region: RegionLabel | None = Field(None, description="region label of its firms")
    industry: str | None = Field(None, description="industry label of its firms")


class Entity(_Model):
    """A supporter whose claims-paying capital the book models."""

    capital: float = Field(gt=0.0, le=1e15, description="claims-paying resources, in "
                                                        "currency: it fails on the first "
                                                        "date its claims exceed this")
    net_assets: float | None = Field(None, gt=0.0, le=1e15,
                                     description="for the leverage and concentration checks "
                                                 "(10x / 15x; 10% / 15% per obligor / group)")
    outside_book: OutsideBook | None = None


class BookSimulation(_Model):
    """Monte Carlo settings of the book (the deals' own are not used)."""

    paths: int = Field(200_000, ge=MIN_PATHS, le=MAX_PATHS)
    seed: int = Field(1, ge=0, lt=SEED_LIMIT)


class Book(_Model):
    """A guarantor's book of deals (``ipabs-book/v1``)."""

    format: Literal["ipabs-book/v1"]
    name: str = Field(min_length=1)
    deals: list[Annotated[DealRef | str, Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=MAX_BOOK_DEALS)
    entities: dict[Id, Entity] = Field(min_length=1)
    correlation: Correlation | None = Field(
        None, description="one dependence model for every deal (replaces theirs)")
    simulation: BookSimulation = BookSimulation()

    _base_dir: Path | None = PrivateAttr(default=None)
    _source: str | None = PrivateAttr(default=None)
    _lines: LineMap | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _distinct_files(self) -> Book:
        files = [d if isinstance(d, str) else d.file for d in self.deals]
        seen: dict[str, int] = {}
        for n, f in enumerate(files):
            first = seen.setdefault(os.path.normpath(f), n)
            if first != n:
                raise FieldProblem(("deals", n), f"deal {f!r} is listed twice (also deals."
                                                 f"{first}); a deal is in a book once")
        return self

    def error(self, problems: list[tuple[str, str]] | tuple[str, str]) -> ScenarioError:
        """A :class:`ScenarioError` of the book's file: each ``(key path, message)`` with
        the key's line."""
        items = [problems] if isinstance(problems, tuple) else problems
        lines = self._lines if self._lines is not None else LineMap()
        return ScenarioError([Problem(path, message, lines.line_for(path))
                              for path, message in items], source=self._source)

    @property
    def deal_refs(self) -> list[DealRef]:
        """Every deal as a :class:`DealRef`."""
        return [DealRef(file=d) if isinstance(d, str) else d for d in self.deals]

    @property
    def base_dir(self) -> Path | None:
        """The folder the deals' paths are relative to."""
        return self._base_dir

    @property
    def source(self) -> str | None:
        return self._source


def load_book(path: str | os.PathLike[str]) -> Book:
    """Read an ``ipabs-book/v1`` file (its shape; the deals are read by
    :func:`engine.books.assemble.assemble`).

    Raises
    ------
    ScenarioError
        Every problem, with its key path and line, ``source`` the file.
    """
    source = os.fspath(path)
    text, _ = read_user_text(source, "the book")
    return load_book_text(text, source, Path(source).absolute().parent)


def load_book_text(text: str, source: str = "<string>", base_dir: Path | None = None) -> Book:
    """:func:`load_book` from YAML text."""
    data, lines, problems = read_yaml(text)
    if problems:
        raise ScenarioError(problems, source=source)
    if not isinstance(data, dict) or data.get("format") != BOOK_FORMAT:
        raise ScenarioError(Problem("format", f"a book is a mapping of keys starting with "
                                              f"`format: {BOOK_FORMAT}`", 1), source=source)
    try:
        book = Book.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([Problem(".".join(map(str, e.loc)), e.message,
                                     lines.line_for(e.loc))
                             for e in translate_validation_error(exc, Book)],
                            source=source) from None
    book._base_dir = base_dir
    book._source = source
    book._lines = lines
    return book
