"""Risk-compensation pools, IP insurance and guarantor capacity, by hand and on common
random numbers."""
from __future__ import annotations

import numpy as np
import pytest
from builders import load

import engine
from engine.deterministic.run import run_cash
from engine.plan import compile_plan
from engine.simulate import simulate

CENT = 0.01


def _deal(support, obligors_extra=(), n=3, legal_final=4, pledged=None, **extra):
    doc = {"format": "ipabs/v1", "name": "support", "payment_frequency": "annual",
           "legal_final": legal_final,
           "obligors": [{"id": f"B{i}", "kind": "borrower", "pd": {"annual": 0.1}}
                        for i in range(n)] + list(obligors_extra),
           "assets": [{"id": f"L{i}", "obligor": f"B{i}", "balance": 10e6, "rate": 0.0,
                       "term": 2, "collateral": (pledged or {}).get(f"L{i}", [])}
                      for i in range(n)],
           "correlation": {"uniform": 0.3},
           "tranches": [{"id": "A", "balance": n * 8e6}, {"id": "Sub", "balance": n * 2e6,
                                                          "subordinated": True}],
           "credit_support": support}
    doc.update(extra)
    return load(doc)


def test_full_cover_by_a_riskless_risk_compensation_fund_removes_the_loss():
    sc = _deal([{"id": "RC", "type": "risk_compensation", "covers": "all", "size": 1e9,
                 "lag": 1}])
    rep = engine.cashflows(sc, defaults={"B0": 1, "B1": 2})
    t = rep.table
    assert t["support:RC"].sum() == pytest.approx(20e6, abs=CENT)
    assert t.loc[2, "support:RC"] == pytest.approx(10e6, abs=CENT)   # B0's loss, a year later
    assert not any(x["defaulted"] for x in rep.summary["tranches"])


def test_a_depleted_fund_pays_nothing_more():
    sc = _deal([{"id": "RC", "type": "risk_compensation", "covers": "all", "size": 12e6,
                 "share": 0.5, "lag": 0}])
    t = engine.cashflows(sc, defaults={"B0": 1, "B1": 1, "B2": 2}).table
    # half of each 10m loss: 5m + 5m from the 12m fund, then only 2m are left, then nothing
    np.testing.assert_allclose(t["support:RC"], [10e6, 2e6, 0, 0], atol=CENT, rtol=0)


def test_deductible_and_limit_cut_the_insurance_payment_exactly():
    insurer = [{"id": "INS", "kind": "insurer", "pd": {"annual": 0.0}}]
    sc = _deal([{"id": "IN", "type": "ip_insurance", "provider": "INS", "covers": "all",
                 "share": 0.8, "deductible": 1e6, "limit": 6e6, "cap": 13e6, "lag": 0}],
               insurer)
    t = engine.cashflows(sc, defaults={"B0": 1, "B1": 1, "B2": 2}).table
    # each 10m loss: 0.8 x (10m - 1m) = 7.2m, limited to 6m; the aggregate 13m stops the third at 1m
    np.testing.assert_allclose(t["support:IN"], [12e6, 1e6, 0, 0], atol=CENT, rtol=0)


@pytest.mark.parametrize("cdr", [0.5, 1.0])
def test_cdr_slices_of_a_loan_share_its_deductible_and_limit(cdr):
    """A CDR run cuts each loan into slices defaulting on different dates; the insurance's
    per-loan deductible and limit apply to the loan, so the slices share them in proportion
    (with the whole loan defaulting the insurer pays the 2m limit, not 2m per slice)."""
    insurer = [{"id": "INS", "kind": "insurer", "pd": {"annual": 0.0}}]
    sc = _deal([{"id": "IN", "type": "ip_insurance", "provider": "INS", "covers": "all",
                 "share": 1.0, "deductible": 1e6, "limit": 2e6, "lag": 0}], insurer,
               n=1)
    t = engine.cashflows(sc, cdr=cdr).table
    # one 10m loan, cdr of it defaulting over two years: net loss above the deductible share
    # is far above the limit share, so the insurer pays cdr x the 2m limit
    assert t["support:IN"].sum() == pytest.approx(cdr * 2e6, abs=CENT)
    whole = engine.cashflows(sc, defaults={"B0": 1}).table
    assert whole["support:IN"].sum() == pytest.approx(2e6, abs=CENT)


