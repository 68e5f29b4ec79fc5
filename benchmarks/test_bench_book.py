"""Speed and memory of a guarantor's book (issue #28): the shipped three-deal book and a
synthetic 60-deal book (one group guaranteeing every loan and senior, 12 borrowers a deal,
60 x 12 names, an outside book) at 200,000 paths, against simulating the same deals one
by one (one joint run each, ``engine.simulate.simulate`` on the deal's Plan). Figures in
benchmarks/README.md; nothing here asserts a time."""
from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
import yaml

import engine
from engine.books.assemble import assemble
from engine.books.format import load_book
from engine.books.simulate import simulate_book
from engine.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "books" / "shenzhen_group.yaml"
PATHS = 200_000


def synthetic_book(folder: Path, n_deals: int = 60) -> Path:
    """``n_deals`` copies of the shipped Nanshan deal, each with its own 12 borrowers (one
    in four shared with the deal before it), all guaranteed by the group."""
    base = yaml.safe_load((SHIPPED.parent / "shenzhen_group" / "nanshan_2025_1.yaml")
                          .read_text(encoding="utf-8"))
    names = []
    for n in range(n_deals):
        deal = yaml.safe_load(yaml.safe_dump(base))
        for k, ob in enumerate(deal["obligors"]):
            if ob["kind"] == "borrower":
                ob["entity"] = f"SME-{n - 1 if k % 4 == 0 and n else n}-{k}"
        (folder / f"deal_{n:02d}.yaml").write_text(yaml.safe_dump(deal, allow_unicode=True),
                                                    encoding="utf-8")
        names.append(f"deal_{n:02d}.yaml")
    book = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    book["deals"] = names
    book["entities"]["91440300MA5GROUP01"]["capital"] = 3_000_000_000
    path = folder / "book.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return path


def _book_and_one_by_one(path: Path, paths: int) -> dict:
    asm = assemble(load_book(path))
    simulate_book(asm, 2_000, 1)                          # compile outside the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    bp = simulate_book(asm, paths, 1)
    book_s = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    for d in asm.deals:
        simulate(d.plan, paths, 1)
    alone_s = time.perf_counter() - t0
    return {"deals": len(asm.deals), "book_s": round(book_s, 2),
            "one_by_one_s": round(alone_s, 2), "ratio": round(book_s / alone_s, 2),
            "replayed": bp.replayed, "peak_rss_mb": round(peak_mb),
            "rss_before_mb": round(before / 1024)}


def test_shipped_book_200k(benchmark):
    info = benchmark.pedantic(_book_and_one_by_one, args=(SHIPPED, PATHS), rounds=1,
                              iterations=1)
    benchmark.extra_info.update(info)


@pytest.mark.slow
def test_sixty_deal_book_200k(benchmark, tmp_path):
    path = synthetic_book(tmp_path)
    info = benchmark.pedantic(_book_and_one_by_one, args=(path, PATHS), rounds=1,
                              iterations=1)
    benchmark.extra_info.update(info)
