"""A guarantor's book of deals (``ipabs-book/v1``): the deals simulated together on one set
of random numbers, each modelled entity's supports drawing on one capital
(``../shared/design/BOOK_FORMAT.md``, ``docs/book.md``).

>>> import engine
>>> doc = engine.book("scenarios/books/shenzhen_group.yaml", paths=50_000)
>>> doc["entities"][0]["exhaustion_probability"]
"""
from __future__ import annotations

import os

from engine.api import run
from engine.books.assemble import assemble
from engine.books.format import Book, load_book
from engine.books.result import book_document
from engine.books.simulate import simulate_book
from engine.errors import InputError

__all__ = ["book", "load_book", "Book"]


def book(book, paths: int | None = None, seed: int | None = None, *, alone: bool = True,
         backend: str = "local") -> dict:
    """Simulate a book (a path to an ``ipabs-book/v1`` file, or a :class:`Book`) and
    return its ``ipabs-book-result/v1`` document. ``alone``: also rate every deal alone on
    the same paths and seed (its market rating and joint-default rating beside the
    book's)."""
    if backend != "local":
        raise InputError(f"backend {backend!r}: a book runs locally in this version "
                         "(`--backend dask` for books is not built yet)")
    if isinstance(book, (str, os.PathLike)):
        book = load_book(book)
    elif not isinstance(book, Book):
        raise TypeError(f"book: a path or an engine.books.Book, not {type(book).__name__}")
    paths = book.simulation.paths if paths is None else paths
    seed = book.simulation.seed if seed is None else seed
    for name, value in (("paths", paths), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name}: an integer, not {type(value).__name__}")
    asm = assemble(book)
    bp = simulate_book(asm, paths, seed)
    own = [run(d.scenario, paths=paths, seed=seed).to_dict() for d in asm.deals] if alone \
        else None
    return book_document(asm, bp, paths, seed, own)
