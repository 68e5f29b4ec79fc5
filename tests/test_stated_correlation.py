"""Supporter correlation you can state (issue #13): region paths, ``correlation_with``,
``parent`` ties; exact implied correlations, the bivariate-normal joint default, and
unchanged results for scenarios that use none of it."""
from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import engine
import pre13_correlation as pre13
from builders import bullet_pool, load
from engine.default.analytic import joint_default_probability
from engine.default.factors import build_factor_structure
from engine.errors import ScenarioError
from engine.plan import compile_plan
from engine.scenario import load_scenario, load_scenario_text
from engine.scenario.correlation import (
    REGION_NONE,
    REGION_SAME,
    REGION_SHARED_PARENT,
    obligor_correlation_matrix,
    pairwise_correlation_matrix,
    region_relation,
)
from engine.scenario.models import PARENT_CORRELATION_DEFAULT, Pairwise

ROOT = Path(__file__).resolve().parents[1]
UNIT = 1_000_000.0
PATHS = 200_000
PW = {"same_region_same_industry": 0.40, "same_region": 0.25, "same_industry": 0.35,
      "other": 0.10}
NANSHAN, FUTIAN = "guangdong/shenzhen/nanshan", "guangdong/shenzhen/futian"


def within(estimate, se, exact, k=4.0):
    assert abs(estimate - exact) <= k * se + 1e-12, (estimate, se, exact)


