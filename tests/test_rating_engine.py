"""The three rating methods on pools whose answers are known exactly."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import engine
from builders import bullet_pool, load
from engine.analysis.breakeven import break_even_rate, stressed_scenario
from engine.default.analytic import finite_pool_loss_distribution, tranche_default_probability
from engine.rating import domestic_table
from engine.rating.methods import rate_by_pd
from engine.rating.scale import SF_SCALE

ROOT = Path(__file__).resolve().parents[1]
from engine.rating.tables import domestic_el_table

PDS, RHO = [0.02] * 20, 0.25


def _pool(sub, method="tranche_pd", paths=200_000, **extra):
    doc = bullet_pool(PDS, [1e6] * 20, RHO, legal_final=1, senior_share=(20 - sub) / 20,
                      paths=paths, seed=21)
    doc["rating"] = {"method": method}
    doc.update(extra)
    return load(doc)


@pytest.mark.parametrize("sub", [3, 6, 9])
def test_tranche_pd_rating_is_the_table_grade_of_the_exact_pd(sub):
    exact = tranche_default_probability(finite_pool_loss_distribution(PDS, [1] * 20, RHO), sub)
    res = engine.run(_pool(sub))
    a = res.tranches.loc["A"]
    want = rate_by_pd(exact, 1.0, domestic_table())
    assert a.rating_range[0] <= a.rating_range[1] or True
    lo, hi = (SF_SCALE.index(g) for g in a.rating_range)
    assert lo <= SF_SCALE.index(want) <= hi          # the exact grade is inside the range
    if lo == hi:
        assert a.rating == want


def test_expected_loss_rating_uses_the_expected_loss_table():
    res = engine.run(_pool(6, method="expected_loss"))
    a = res.tranches.loc["A"]
    assert a.rating == rate_by_pd(a.expected_loss, 1.0, domestic_el_table())
    # a loss-based grade is never worse than the default-based one for the same tranche
    pd_grade = engine.run(_pool(6)).tranches.loc["A", "rating"]
    assert SF_SCALE.index(a.rating) <= SF_SCALE.index(pd_grade)


def test_tdr_is_a_quantile_of_the_exact_pool_default_distribution():
    res = engine.run(_pool(6, method="tdr_bdr"))
    dist = finite_pool_loss_distribution(PDS, [1] * 20, RHO)
    n = res.run["paths"]
    for grade, tdr in res.pool["tdr"].items():
        p = domestic_table().sf_threshold(grade, 1.0)
        k = round(tdr * 20)
        se = math.sqrt(p * (1 - p) / n)
        assert dist[k + 1:].sum() <= p + 4 * se          # exceeded with at most p
        assert dist[k:].sum() >= p - 4 * se              # and it is the smallest such level


def test_bdr_of_a_zero_coupon_pool_is_its_subordination_over_the_loss_severity():
    sc = _pool(6, method="tdr_bdr")
    assert break_even_rate(sc, 0) == pytest.approx(6 / 20, abs=2e-4)
    doc = bullet_pool(PDS * 1, [1e6] * 20, RHO, legal_final=5, senior_share=14 / 20)
    doc["obligors"] = [dict(o, pd={"annual": 0.02}) for o in doc["obligors"]]
    for i, a in enumerate(doc["assets"]):
        a["collateral"] = [f"P{i}"]
        a["term"] = 3
    doc["collateral"] = [{"id": f"P{i}", "type": "invention_patent", "appraised_value": 0.5e6,
                          "haircut": {"mean": 0.4, "sd": 0.1}, "lag": 1} for i in range(20)]
    sc = load(doc)
    # recovery 0.5m x (1 - 0.4) = 30% of each loan: A survives defaults up to 0.3 / 0.7
    assert break_even_rate(sc, 0) == pytest.approx(0.3 / 0.7, abs=2e-4)
    # defaults spread over years 1-3; a 12-month delay still lands by legal final (year 5)
    delayed = stressed_scenario(sc, {"recovery_delay": {"share": 0.3, "months": 12}})
    assert break_even_rate(delayed, 0) == pytest.approx(0.3 / 0.7, abs=2e-4)
    # 24 months: the late 30% of year-3 defaults' recoveries lands in year 6, lost
    late = stressed_scenario(sc, {"recovery_delay": {"share": 0.3, "months": 24}})
    assert break_even_rate(late, 0) == pytest.approx(0.3 / (1 - 0.3 * (1 - 0.3 / 3)), abs=2e-4)
    none = stressed_scenario(sc, {"recovery_multiplier": 0.0})
    assert break_even_rate(none, 0) == pytest.approx(0.3, abs=2e-4)


def test_tdr_bdr_rating_is_the_best_grade_whose_tdr_the_bdr_covers():
    res = engine.run(_pool(6, method="tdr_bdr"))
    a = res.tranches.loc["A"]
    assert a.bdr == min(a.bdr_by_scenario.values())
    tdr = res.pool["tdr"]
    passing = [g for g in tdr if tdr[g] <= a.bdr + 1e-12]
    assert a.rating == (passing[0] if passing else "CCCsf")
    assert set(a.bdr_by_scenario) >= {"base", "recovery 0", "front-loaded 20%", "combined"}


def test_large_obligor_test_caps_a_thin_aaa_and_spares_a_thick_one():
    from engine.analysis.large_obligor import largest_sub_aaa

    doc = bullet_pool([0.0001] * 10, [10e6, 9e6, 8e6, 7e6, 6e6, 5e6, 5e6, 5e6, 5e6, 5e6], 0.1,
                      legal_final=1, senior_share=0.9, paths=20_000)
    ratings = ["AA+", "AA", "AA", "AA-", "A", "BBB", "BBB", "BB", "B", "AAA"]
    for o, r in zip(doc["obligors"], ratings):
        o.pop("pd")
        o["rating"] = r
    doc["rating"] = {"large_obligor_test": True}
    sc = load(doc)
    assert set(largest_sub_aaa(sc)) == {"B0", "B1", "B2", "B4", "B5", "B6", "B7", "B8"}
    thin = engine.run(sc).tranches.loc["A"]
    assert not thin.large_obligor_test["survives"]
    assert thin.rating != "AAAsf"
    doc["tranches"][0]["balance"], doc["tranches"][1]["balance"] = 10e6, 55e6
    thick = engine.run(load(doc)).tranches.loc["A"]
    assert thick.large_obligor_test["survives"] and thick.rating == "AAAsf"


def test_concentration_multipliers_raise_the_pds_of_concentrated_names():
    from engine.plan import compile_plan

    doc = bullet_pool([0.02] * 4, [40e6, 20e6, 20e6, 20e6], 0.1, legal_final=1)
    for o, r in zip(doc["obligors"], ["north", "north", "south", "east"]):
        o["region"] = r
    doc["rating"] = {"concentration": {"single_obligor": [{"above": 0.3, "multiplier": 1.5}],
                                       "region": [{"above": 0.5, "multiplier": 1.2}]}}
    plan = compile_plan(load(doc))
    assert plan.pd_curves[:, 0] == pytest.approx([0.02 * 1.5 * 1.2, 0.02 * 1.2, 0.02, 0.02])


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_sliced_scenarios_pass_every_cross_reference_check(path):
    """Break-even probes skip the checks of the scenarios they slice (they are derived from a
    checked one); here they run, on every shipped deal, stress and timing."""
    from engine.deterministic.assumptions import DefaultAssumptions, sliced_scenario
    from engine.analysis.breakeven import stress_grid, stressed_scenario
    from engine.scenario.checks import check_scenario

    sc = engine.load_scenario(path)
    for stress in stress_grid(sc)[:3]:
        for cdr in (0.13, 1.0):
            sliced, _ = sliced_scenario(stressed_scenario(sc, stress), DefaultAssumptions(
                cdr=cdr, timing=stress.get("timing", "uniform")))
            assert check_scenario(sliced) == []


@pytest.mark.parametrize("timing", ["uniform", "front:0.2"])
@pytest.mark.parametrize("cdr", [0.0, 0.13, 0.5, 0.87, 1.0])
def test_array_probe_is_the_sliced_scenario_to_the_cent(timing, cdr):
    """A break-even probe rescales one compiled sliced deal; it must give exactly the cash
    flows of slicing and compiling the scenario at that CDR."""
    from engine.analysis.breakeven import CdrProbe
    from engine.deterministic.run import run_cash

    sc = engine.load_scenario(ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml")
    probe = CdrProbe.build(sc, timing)
    fast = run_cash(probe.at(cdr), probe.tau, probe.haircuts)
    slow = engine.cashflows(sc, cdr=cdr, timing=timing)
    t = slow.table
    for k, tid in enumerate(sc.tranches):
        np.testing.assert_allclose(fast.interest_paid[1:, k], t[f"{tid.id}:interest_paid"],
                                   atol=0.01, rtol=0)
        np.testing.assert_allclose(fast.principal_paid[1:, k], t[f"{tid.id}:principal_paid"],
                                   atol=0.01, rtol=0)
        assert bool(fast.tranche_defaulted[k]) == slow.summary["tranches"][k]["defaulted"]
    np.testing.assert_allclose(fast.collateral_recoveries[1:], t["recoveries"], atol=0.01,
                               rtol=0)
