"""Numba's disk cache of the engine's kernels is keyed by all their sources (engine._jit):
a kernel compiled against an older callee is never loaded after an upgrade (it crashed the
book's kernel once, calling a newer ``run_path_cash`` with the older bundles)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import _jit


def test_every_engine_kernel_is_cached_under_the_one_stamp():
    from engine._kernels import cash_paths
    from engine.books._kernels import book_deal_blocks
    from engine.waterfall._kernels import run_path_cash

    for kernel in (cash_paths, run_path_cash, book_deal_blocks):
        locator = kernel._cache._impl.locator
        assert isinstance(locator, (_jit._UserDirLocator, _jit._InTreeLocator,
                                    _jit._PrebuiltLocator))
        assert locator.get_source_stamp() == _jit.kernel_stamp()


def test_the_sources_are_the_kernel_modules_and_what_they_import():
    names = {p.relative_to(_jit.PACKAGE).as_posix() for p in _jit.kernel_sources()}
    # modules that compile kernels, and constants compiled into them (codes, layout,
    # the support registry the codes come from)
    assert {"_kernels.py", "books/_kernels.py", "waterfall/_kernels.py",
            "waterfall/_program_kernels.py", "waterfall/codes.py", "layout.py",
            "scenario/supports.py"} <= names
    # not the reports, the CLI or the rating
    assert not any(n.startswith(("report/", "cli", "rating/deal")) for n in names)


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A stand-in package: a kernel module importing a constants module and a bystander."""
    root = tmp_path / "engine"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "codes.py").write_text("LIMIT = 1\n")
    (root / "kernels.py").write_text("from engine.sub.codes import LIMIT\n"
                                     "@njit(cache=True)\ndef f(x):\n    return x + LIMIT\n")
    (root / "report.py").write_text("TITLE = 'x'\n")
    monkeypatch.setattr(_jit, "PACKAGE", root)
    _jit.kernel_sources.cache_clear()
    _jit.kernel_stamp.cache_clear()
    yield root
    _jit.kernel_sources.cache_clear()
    _jit.kernel_stamp.cache_clear()


def _stamp() -> bytes:
    _jit.kernel_sources.cache_clear()
    _jit.kernel_stamp.cache_clear()
    return _jit.kernel_stamp()


def test_a_change_to_an_imported_module_changes_the_stamp(package: Path):
    assert {p.name for p in _jit.kernel_sources()} == {"kernels.py", "codes.py"}
    before = _stamp()
    (package / "report.py").write_text("TITLE = 'y'\n")       # not a kernel source
    assert _stamp() == before
    (package / "sub" / "codes.py").write_text("LIMIT = 2\n")  # a callee's constant
    assert _stamp() != before


def test_a_cache_of_older_kernels_is_no_cache(tmp_path, monkeypatch):
    """The first-run notice (``kernels_cached``) reads the index's stamp: an index that
    older kernels wrote, or none, does not count."""
    from engine import warmup
    from engine._kernels import cash_paths

    warmup.warm_up(lambda line: None)            # compiled or loaded: the index is written
    assert warmup.kernels_cached()
    cache_file = cash_paths._cache._cache_file
    monkeypatch.setattr(cache_file, "_source_stamp", b"newer kernels")
    assert not warmup.kernels_cached()
    monkeypatch.setattr(cache_file, "_index_path", str(tmp_path / "none.nbi"))
    assert not warmup.kernels_cached()
