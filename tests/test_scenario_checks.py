"""Cross-reference checks and the correlation helpers they use."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.scenario import Factors, Obligor, Pairwise, check_scenario, load_scenario
from engine.scenario.correlation import (
    factor_loadings_sq_sum,
    pairwise_correlation_matrix,
    smallest_eigenvalue,
)

DATA = Path(__file__).parent / "data" / "scenario"
EXAMPLE = Path(__file__).parent / "data" / "format_example.yaml"
PAIRWISE = Pairwise(same_region_same_industry=0.4, same_region=0.25, same_industry=0.3, other=0.1)


def obligor(i: str, region: str | None, industry: str | None) -> Obligor:
    return Obligor(id=i, kind="borrower", rating="A", region=region, industry=industry)


def test_pairwise_matrix_uses_the_relationship_of_each_pair():
    obs = [obligor("a", "r1", "i1"), obligor("b", "r1", "i1"), obligor("c", "r1", "i2"),
           obligor("d", "r2", "i1"), obligor("e", "r2", "i2")]
    m = pairwise_correlation_matrix(obs, PAIRWISE)
    assert m.shape == (5, 5) and m.dtype == np.float64
    assert np.array_equal(m, m.T) and np.all(np.diag(m) == 1.0)
    assert m[0, 1] == 0.4   # same region and industry
    assert m[0, 2] == 0.25  # same region only
    assert m[0, 3] == 0.3   # same industry only
    assert m[0, 4] == 0.1   # neither
    assert m[2, 4] == 0.3 and m[3, 4] == 0.25


def test_a_missing_label_never_matches():
    obs = [obligor("a", None, None), obligor("b", None, None), obligor("c", "r", None), obligor("d", "r", None)]
    m = pairwise_correlation_matrix(obs, PAIRWISE)
    assert m[0, 1] == 0.1 and m[0, 2] == 0.1
    assert m[2, 3] == 0.25  # same region; both industries missing does not count as equal


def test_factor_loadings_square_sum_counts_global_region_and_industry():
    f = Factors(global_=0.3, region={"r": 0.4}, industry={"i": 0.5})
    assert factor_loadings_sq_sum(obligor("a", "r", "i"), f) == pytest.approx(0.5)
    assert factor_loadings_sq_sum(obligor("b", "other", None), f) == pytest.approx(0.09)


def test_smallest_eigenvalue_detects_an_inconsistent_triangle():
    m = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.9], [0.0, 0.9, 1.0]])
    assert smallest_eigenvalue(m) == pytest.approx(1 - 0.9 * np.sqrt(2))
    assert smallest_eigenvalue(np.eye(0)) == np.inf


def test_repair_nearest_accepts_a_non_psd_pairwise_table():
    sc = load_scenario(DATA / "fixture_base.yaml")
    bad = Pairwise(same_region_same_industry=0.4, same_region=0.25, same_industry=0.0, other=0.7)
    corr = sc.correlation.model_copy(update={"pairwise": bad})
    assert [p.path for p in check_scenario(sc.model_copy(update={"correlation": corr}))] == ["correlation.pairwise"]
    repaired = corr.model_copy(update={"repair": "nearest"})
    assert check_scenario(sc.model_copy(update={"correlation": repaired})) == []


def test_tranches_may_match_the_pool_up_to_rounding():
    sc = load_scenario(DATA / "fixture_base.yaml")
    pool = sum(a.balance for a in sc.assets)
    subs = sc.tranches[2]
    for extra, ok in [(pool * 1e-7, True), (pool * 1e-5, False)]:
        t = subs.model_copy(update={"balance": subs.balance + extra})
        problems = check_scenario(sc.model_copy(update={"tranches": [*sc.tranches[:2], t]}))
        assert (problems == []) is ok


def test_every_tranche_subordinated_is_an_error():
    sc = load_scenario(DATA / "minimal.yaml")
    t = sc.tranches[0].model_copy(update={"subordinated": True})
    problems = check_scenario(sc.model_copy(update={"tranches": [t]}))
    assert [str(p) for p in problems] == ["tranches: every tranche is subordinated; at least one must not be"]


def test_check_scenario_returns_problems_without_lines_and_never_raises():
    sc = load_scenario(EXAMPLE)
    broken = sc.model_copy(update={"obligors": sc.obligors[:1]})
    problems = check_scenario(broken)
    assert problems and all(p.line is None for p in problems)
    assert {"assets.1.obligor", "credit_support.0.provider", "triggers.2.when.provider_default"} <= {p.path for p in problems}


def test_a_scenario_is_checked_once_and_every_copy_afresh():
    """engine.run skips the checks only for the very object that passed them (the models
    are frozen); a copy is a new object and is checked, so a broken copy still fails with
    the field named."""
    import engine
    from engine.errors import ScenarioError
    from engine.scenario.checks import passed_checks

    sc = load_scenario(DATA / "fixture_base.yaml")
    assert passed_checks(sc)
    same = sc.model_copy(update={"name": sc.name})
    assert not passed_checks(same)
    assert check_scenario(same) == [] and passed_checks(same)
    broken = sc.model_copy(update={"assets": [sc.assets[0].model_copy(update={"obligor": "NOPE"})]})
    assert not passed_checks(broken)
    with pytest.raises(ScenarioError, match="assets.0.obligor"):
        engine.run(broken, paths=1000)
    assert not passed_checks(broken)
