"""Designs compared on the same random numbers whatever the files list (random numbers keyed
by id, the engine's own order of obligors, assets and collateral), sizing on any basis, and
the design grid (`ipabs sweep`) with its cost."""
from __future__ import annotations

import copy
import json
import random

import numpy as np
import pytest
import yaml
from builders import load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_support_ladder import supported_deals

import engine
from engine.analysis.sizing import size_tranche
from engine.analysis.sweep import design, design_cost, sweep
from engine.cli import main
from engine.scenario.edit import standalone

SHIPPED = "scenarios/wuhan_multi_tranche_triggers.yaml"


def _document(sc, **kw) -> dict:
    doc = engine.run(sc, **kw).to_dict()
    doc.pop("scenario")                       # the file's digest: the files differ
    doc["run"].pop("elapsed_s")
    doc["obligors"] = sorted(doc["obligors"], key=lambda o: o["id"])
    return doc


def _shipped_doc() -> dict:
    with open(SHIPPED, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _load_doc(doc: dict):
    return engine.load_scenario_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                                     base_dir="scenarios")


@pytest.mark.parametrize("change", ["obligors reversed", "assets reversed",
                                    "collateral reversed", "unused obligor first",
                                    "pledged items reversed"])
def test_reordered_lists_and_an_unused_obligor_leave_every_estimate_bit_identical(change):
    base = _shipped_doc()
    doc = copy.deepcopy(base)
    if change == "obligors reversed":
        doc["obligors"].reverse()
    elif change == "assets reversed":
        doc["assets"].reverse()
    elif change == "collateral reversed":
        doc["collateral"].reverse()
    elif change == "pledged items reversed":
        for a in doc["assets"]:
            a["collateral"] = list(reversed(a.get("collateral", [])))
    else:   # a borrower in a cell (region, industry) of its own that nothing uses
        doc["obligors"].insert(0, {"id": "A00_UNUSED", "kind": "borrower", "rating": "B",
                                   "region": "nowhere", "industry": "nothing"})
    one = _document(_load_doc(base), paths=6000, seed=5)
    two = _document(_load_doc(doc), paths=6000, seed=5)
    two["obligors"] = [o for o in two["obligors"] if o["id"] != "A00_UNUSED"]
    # the one thing that differs: the file is told that nothing uses A00_UNUSED
    two["warnings"] = [w for w in two["warnings"] if "A00_UNUSED" not in w]
    assert one == two


def test_comparing_a_design_with_itself_relisted_has_zero_paired_difference():
    base = _shipped_doc()
    relisted = copy.deepcopy(base)
    relisted["obligors"].reverse()
    relisted["assets"].reverse()
    cmp = engine.compare([_load_doc(base), _load_doc(relisted)], paths=6000, seed=5)
    for t in cmp["differences"][0]["tranches"]:
        assert t["pd_change"] == 0.0 and t["pd_change_se"] == 0.0
        assert t["el_change"] == 0.0 and t["el_change_se"] == 0.0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(supported_deals(), st.randoms(use_true_random=False))
def test_a_random_permutation_of_every_list_changes_no_result(doc, rnd):
    for o in doc["obligors"]:
        o.update(region=rnd.choice(["north", "south"]), industry=rnd.choice(["ai", "bio"]))
    doc["correlation"] = {"pairwise": {"same_region_same_industry": 0.4, "same_region": 0.25,
                                       "same_industry": 0.35, "other": 0.1}}
    shuffled = copy.deepcopy(doc)
    for key in ("obligors", "assets", "collateral"):
        if key in shuffled:
            rnd.shuffle(shuffled[key])
    assert _document(load(doc)) == _document(load(shuffled))


def test_draws_are_keyed_by_id_not_position():
    from engine.default.draw_keys import draw_key, draw_keys

    assert draw_key("obligor", "B01") == draw_key("obligor", "B01")
    assert draw_key("obligor", "B01") != draw_key("collateral", "B01")
    keys = draw_keys("obligor", ["B02", "B01"])
    assert keys.dtype == np.uint64 and keys[1] == np.uint64(draw_key("obligor", "B01"))


# ----------------------------------------------------------------------------- sizing

def test_the_standalone_size_is_a_size_the_standalone_structure_rates_at_the_target():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
    doc = size_tranche(sc, "A", "AAAsf", paths=8000)
    assert doc["support_carries_any_size"] is True        # the AAA supporter covers all
    alone = doc["standalone"]
    assert 0.0 < alone["balance"] < doc["balance"]
    total = sum(t.balance for t in sc.tranches)
    from engine.analysis.sizing import with_balance

    at = engine.run(standalone(with_balance(sc, 0, alone["balance"], total)), paths=8000)
    assert at.tranche_rows[0]["rating"] == "AAAsf"
    above = engine.run(standalone(with_balance(sc, 0, alone["bracket"][1], total)), paths=8000)
    assert above.tranche_rows[0]["rating"] != "AAAsf"


