"""A defaulter whose only asset is plain is counted by its schedule row without looking up
the asset (``Pool.ob_plain_row``): the same collections, bit for bit, as the general
per-asset loop, on every shipped deal and on a pool mixing plain, supported, multi-asset
and asset-less obligors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import engine
from engine.plan import compile_plan
from engine.waterfall._collection_kernels import scheduled_collections
from engine.waterfall._outcome_kernels import make_cash_outputs, make_cash_scratch
from engine.waterfall.codes import ASSET_PAST, ASSET_PLAIN, ASSET_SLOT
from engine.plan import plain_rows

SCENARIOS = sorted(Path(__file__).resolve().parents[1].joinpath("scenarios").glob("*.yaml"))


def test_plain_rows_names_the_row_of_an_obligors_only_plain_asset():
    # obligor 0: one plain asset (row 3); 1: none; 2: two plain assets; 3: one with a slot;
    # 4: one defaulted before date 1; 5: one plain asset (row 0)
    ptr = np.array([0, 1, 1, 3, 4, 5, 6])
    idx = np.array([5, 0, 1, 2, 3, 4])
    kind = np.array([ASSET_PLAIN, ASSET_PLAIN, ASSET_SLOT, ASSET_PAST, ASSET_PLAIN,
                     ASSET_PLAIN], dtype=np.int8)
    row = np.array([1, 1, 2, 2, 0, 3])
    np.testing.assert_array_equal(plain_rows(ptr, idx, kind, row), [3, -1, -1, -1, -1, 0])
    assert plain_rows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64),
                      np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int64)).shape == (0,)


def _collections(deal, tau, defaulters):
    out, scratch = make_cash_outputs(deal), make_cash_scratch(deal, tau.shape[0])
    ret = scheduled_collections(deal.pool, tau, defaulters, defaulters.shape[0], deal.horizon,
                                out.coll_int, out.coll_prin, scratch)
    return ret, out, scratch


def _same_collections(deal, seed):
    """The fast path against the general loop (no obligor marked plain) on random paths."""
    general = deal._replace(pool=deal.pool._replace(
        ob_plain_row=np.full_like(deal.pool.ob_plain_row, -1)))
    rng = np.random.default_rng(seed)
    n_obl = deal.pool.ob_plain_row.shape[0]
    for _ in range(25):
        defaulters = np.sort(rng.choice(n_obl, rng.integers(0, n_obl + 1), replace=False))
        tau = np.full(n_obl, deal.horizon + 1, dtype=np.int64)
        tau[defaulters] = rng.integers(1, deal.horizon + 2, defaulters.shape[0])
        fast, slow = _collections(deal, tau, defaulters), _collections(general, tau, defaulters)
        assert fast[0] == slow[0]
        n = fast[0][0]
        np.testing.assert_array_equal(fast[1].coll_int, slow[1].coll_int)
        np.testing.assert_array_equal(fast[1].coll_prin, slow[1].coll_prin)
        for name in ("perf_bal", "perf_count", "default_by_t", "row_lost", "plain_lost",
                     "row_from"):
            np.testing.assert_array_equal(getattr(fast[2], name), getattr(slow[2], name), name)
        for name in ("def_assets", "def_tau", "ead", "coll_left", "int_left"):
            np.testing.assert_array_equal(getattr(fast[2], name)[:n],
                                          getattr(slow[2], name)[:n], name)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_plain_defaulter_is_collected_as_by_its_asset_on_every_shipped_deal(path):
    deal = compile_plan(engine.load_scenario(path)).deal()
    _same_collections(deal, 1)


def test_a_pool_of_every_kind_of_obligor_collects_the_same():
    from builders import load

    obligors = [{"id": f"B{i}", "kind": "borrower", "pd": {"annual": 0.05}} for i in range(6)]
    obligors.append({"id": "G", "kind": "guarantee_company", "pd": {"annual": 0.01}})
    terms = [4, 4, 2, 4, 3, 4, 1]
    owners = ["B0", "B1", "B1", "B2", "B3", "B4", "B4"]     # B1, B4: two loans; B5: none
    assets = [{"id": f"L{i}", "obligor": o, "balance": 1_000_000 * (1 + i % 3), "rate": 0.06,
               "term": t, "amortization": "equal_principal"}
              for i, (o, t) in enumerate(zip(owners, terms))]
    doc = {"format": "ipabs/v1", "name": "mixed", "payment_frequency": "quarterly",
           "legal_final": 4, "obligors": obligors, "assets": assets,
           "correlation": {"factors": {"global": 0.2}},
           "credit_support": [{"id": "LG", "type": "loan_guarantee", "provider": "G",
                               "covers": ["L3"], "share": 1.0}],
           "tranches": [{"id": "A", "balance": 8_000_000, "coupon": 0.03},
                        {"id": "Sub", "balance": 2_000_000, "subordinated": True}],
           "simulation": {"paths": 1000, "seed": 1}}
    deal = compile_plan(load(doc)).deal()
    rows = deal.pool.ob_plain_row
    assert rows[0] >= 0 and rows[3] >= 0 and (rows[[1, 2, 4, 5, 6]] == -1).all()
    _same_collections(deal, 2)
