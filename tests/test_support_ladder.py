"""The market rating by the agencies' counterparty rule (the support ladder): the cases that
the old support floor got wrong, rebuilt as a committee would state them, and properties over
random deals."""
from __future__ import annotations

import numpy as np
import pytest
from builders import bullet_pool, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.rating.scale import SF_SCALE
from engine.rating.substitution import better, worse

PATHS = 20_000


def idx(grade: str) -> int:
    return SF_SCALE.index(grade)


def row(result, tid="A") -> dict:
    return next(t for t in result.tranche_rows if t["id"] == tid)


def weak_pool(*, legal_final=4, term=None, coupon=0.03, paths=PATHS, seed=3):
    """Twelve 4% loans of 10m, 25% correlated, a 95% senior: weak standalone."""
    doc = bullet_pool([0.04] * 12, [10.0e6] * 12, 0.25, senior_share=0.95,
                      legal_final=legal_final, frequency="quarterly", coupon=coupon, rate=0.05,
                      paths=paths, seed=seed)
    if term is not None:
        for a in doc["assets"]:
            a["term"] = term
    return doc


def gc(rating="AAA", **extra):
    return {"id": "GC", "kind": "guarantee_company", "rating": rating, **extra}


# ----------------------------------------------------------------------------- the cases


def test_double_support_from_one_capacity_keeps_the_senior_at_the_guarantors_grade():
    """One guarantee company guarantees every loan AND commits to the senior's shortfall,
    with capacity 1.45x the pool: what it can be called for never exceeds its capacity on
    a path (the commitment only tops up what the guarantees left), so the senior is AAAsf
    (the old floor added both as if called in full and gave B+sf)."""
    doc = weak_pool()
    pool = sum(a["balance"] for a in doc["assets"])
    doc["obligors"].append(gc(capacity=1.45 * pool))
    doc["credit_support"] = [
        {"id": "LG", "type": "loan_guarantee", "provider": "GC", "covers": "all"},
        {"id": "SC", "type": "shortfall_commitment", "provider": "GC", "covers": ["A"]}]
    a = row(engine.run(load(doc)))
    assert a["support_ladder"][0]["default_probability"] == 0.0
    assert a["rating"] == "AAAsf" and a["rating_by"] == ["GC"]
    assert idx(a["rating_standalone"]) > idx("BBB-sf")


def test_guarantees_paying_after_legal_final_earn_nothing():
    """100% AA+ guarantees with a lag that lands every payment after legal final: the cash
    never reaches the notes, so the rating is the standalone one, and the ladder's run sees
    exactly the standalone losses on every path (same numbers)."""
    doc = weak_pool()
    doc["obligors"].append(gc("AA+"))
    doc["credit_support"] = [{"id": "LG", "type": "loan_guarantee", "provider": "GC",
                              "covers": "all", "lag": 4}]
    res = engine.run(load(doc))
    for t in res.tranche_rows:
        step = t["support_ladder"][0]
        assert step["default_probability"] == t["default_probability_standalone"]
        assert step["expected_loss"] == t["expected_loss_standalone"]
    a = row(res)
    assert a["rating"] == a["rating_standalone"] != "AA+sf"
    assert a["rating_by"] == []


def test_late_guarantees_do_not_save_a_senior_that_must_repay_at_expected_maturity():
    """`default_at: expected_maturity` and guarantees one quarter late: loans defaulting in
    the last quarter before the senior's expected maturity are paid after it, so the senior
    defaults in the AA+ run too; its rating is what that run earns, never above the
    subordinated tranche's view of the same cash."""
    doc = weak_pool(legal_final=6, term=4)
    doc["tranches"][0].update(principal={"bullet": 4}, default_at="expected_maturity")
    doc["obligors"].append(gc("AA+"))
    doc["credit_support"] = [{"id": "LG", "type": "loan_guarantee", "provider": "GC",
                              "covers": "all", "lag": 1}]
    res = engine.run(load(doc))
    a = row(res)
    step = a["support_ladder"][0]
    assert step["default_probability"] > 0.0
    assert a["rating"] == better(a["rating_standalone"], worse("AA+sf", step["run_rating"]))
    assert a["rating"] != "AA+sf"


def _mezzanine_deal():
    doc = weak_pool()
    pool = sum(a["balance"] for a in doc["assets"])
    doc["tranches"] = [
        {"id": "A", "balance": 0.80 * pool, "coupon": 0.03},
        {"id": "B", "balance": 0.15 * pool, "coupon": 0.04},
        {"id": "Sub", "balance": 0.05 * pool, "subordinated": True, "rated": False}]
    doc["obligors"].append({"id": "SP", "kind": "shareholder", "rating": "AA+"})
    doc["credit_support"] = [{"id": "SC", "type": "shortfall_commitment", "provider": "SP",
                              "covers": ["B"]}]
    return doc


