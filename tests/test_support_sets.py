"""One draw, several support sets (issue #29): `simulate_set` pays each path's defaults
and haircuts through every Plan's waterfall and must give, Plan by Plan, the bits of
simulating each alone on the same paths - whatever the batch size or the thread count."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numba
import numpy as np
import pytest

import engine
from engine import twins, variants
from engine.plan import compile_plan
from engine.rating.deal import ladder_plans, support_ladder
from engine.scenario.edit import standalone
from engine.simulate import simulate, simulate_set
from engine.variants import drawn_like

ROOT = Path(__file__).resolve().parents[1]
PATHS = 3_000


def _sets(name: str):
    sc = engine.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    plan = compile_plan(sc)
    alone = drawn_like(compile_plan(standalone(sc)), plan)
    return [plan, alone] + ladder_plans(plan, support_ladder(sc, plan))


def _same(a, b) -> None:
    assert np.array_equal(a.sums, b.sums)
    assert np.array_equal(a.default_rate_hist, b.default_rate_hist)
    assert np.array_equal(a.obligor_defaults, b.obligor_defaults)
    assert a.max_cash_error == b.max_cash_error
    assert a.layout == b.layout


@pytest.mark.parametrize("name", ["wuhan_multi_tranche_triggers", "suzhou_bank_guarantee",
                                  "shenzhen_ip_pledge"])
def test_a_pass_gives_each_support_set_its_own_bits(name):
    plans = _sets(name)
    assert len(plans) >= 2
    together = simulate_set(plans, PATHS, 11)
    for plan, got in zip(plans, together):
        _same(got, simulate(plan, PATHS, 11))
    # the sets really differ: the full deal has supports, its standalone structure none
    assert together[0].layout.trigger > together[0].layout.support
    assert together[1].layout.trigger == together[1].layout.support


def test_small_batches_and_one_thread_change_no_bit(monkeypatch):
    plans = _sets("wuhan_multi_tranche_triggers")
    base = simulate_set(plans, PATHS, 5, chunk_blocks=2)
    monkeypatch.setattr(variants, "STORE_CAPACITY", 1)     # one path per batch
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        small = simulate_set(plans, PATHS, 5, chunk_blocks=3)
    finally:
        numba.set_num_threads(threads)
    for a, b in zip(base, small):
        _same(a, b)


def test_the_first_plan_keeps_the_record():
    plans = _sets("suzhou_bank_guarantee")
    out = simulate_set(plans, PATHS, 2, record=True)
    alone = simulate(plans[0], PATHS, 2, record=True)
    assert np.array_equal(out[0].record.loss, alone.record.loss)
    assert all(t.record is None for t in out[1:])


def test_a_plan_with_other_paths_is_refused():
    plans = _sets("suzhou_bank_guarantee")
    other = compile_plan(engine.load_scenario(ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"))
    with pytest.raises(ValueError, match="same obligors"):
        simulate_set([plans[0], other], PATHS, 1)
    shifted = dataclasses.replace(plans[1], z_shift=plans[1].z_shift + 0.1)
    with pytest.raises(ValueError, match="default model"):
        simulate_set([plans[0], shifted], PATHS, 1)


def _taken(plans, paths=PATHS, seed=3):
    """Paths each support set took from its memo / from the main set, over all threads."""
    from engine.simulate import BLOCK_SIZE, ChunkRunner

    runner = ChunkRunner(plans, paths, seed, 64, 1.0, False)
    runner.run(0, -(-paths // BLOCK_SIZE))
    return np.sum([[r.taken.copy() for r in w.reuse] for w in runner.works], axis=0)


@pytest.mark.parametrize("name, rules", [
    # Wuhan: a trigger names the lessor, so a ladder run takes only paths where both
    # supporters fare as in the full run; no claim route
    ("wuhan_multi_tranche_triggers", [(twins.TWIN_ALONE, True), (twins.TWIN_LADDER, False),
                                      (twins.TWIN_LADDER, False)]),
    ("suzhou_bank_guarantee", [(twins.TWIN_ALONE, True), (twins.TWIN_LADDER, True),
                               (twins.TWIN_LADDER, True)]),
    # the standalone structure keeps the capacity of a provider whose supports are gone
    ("shenzhen_rc_insurance", [(twins.TWIN_ALONE, True)] + [(twins.TWIN_LADDER, True)] * 3),
])
def test_which_support_sets_may_take_the_main_outcome(name, rules):
    plans = _sets(name)
    deals = [p.deal() for p in plans]
    got = [twins.twin_rule(plans[0], deals[0], p, d) for p, d in zip(plans[1:], deals[1:])]
    assert [(r.twin, r.by_claims) for r in got] == rules


def test_a_changed_deal_takes_nothing_from_the_main_set():
    plans = _sets("suzhou_bank_guarantee")
    for other in plans[1:]:
        richer = dataclasses.replace(other, tr_coupon=other.tr_coupon + 0.01)
        rule = twins.twin_rule(plans[0], plans[0].deal(), richer, richer.deal())
        assert rule.twin == twins.TWIN_NONE


@pytest.mark.parametrize("name, takes", [
    # Wuhan's first ladder run has the lessor defaulted from the start, and a trigger names
    # it: every path accelerates from date 1, nothing is the full run's
    ("wuhan_multi_tranche_triggers", [True, False, True]),
    ("suzhou_bank_guarantee", [True, True, True]),
    ("shenzhen_rc_insurance", [True, True, True, True]),
    ("guangzhou_patent_sublicensing", [True, True, True]),
])
def test_paths_are_reused_and_the_bits_stay(name, takes):
    plans = _sets(name)
    taken = _taken(plans)
    # the main set reuses its outcome of a path without defaults; the other sets take paths
    # from the main set (the claims and fares-alike routes both are exercised here; a set
    # that takes the main set's path without defaults never needs a memo of its own)
    assert taken[0, 0] > 0 and taken[0, 1] == 0
    assert list(taken[1:, 1] > 0) == takes
    together = simulate_set(plans, PATHS, 3)
    for plan, got in zip(plans, together):
        _same(got, simulate(plan, PATHS, 3))
