"""Sensitivities, sizing, comparison and golden regression, on common random numbers."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from builders import bullet_pool, load
from engine.analysis.regression import check_folder
from engine.analysis.sensitivity import sensitivity
from engine.analysis.sizing import size_tranche
from engine.default.analytic import finite_pool_loss_distribution, tranche_default_probability
from engine.rating import domestic_table

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


def _mezz_pool(paths=100_000):
    """A pool whose senior has a default probability of a few percent (many events)."""
    doc = bullet_pool([0.04] * 30, [1e6] * 30, 0.2, legal_final=1, senior_share=0.9,
                      paths=paths, seed=17)
    for i, o in enumerate(doc["obligors"]):
        o["region"] = ["north", "south"][i % 2]
        o["industry"] = "ai"
    doc["correlation"] = {"pairwise": {"same_region_same_industry": 0.3, "same_region": 0.2,
                                       "same_industry": 0.15, "other": 0.1}}
    return doc


def test_sensitivity_differences_are_far_more_precise_than_the_estimates():
    # regression-sized changes; for a 0/1 default indicator the paired error shrinks like
    # sqrt(change / level), so larger changes gain less (x1.1 gives 2.6x here, 4.5x on EL)
    doc = sensitivity(load(_mezz_pool()), [("PD x1.02", {"pd_multiplier": 1.02}),
                                           ("corr +0.01", {"correlation_shift": 0.01})])
    for case in doc["cases"]:
        a = case["tranches"][0]
        assert a["pd_change"] > 0
        assert a["pd_change_se"] * 4 <= a["default_probability_se"]
        assert a["el_change_se"] * 4 <= a["expected_loss_se"]
    base_a = doc["base"]["tranches"][0]
    first = doc["cases"][0]["tranches"][0]
    assert first["default_probability"] - base_a["default_probability"] == pytest.approx(
        first["pd_change"], abs=1e-12)


def test_removing_the_only_support_of_a_provider_keeps_the_base_case_paths():
    """Guangzhou's pairwise table: without SCG its provider PARENT supports nothing, and its
    correlation cell would leave the factor structure (another decomposition, other paths).
    The sensitivity keeps the base case's structure: the pool and the standalone structure
    are the same on every path, so their changes are exactly zero."""
    from engine.analysis.sensitivity import run_case
    from engine.rating.deal import run_deal

    scenario = engine.load_scenario(ROOT / "scenarios" / "guangzhou_patent_sublicensing.yaml")
    base, base_runs = run_deal(scenario, 4000, 3, record=True)
    case, runs = run_case(scenario, {"remove_support": ["SCG"]}, base_runs.plan, 4000, 3,
                          {k: v for k, v in base.run.items() if k not in ("paths", "seed")})
    assert case.to_dict()["pool"] == base.to_dict()["pool"]
    assert runs.standalone_totals.sums.tolist() == base_runs.standalone_totals.sums.tolist()
    assert [r["rating_standalone"] for r in case.tranche_rows] == \
        [r["rating_standalone"] for r in base.tranche_rows]


@pytest.mark.parametrize("change,direction", [
    ({"pd_multiplier": 1.3}, +1), ({"correlation_shift": 0.1}, +1),
    ({"pd_multiplier": 0.7}, -1), ({"correlation_shift": -0.05}, -1),
])
def test_pd_and_correlation_move_the_senior_the_right_way_path_by_path(change, direction):
    doc = sensitivity(load(_mezz_pool(paths=50_000)), [("c", change)])
    a = doc["cases"][0]["tranches"][0]
    assert direction * a["pd_change"] > 4 * a["pd_change_se"]


def test_more_subordination_a_better_provider_or_added_support_never_raise_the_senior_pd():
    sc = engine.load_scenario(SHIPPED)
    base = sensitivity(sc, [("better GC", {"rating_override": {"GC": "AAA+"}}),
                            ("worse GC", {"rating_override": {"GC": "A"}}),
                            ("no SC", {"remove_support": ["SC"]})], paths=50_000)
    pd = {c["name"]: c["tranches"][0]["pd_change"] for c in base["cases"]}
    assert pd["better GC"] <= 0 <= pd["worse GC"]
    assert pd["no SC"] >= 0                       # removing support never helps
    thin = sc.model_copy(update={"tranches": [
        sc.tranches[0].model_copy(update={"balance": 185.4e6}),
        sc.tranches[1].model_copy(update={"balance": 20.6e6})]})
    a_thin = engine.run(thin, paths=50_000).tranches.loc["A", "default_probability"]
    a_base = engine.run(sc, paths=50_000).tranches.loc["A", "default_probability"]
    assert a_thin <= a_base


def test_sizing_finds_the_exact_largest_senior_of_a_pool_with_a_known_answer():
    pds, rho = [0.01] * 25, 0.2
    dist = finite_pool_loss_distribution(pds, [1] * 25, rho, n_nodes=256)
    threshold = domestic_table().sf_threshold("AAAsf", 1.0)
    smallest_sub = next(s for s in range(26) if tranche_default_probability(dist, s) <= threshold)
    doc = bullet_pool(pds, [1e6] * 25, rho, legal_final=1, senior_share=0.5, paths=100_000, seed=9)
    doc["simulation"]["method"] = "importance"
    doc["simulation"]["importance"] = {"twist": True}
    res = size_tranche(load(doc), "A", "AAAsf", tolerance=0.01 / 25)
    assert res["achieved"]["rating"] == "AAAsf"
    # the answer lies between the exact boundary and one loan unit below it
    assert 25 - smallest_sub - 1 < res["balance"] / 1e6 <= 25 - smallest_sub + 1e-9


def test_sizing_answer_earns_the_target_and_a_larger_one_does_not():
    doc = _mezz_pool(paths=50_000)
    sc = load(doc)
    res = size_tranche(sc, "A", "BBB-sf", tolerance=1e-3)
    assert res["achieved"]["rating"] in ("BBB-sf", "BBBsf", "BBB+sf", "A-sf")
    bigger = size_tranche.__globals__["with_balance"](sc, 0, res["balance"] * 1.01, 30e6)
    r = engine.run(bigger).tranches.loc["A", "rating"]
    from engine.rating.scale import SF_SCALE
    assert SF_SCALE.index(r) > SF_SCALE.index("BBB-sf")


def test_check_passes_unchanged_scenarios_and_catches_a_changed_one(tmp_path):
    outcomes = check_folder(ROOT / "scenarios")
    assert outcomes and all(o.passed for o in outcomes), [o.differences for o in outcomes]
    shutil.copy(SHIPPED, tmp_path / SHIPPED.name)
    shutil.copy(SHIPPED.with_name(SHIPPED.stem + ".golden.json"), tmp_path)
    doc = yaml.safe_load(SHIPPED.read_text())
    for o in doc["obligors"]:
        if o["id"] == "GC":
            o["rating"] = "BBB"
    (tmp_path / SHIPPED.name).write_text(yaml.safe_dump(doc, sort_keys=False))
    p = subprocess.run([sys.executable, "-m", "engine", "check", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert "CHANGED" in p.stdout
    assert any(line.strip().startswith("base: tranche A rating ")
               for line in p.stdout.splitlines()), p.stdout
    golden = json.loads((tmp_path / (SHIPPED.stem + ".golden.json")).read_text())
    assert golden["format"] == "ipabs-golden/v1"          # nothing rewrote it


def test_commands_write_their_documents(tmp_path):
    for args, fmt in [(["sensitivity", str(SHIPPED)], "ipabs-sensitivity/v1"),
                      (["compare", str(SHIPPED), str(SHIPPED)], "ipabs-compare/v1")]:
        out = tmp_path / "x.json"
        p = subprocess.run([sys.executable, "-m", "engine", *args, "--paths", "5000", "--json",
                            str(out)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert json.loads(out.read_text())["format"] == fmt
    out = tmp_path / "size.json"
    p = subprocess.run([sys.executable, "-m", "engine", "size", str(SHIPPED), "--tranche", "A",
                        "--target", "AAAsf", "--paths", "5000", "--json", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    sized = json.loads(out.read_text())
    assert set(sized) == {"format", "tranche", "target", "rating", "balance", "share_of_pool",
                          "achieved", "bracket", "resolution", "paths", "seed",
                          "standalone", "support_carries_any_size"}
    # the AAA guarantee company carries AAAsf at any size; alone the pool carries less
    assert sized["support_carries_any_size"] is True
    assert sized["standalone"]["balance"] < sized["balance"]
    assert sized["standalone"]["achieved"]["rating"] == "AAAsf"
    bad = subprocess.run([sys.executable, "-m", "engine", "size", str(SHIPPED), "--tranche", "Z",
                          "--target", "AAAsf"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown tranche" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "engine", "sensitivity", str(SHIPPED),
                          "--change", "remove_support=NOPE"], capture_output=True, text=True)
    assert bad.returncode == 2 and "NOPE" in bad.stderr and "Traceback" not in bad.stderr


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@st.composite
def small_pools(draw):
    n = draw(st.integers(3, 12))
    pds = [draw(st.sampled_from([0.01, 0.03, 0.08, 0.15])) for _ in range(n)]
    sizes = [draw(st.integers(1, 5)) * 1e6 for _ in range(n)]
    doc = bullet_pool(pds, sizes, draw(st.sampled_from([0.05, 0.2, 0.4])), legal_final=4,
                      frequency="quarterly", senior_share=draw(st.sampled_from([0.6, 0.8, 0.95])),
                      coupon=0.03, rate=0.06, paths=4_000, seed=draw(st.integers(0, 99)))
    for a in doc["assets"]:
        a["amortization"] = draw(st.sampled_from(["bullet", "equal_principal"]))
    return doc


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_pools(), st.sampled_from([1.2, 2.0]))
def test_a_higher_pd_never_saves_a_senior_on_any_path(doc, multiplier):
    from engine.analysis.sensitivity import run_case
    from engine.plan import compile_plan
    from engine.simulate import simulate

    sc = load(doc)
    base_plan = compile_plan(sc)
    base = simulate(base_plan, 4_000, sc.simulation.seed, record=True)
    _, case = run_case(sc, {"pd_multiplier": multiplier}, base_plan, 4_000,
                       sc.simulation.seed, {})
    assert (case.totals.record.default[:, 0] >= base.record.default[:, 0]).all()
    assert (case.totals.record.loss[:, 0] >= base.record.loss[:, 0] - 1e-12).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_pools())
def test_more_subordination_or_added_support_never_hurts_a_senior_on_any_path(doc):
    from engine.plan import compile_plan
    from engine.simulate import simulate

    def senior_defaults(d):
        sc = load(d)
        return simulate(compile_plan(sc), 4_000, sc.simulation.seed, record=True).record.default[:, 0]

    base = senior_defaults(doc)
    thick = dict(doc, tranches=[dict(doc["tranches"][0], balance=doc["tranches"][0]["balance"] * 0.9),
                                dict(doc["tranches"][1], balance=doc["tranches"][1]["balance"]
                                     + doc["tranches"][0]["balance"] * 0.1)])
    assert (senior_defaults(thick) <= base).all()
    supported = dict(doc, obligors=doc["obligors"] + [{"id": "G", "kind": "guarantee_company",
                                                       "rating": "AA"}],
                     credit_support=[{"id": "SC", "type": "shortfall_commitment", "provider": "G",
                                      "covers": ["A"]}])
    assert (senior_defaults(supported) <= base).all()