def test_a_commitment_on_the_mezzanine_lifts_the_senior_its_cash_passes_through():
    """The commitment tops up what B is due, and everything ranked ahead of B is paid
    first: A is never rated below B (the old floor gave A BBBsf below B AA+sf)."""
    res = engine.run(load(_mezzanine_deal()))
    a, b = row(res, "A"), row(res, "B")
    assert b["rating"] == "AA+sf" and b["rating_by"] == ["SP"]
    assert idx(a["rating"]) <= idx(b["rating"])
    assert a["support_ladder"][0]["default_probability"] == 0.0


def test_wuhan_without_its_second_commitment_keeps_the_seniors_above_the_mezzanine():
    sc = engine.load_scenario("scenarios/wuhan_multi_tranche_triggers.yaml")
    from engine.scenario.edit import without_support

    change = next(s for s in sc.sensitivities if s.name == "no second commitment")
    gone = without_support(sc, change.remove_support)
    res = engine.run(gone, paths=10_000)
    grades = {t["id"]: t["rating"] for t in res.tranche_rows if t["rated"]}
    assert idx(grades["A1"]) <= idx(grades["B"]) and idx(grades["A2"]) <= idx(grades["B"])


@pytest.mark.parametrize("grade", ["AAA", "AA+"])
def test_80_percent_guarantees_earn_partial_credit(grade):
    doc = weak_pool()
    doc["obligors"].append(gc(grade))
    doc["credit_support"] = [{"id": "LG", "type": "loan_guarantee", "provider": "GC",
                              "covers": "all", "share": 0.8}]
    a = row(engine.run(load(doc)))
    assert idx(f"{grade}sf") <= idx(a["rating"]) < idx(a["rating_standalone"])
    assert a["rating_by"] == ["GC"]


def _tracked_commitment(used: float):
    """A 130m-capped AA+ commitment on the 114m senior (it covers everything), tracked
    after one quiet date with ``used`` of its cap already paid out."""
    doc = weak_pool(legal_final=6, term=6)
    for o in doc["obligors"]:
        o["pd"] = {"annual": 0.06}      # risk on every date, not only the first
    doc["obligors"].append({"id": "SP", "kind": "shareholder", "rating": "AA+"})
    doc["credit_support"] = [{"id": "SC", "type": "shortfall_commitment", "provider": "SP",
                              "covers": ["A"], "cap": 130.0e6}]
    sc = load(doc)
    state = engine.state_after(sc, 1)
    state["support_used"] = {"SC": used}
    return sc, state


def test_tracking_rates_from_what_is_left_of_the_commitment():
    """100m of the cap used: the AA+ run pays only the 30m left, and the senior earns what
    that cash earns (the old floor read the closing cap and stayed AA+sf). The state is
    given as the document ``state_after`` returns (``engine.run`` takes a dict)."""
    sc, fresh = _tracked_commitment(0.0)
    _, used = _tracked_commitment(100.0e6)
    before = row(engine.run(sc, state=fresh))
    after = row(engine.run(sc, state=used))
    assert before["rating"] == "AA+sf"
    assert after["support_ladder"][0]["default_probability"] > \
        before["support_ladder"][0]["default_probability"]
    assert idx(after["rating"]) > idx("AA+sf")


def test_a_defaulted_supporter_is_in_no_run_and_lends_no_grade():
    sc, state = _tracked_commitment(0.0)
    state["obligors"] = {"SP": {"defaulted": True}}
    res = engine.run(sc, state=state)
    a = row(res)
    assert a["support_ladder"] == []
    assert a["rating"] == a["rating_standalone"] and a["rating_by"] == []
    assert res.run["state"]["as_of"] == 1


