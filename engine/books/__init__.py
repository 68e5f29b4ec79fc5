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
from engine.rating.deal import resolve_paths_seed
from engine.books.assemble import assemble
from engine.books.format import Book, load_book
from engine.books.result import book_document
from engine.books.simulate import simulate_book
from engine.errors import InputError

__all__ = ["book", "load_book", "Book"]


def book(book, paths: int | None = None, seed: int | None = None, *, alone: bool = True,
         backend="local") -> dict:
    """Simulate a book (a path to an ``ipabs-book/v1`` file, or a :class:`Book`) and
    return its ``ipabs-book-result/v1`` document. ``alone``: also rate every deal alone on
    the same paths and seed (its market rating and joint-default rating beside the
    book's). ``backend``: ``"local"``, ``"dask"`` (a local Dask cluster) or a
    :class:`engine.backends.DaskBackend`; the same document, bit for bit."""
    owned = None
    if backend == "dask":
        from engine.backends import DaskBackend

        backend = owned = DaskBackend()
    elif backend == "local":
        backend = None
    elif not hasattr(backend, "client"):
        raise InputError(f"backend {backend!r}: 'local', 'dask' or an "
                         "engine.backends.DaskBackend")
    try:
        return _book(book, paths, seed, alone, backend)
    finally:
        if owned is not None:
            owned.close()


def _book(book, paths, seed, alone, backend) -> dict:
    if isinstance(book, (str, os.PathLike)):
        book = load_book(book)
    elif not isinstance(book, Book):
        raise TypeError(f"book: a path or an engine.books.Book, not {type(book).__name__}")
    paths, seed = resolve_paths_seed(book, paths, seed)     # the book's simulation block
    asm = assemble(book)
    bp = simulate_book(asm, paths, seed, backend)
    own = [_without_timing(run(d.scenario, paths=paths, seed=seed, backend=backend).to_dict())
           for d in asm.deals] if alone else None
    return book_document(asm, bp, paths, seed, own)


def _without_timing(doc: dict) -> dict:
    """A deal's own result without its wall-clock time (the book's is reproducible)."""
    doc.get("run", {}).pop("elapsed_s", None)
    return doc
