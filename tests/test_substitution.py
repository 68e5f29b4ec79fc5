"""Support conventions: the counterparty rule's ladder (full cover gives the supporter's
grade, partial support its cash's), standalone and joint-default ratings side by side,
TDR/BDR, the reliance report and `rated: false`."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.cli import main
from engine.plan import compile_plan, rating_tables
from engine.rating.methods import rate_by_pd
from engine.rating.substitution import provider_grade, worse
from engine.result import build_result
from engine.scenario.edit import standalone
from engine.simulate import simulate
from builders import bullet_pool, load, merge

PATHS = 20_000
ROOT = Path(__file__).resolve().parents[1]


def weak_pool(provider_rating="AA+", *, support=None, extra_obligors=(), **kw):
    """Twelve BB-ish loans, a thin 5% subordination: the standalone senior is weak. A
    shortfall commitment by ``SP`` (rated ``provider_rating``) covers the senior."""
    doc = bullet_pool([0.04] * 12, [10.0e6] * 12, 0.25, senior_share=0.95, legal_final=4,
                      frequency="quarterly", coupon=0.03, rate=0.05, paths=PATHS, seed=3)
    doc["obligors"].append({"id": "SP", "kind": "shareholder", "rating": provider_rating})
    doc["obligors"] += list(extra_obligors)
    doc["credit_support"] = support if support is not None else [
        {"id": "SC", "type": "shortfall_commitment", "provider": "SP", "covers": ["A"]}]
    return merge(doc, kw)


def tranche(result, tid="A") -> dict:
    return next(t for t in result.tranche_rows if t["id"] == tid)


@pytest.mark.parametrize("grade", ["AAA", "AA+", "A"])
def test_a_full_commitment_lends_its_providers_grade_to_a_weak_senior(grade):
    res = engine.run(load(weak_pool(grade)))
    a = tranche(res)
    assert a["rating_by"] == ["SP"]
    assert [s["grade"] for s in a["support_ladder"]] == [grade]
    assert a["support_ladder"][0]["default_probability"] == 0.0     # it pays in full
    assert a["rating_standalone"] not in ("AAAsf", "AA+sf", "AAsf", "AA-sf", "A+sf", "Asf")
    assert a["rating"] == a["rating_substitution"] == f"{grade}sf"
    # the range is the run's: with no default in 20,000 paths AAA cannot be told from AA+
    assert a["rating_range"][0] == f"{grade}sf"
    assert a["rating_range"] == [worse(f"{grade}sf", g)
                                 for g in a["support_ladder"][0]["run_rating_range"]]
    assert "support_floor" not in a
    assert res.rating == {"method": "tranche_pd", "support": "substitution", "table": "domestic"}


def test_strong_standalone_senior_keeps_its_grade_whatever_the_supporter():
    # 20 loans of 2% and a 50% senior: the senior is lost only if more than 10 default
    doc = bullet_pool([0.02] * 20, [1.0e6] * 20, 0.0, senior_share=0.5, paths=PATHS)
    doc["obligors"].append({"id": "SP", "kind": "shareholder", "rating": "BBB"})
    doc["credit_support"] = [{"id": "SC", "type": "shortfall_commitment", "provider": "SP",
                              "covers": ["A"]}]
    a = tranche(engine.run(load(doc)))
    assert a["default_probability_standalone"] == 0.0
    assert (a["rating_standalone"], a["support_ladder"][0]["rating"], a["rating"]) == (
        "AAAsf", "BBBsf", "AAAsf")
    assert a["rating_by"] == []          # the standalone structure gives it


def test_a_aaa_guarantee_of_an_aa_commitment_lifts_the_rating_to_aaa():
    bank = {"id": "BANK", "kind": "bank", "rating": "AAA"}
    doc = weak_pool("AA", extra_obligors=[bank], support=[
        {"id": "SC", "type": "shortfall_commitment", "provider": "SP", "covers": ["A"]},
        {"id": "SCG", "type": "commitment_guarantee", "provider": "BANK", "guarantees": "SC"}])
    a = tranche(engine.run(load(doc)))
    # at AAA the commitment's provider is defaulted from the start and its guarantor pays
    assert [(s["grade"], s["supporters"]) for s in a["support_ladder"]] == [
        ("AAA", ["BANK"]), ("AA", ["BANK", "SP"])]
    assert a["support_ladder"][0]["default_probability"] == 0.0
    assert a["rating"] == "AAAsf" and a["rating_by"] == ["BANK"]


def test_partial_loan_guarantees_earn_partial_credit():
    """80% AAA guarantees on every loan: better than standalone (the cash helps), not the
    guarantor's grade, and exactly the grade of the AAA run's default probability."""
    gc = {"id": "GC", "kind": "guarantee_company", "rating": "AAA"}
    lg = {"id": "LG", "type": "loan_guarantee", "provider": "GC", "covers": "all",
          "share": 0.8}
    sc = load(weak_pool("AAA", extra_obligors=[gc], support=[lg]))
    a = tranche(engine.run(sc))
    step = a["support_ladder"][0]
    scale = engine.rating.SF_SCALE
    assert scale.index(a["rating"]) < scale.index(a["rating_standalone"])
    assert a["rating"] == step["rating"] == step["run_rating"] != "AAAsf"
    assert 0.0 < step["default_probability"] < a["default_probability_standalone"]
    assert a["rating"] == rate_by_pd(step["default_probability"], 1.0, rating_tables(sc)["pd"])


def test_a_capped_guarantee_earns_what_its_cash_earns():
    gc = {"id": "GC", "kind": "guarantee_company", "rating": "AAA"}
    lg = {"id": "LG", "type": "loan_guarantee", "provider": "GC", "covers": "all",
          "cap": 1.0e6}
    a = tranche(engine.run(load(weak_pool("AAA", extra_obligors=[gc], support=[lg]))))
    step = a["support_ladder"][0]
    # 1m of cash helps a little (less loss), not a grade's worth
    assert step["default_probability"] <= a["default_probability_standalone"]
    assert step["expected_loss"] < a["expected_loss_standalone"]
    assert a["rating"] == engine.rating.substitution.better(a["rating_standalone"],
                                                            step["rating"])


def test_loan_guarantees_give_every_tranche_at_most_the_worst_guarantors_grade():
    gc1 = {"id": "GC1", "kind": "guarantee_company", "rating": "AAA"}
    gc2 = {"id": "GC2", "kind": "guarantee_company", "rating": "AA"}
    first, rest = [f"L{i}" for i in range(6)], [f"L{i}" for i in range(6, 12)]
    doc = weak_pool("AAA", extra_obligors=[gc1, gc2], support=[
        {"id": "LG1", "type": "loan_guarantee", "provider": "GC1", "covers": first},
        {"id": "LG2", "type": "loan_guarantee", "provider": "GC2", "covers": rest}])
    res = engine.run(load(doc))
    a = tranche(res)
    assert [s["grade"] for s in a["support_ladder"]] == ["AAA", "AA"]
    assert a["support_ladder"][1]["default_probability"] == 0.0    # both pay: no loss
    assert a["support_ladder"][0]["default_probability"] > 0.0     # GC2 defaulted: half lost
    assert a["rating"] == "AAsf" and a["rating_by"] == ["GC1", "GC2"]


def test_a_provider_capacity_that_binds_limits_the_credit():
    doc = weak_pool("AAA")
    doc["obligors"][-1]["capacity"] = 1.0e6
    a = tranche(engine.run(load(doc)))
    assert a["support_ladder"][0]["default_probability"] > 0.0
    assert a["rating"] != "AAAsf"


def test_provider_grades_on_the_sf_scale():
    sc = load(weak_pool("AAA-"))
    table = rating_tables(sc)["pd"]
    assert provider_grade(sc.obligors[-1], sc, table) == "AA+sf"   # AAA- is below AAA
    # a provider given by pd: cumulative 4% at legal final (one year)
    assert provider_grade(sc.obligors[0], sc, table) == rate_by_pd(0.04, 1.0, table)


def test_joint_default_convention_reproduces_the_full_simulation_rating():
    doc = weak_pool("A", rating={"support": "joint_default"})
    sc = load(doc)
    res = engine.run(sc)
    plan = compile_plan(sc)
    old = build_result(sc, plan, simulate(plan, PATHS, 3), rating_tables(sc), {})
    for new, before in zip(res.tranche_rows, old.tranche_rows):
        assert new["rating"] == new["rating_joint_default"] == before["rating"]
        assert new["rating_range"] == before["rating_range"]
        assert new["default_probability"] == before["default_probability"]


def test_standalone_estimates_come_from_the_same_paths():
    sc = load(weak_pool("AA+"))
    res = engine.run(sc)
    alone = engine.run(standalone(sc))
    for t, s in zip(res.tranche_rows, alone.tranche_rows):
        assert t["default_probability_standalone"] == s["default_probability"]
        assert t["rating_standalone"] == s["rating"] == s["rating_joint_default"]


def test_tdr_bdr_break_even_rates_ignore_the_support():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
    sc = sc.model_copy(update={"rating": sc.rating.model_copy(update={"method": "tdr_bdr"})})
    res = engine.run(sc, paths=10_000)
    for t in res.tranche_rows:
        assert t["bdr"] < 1.0
        assert t["bdr_governing_stress"] in t["bdr_by_scenario"]
        assert t["bdr_by_scenario"][t["bdr_governing_stress"]] == t["bdr"]
    a = tranche(res)
    tdr = res.pool["tdr"]
    assert all(tdr[g] <= a["bdr"] + 1e-12 for g in tdr
               if engine.rating.SF_SCALE.index(g)
               >= engine.rating.SF_SCALE.index(a["rating_standalone"]))
    assert a["bdr_cushion"] == pytest.approx(a["bdr"] - tdr[a["rating_standalone"]])
    # the AAA run: the guarantee company pays as documented, so the senior never breaks even
    assert a["support_ladder"][0]["bdr"] == 1.0
    assert a["rating"] == "AAAsf" and a["rating_by"] == ["GC"]


def test_unrated_tranche_carries_no_grade():
    doc = weak_pool("AA+")
    doc["tranches"][1]["rated"] = False
    sub = tranche(engine.run(load(doc)), "Sub")
    assert sub["rated"] is False
    assert sub["rating"] is sub["rating_range"] is sub["rating_standalone"] is None
    assert sub["rating_by"] == [] and sub["rating_joint_default"] is None
    assert sub["rating_substitution"] is None
    assert sub["support_ladder"][0]["rating"] is None      # numbers, no grade
    assert sub["default_probability"] >= 0.0


def test_reliance_report_shows_what_the_rating_rests_on():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge_aa_plus.yaml")
    res = engine.run(sc, paths=10_000, reliance_report=True)
    by = {r["support"]: {t["id"]: t for t in r["tranches"]} for r in res.reliance}
    assert set(by) == {s.id for s in sc.credit_support}
    # either support alone still carries the senior to its provider's AA+
    assert by["SC"]["A"]["rating"] == "AA+sf" and by["LG"]["A"]["rating"] == "AA+sf"
    assert by["SC"]["A"]["rating_by"] == ["GC"]
    # the originator's subordinated tranche is not rated, with or without support
    assert tranche(res, "Sub")["rated"] is False
    assert all(by[s]["Sub"]["rating"] is None for s in by)
    # removing a support never improves the engine's joint-default view (same paths)
    for s in by:
        assert by[s]["A"]["default_probability"] >= tranche(res)["default_probability"]
    doc = res.to_dict()
    assert doc["reliance"][0]["removes"] == ["LG"]


def test_convention_flag_and_table_on_screen(tmp_path, capsys):
    path = "scenarios/shenzhen_ip_pledge_aa_plus.yaml"
    out = tmp_path / "r.json"
    assert main(["run", path, "--paths", "5000", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "counterparty rule" in text and "rating by" in text and "GC (AA+)" in text
    assert "How the rating was reached" in text
    doc = json.loads(out.read_text())
    assert doc["rating"]["support"] == "substitution"
    assert doc["tranches"][0]["rating"] == "AA+sf"
    assert main(["run", path, "--paths", "5000", "--support", "joint_default",
                 "--json", str(out)]) == 0
    assert "joint default: rating" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["tranches"][0]["rating"] == doc["tranches"][0]["rating_joint_default"]


@pytest.mark.parametrize("change,field", [
    ({"rating": {"support": "weakest_link"}}, "rating.support"),
    ({"tranches": [{"id": "A", "balance": 1.0, "rated": "yes"}]}, "tranches.0.rated"),
])
def test_bad_convention_input_names_the_field(tmp_path, capsys, change, field):
    doc = merge(weak_pool("AA+"), change)
    if "tranches" in change:
        doc["tranches"] += [{"id": "Sub", "balance": 1.0, "subordinated": True}]
    path = tmp_path / "bad.yaml"
    import yaml

    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    assert field in capsys.readouterr().err


def test_size_refuses_an_unrated_tranche(tmp_path, capsys):
    import yaml

    doc = weak_pool("AA+")
    doc["tranches"].insert(1, {"id": "M", "balance": 1.0e6, "rated": False})
    doc["tranches"][0]["balance"] -= 1.0e6
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert main(["size", str(path), "--tranche", "M", "--target", "AAAsf",
                 "--paths", "2000"]) == 2
    err = capsys.readouterr().err
    assert "--tranche" in err and "rated: false" in err


def test_size_targets_the_convention_rating():
    sc = load(weak_pool("AA+"))
    from engine.analysis.sizing import size_tranche

    doc = size_tranche(sc, "A", "AA+sf", paths=5_000)
    assert doc["balance"] == pytest.approx(sum(t.balance for t in sc.tranches))
    assert doc["achieved"]["rating"] == "AA+sf"
    assert doc["rating"]["support"] == "substitution"
    np.testing.assert_equal(doc["achieved"]["rating_by"], ["SP"])


def test_the_market_page_reproduces_the_markets_outcomes(capsys):
    """docs/market.md: AAA supporters give AAAsf seniors, AA+ ones AA+sf, an AA originator
    AAsf, an AA commitment guaranteed by a AAA shareholder AAAsf; standalone far lower."""
    names = ["shenzhen_ip_pledge", "shenzhen_ip_pledge_aa_plus", "shenzhen_rc_insurance",
             "hangzhou_entrusted_loan_soe"]
    text = (ROOT / "docs" / "market.md").read_text(encoding="utf-8")
    assert all(f"scenarios/{n}.yaml" in text for n in names)
    from engine.analysis.compare import compare

    doc = compare([engine.load_scenario(ROOT / "scenarios" / f"{n}.yaml") for n in names],
                  paths=5_000)
    seniors = [d["result"]["tranches"][0] for d in doc["designs"]]
    assert [a["rating"] for a in seniors] == ["AAAsf", "AA+sf", "AAsf", "AAAsf"]
    assert [a["rating_by"] for a in seniors] == [["GC"], ["GC"], ["GOV", "INS", "ORIG"],
                                                  ["SOE"]]
    scale = engine.rating.SF_SCALE
    assert all(scale.index(a["rating_standalone"]) > scale.index("BBB-sf") for a in seniors)
