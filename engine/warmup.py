"""Compile the numba kernels ahead of the first real run (``ipabs warmup``).

Numba compiles a kernel on its first call and caches it on disk (``__pycache__`` beside the
module); a fresh install therefore spends a minute or more in the first run. Kernels are
specialised on argument *types*, not values, so simulating one small built-in deal compiles
everything every scenario uses: the fused simulation kernel, the one-path cash flows, the
importance-sampling pilot and a guarantor's book. ``pip install`` does it too
(:mod:`engine.prebuilt`).
"""
from __future__ import annotations

import time
from pathlib import Path

import yaml
from engine.api import cashflows, run
from engine.scenario import load_scenario_text

#: A two-loan deal that reaches every compiled entry point (collateral, a loan guarantee,
#: a shortfall commitment, a reserve and a trigger).
WARMUP_DEAL = {
    "format": "ipabs/v1", "name": "warm-up", "payment_frequency": "quarterly",
    "legal_final": 4,
    "obligors": [
        {"id": "B1", "kind": "borrower", "rating": "BB", "region": "r", "industry": "i"},
        {"id": "B2", "kind": "borrower", "rating": "BB", "region": "r", "industry": "i"},
        {"id": "G", "kind": "guarantee_company", "rating": "AA", "region": "r",
         "industry": "guarantee"},
    ],
    "assets": [{"id": f"L{i}", "obligor": f"B{i}", "balance": 1_000_000, "rate": 0.05,
                "term": 4, "amortization": "bullet", "collateral": [f"P{i}"]}
               for i in (1, 2)],
    "collateral": [{"id": f"P{i}", "type": "invention_patent", "appraised_value": 500_000,
                    "haircut": {"mean": 0.8, "sd": 0.1}, "lag": 1} for i in (1, 2)],
    "credit_support": [
        {"id": "LG", "type": "loan_guarantee", "provider": "G", "covers": "all", "share": 1.0,
         "lag": 1},
        {"id": "SC", "type": "shortfall_commitment", "provider": "G", "covers": ["A"]},
    ],
    "correlation": {"factors": {"global": 0.2}},
    "tranches": [{"id": "A", "balance": 1_800_000, "coupon": 0.03,
                  "principal": "pass_through"},
                 {"id": "Sub", "balance": 200_000, "subordinated": True}],
    "simulation": {"paths": 2048, "seed": 1},
}


def _warm_up_book() -> None:
    """A book of the warm-up deal, its guarantor an entity: the book's kernels."""
    import copy
    import tempfile

    from engine.books import book
    from engine.books.format import load_book_text

    deal = copy.deepcopy(WARMUP_DEAL)
    deal["obligors"][2]["entity"] = "G"
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "deal.yaml").write_text(yaml.safe_dump(deal, sort_keys=False),
                                             encoding="utf-8")
        text = yaml.safe_dump({"format": "ipabs-book/v1", "name": "warm-up book",
                               "deals": ["deal.yaml"],
                               "entities": {"G": {"capital": 1_000_000,
                                                  "net_assets": 5_000_000}},
                               "correlation": {"factors": {"global": 0.2}},
                               "simulation": {"paths": 2048, "seed": 1}}, sort_keys=False)
        book(load_book_text(text, base_dir=Path(folder)), alone=False)


def cache_folder() -> Path:
    """Where the compiled kernels are kept: those compiled at install
    (:mod:`engine.prebuilt`) while they are current, else numba's cache: ``NUMBA_CACHE_DIR``
    if set, else the package's ``__pycache__``."""
    from numba.core import config

    from engine._jit import PREBUILT, prebuilt_in_use

    if prebuilt_in_use():
        return PREBUILT
    if config.CACHE_DIR:
        return Path(config.CACHE_DIR)
    return Path(__file__).resolve().parent / "__pycache__"


def kernels_cached() -> bool:
    """Has numba compiled (and cached) the path kernel for these sources yet? A cache
    written by an older version of the kernels counts as none (``engine._jit``: they are
    compiled afresh)."""
    try:
        from engine._kernels import cash_paths

        return bool(cash_paths._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - numba's private cache layout: fall back to the files
        return any(cache_folder().rglob("_kernels.cash_paths-*.nbi"))


#: The parts of a warm-up: each compiles its own kernels (and loads or compiles those it
#: shares), so they can run side by side in separate processes (:mod:`engine.prebuilt`).
PARTS = ("deal", "book")


def warm_up(say=print, parts=PARTS) -> float:
    """Compile (or load from the cache) every kernel of ``parts``; returns the seconds it
    took. ``say`` receives one line per step."""
    scenario = load_scenario_text(yaml.safe_dump(WARMUP_DEAL, sort_keys=False))
    started = time.perf_counter()
    steps = (("deal", "simulation kernel (defaults, collateral, support, waterfall)",
              lambda: run(scenario, paths=2048)),
             ("deal", "importance sampling", lambda: run(scenario.with_changes(
                 {"simulation": {"method": "importance"}}), paths=2048)),
             ("deal", "one-path cash flows", lambda: cashflows(scenario, cdr=0.1)),
             ("book", "a guarantor's book", _warm_up_book))
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"warm-up parts {sorted(unknown)}: not among {PARTS}")
    for part, name, step in steps:
        if part in parts:
            t0 = time.perf_counter()
            step()
            say(f"  {name}: {time.perf_counter() - t0:.1f} s")
    return time.perf_counter() - started
