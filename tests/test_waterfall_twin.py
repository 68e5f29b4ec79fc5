"""The numba cash kernel against its plain-Python twin, to the cent, on random deals."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
from builders import load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from naive_waterfall import PERIODS, Deal

from engine.deterministic.run import run_cash
from engine.plan import compile_plan

CENT = 0.01
SHARING = st.sampled_from(["creditor_first", "pro_rata", "guarantor_first"])


@st.composite
def custom_waterfall(draw, tranches, reserve, reimburse=False):
    """A valid custom priority of payments: seniors in random pro-rata groups."""
    seniors = [t["id"] for t in tranches if "subordinated" not in t]
    subs = [t for t in tranches if "subordinated" in t]

    def groups():
        out, cur = [], []
        for tid in seniors:
            cur.append(tid)
            if draw(st.booleans()):
                out.append(cur)
                cur = []
        if cur:
            out.append(cur)
        return [g[0] if len(g) == 1 else g for g in out]

    sub_int_in_interest = draw(st.booleans())
    interest = ["fees"] + [{"interest": g} for g in groups()]
    if reserve and draw(st.booleans()):
        interest.append("reserve_top_up")
    if subs and subs[0]["coupon"] > 0 and sub_int_in_interest:
        interest.append({"interest": "Sub"})
    interest.append({"to_principal": "rest"})
    principal = [{"principal": g} for g in groups()]
    if draw(st.booleans()):
        principal.insert(0, {"interest": seniors})    # senior interest again, from principal cash
    if draw(st.booleans()):
        principal.insert(0, "fees")                   # fees again, from principal cash
    if reimburse and draw(st.booleans()):    # else placed before the first subordinated step
        principal.append("reimbursement")
    if subs:
        if subs[0]["coupon"] > 0 and not sub_int_in_interest:
            principal.append({"interest": "Sub"})
        principal += [{"principal": "Sub"}, {"residual": "Sub"}]
    wf = {"interest": interest, "principal": principal}
    if draw(st.booleans()):
        post = ["fees"] + [{"interest": g} for g in groups()] + [{"principal": g} for g in groups()]
        if reimburse and draw(st.booleans()):
            post.append("reimbursement")
        if subs:
            if subs[0]["coupon"] > 0:
                post.append({"interest": "Sub"})
            post += [{"principal": "Sub"}, {"residual": "Sub"}]
        wf["post_acceleration"] = post
    return wf


@st.composite
def deals(draw):
    freq = draw(st.sampled_from(sorted(PERIODS)))
    T = draw(st.integers(2, 8))
    n_b = draw(st.integers(1, 5))
    n_p = draw(st.integers(0, 2))
    obligors = [{"id": f"B{i}", "kind": "borrower", "pd": {"annual": 0.05}} for i in range(n_b)]
    obligors += [{"id": f"G{i}", "kind": "guarantee_company", "pd": {"annual": 0.01}}
                 for i in range(n_p)]
    ob_ids = [o["id"] for o in obligors]
    assets, collateral = [], []
    for i in range(draw(st.integers(1, 5))):
        term = draw(st.integers(1, T))
        bal = draw(st.integers(1, 200)) * 100_000.0
        am = draw(st.sampled_from(["bullet", "equal_principal", "annuity", "schedule"]))
        if am == "schedule":
            w = [draw(st.integers(0, 5)) for _ in range(term)]
            w[-1] += 1
            parts = [bal * x / sum(w) for x in w]
            parts[-1] = bal - sum(parts[:-1])
            am = {"schedule": parts}
        cids = []
        for c in range(draw(st.integers(0, 2))):
            cid = f"P{i}{c}"
            cids.append(cid)
            mean = draw(st.sampled_from([0.0, 0.5, 0.85, 1.0]))
            collateral.append({"id": cid, "type": "invention_patent",
                               "appraised_value": draw(st.integers(0, 300)) * 100_000.0,
                               "haircut": {"mean": mean, "sd": 0.0},
                               "lag": draw(st.integers(0, 3)),
                               "pledgee": draw(st.sampled_from(["pool", "pool", "guarantor"]))})
        terms = {"balance": bal, "rate": draw(st.sampled_from([0.0, 0.03, 0.08])),
                 "term": term, "amortization": am,
                 "prepayment": draw(st.sampled_from([0.0, 0.0, 0.1, 0.3]))}
        if assets and draw(st.booleans()):     # like loans share one schedule row
            terms = {k: assets[-1][k] for k in terms}
        assets.append({"id": f"L{i}", "obligor": draw(st.sampled_from(ob_ids)),
                       "type": draw(st.sampled_from(["micro_loan", "licence_fee", "trust_loan"])),
                       "collateral": cids, **terms})
    pool = sum(a["balance"] for a in assets)
    n_sen = draw(st.integers(1, 3))
    has_sub = draw(st.booleans())
    shares = [draw(st.integers(1, 10)) for _ in range(n_sen + has_sub)]
    scale = draw(st.sampled_from([0.8, 1.0]))
    bals = [pool * scale * s / sum(shares) for s in shares]
    tranches = []
    for k in range(n_sen):
        kind = draw(st.sampled_from(["pass_through", "bullet", "schedule", None]))
        tr = {"id": f"A{k}", "balance": bals[k], "coupon": draw(st.sampled_from([0.0, 0.02, 0.05]))}
        if kind == "pass_through":
            tr["principal"] = "pass_through"
        elif kind == "bullet":
            tr["principal"] = {"bullet": draw(st.integers(1, T))}
        elif kind == "schedule":
            n = draw(st.integers(1, T))
            tr["principal"] = {"schedule": [bals[k] / n] * (n - 1) + [bals[k] - bals[k] / n * (n - 1)]}
        if k > 0 and draw(st.booleans()):
            tr["interest"] = "deferrable"
        if kind in ("bullet", "schedule") and draw(st.booleans()):
            tr["default_at"] = "expected_maturity"
        tranches.append(tr)
    if has_sub:
        tranches.append({"id": "Sub", "balance": bals[-1], "subordinated": True,
                         "coupon": draw(st.sampled_from([0.0, 0.0, 0.06]))})
    support = []
    providers = ob_ids
    if draw(st.booleans()):
        covers = "all" if draw(st.booleans()) else [a["id"] for a in assets[: draw(st.integers(1, len(assets)))]]
        cap = draw(st.sampled_from([None, pool * 0.1, pool]))
        support.append({"id": "LG", "type": "loan_guarantee", "provider": draw(st.sampled_from(providers)),
                        "covers": covers, "share": draw(st.sampled_from([1.0, 0.5])),
                        "recovery_sharing": draw(SHARING),
                        "lag": draw(st.integers(0, 2)), **({"cap": cap} if cap else {})})
    if draw(st.booleans()):
        support.append({"id": "BG", "type": "bank_guarantee", "provider": draw(st.sampled_from(providers)),
                        "covers": [assets[0]["id"]], "share": draw(st.sampled_from([1.0, 0.7])),
                        "recovery_sharing": draw(SHARING),
                        "lag": draw(st.integers(0, 2))})
    if draw(st.booleans()):
        covered = [t["id"] for t in tranches[: draw(st.integers(1, n_sen))]]
        cap = draw(st.sampled_from([None, pool * 0.05]))
        support.append({"id": "SC", "type": "shortfall_commitment",
                        "provider": draw(st.sampled_from(providers)), "covers": covered,
                        "reimbursed": draw(st.booleans()),
                        "share": draw(st.sampled_from([1.0, 0.8])), **({"cap": cap} if cap else {})})
        if draw(st.booleans()):
            support.append({"id": "SCG", "type": "commitment_guarantee",
                            "provider": draw(st.sampled_from(providers)), "guarantees": "SC"})
    if draw(st.booleans()):
        ins = {"id": "INS", "type": "ip_insurance", "provider": draw(st.sampled_from(providers)),
               "covers": "all" if draw(st.booleans()) else [assets[-1]["id"]],
               "share": draw(st.sampled_from([1.0, 0.6])), "lag": draw(st.integers(0, 1)),
               "deductible": draw(st.sampled_from([0.0, 50_000.0])),
               "recovery_sharing": draw(SHARING)}
        limit = draw(st.sampled_from([None, 500_000.0]))
        cap = draw(st.sampled_from([None, pool * 0.05]))
        ins.update({"limit": limit} if limit else {})
        ins.update({"cap": cap} if cap else {})
        support.append(ins)
    if draw(st.booleans()):
        rc = {"id": "RC", "type": "risk_compensation", "covers": "all",
              "size": draw(st.sampled_from([pool * 0.02, pool * 0.5])),
              "share": draw(st.sampled_from([1.0, 0.5])), "lag": draw(st.integers(0, 2)),
              "recovery_sharing": draw(SHARING)}
        if draw(st.booleans()):
            rc["provider"] = draw(st.sampled_from(providers))
        support.append(rc)
    for o in obligors:
        if draw(st.integers(0, 3)) == 0:
            o["capacity"] = draw(st.sampled_from([pool * 0.01, pool * 0.2]))
            o["default_on_exhaustion"] = draw(st.booleans())
    loss_order = draw(st.permutations(["loan_guarantee", "ip_insurance", "risk_compensation"]))
    loss_order = loss_order[:draw(st.integers(1, 3))]     # the rest follow in default order
    fees = []
    if draw(st.booleans()):
        fees.append({"id": "vat", "rate": 0.0326, "base": "interest_collections"})
    if draw(st.booleans()):
        fees.append({"id": "trustee", "rate": 0.002, "base": "senior_balance"})
    if draw(st.booleans()):
        fees.append({"id": "servicer", "rate": 0.01, "base": "pool_balance"})
    if draw(st.booleans()):
        fees.append({"id": "audit", "amount": draw(st.sampled_from([10_000.0, 500_000.0]))})
    # a counter-pledge only beside a loan or bank guarantee (without one it is refused)
    guarded = set()
    for x in support:
        if x["type"] in ("loan_guarantee", "bank_guarantee"):
            guarded |= ({a["id"] for a in assets} if x["covers"] == "all" else set(x["covers"]))
    for a in assets:
        if a["id"] not in guarded:
            for c in collateral:
                if c["id"] in a["collateral"]:
                    c["pledgee"] = "pool"
    doc = {"format": "ipabs/v1", "name": "random deal", "payment_frequency": freq,
           "legal_final": T, "obligors": obligors, "assets": assets, "collateral": collateral,
           "credit_support": support, "correlation": {"uniform": 0.2}, "tranches": tranches,
           "fees": fees, "loss_order": list(loss_order)}
    if draw(st.booleans()):
        doc["reserve"] = {"initial": draw(st.sampled_from([0.0, pool * 0.01])),
                          "target": draw(st.sampled_from([0.0, pool * 0.02,
                                                          {"share_of_senior": 0.03}]))}
    triggers = []
    if draw(st.booleans()):
        triggers.append({"id": "cdr", "when": {"cumulative_default_rate_above":
                                               draw(st.sampled_from([0.0, 0.05, 0.3]))},
                         "then": "accelerate"})
    if draw(st.booleans()):
        triggers.append({"id": "eod", "when": {"interest_shortfall": "A0"}, "then": "accelerate"})
    if draw(st.booleans()):
        triggers.append({"id": "prov", "when": {"provider_default": draw(st.sampled_from(ob_ids))},
                         "then": "accelerate"})
    draw(st.randoms()).shuffle(triggers)
    doc["triggers"] = triggers
    if draw(st.booleans()):
        reimburse = any(x.get("reimbursed") for x in support)
        doc["waterfall"] = draw(custom_waterfall(tranches, "reserve" in doc, reimburse))
    if draw(st.booleans()):          # calendar dates and day counts
        closing = dt.date(2026, draw(st.integers(1, 12)), draw(st.sampled_from([1, 15, 28])))
        counts = st.sampled_from(["act/365", "act/360", "30/360", "period"])
        doc["dates"] = {"closing": closing, "day_count": draw(counts),
                        "asset_day_count": draw(counts)}
        if draw(st.booleans()):      # a first payment on some other day (a 31st clamps)
            doc["dates"]["first_payment"] = closing + dt.timedelta(
                days=draw(st.sampled_from([20, 45, 61, 95])))
    tau = [draw(st.integers(1, T + 1)) for _ in obligors]
    haircut = [draw(st.floats(0.0, 1.0)) for _ in collateral]
    return doc, tau, haircut


def compare(doc, tau, haircut, as_supporter=None):
    """Kernel against twin; ``as_supporter`` ({obligor id: date}) fixes when supporters stop
    paying, as in a run of the rating ladder."""
    sc = load(doc)
    plan = compile_plan(sc)
    if as_supporter:
        dates = np.array([as_supporter.get(o, -1) for o in plan.obligor_ids], dtype=np.int64)
        plan = dataclasses.replace(plan, as_supporter=dates)
    cf = run_cash(plan, np.array(tau), np.array(haircut))
    twin = Deal(sc)
    rows, dr, lr = twin.run(dict(zip(plan.obligor_ids, tau)), haircut, as_supporter)
    for r in rows:
        t = r["t"]
        assert cf.interest_collections[t] == pytest.approx(r["ci"], abs=CENT)
        assert cf.principal_collections[t] == pytest.approx(r["cp"], abs=CENT)
        assert cf.collateral_recoveries[t] == pytest.approx(r["rec"], abs=CENT)
        np.testing.assert_allclose(cf.support_paid[t], r["sup"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.fees_paid[t], r["fees"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.interest_due[t], r["int_due"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.interest_paid[t], r["int"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.principal_paid[t], r["prin"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.residual_paid[t], r["res"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.reimbursed[t], r["back"], atol=CENT, rtol=0)
        np.testing.assert_allclose(cf.tranche_balance[t], r["bal"], atol=CENT, rtol=0)
        assert cf.cash_left[t] == pytest.approx(r["cash"], abs=CENT)
        assert cf.reserve_balance[t] == pytest.approx(r["reserve"], abs=CENT)
        assert (cf.accelerated_from <= t) == r["post"]
    for r_, trig in enumerate(sc.triggers):
        assert cf.trigger_period[r_] == twin.fired.get(trig.id,
                                                                              plan.horizon + 1)
    assert cf.default_rate == pytest.approx(dr, abs=1e-12)
    assert cf.loss_rate == pytest.approx(lr, abs=1e-12)
    for k, tr in enumerate(sc.tranches):
        d, loss, wal = Deal.outcome(tr, rows, plan.horizon, plan.periods_per_year, k,
                                    twin.years)
        assert cf.tranche_defaulted[k] == d
        assert cf.tranche_loss[k] == pytest.approx(loss, abs=1e-9)
        paid = sum(r["prin"][k] for r in rows)
        if paid > CENT:   # WAL is defined when principal (not rounding dust) was paid
            assert cf.tranche_wal[k] == pytest.approx(wal, abs=1e-9)
        else:
            assert math.isnan(cf.tranche_wal[k]) or cf.principal_paid[:, k].sum() < CENT
    return cf


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_kernel_equals_python_twin_to_the_cent(case):
    doc, tau, haircut = case
    cf = compare(doc, tau, haircut)
    assert abs(cf.cash_error) < 1e-6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals(), st.data())
def test_ladder_runs_equal_the_twin_to_the_cent(case, data):
    """Supporters fixed to pay throughout or defaulted from the start (the rating ladder's
    runs), whatever their simulated default dates."""
    doc, tau, haircut = case
    providers = sorted({s["provider"] for s in doc["credit_support"] if s.get("provider")})
    never = doc["legal_final"] + 1
    dates = {p: data.draw(st.sampled_from([0, never, 1, 2])) for p in providers}
    cf = compare(doc, tau, haircut, dates)
    assert abs(cf.cash_error) < 1e-6


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_cash_is_conserved_and_balances_never_negative(case):
    doc, tau, haircut = case
    cf = run_cash(compile_plan(load(doc)), np.array(tau), np.array(haircut))
    assert abs(cf.cash_error) < 1e-6
    assert (cf.tranche_balance >= -1e-9).all()
    assert (cf.cash_left >= -1e-9).all()
    # interest paid never runs ahead of interest accrued (arrears are paid later, not earlier)
    assert (cf.interest_paid.cumsum(axis=0) <= cf.interest_due.cumsum(axis=0) + 1e-6).all()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_subordinated_principal_waits_for_every_tranche_above(case):
    doc, tau, haircut = case
    sc = load(doc)
    plan = compile_plan(sc)
    cf = run_cash(plan, np.array(tau), np.array(haircut))
    for k, tr in enumerate(sc.tranches):
        if not tr.subordinated:
            continue
        for t in range(1, plan.horizon + 1):
            if cf.principal_paid[t, k] > 0:
                assert (cf.tranche_balance[t, :k] <= 1e-9).all()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_nothing_below_a_tranche_is_paid_while_it_is_owed_interest(case):
    """A missed coupon stays owed, and no tranche gets principal or the residual on a date
    when one ranked above it is still owed interest after that date's payments."""
    doc, tau, haircut = case
    if "waterfall" in doc:          # custom lists may pay tranches pro rata as one group
        return
    sc = load(doc)
    cf = run_cash(compile_plan(sc), np.array(tau), np.array(haircut))
    owed = np.cumsum(cf.interest_due, axis=0) - np.cumsum(cf.interest_paid, axis=0)
    for t in range(1, cf.interest_due.shape[0]):
        for k in range(len(sc.tranches)):
            if cf.principal_paid[t, k] > CENT or cf.residual_paid[t, k] > CENT:
                assert (owed[t, :k] <= CENT).all(), (t, k, owed[t, :k])