def test_size_on_the_standalone_basis_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["size", "scenarios/shenzhen_ip_pledge.yaml", "--tranche", "A", "--target",
                 "AAAsf", "--support", "standalone", "--paths", "4000", "--json",
                 str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["rating"]["support"] == "standalone" and "standalone" not in doc
    assert doc["achieved"]["rating"] == doc["achieved"]["rating_standalone"] == "AAAsf"
    assert doc["balance"] < 206e6
    text = capsys.readouterr().out
    assert "earns AAAsf or better up to" in text


def test_size_says_when_the_support_carries_the_target_at_any_size(capsys):
    assert main(["size", "scenarios/shenzhen_ip_pledge.yaml", "--tranche", "A", "--target",
                 "AAAsf", "--paths", "3000"]) == 0
    text = capsys.readouterr().out
    assert "the support carries AAAsf at any size" in text
    assert "without credit support (the pool and structure alone) A earns AAAsf up to" in text


# ----------------------------------------------------------------------------- sweep

def test_every_row_of_a_2x2_sweep_is_a_plain_run_of_its_design_bit_for_bit():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
    vary = {"tranches.A.balance": [185e6, 195.7e6], "obligors.GC.rating": ["AAA", "AA"]}
    doc = sweep(sc, vary, paths=4000)
    assert len(doc["designs"]) == 4
    assert [d["changes"] for d in doc["designs"]] == [
        {"tranches.A.balance": a, "obligors.GC.rating": g}
        for a in (185e6, 195.7e6) for g in ("AAA", "AA")]
    for d in doc["designs"]:
        sc_d = design(sc, d["changes"])
        assert sc_d.tranches[0].balance == d["changes"]["tranches.A.balance"]
        assert sum(t.balance for t in sc_d.tranches) == sum(t.balance for t in sc.tranches)
        assert engine.run(sc_d, paths=4000).to_dict()["tranches"] == d["tranches"]
    grades = {(d["changes"]["obligors.GC.rating"]): d["tranches"][0]["rating"]
              for d in doc["designs"]}
    assert grades == {"AAA": "AAAsf", "AA": "AAsf"}


def test_design_cost_adds_up():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
    sc = sc.with_changes({"credit_support.LG.fee": 0.01, "credit_support.SC.fee": 0.005})
    res = engine.run(sc, paths=2000).to_dict()
    cost = design_cost(sc, res)
    pool = sum(a.balance for a in sc.assets)
    assert cost["support_fees_by_support"] == pytest.approx(
        {"LG": 0.01 * pool, "SC": 0.005 * sc.tranches[0].balance})
    assert cost["all_in"] == pytest.approx(cost["notes_coupon"] + cost["fees"]
                                           + cost["support_fees"])
    assert cost["excess_spread"] == pytest.approx(cost["pool_rate"] - cost["notes_coupon"]
                                                  - cost["fees"])
    assert cost["weighted_coupon"] == pytest.approx(sc.tranches[0].coupon)
    assert list(cost["subordinated_expected_loss"]) == ["Sub"]


def test_sweep_command_writes_its_documents_and_refuses_bad_grids(tmp_path, capsys):
    out = tmp_path / "grid"
    assert main(["sweep", "scenarios/shenzhen_ip_pledge.yaml", "--vary",
                 "credit_support.LG.share=0.8,1.0", "--paths", "2000", "--out", str(out),
                 "--json", str(tmp_path / "s.json")]) == 0
    assert {p.name for p in out.iterdir()} >= {"sweep.json", "sweep.csv", "sweep.xlsx",
                                                "frontier.png"}
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["format"] == "ipabs-sweep/v1" and len(doc["designs"]) == 2
    capsys.readouterr()
    for bad, field in [("credit_support.XX.share=0.5", "credit_support.XX"),
                       ("credit_support.LG.share=1.5", "credit_support"),
                       ("tranches.A.balance=1e12", "tranches.A.balance"),
                       ("nothing", "--vary")]:
        assert main(["sweep", "scenarios/shenzhen_ip_pledge.yaml", "--vary", bad,
                     "--paths", "1000"]) == 2
        assert field in capsys.readouterr().err


def test_the_python_sweep_is_a_frame_with_the_document():
    sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
    frame = engine.sweep(sc, {"obligors.GC.rating": ["AAA", "AA+"]}, paths=2000)
    assert list(frame["obligors.GC.rating"]) == ["AAA", "AAA", "AA+", "AA+"]
    assert frame.attrs["document"]["format"] == "ipabs-sweep/v1"
    assert {"cost_all_in", "cost_excess_spread", "rating_standalone"} <= set(frame.columns)


def test_a_shuffled_copy_is_the_same_deal_for_the_random_numbers():
    rnd = random.Random(3)
    base = _shipped_doc()
    shuffled = copy.deepcopy(base)
    for key in ("obligors", "assets", "collateral"):
        rnd.shuffle(shuffled[key])
    a = engine.run(_load_doc(base), paths=3000, seed=9).tranches
    b = engine.run(_load_doc(shuffled), paths=3000, seed=9).tranches
    assert a.equals(b)
