"""Deterministic cash-flow runs checked by hand, and the `ipabs cashflows` command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from builders import load

ROOT = Path(__file__).resolve().parents[1]
CENT = 0.01


def _deal(**extra):
    doc = {"format": "ipabs/v1", "name": "hand deal", "payment_frequency": "quarterly",
           "legal_final": 4,
           "obligors": [{"id": "B", "kind": "borrower", "pd": {"annual": 0.02}},
                        {"id": "G", "kind": "guarantee_company", "pd": {"annual": 0.0}}],
           "assets": [{"id": "L", "obligor": "B", "balance": 100e6, "rate": 0.01, "term": 4}],
           "correlation": {"uniform": 0.2},
           "tranches": [{"id": "A", "balance": 100e6, "coupon": 0.05, "principal": {"bullet": 4}}]}
    doc.update(extra)
    return load(doc)


def test_with_no_defaults_every_tranche_gets_exactly_its_coupon_and_principal():
    sc = engine.load_scenario(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml")
    rep = engine.cashflows(sc)
    t = rep.table
    coupon = 195_700_000 * 0.0217 / 4
    np.testing.assert_allclose(t["A:interest_paid"].iloc[:4], coupon, atol=CENT, rtol=0)
    assert t["A:principal_paid"].sum() == pytest.approx(195_700_000, abs=CENT)
    assert t.loc[4, "A:principal_paid"] == pytest.approx(195_700_000, abs=CENT)
    assert t["Sub:principal_paid"].sum() == pytest.approx(10_300_000, abs=CENT)
    interest = 206e6 * 0.052 / 4
    fees = 4 * (0.0326 * interest + 0.0005 / 4 * 195.7e6 + 50_000)
    assert t["Sub:residual_paid"].sum() == pytest.approx(4 * interest - fees - 4 * coupon, abs=CENT)
    assert abs(rep.summary["cash_error"]) < 1e-6
    assert not any(x["defaulted"] for x in rep.summary["tranches"])


def test_a_coupon_the_pool_cannot_carry_gives_the_format_shortfall():
    rep = engine.cashflows(_deal())
    t = rep.table
    np.testing.assert_allclose(t["A:interest_due"], 100e6 * 0.05 / 4, atol=CENT, rtol=0)
    # dates 1-3: only the 1% collected; the missed 1m a date stays owed, and on date 4
    # principal collections make up the coupon and the 3m of arrears first
    np.testing.assert_allclose(t["A:interest_paid"].iloc[:3], 100e6 * 0.01 / 4, atol=CENT,
                               rtol=0)
    assert t.loc[4, "A:interest_paid"] == pytest.approx(100e6 * 0.05 / 4 + 3e6, abs=CENT)
    assert t.loc[4, "A:principal_paid"] == pytest.approx(100e6 - 1e6 - 3e6, abs=CENT)
    a = rep.summary["tranches"][0]
    assert a["defaulted"]
    # the same 4m short in all: 1m of principal used for the coupon and 3m for the arrears
    assert a["loss"] == pytest.approx(4 * 100e6 * 0.04 / 4 / 100e6, abs=1e-12)


def test_a_riskless_shortfall_commitment_removes_the_shortfall():
    rep = engine.cashflows(_deal(credit_support=[
        {"id": "SC", "type": "shortfall_commitment", "provider": "G", "covers": ["A"]}]))
    t = rep.table
    np.testing.assert_allclose(t["support:SC"], 100e6 * 0.04 / 4, atol=CENT, rtol=0)
    np.testing.assert_allclose(t["A:interest_paid"], 100e6 * 0.05 / 4, atol=CENT, rtol=0)
    assert not rep.summary["tranches"][0]["defaulted"]


def test_a_reserve_is_drawn_before_the_commitment_is_called():
    rep = engine.cashflows(_deal(
        reserve={"initial": 1.5e6},
        credit_support=[{"id": "SC", "type": "shortfall_commitment", "provider": "G",
                         "covers": ["A"]}]))
    t = rep.table
    # 1.0m short each quarter: the reserve pays quarter 1 and half of quarter 2
    np.testing.assert_allclose(t["support:SC"], [0.0, 0.5e6, 1.0e6, 1.0e6], atol=CENT, rtol=0)
    np.testing.assert_allclose(t["reserve_balance"], [0.5e6, 0.0, 0.0, 0.0], atol=CENT, rtol=0)
    assert abs(rep.summary["cash_error"]) < 1e-6


@pytest.mark.parametrize("provider_default,paid", [(3, 0.0), (4, 100e6 + 100e6 * 0.01 / 4)])
def test_a_loan_guarantee_whose_provider_has_defaulted_pays_nothing(provider_default, paid):
    sc = _deal(legal_final=6, credit_support=[
        {"id": "LG", "type": "loan_guarantee", "provider": "G", "lag": 1}],
        tranches=[{"id": "A", "balance": 100e6, "coupon": 0.0}])
    rep = engine.cashflows(sc, defaults={"B": 2, "G": provider_default})
    assert rep.table["support:LG"].sum() == pytest.approx(paid, abs=CENT)
    assert rep.table.loc[3, "support:LG"] == pytest.approx(paid, abs=CENT)


def test_a_default_rate_trigger_switches_to_the_post_acceleration_waterfall():
    sc = load({
        "format": "ipabs/v1", "name": "trigger", "payment_frequency": "quarterly", "legal_final": 4,
        "obligors": [{"id": f"B{i}", "kind": "borrower", "pd": {"annual": 0.02}} for i in range(4)],
        "assets": [{"id": f"L{i}", "obligor": f"B{i}", "balance": 25e6, "rate": 0.08, "term": 4,
                    "amortization": "equal_principal"} for i in range(4)],
        "correlation": {"uniform": 0.2},
        "tranches": [{"id": "A", "balance": 80e6, "coupon": 0.03, "principal": {"bullet": 4}},
                     {"id": "Sub", "balance": 20e6, "subordinated": True, "coupon": 0.05}],
        "triggers": [{"id": "cdr", "when": {"cumulative_default_rate_above": 0.2},
                      "then": "accelerate"}],
    })
    quiet = engine.cashflows(sc, defaults={"B0": 2})
    assert quiet.summary["accelerated_from"] is None
    hit = engine.cashflows(sc, defaults={"B0": 2, "B1": 3})
    assert hit.summary["accelerated_from"] == 3 and hit.summary["triggers"] == {"cdr": 3}
    t = hit.table
    # before: A's bullet is not due, so principal collections wait; after: all cash to A
    assert t.loc[2, "A:principal_paid"] == 0.0
    assert t.loc[3, "A:principal_paid"] > 0.0
    assert t.loc[3, "Sub:interest_paid"] == 0.0 and t.loc[3, "Sub:principal_paid"] == 0.0
    assert list(t["accelerated"]) == [False, False, True, True]


def test_pro_rata_seniors_share_a_shortfall_in_proportion():
    sc = load({
        "format": "ipabs/v1", "name": "pro rata", "payment_frequency": "annual", "legal_final": 2,
        "obligors": [{"id": "B", "kind": "borrower", "pd": {"annual": 0.02}}],
        "assets": [{"id": "L", "obligor": "B", "balance": 100e6, "rate": 0.02, "term": 2}],
        "correlation": {"uniform": 0.2},
        "tranches": [{"id": "A1", "balance": 60e6, "coupon": 0.04},
                     {"id": "A2", "balance": 40e6, "coupon": 0.04}],
        "waterfall": {"interest": ["fees", {"interest": ["A1", "A2"]}, {"to_principal": "rest"}],
                      "principal": [{"principal": ["A1", "A2"]}]},
    })
    t = engine.cashflows(sc).table
    assert t.loc[1, "A1:interest_paid"] == pytest.approx(2e6 * 0.6, abs=CENT)
    assert t.loc[1, "A2:interest_paid"] == pytest.approx(2e6 * 0.4, abs=CENT)


def test_prepayment_speeds_up_amortisation_and_keeps_the_balance():
    slow = engine.cashflows(_deal(assets=[{"id": "L", "obligor": "B", "balance": 100e6,
                                           "rate": 0.06, "term": 4,
                                           "amortization": "equal_principal"}]))
    fast = engine.cashflows(_deal(assets=[{"id": "L", "obligor": "B", "balance": 100e6,
                                           "rate": 0.06, "term": 4,
                                           "amortization": "equal_principal",
                                           "prepayment": 0.3}]))
    for rep in (slow, fast):
        assert rep.table["principal_collections"].sum() == pytest.approx(100e6, abs=CENT)
    assert fast.table.loc[1, "principal_collections"] > slow.table.loc[1, "principal_collections"]
    assert fast.table["interest_collections"].sum() < slow.table["interest_collections"].sum()


def test_cdr_slices_default_at_the_timing_given():
    sc = _deal(tranches=[{"id": "A", "balance": 100e6, "coupon": 0.0}], legal_final=6)
    rep = engine.cashflows(sc, cdr=0.2, timing=[1, 1], recovery=0.5, recovery_lag=2)
    t = rep.table
    assert rep.summary["pool_default_rate"] == pytest.approx(0.2)
    # 10m defaults in each of quarters 1 and 2, half of it back two quarters later
    assert t.loc[3, "recoveries"] == pytest.approx(5e6, abs=CENT)
    assert t.loc[4, "recoveries"] == pytest.approx(5e6, abs=CENT)
    assert rep.summary["pool_loss_rate"] == pytest.approx(0.1)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_shipped_scenario_has_a_cash_flow_table_a_reader_can_follow(path):
    sc = engine.load_scenario(path)
    rep = engine.cashflows(sc)
    assert abs(rep.summary["cash_error"]) < 1e-4
    assert not any(t["defaulted"] for t in rep.summary["tranches"] if t["id"] != "Sub")
    stressed = engine.cashflows(sc, cdr=0.3, recovery=0.1, recovery_lag=4)
    assert abs(stressed.summary["cash_error"]) < 1e-4


def test_cashflows_command_prints_and_writes(tmp_path):
    csv, js = tmp_path / "cf.csv", tmp_path / "cf.json"
    p = subprocess.run([sys.executable, "-m", "engine", "cashflows",
                        str(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"), "--default", "B03:2",
                        "--cdr", "0.1", "--timing", "front:0.2", "--recovery", "0.1",
                        "--csv", str(csv), "--json", str(js)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "A: interest paid" in p.stdout and "pool default rate" in p.stdout
    assert csv.read_text(encoding="utf-8-sig").startswith("period,")
    doc = json.loads(js.read_text())
    assert doc["format"] == "ipabs-cashflows/v1" and len(doc["periods"]) == 8
    bad = subprocess.run([sys.executable, "-m", "engine", "cashflows",
                          str(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"), "--default", "X:2"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown obligor" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("period", [0, -3])
def test_run_cash_refuses_a_default_before_the_first_date(period):
    """The kernel indexes dates by the default period without bounds checks: a period
    below 1 is refused before it gets there."""
    from engine.deterministic.run import run_cash
    from engine.plan import compile_plan

    plan = compile_plan(_deal())
    tau = np.full(plan.n_obligors, plan.horizon + 1)
    tau[0] = period
    with pytest.raises(ValueError, match="start at 1"):
        run_cash(plan, tau, np.zeros(len(plan.coll_draw)))