def test_a_warning_where_the_rating_rests_on_a_supporter_the_joint_view_doubts():
    """More than three notches between the rating and the joint-default view is a warning
    naming the supporters; three or fewer is not."""
    from engine.rating.deal import rating_warnings

    rows = [{"id": "A", "rating": "AAAsf", "rating_joint_default": "BB-sf",
             "rating_by": ["GC"]},
            {"id": "B", "rating": "AA+sf", "rating_joint_default": "A+sf", "rating_by": ["GC"]},
            {"id": "Sub", "rating": None, "rating_joint_default": None, "rating_by": []}]
    assert rating_warnings(rows) == [
        "A: AAAsf rests on GC; the joint-default view gives BB-sf (12 notches lower)"]
    res = engine.run(engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml"), paths=3000)
    assert res.warnings == [] and res.to_dict()["warnings"] == []


def test_support_standalone_rates_by_the_standalone_run(tmp_path, capsys):
    from engine.cli import main

    path = "scenarios/shenzhen_ip_pledge_aa_plus.yaml"
    out = tmp_path / "r.json"
    assert main(["run", path, "--paths", "3000", "--support", "standalone", "--json",
                 str(out)]) == 0
    import json

    doc = json.loads(out.read_text())
    a = doc["tranches"][0]
    assert a["rating"] == a["rating_standalone"] and a["rating_by"] == []
    assert a["rating_substitution"] == "AA+sf"
    assert doc["rating"]["support"] == "standalone"


# ----------------------------------------------------------------------------- properties

@st.composite
def supported_deals(draw):
    """A weak sequential pool with A / B / Sub and random supporters of random grades."""
    n = 8
    grades = ["AAA", "AA+", "AA", "A", "BBB"]
    doc = bullet_pool([draw(st.sampled_from([0.02, 0.05, 0.1]))] * n, [5.0e6] * n,
                      draw(st.sampled_from([0.1, 0.3])), senior_share=0.8, legal_final=4,
                      frequency="quarterly", coupon=0.03, rate=0.05, paths=2000,
                      seed=draw(st.integers(0, 50)))
    pool = 5.0e6 * n
    doc["tranches"] = [{"id": "A", "balance": 0.8 * pool, "coupon": 0.03},
                       {"id": "B", "balance": 0.12 * pool, "coupon": 0.04},
                       {"id": "Sub", "balance": 0.08 * pool, "subordinated": True}]
    support = []
    for k in range(draw(st.integers(1, 3))):
        pid = f"P{k}"
        doc["obligors"].append({"id": pid, "kind": "guarantee_company",
                                "rating": draw(st.sampled_from(grades))})
        kind = draw(st.sampled_from(["loan_guarantee", "shortfall_commitment"]))
        entry = {"id": f"S{k}", "type": kind, "provider": pid,
                 "share": draw(st.sampled_from([0.5, 1.0])),
                 "lag": draw(st.sampled_from([0, 1, 5]))}
        if kind == "loan_guarantee":
            entry["covers"] = draw(st.sampled_from(["all", ["L0", "L1", "L2"]]))
        else:
            entry["covers"] = draw(st.sampled_from([["A"], ["B"], ["A", "B"]]))
            entry.pop("lag")
        if draw(st.booleans()):
            entry["cap"] = draw(st.sampled_from([2.0e6, 2.0e7]))
        support.append(entry)
    doc["credit_support"] = support
    return doc


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(supported_deals())
def test_ladder_properties_over_random_deals(doc):
    res = engine.run(load(doc))
    grades = [f"{o['rating']}sf" for o in doc["obligors"] if o["id"].startswith("P")]
    best = min(grades, key=idx)
    rows = {t["id"]: t for t in res.tranche_rows}
    for t in res.tranche_rows:
        if t["rating"] is None:
            continue
        # never above the better of standalone and the best live supporter
        assert idx(t["rating"]) >= idx(better(t["rating_standalone"], best))
        # never below standalone, and exactly the rule
        steps = [worse(f"{s['grade']}sf", s["run_rating"]) for s in t["support_ladder"]]
        assert t["rating"] == min([t["rating_standalone"], *steps], key=idx)
    # a senior never below the tranche it ranks ahead of (sequential pay, same paths)
    assert idx(rows["A"]["rating"]) <= idx(rows["B"]["rating"])
    for sa, sb in zip(rows["A"]["support_ladder"], rows["B"]["support_ladder"]):
        assert sa["default_probability"] <= sb["default_probability"] + 1e-15


def test_ladder_is_the_same_for_any_chunking():
    doc = _mezzanine_deal()
    doc["simulation"]["paths"] = 6000
    sc = load(doc)
    one = engine.run(sc, chunk_blocks=1).to_dict()
    many = engine.run(sc, chunk_blocks=64).to_dict()
    for x, y in zip(one["tranches"], many["tranches"]):
        assert x["support_ladder"] == y["support_ladder"]
        assert x["rating"] == y["rating"]
    assert np.isfinite([s["default_probability"] for t in one["tranches"]
                        for s in t["support_ladder"]]).all()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(supported_deals(), st.integers(0, 3))
def test_support_arriving_after_legal_final_never_changes_a_rating(doc, late):
    """Loan guarantees whose every payment lands after legal final (lag >= legal final):
    in every run of the ladder each tranche defaults and loses exactly as standalone."""
    doc["credit_support"] = [
        dict(s, type="loan_guarantee", covers="all", lag=doc["legal_final"] + late)
        for s in doc["credit_support"]]
    res = engine.run(load(doc))
    for t in res.tranche_rows:
        for step in t["support_ladder"]:
            assert step["default_probability"] == t["default_probability_standalone"]
            assert step["expected_loss"] == t["expected_loss_standalone"]
        assert t["rating"] == t["rating_standalone"] and t["rating_by"] == []