def test_insurance_pays_after_the_collateral_and_the_guarantee_are_in():
    gc = [{"id": "GC", "kind": "guarantee_company", "pd": {"annual": 0.0}},
          {"id": "INS", "kind": "insurer", "pd": {"annual": 0.0}}]
    sc = _deal([{"id": "LG", "type": "loan_guarantee", "provider": "GC", "share": 0.5, "lag": 1},
                {"id": "IN", "type": "ip_insurance", "provider": "INS", "share": 1.0, "lag": 1}],
               gc, legal_final=6, pledged={"L0": ["P0"]},
               collateral=[{"id": "P0", "type": "invention_patent", "appraised_value": 2e6,
                            "haircut": {"mean": 0.0, "sd": 0.0}, "lag": 2}])
    t = engine.cashflows(sc, defaults={"B0": 1}).table
    assert t.loc[2, "support:LG"] == pytest.approx(5e6, abs=CENT)     # half of 10m
    # creditor first: the noteholders are still owed 5m, so the 2m of collateral is theirs
    assert t.loc[3, "recoveries"] == pytest.approx(2e6, abs=CENT)
    # the loss is known at year 3 (collateral lag 2); insurance pays 10 - 5 - 2 = 3m at year 4
    assert t.loc[4, "support:IN"] == pytest.approx(3e6, abs=CENT)
    assert abs(engine.cashflows(sc, defaults={"B0": 1}).summary["cash_error"]) < 1e-6
    # guarantor first: the 2m goes back to GC and the insurer pays 10 - 5 = 5m
    first = sc.model_copy(update={"credit_support": [
        sc.credit_support[0].model_copy(update={"recovery_sharing": "guarantor_first"}),
        sc.credit_support[1]]})
    t = engine.cashflows(first, defaults={"B0": 1}).table
    assert t.loc[3, "recoveries"] == pytest.approx(0.0, abs=CENT)
    assert t.loc[4, "support:IN"] == pytest.approx(5e6, abs=CENT)


def _capacity_deal(capacity):
    gc = {"id": "GC", "kind": "guarantee_company", "rating": "AA", "region": "r",
          "industry": "guarantee"}
    if capacity is not None:
        gc["capacity"] = capacity
    doc_support = [{"id": "LG", "type": "loan_guarantee", "provider": "GC", "lag": 1},
                   {"id": "SC", "type": "shortfall_commitment", "provider": "GC", "covers": ["A"]}]
    return _deal(doc_support, [gc], n=10, legal_final=4,
                 simulation={"paths": 20_000, "seed": 4})


def test_capacity_makes_a_heavily_used_guarantor_fail_exactly_when_it_is_exceeded():
    capacity = 25e6
    free, capped = compile_plan(_capacity_deal(None)), compile_plan(_capacity_deal(capacity))
    gc = free.obligor_ids.index("GC")
    rng = np.random.default_rng(1)
    for _ in range(300):
        tau = np.where(rng.random(11) < 0.3, rng.integers(1, 4, 11), 5)
        tau[gc] = 5
        demanded = run_cash(free, tau, np.zeros(0)).support_paid.sum()
        cf = run_cash(capped, tau, np.zeros(0))
        ran_out = demanded > capacity + CENT
        assert (cf.support_paid.sum() < demanded - CENT) == ran_out
        assert cf.support_paid.sum() <= capacity + CENT


def test_capacity_raises_the_senior_default_probability_on_common_random_numbers():
    free, capped = _capacity_deal(None), _capacity_deal(15e6)
    a = simulate(compile_plan(free), 20_000, 4, record=True).record.default[:, 0]
    b = simulate(compile_plan(capped), 20_000, 4, record=True).record.default[:, 0]
    assert (b >= a).all() and b.mean() > a.mean()
    res = engine.run(capped)
    gc = next(o for o in res.obligors if o["id"] == "GC")
    assert gc["capacity_exhaustion_probability"] > 0


def test_cash_is_conserved_with_every_support_combined():
    objs = [{"id": "GC", "kind": "guarantee_company", "pd": {"annual": 0.05}, "capacity": 8e6},
            {"id": "INS", "kind": "insurer", "pd": {"annual": 0.02}}]
    sc = _deal([{"id": "LG", "type": "loan_guarantee", "provider": "GC", "share": 0.6, "lag": 1},
                {"id": "IN", "type": "ip_insurance", "provider": "INS", "deductible": 1e5},
                {"id": "RC", "type": "risk_compensation", "covers": "all", "size": 5e6,
                 "share": 0.3},
                {"id": "SC", "type": "shortfall_commitment", "provider": "GC", "covers": ["A"]}],
               objs, n=5, simulation={"paths": 20_000, "seed": 2})
    res = engine.run(sc)
    assert res.diagnostics["max_cash_error"] < 1e-4


def test_a_partial_loss_order_means_the_listed_kinds_then_the_default_order():
    """``loss_order: [risk_compensation]`` is ``[risk_compensation, loan_guarantee,
    ip_insurance]``: the same Plan, and a kind listed twice is refused."""
    import numpy as np
    import pytest

    from engine.errors import ScenarioError
    from engine.plan import compile_plan
    from engine.scenario import load_scenario

    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sc = load_scenario(root / "scenarios" / "shenzhen_rc_insurance.yaml")
    short = compile_plan(sc.with_changes(loss_order=["risk_compensation"]))
    full = compile_plan(sc.with_changes(
        loss_order=["risk_compensation", "loan_guarantee", "ip_insurance"]))
    default = compile_plan(sc.with_changes(
        loss_order=["loan_guarantee", "ip_insurance", "risk_compensation"]))
    assert np.array_equal(short.cov_sup, full.cov_sup)
    assert not np.array_equal(short.cov_sup, default.cov_sup)     # the order matters here
    with pytest.raises(ScenarioError, match="at most once"):
        sc.with_changes(loss_order=["ip_insurance", "ip_insurance"])