def _pool_doc(correlation, extra_obligors=(), n=6, regions=(NANSHAN,), industries=("ai", "bio")):
    doc = bullet_pool([0.02] * n, [UNIT] * n, 0.1, paths=1_000)
    for i, o in enumerate(doc["obligors"]):
        o["region"] = regions[i % len(regions)]
        o["industry"] = industries[(i // len(regions)) % len(industries)]
    doc["obligors"] += [dict(o) for o in extra_obligors]
    doc["correlation"] = correlation
    return doc


def _structure(sc, shift=0.0):
    return build_factor_structure(sc.obligors, sc.correlation, shift,
                                  pool={a.obligor for a in sc.assets})


def _ids(sc):
    return {o.id: j for j, o in enumerate(sc.obligors)}


def _assert_unit_variance(fs):
    np.testing.assert_allclose((fs.dense() ** 2).sum(axis=1) + fs.idio ** 2, 1.0, atol=1e-12)


# ----------------------------------------------------------------------------- region paths


@pytest.mark.parametrize("a,b,relation", [
    ("guangdong/shenzhen", NANSHAN, REGION_SAME),             # the city contains the district
    (NANSHAN, NANSHAN, REGION_SAME),
    ("guangdong", NANSHAN, REGION_SAME),
    (NANSHAN, FUTIAN, REGION_SHARED_PARENT),                  # siblings: not the same region
    ("guangdong/shenzhen2", NANSHAN, REGION_SHARED_PARENT),   # whole segments, not prefixes
    ("guangdong/guangzhou", NANSHAN, REGION_SHARED_PARENT),
    ("zhejiang/hangzhou", NANSHAN, REGION_NONE),
    ("shenzhen", NANSHAN, REGION_NONE),                       # a flat label is its own root
    ("nanshan", "nanshan", REGION_SAME),
    ("nanshan", "futian", REGION_NONE),
    (None, NANSHAN, REGION_NONE),
    (None, None, REGION_NONE),
])
def test_region_relation_compares_whole_segments_outermost_first(a, b, relation):
    assert region_relation(a, b) == relation
    assert region_relation(b, a) == relation


def _labelled(pairs):
    from engine.scenario.models import Obligor
    return [Obligor(id=f"O{k}", kind="borrower", rating="BB", region=r, industry=i)
            for k, (r, i) in enumerate(pairs)]


def test_a_path_that_contains_another_is_the_same_region_in_the_table():
    obs = _labelled([(NANSHAN, "ai"), ("guangdong/shenzhen", "guarantee"), (FUTIAN, "ai"),
                     ("guangdong/shenzhen", "ai"), ("shenzhen", "guarantee"), (NANSHAN, "bio")])
    m = pairwise_correlation_matrix(obs, Pairwise(**PW))
    assert m[0, 1] == 0.25          # Nanshan borrower, Shenzhen guarantee company
    assert m[0, 3] == 0.40          # and same industry
    assert m[0, 2] == 0.35          # Nanshan and Futian: different regions, same industry
    assert m[1, 2] == 0.25          # the city contains Futian too
    assert m[0, 4] == 0.10          # a flat `shenzhen` label is not the path's city
    assert m[0, 5] == 0.25


def test_same_parent_region_is_used_only_for_paths_that_share_a_leading_segment():
    obs = _labelled([(NANSHAN, "ai"), (FUTIAN, "bio"), (FUTIAN, "ai"), ("guangdong/shenzhen", "x"),
                     ("zhejiang/hangzhou", "bio"), ("nanshan", "bio"), ("futian", "bio")])
    m = pairwise_correlation_matrix(obs, Pairwise(**PW, same_parent_region=0.3))
    assert m[0, 1] == 0.3           # siblings under Shenzhen
    assert m[0, 2] == 0.35          # ... with the same industry: the larger of 0.3 and 0.35
    assert m[0, 3] == 0.25          # an ancestor is the same region, not a parent share
    assert m[0, 4] == 0.10 and m[1, 4] == 0.35
    assert m[5, 6] == 0.35          # flat labels never share a parent
    m = pairwise_correlation_matrix(
        obs, Pairwise(**PW, same_parent_region=0.3, same_parent_region_same_industry=0.38))
    assert m[0, 2] == 0.38 and m[0, 1] == 0.3


def test_flat_labels_give_exactly_the_matrix_they_gave_before():
    rng = np.random.default_rng(13)
    labels = ["nanshan", "futian", "shenzhen", "hangzhou", None]
    for _ in range(20):
        obs = _labelled([(labels[rng.integers(5)], labels[rng.integers(5)]) for _ in range(15)])
        new = pairwise_correlation_matrix(obs, Pairwise(**PW))
        old = pre13.pairwise_correlation_matrix(obs, Pairwise(**PW))
        assert new.dtype == old.dtype and np.array_equal(new, old)


@pytest.mark.parametrize("table", [PW, dict(PW, same_parent_region=0.2)])
def test_factor_structure_reproduces_a_table_over_region_paths(table):
    regions = (NANSHAN, FUTIAN, "guangdong/shenzhen", "guangdong/guangzhou")
    sc = load(_pool_doc({"pairwise": table}, n=16, regions=regions))
    fs = _structure(sc)
    want = pairwise_correlation_matrix(sc.obligors, sc.correlation.pairwise)
    np.testing.assert_allclose(fs.correlation(), want, rtol=0, atol=1e-12)
    _assert_unit_variance(fs)


def test_factor_model_loads_on_every_node_of_a_region_path():
    fac = {"global": 0.3, "region": {"guangdong": 0.2, "guangdong/shenzhen": 0.3, NANSHAN: 0.4},
           "industry": {"ai": 0.1}}
    regions = (NANSHAN, FUTIAN, "guangdong/guangzhou", "nanshan")
    sc = load(_pool_doc({"factors": fac}, n=4, regions=regions, industries=("bio",)))
    fs = _structure(sc)
    a = fs.dense()
    names = list(fs.names)
    assert a[0, names.index("region:guangdong")] == 0.2
    assert a[0, names.index("region:guangdong/shenzhen")] == 0.3
    assert a[0, names.index(f"region:{NANSHAN}")] == 0.4
    r = fs.correlation()
    assert r[0, 1] == pytest.approx(0.09 + 0.04 + 0.09, abs=1e-15)   # global, province, city
    assert r[0, 2] == pytest.approx(0.09 + 0.04, abs=1e-15)
    assert r[0, 3] == pytest.approx(0.09, abs=1e-15)   # a flat `nanshan` is another region
    assert fs.idio[0] == pytest.approx(math.sqrt(1 - 0.09 - 0.04 - 0.09 - 0.16))


def _without_13_fields(sc) -> bool:
    pw = sc.correlation.pairwise
    return (all(o.correlation_with is None and o.parent is None
                and (o.region is None or "/" not in o.region) for o in sc.obligors)
            and (pw is None or pw.same_parent_region is None)
            and (sc.correlation.factors is None
                 or all("/" not in k for k in sc.correlation.factors.region)))


SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "tests" / "data" / "scenario" / "fixture_base.yaml",
    ROOT / "tests" / "data" / "format_example.yaml"]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenarios_without_the_new_fields_keep_their_correlation_model(path):
    """The same latent correlations and idiosyncratic weights as before issue 13. Not the
    same loadings bit for bit any more: pairwise cells are now decomposed in the order of
    their labels, not of first appearance, so the factors do not depend on list order
    (issue #20); the decomposition's rotation differs, the model does not."""
    sc = load_scenario(path)
    if not _without_13_fields(sc):
        pytest.skip("uses region paths or stated correlations")
    for shift in (0.0, 0.1, -0.05):
        new = _structure(sc, shift)
        old = pre13.build_factor_structure(sc.obligors, sc.correlation, shift)
        assert new.n_factors == old.n_factors and new.names == old.names
        np.testing.assert_allclose(new.correlation(), old.correlation(), rtol=0, atol=1e-12)
        # idiosyncratic variances (a singleton cell's is 1 - loadings^2, near 0: compared as
        # variances, where the rounding of the rotation shows as 1e-16, not 1e-8)
        np.testing.assert_allclose(new.idio ** 2, old.idio ** 2, rtol=0, atol=1e-12)
        assert new.repair == old.repair


def _rooted(doc):
    """Every region label moved under one root `cn/` (no same_parent_region is given)."""
    doc = copy.deepcopy(doc)
    for o in doc["obligors"]:
        if "region" in o:
            o["region"] = "cn/" + o["region"]
    fac = doc["correlation"].get("factors")
    if fac and "region" in fac:
        fac["region"] = {"cn/" + k: v for k, v in fac["region"].items()}
    return doc


@pytest.mark.parametrize("name", ["wuhan_multi_tranche_triggers", "cross_region_pool"])
def test_paths_under_one_root_mean_what_the_flat_labels_meant(name):
    path = ROOT / "scenarios" / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())
    flat = load_scenario_text(yaml.safe_dump(doc), base_dir=path.parent)
    rooted = load_scenario_text(yaml.safe_dump(_rooted(doc)), base_dir=path.parent)
    a, b = _structure(flat), _structure(rooted)
    for field in ("load_ptr", "load_idx", "load_val", "idio"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    # the same model; its factors are named by their labels, and random numbers are keyed
    # by name (issue #20), so the runs agree within Monte Carlo error, not bit for bit
    ra = engine.run(flat, paths=4_000).tranches
    rb = engine.run(rooted, paths=4_000).tranches
    for key in ("default_probability", "expected_loss"):
        gap = (ra[key] - rb[key]).abs()
        se = np.hypot(ra[f"{key}_se"], rb[f"{key}_se"])
        assert (gap <= 4.0 * se + 1e-12).all(), (key, gap, se)


# ----------------------------------------------------------------------------- stated correlations

GC = {"id": "GC", "kind": "guarantee_company", "rating": "AA+", "region": "guangdong/shenzhen",
      "industry": "guarantee"}
SOE = {"id": "SOE", "kind": "shareholder", "rating": "AAA", "region": "guangdong",
       "industry": "state_capital"}


def _expected(sc, stated: dict[tuple[str, str], float]) -> np.ndarray:
    """The base correlation (table or uniform) with the stated entries written in by hand."""
    n = len(sc.obligors)
    if sc.correlation.uniform is not None:
        r = np.full((n, n), sc.correlation.uniform)
        np.fill_diagonal(r, 1.0)
    else:
        r = pairwise_correlation_matrix(sc.obligors, sc.correlation.pairwise)
    ix = _ids(sc)
    for (a, b), v in stated.items():
        r[ix[a], ix[b]] = r[ix[b], ix[a]] = v
    return r


BASES = {"uniform": {"uniform": 0.2}, "pairwise": {"pairwise": PW}}
POOL = [f"B{i}" for i in range(6)]

# (obligor fields added to GC / SOE, the stated pairs they imply, the construction expected)
CASES = {
    "pool": ({"GC": {"correlation_with": {"pool": 0.3}}},
             {("GC", b): 0.3 for b in POOL}),
    "named": ({"GC": {"correlation_with": {"obligors": {"B0": 0.6, "SOE": 0.5}}}},
              {("GC", "B0"): 0.6, ("GC", "SOE"): 0.5}),
    "named_beats_pool": ({"GC": {"correlation_with": {"pool": 0.3, "obligors": {"B1": 0.55}}}},
                         {**{("GC", b): 0.3 for b in POOL}, ("GC", "B1"): 0.55}),
    "parent_default": ({"GC": {"parent": "SOE"}}, {("GC", "SOE"): PARENT_CORRELATION_DEFAULT}),
    "parent_and_pool": ({"GC": {"parent": "SOE", "parent_correlation": 0.7},
                         "SOE": {"correlation_with": {"pool": 0.35}}},
                        {("GC", "SOE"): 0.7, **{("SOE", b): 0.35 for b in POOL}}),
    "negative": ({"GC": {"correlation_with": {"obligors": {"B2": -0.2}}}}, {("GC", "B2"): -0.2}),
    # needs more than the shared factors: the borrowers' own terms are promoted (uniform base)
    "beyond_the_economy": ({"GC": {"correlation_with": {"pool": 0.46}}},
                           {("GC", b): 0.46 for b in POOL}),
}


def _stated_doc(base, case):
    fields, _ = CASES[case]
    extra = [dict(GC, **fields.get("GC", {})), dict(SOE, **fields.get("SOE", {}))]
    return _pool_doc(BASES[base], extra, regions=(NANSHAN, FUTIAN))


@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("case", list(CASES))
def test_implied_correlations_are_the_stated_numbers(base, case):
    sc = load(_stated_doc(base, case))
    fs = _structure(sc)
    want = _expected(sc, CASES[case][1])
    np.testing.assert_allclose(fs.correlation(), want, rtol=0, atol=1e-12)
    assert np.array_equal(obligor_correlation_matrix(
        sc.obligors, sc.correlation, {a.obligor for a in sc.assets}), want)
    _assert_unit_variance(fs)
    # the obligors that state nothing keep the economy loading of the base
    economy = math.sqrt(0.2 if base == "uniform" else PW["other"])
    ix = _ids(sc)
    a = fs.dense()
    assert np.allclose(a[[ix[b] for b in POOL], 0], economy, atol=1e-15)
    promoted = [n for n in fs.names if n.startswith("obligor:")]
    if case == "beyond_the_economy" and base == "uniform":
        assert promoted     # 0.46 > sqrt(0.2): only the borrowers' own terms can carry it
    elif case not in ("beyond_the_economy",):
        assert not promoted


def test_a_low_rank_structure_is_kept_when_the_shared_factors_carry_the_statements():
    sc = load(_pool_doc({"uniform": 0.2}, [dict(GC, correlation_with={"pool": 0.3})], n=200))
    fs = _structure(sc)
    assert fs.n_factors == 1                # GC loads more on the economy factor, nothing else
    assert fs.dense()[-1, 0] == pytest.approx(0.3 / math.sqrt(0.2))
    sc = load(_pool_doc({"pairwise": PW}, [dict(GC, correlation_with={"pool": 0.3}), SOE],
                        n=200))
    fs = _structure(sc)
    assert fs.n_factors < 10                # cells, not one factor per obligor
    np.testing.assert_allclose(fs.correlation(), _expected(sc, {("GC", f"B{i}"): 0.3
                                                                for i in range(200)}),
                               rtol=0, atol=1e-12)


def test_pool_means_the_obligors_that_owe_an_asset():
    doc = _pool_doc({"uniform": 0.2}, [dict(GC, correlation_with={"pool": 0.4}), SOE])
    doc["assets"].append({"id": "LGC", "obligor": "GC", "balance": UNIT, "rate": 0.0, "term": 4})
    doc["tranches"][0]["balance"] += UNIT
    sc = load(doc)
    r = _structure(sc).correlation()
    ix = _ids(sc)
    assert r[ix["GC"], ix["B3"]] == pytest.approx(0.4, abs=1e-12)
    assert r[ix["GC"], ix["SOE"]] == pytest.approx(0.2, abs=1e-12)   # not in the pool


def test_the_implied_correlations_do_not_depend_on_the_order_of_the_obligors():
    doc = _stated_doc("pairwise", "parent_and_pool")
    doc["obligors"][1]["correlation_with"] = {"obligors": {"GC": 0.45}}
    doc["correlation"]["pairwise"] = dict(PW, same_parent_region=0.2)
    base = load(doc)
    want = _structure(base).correlation()
    order = [o.id for o in base.obligors]
    rng = np.random.default_rng(5)
    for _ in range(6):
        shuffled = copy.deepcopy(doc)
        rng.shuffle(shuffled["obligors"])
        sc = load(shuffled)
        ix = _ids(sc)
        perm = [ix[i] for i in order]
        got = _structure(sc).correlation()[np.ix_(perm, perm)]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_a_pair_stated_twice_is_an_error_whatever_the_order():
    doc = _pool_doc({"uniform": 0.2}, [dict(GC, correlation_with={"obligors": {"SOE": 0.5}}),
                                       dict(SOE, correlation_with={"obligors": {"GC": 0.6}})])
    for obligors in (doc["obligors"], doc["obligors"][::-1]):
        with pytest.raises(ScenarioError, match="is given two correlations"):
            load(dict(doc, obligors=obligors))
    doc["obligors"][-1]["correlation_with"]["obligors"]["GC"] = 0.5     # the same twice is fine
    load(doc)


def test_correlation_shift_moves_stated_correlations_like_the_table():
    sc = load(_stated_doc("pairwise", "named"))
    r = _structure(sc, 0.1).correlation()
    ix = _ids(sc)
    assert r[ix["GC"], ix["B0"]] == pytest.approx(0.7, abs=1e-12)
    assert r[ix["B0"], ix["B2"]] == pytest.approx(PW["same_region"] + 0.1, abs=1e-12)
    assert compile_plan(sc, correlation_shift=0.1).factors.n_factors > 1


def test_repair_nearest_makes_stated_correlations_usable_and_is_reported():
    extra = [dict(GC, correlation_with={"pool": 0.5}),
             dict(SOE, correlation_with={"pool": -0.5, "obligors": {"GC": 0.9}})]
    doc = _pool_doc({"uniform": 0.2}, extra)
    with pytest.raises(ScenarioError, match="not positive semidefinite") as info:
        load(doc)
    assert info.value.problems[0].path == "obligors.7.correlation_with"
    doc["correlation"]["repair"] = "nearest"
    doc["simulation"]["paths"] = 2_000
    sc = load(doc)
    fs = compile_plan(sc).factors
    assert fs.repair["method"] == "nearest" and fs.repair["smallest_eigenvalue_before"] < 0
    assert np.linalg.eigvalsh(fs.correlation()).min() > -1e-10
    assert engine.run(sc).to_dict()["correlation_repair"]["frobenius_change"] > 0


# ----------------------------------------------------------------------------- Monte Carlo

# One borrower B0 carries the whole senior, covered by a shortfall commitment of G: the senior
# defaults exactly when both default, with the latent correlation the scenario states.
MC_CASES = {
    "uniform_named": ({"uniform": 0.1}, {"correlation_with": {"obligors": {"B0": 0.6}}}, 0.6),
    "uniform_pool": ({"uniform": 0.1}, {"correlation_with": {"pool": 0.6}}, 0.6),
    "pairwise_parent": ({"pairwise": PW}, {"parent": "B0", "parent_correlation": 0.5}, 0.5),
    "pairwise_region_path": ({"pairwise": dict(PW, same_region=0.45)},
                             {"region": "guangdong/shenzhen", "industry": "guarantee"}, 0.45),
    # three small bystander borrowers (absorbed by the subordinated tranche) make the pool
    # statement need the borrowers' own terms: 0.5 > sqrt(0.2)
    "uniform_pool_beyond_the_economy": ({"uniform": 0.2}, {"correlation_with": {"pool": 0.5}},
                                        0.5),
}


def _mc_doc(case, pd_b=0.05, pd_g=0.03):
    corr, fields, _ = MC_CASES[case]
    bystanders = 3 if case.endswith("beyond_the_economy") else 0
    sizes = [100 * UNIT] + [0.01 * UNIT] * bystanders
    pool = sum(sizes)
    doc = bullet_pool([pd_b] + [0.3] * bystanders, sizes, 0.1, senior_share=100 * UNIT / pool,
                      legal_final=1, paths=PATHS, seed=13)
    if not bystanders:
        doc["tranches"] = doc["tranches"][:1]
    doc["obligors"][0].update(region=NANSHAN, industry="ai")
    doc["obligors"].append({"id": "G", "kind": "guarantee_company",
                            "pd": {"cumulative": [pd_g]}, **fields})
    doc["correlation"] = corr
    doc["credit_support"] = [{"id": "S", "type": "shortfall_commitment", "provider": "G",
                              "covers": ["A"]}]
    return doc


@pytest.mark.parametrize("case", list(MC_CASES))
def test_joint_default_of_a_borrower_and_its_stated_provider_is_the_bivariate_normal(case):
    sc = load(_mc_doc(case))
    r = _structure(sc).correlation()
    rho = MC_CASES[case][2]
    assert r[0, -1] == pytest.approx(rho, abs=1e-12)
    a = engine.run(sc).tranches.loc["A"]
    exact = joint_default_probability(0.05, 0.03, rho)
    within(a.default_probability, a.default_probability_se, exact)
    # and it is not what the base correlation alone would give
    base = joint_default_probability(0.05, 0.03, 0.1 if "uniform" in case else PW["other"])
    assert abs(exact - base) > 8 * a.default_probability_se


# ----------------------------------------------------------------------------- shipped scenarios


@pytest.mark.parametrize("name", ["shenzhen_ip_pledge", "shenzhen_ip_pledge_aa_plus"])
def test_shipped_nanshan_guarantee_company_shares_its_borrowers_region(name):
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    r = _structure(sc).correlation()
    ix = _ids(sc)
    table = sc.correlation.pairwise
    for o in sc.obligors:
        if o.kind == "borrower":
            assert r[ix["GC"], ix[o.id]] == pytest.approx(table.same_region, abs=1e-12)


def test_shipped_originator_is_tied_to_its_state_owned_shareholder():
    sc = load_scenario(ROOT / "scenarios" / "hangzhou_entrusted_loan_soe.yaml")
    ix = _ids(sc)
    orig = sc.obligors[ix["ORIG"]]
    assert orig.parent == "SOE"
    r = _structure(sc).correlation()
    assert r[ix["ORIG"], ix["SOE"]] == pytest.approx(orig.parent_correlation
                                                     or PARENT_CORRELATION_DEFAULT, abs=1e-12)
