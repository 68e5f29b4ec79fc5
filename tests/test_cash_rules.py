"""Cash that moves as deal documents and the Civil Code move it (issue #11 of the design):
hand-computed deterministic cases for recovery sharing, counter-pledges, reimbursed
commitments, deferrable interest, principal making up senior interest, expected-maturity
defaults; and the seniority property on random deals and the shipped library."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from builders import load
from engine.rating.deal import resolve_paths_seed, run_deal
from engine.scenario.edit import without_support

ROOT = Path(__file__).resolve().parents[1]
CENT = 0.01
M = 1_000_000.0


def base_doc(**extra):
    doc = {"format": "ipabs/v1", "name": "hand case", "payment_frequency": "annual",
           "legal_final": 4, "correlation": {"uniform": 0.0},
           "obligors": [{"id": "B0", "kind": "borrower", "rating": "BB"},
                        {"id": "GC", "kind": "guarantee_company", "rating": "AAA"},
                        {"id": "P", "kind": "shareholder", "rating": "AAA"}]}
    doc.update(extra)
    return doc


def half_guaranteed_loan(sharing="creditor_first", pledgee="pool"):
    """A 10m loan at 0%, due in period 4, defaulting in period 2; a 50% guarantee paid at
    once (lag 0): 5m; its patent realises 8m x (1 - 0.5) = 4m one period later."""
    return load(base_doc(
        assets=[{"id": "L0", "obligor": "B0", "balance": 10 * M, "rate": 0.0, "term": 4,
                 "amortization": "bullet", "collateral": ["P0"]}],
        collateral=[{"id": "P0", "type": "invention_patent", "appraised_value": 8 * M,
                     "haircut": {"mean": 0.5, "sd": 0.0}, "lag": 1, "pledgee": pledgee}],
        credit_support=[{"id": "LG", "type": "loan_guarantee", "provider": "GC",
                         "share": 0.5, "lag": 0, "recovery_sharing": sharing}],
        tranches=[{"id": "A", "balance": 9 * M, "principal": "pass_through"},
                  {"id": "Sub", "balance": 1 * M, "subordinated": True}]))


@pytest.mark.parametrize("sharing,pledgee,to_pool", [
    ("creditor_first", "pool", 4 * M),      # noteholders owed 5m: all 4m to the pool
    ("pro_rata", "pool", 2 * M),            # pool 5m and guarantor 5m claims: half each
    ("guarantor_first", "pool", 0.0),       # the guarantor takes back up to its 5m first
    ("creditor_first", "guarantor", 0.0),   # a counter-pledge never reaches the pool
])
def test_recoveries_on_a_half_guaranteed_loan(sharing, pledgee, to_pool):
    rep = engine.cashflows(half_guaranteed_loan(sharing, pledgee), defaults={"B0": 2})
    t = rep.table
    assert t.loc[2, "support:LG"] == pytest.approx(5 * M, abs=CENT)
    assert t["recoveries"].sum() == pytest.approx(to_pool, abs=CENT)
    assert t.loc[3, "recoveries"] == pytest.approx(to_pool, abs=CENT)
    a_paid = t["A:principal_paid"].sum()
    assert a_paid == pytest.approx(min(9 * M, 5 * M + to_pool), abs=CENT)
    assert rep.summary["cash_error"] == pytest.approx(0.0, abs=1e-6)


def test_counter_pledge_stays_away_even_when_the_guarantor_has_defaulted():
    sc = half_guaranteed_loan("creditor_first", "guarantor")
    rep = engine.cashflows(sc, defaults={"B0": 2, "GC": 1})
    assert rep.table["support:LG"].sum() == 0.0
    assert rep.table["recoveries"].sum() == 0.0


def reimbursed_deal(reimbursed=True):
    """A 10m loan due in period 2 defaults in period 2; its 100% guarantee pays one period
    later. The senior (9.5m, bullet at 2) is paid at 2 by the commitment."""
    return load(base_doc(
        assets=[{"id": "L0", "obligor": "B0", "balance": 10 * M, "rate": 0.0, "term": 2,
                 "amortization": "bullet"}],
        credit_support=[{"id": "LG", "type": "loan_guarantee", "provider": "GC", "lag": 1},
                        {"id": "SC", "type": "shortfall_commitment", "provider": "P",
                         "covers": ["A"], "reimbursed": reimbursed}],
        tranches=[{"id": "A", "balance": 9.5 * M, "principal": {"bullet": 2}},
                  {"id": "Sub", "balance": 0.5 * M, "subordinated": True}]))


def test_a_reimbursed_commitment_is_paid_back_before_the_subordinated_tranche():
    t = engine.cashflows(reimbursed_deal(True), defaults={"B0": 2}).table
    assert t.loc[2, "support:SC"] == pytest.approx(9.5 * M, abs=CENT)
    assert t.loc[2, "A:principal_paid"] == pytest.approx(9.5 * M, abs=CENT)
    assert t.loc[3, "support:LG"] == pytest.approx(10 * M, abs=CENT)
    assert t.loc[3, "reimbursed:SC"] == pytest.approx(9.5 * M, abs=CENT)
    assert t.loc[3, "Sub:principal_paid"] == pytest.approx(0.5 * M, abs=CENT)
    assert t["Sub:residual_paid"].sum() == pytest.approx(0.0, abs=CENT)
    # not reimbursed: the guarantee money flows on to the subordinated tranche
    t = engine.cashflows(reimbursed_deal(False), defaults={"B0": 2}).table
    assert "reimbursed:SC" not in t
    assert t["Sub:residual_paid"].sum() == pytest.approx(9.5 * M, abs=CENT)


def test_a_commitment_is_not_called_while_principal_cash_can_pay():
    sc = principal_covers_interest_deal(with_commitment=True)
    t = engine.cashflows(sc, defaults={"B1": 1}).table
    # date 1: the senior's interest comes out of principal collections, not the commitment
    assert t.loc[1, "support:SC"] == 0.0
    assert t.loc[1, "A:interest_paid"] == pytest.approx(0.7 * M, abs=CENT)
    # date 2: only the principal all accounts cannot pay (14m - 5m - 3.6m carried)
    assert t.loc[2, "support:SC"] == pytest.approx(14 * M - 8.6 * M, abs=CENT)


def principal_covers_interest_deal(with_commitment=False):
    """L0 (10m at 0%) amortises 5m a year; L1 (5m at 10%) defaults in period 1 with no
    support. The senior (14m at 5%) is owed 0.7m of interest on date 1 and the interest
    account is empty: principal collections make it up."""
    support = ([{"id": "SC", "type": "shortfall_commitment", "provider": "P", "covers": ["A"]}]
               if with_commitment else [])
    return load(base_doc(
        legal_final=2,
        obligors=[{"id": "B0", "kind": "borrower", "rating": "BB"},
                  {"id": "B1", "kind": "borrower", "rating": "BB"},
                  {"id": "P", "kind": "shareholder", "rating": "AAA"}],
        assets=[{"id": "L0", "obligor": "B0", "balance": 10 * M, "rate": 0.0, "term": 2,
                 "amortization": "equal_principal"},
                {"id": "L1", "obligor": "B1", "balance": 5 * M, "rate": 0.10, "term": 2,
                 "amortization": "bullet"}],
        credit_support=support,
        tranches=[{"id": "A", "balance": 14 * M, "coupon": 0.05, "principal": {"bullet": 2}},
                  {"id": "Sub", "balance": 1 * M, "subordinated": True}]))


def test_principal_collections_make_up_senior_interest():
    rep = engine.cashflows(principal_covers_interest_deal(), defaults={"B1": 1})
    t = rep.table
    assert t.loc[1, "interest_collections"] == 0.0
    assert t.loc[1, "A:interest_paid"] == pytest.approx(0.7 * M, abs=CENT)
    assert t.loc[2, "A:interest_paid"] == pytest.approx(0.7 * M, abs=CENT)
    # date 2: 5m + the 4.3m left from date 1 for a 14m bullet: a principal default only
    assert t.loc[2, "A:principal_paid"] == pytest.approx(10 * M - 1.4 * M, abs=CENT)
    assert rep.summary["tranches"][0]["defaulted"]


def deferrable_deal(interest="deferrable"):
    """L1 (5m at 20%) defaults in period 1; its 100% guarantee pays 6m a period later, 1m of
    it interest. B (2m at 10%, after a pass-through A with no coupon) is owed 0.2m a year."""
    return load(base_doc(
        legal_final=3,
        obligors=[{"id": "B0", "kind": "borrower", "rating": "BB"},
                  {"id": "B1", "kind": "borrower", "rating": "BB"},
                  {"id": "GC", "kind": "guarantee_company", "rating": "AAA"}],
        assets=[{"id": "L0", "obligor": "B0", "balance": 5 * M, "rate": 0.0, "term": 3,
                 "amortization": "bullet"},
                {"id": "L1", "obligor": "B1", "balance": 5 * M, "rate": 0.20, "term": 3,
                 "amortization": "bullet", "support": ["LG"]}],
        credit_support=[{"id": "LG", "type": "loan_guarantee", "provider": "GC",
                         "covers": ["L1"], "lag": 1}],
        tranches=[{"id": "A", "balance": 7 * M, "principal": {"bullet": 3}},
                  {"id": "B", "balance": 2 * M, "coupon": 0.10, "principal": {"bullet": 3},
                   "interest": interest},
                  {"id": "Sub", "balance": 1 * M, "subordinated": True}],
        # B's interest is also made up from principal cash (when there is some)
        waterfall={"interest": ["fees", {"interest": "A"}, {"interest": "B"},
                                {"to_principal": "rest"}],
                   "principal": ["fees", {"interest": "B"}, {"principal": "A"},
                                 {"principal": "B"}, {"principal": "Sub"},
                                 {"residual": "Sub"}]}))


def test_deferrable_interest_is_carried_and_paid_later():
    rep = engine.cashflows(deferrable_deal("deferrable"), defaults={"B1": 1})
    t = rep.table
    assert t.loc[1, "B:interest_paid"] == 0.0
    assert t.loc[2, "interest_collections"] == 0.0
    # the guarantee's interest part (1m) goes to the interest account: arrears + this year
    assert t.loc[2, "B:interest_paid"] == pytest.approx(0.4 * M, abs=CENT)
    assert t.loc[3, "interest_collections"] == 0.0       # paid from principal cash at 3
    assert t.loc[3, "B:interest_paid"] == pytest.approx(0.2 * M, abs=CENT)
    assert not rep.summary["tranches"][1]["defaulted"]
    # the same tranche with current interest defaults on the missed date
    rep = engine.cashflows(deferrable_deal("current"), defaults={"B1": 1})
    assert rep.summary["tranches"][1]["defaulted"]


def test_default_at_expected_maturity():
    doc = base_doc(
        assets=[{"id": "L0", "obligor": "B0", "balance": 10 * M, "rate": 0.0, "term": 3,
                 "amortization": "bullet"}],
        tranches=[{"id": "A", "balance": 9 * M, "principal": {"bullet": 2}},
                  {"id": "Sub", "balance": 1 * M, "subordinated": True}])
    rep = engine.cashflows(load(doc))              # repaid at 3, legal final 4: fine
    assert not rep.summary["tranches"][0]["defaulted"]
    doc["tranches"][0]["default_at"] = "expected_maturity"
    rep = engine.cashflows(load(doc))              # an extension past 2 is a default
    assert rep.summary["tranches"][0]["defaulted"]


def test_expected_maturity_needs_a_schedule(tmp_path, capsys):
    import yaml

    from engine.cli import main

    doc = base_doc(assets=[{"id": "L0", "obligor": "B0", "balance": M, "rate": 0.0,
                            "term": 3, "amortization": "bullet"}],
                   tranches=[{"id": "A", "balance": M, "default_at": "expected_maturity"}])
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    assert "tranches.0.default_at" in capsys.readouterr().err


def test_a_custom_waterfall_without_the_step_reimburses_before_the_subordinated_tranche():
    doc = base_doc(
        assets=[{"id": "L0", "obligor": "B0", "balance": 10 * M, "rate": 0.0, "term": 2,
                 "amortization": "bullet"}],
        credit_support=[{"id": "LG", "type": "loan_guarantee", "provider": "GC", "lag": 1},
                        {"id": "SC", "type": "shortfall_commitment", "provider": "P",
                         "covers": ["A"]}],
        tranches=[{"id": "A", "balance": 9.5 * M, "principal": {"bullet": 2}},
                  {"id": "Sub", "balance": 0.5 * M, "subordinated": True}],
        waterfall={"interest": ["fees", {"to_principal": "rest"}],
                   "principal": [{"principal": "A"}, {"principal": "Sub"},
                                 {"residual": "Sub"}]})
    t = engine.cashflows(load(doc), defaults={"B0": 2}).table
    assert t.loc[3, "reimbursed:SC"] == pytest.approx(9.5 * M, abs=CENT)
    assert t["Sub:residual_paid"].sum() == pytest.approx(0.0, abs=CENT)


# ------------------------------------------------------------------ seniority property


def assert_seniority(scenario, paths=4_000, seed=5, junior_subordinated=True):
    """No tranche defaults on more paths than the tranche just below it, beyond 4 paired
    standard errors (paths where the senior defaults and the junior does not, minus the
    reverse, on the same paths). ``junior_subordinated=False`` skips pairs whose junior is
    subordinated: a senior owed timely interest can miss a date on which nothing at all is
    collected (every loan defaulting at once, its guarantee paying a period later) while a
    subordinated tranche, judged on ultimate principal only, is still repaid in the end."""
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    _, runs = run_deal(scenario, paths, seed, record=True)
    rec = runs.totals.record
    w = rec.weight[:, None]
    for k in range(rec.default.shape[1] - 1):
        if not junior_subordinated and scenario.tranches[k + 1].subordinated:
            continue
        diff = w[:, 0] * (rec.default[:, k].astype(float) - rec.default[:, k + 1])
        mean = diff.mean()
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        assert mean <= 4 * se + 1e-12, (scenario.name, k, mean, se)


@st.composite
def plain_deals(draw):
    """Random sequential deals on the default priority of payments."""
    n = draw(st.integers(3, 12))
    T = draw(st.integers(2, 6))
    obligors = [{"id": f"B{i}", "kind": "borrower", "pd": {"annual": draw(
        st.sampled_from([0.02, 0.08, 0.2]))}} for i in range(n)]
    obligors.append({"id": "GC", "kind": "guarantee_company", "rating": draw(
        st.sampled_from(["AAA", "A", "BBB"]))})
    assets = [{"id": f"L{i}", "obligor": f"B{i}", "balance": draw(st.integers(1, 20)) * M,
               "rate": draw(st.sampled_from([0.03, 0.06])), "term": draw(st.integers(1, T)),
               "amortization": draw(st.sampled_from(["bullet", "equal_principal"]))}
              for i in range(n)]
    pool = sum(a["balance"] for a in assets)
    # attachment points on a grid: no tranche of (nearly) zero size, which never defaults
    cuts = sorted(draw(st.sets(st.sampled_from([0.5, 0.6, 0.7, 0.8, 0.9, 0.95]),
                               min_size=2, max_size=3)))
    bounds = [0.0] + cuts + [1.0]
    tranches = [{"id": f"T{k}", "balance": (bounds[k + 1] - bounds[k]) * pool,
                 "coupon": draw(st.sampled_from([0.01, 0.03]))}
                for k in range(len(bounds) - 1)]
    tranches[-1].update(subordinated=True, coupon=0.0)
    support = []
    if draw(st.booleans()):
        support.append({"id": "LG", "type": "loan_guarantee", "provider": "GC",
                        "share": draw(st.sampled_from([0.5, 1.0])), "lag": draw(st.integers(0, 1))})
    if draw(st.booleans()):
        support.append({"id": "SC", "type": "shortfall_commitment", "provider": "GC",
                        "covers": [t["id"] for t in tranches[:-1]]})
    return {"format": "ipabs/v1", "name": "random", "payment_frequency": "annual",
            "legal_final": T, "obligors": obligors, "assets": assets,
            "credit_support": support, "correlation": {"uniform": 0.3},
            "tranches": tranches, "fees": [{"id": "fee", "rate": 0.001,
                                             "base": "senior_balance"}]}


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(plain_deals())
def test_no_tranche_defaults_more_often_than_the_one_below_on_random_deals(doc):
    assert_seniority(load(doc), paths=2_048, junior_subordinated=False)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_seniority_holds_on_the_shipped_library_with_each_support_removed(path):
    sc = engine.load_scenario(path)
    for removed in [[]] + [[s.id] for s in sc.credit_support]:
        assert_seniority(without_support(sc, removed), paths=4_096)


def test_shenzhen_senior_without_commitment_is_aa_plus_or_better_by_joint_default():
    sc = engine.load_scenario(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml")
    res = engine.run(without_support(sc, ["SC"]), paths=50_000)
    a = res.tranche_rows[0]
    scale = engine.rating.SF_SCALE
    assert scale.index(a["rating_joint_default"]) <= scale.index("AA+sf"), a
