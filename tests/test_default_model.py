"""Factor structures and PD curves compiled from the correlation and obligor blocks."""
from __future__ import annotations

import numpy as np
import pytest

from builders import bullet_pool, load
from engine.default.factors import build_factor_structure
from engine.plan import compile_plan
from engine.scenario.correlation import pairwise_correlation_matrix
from engine.waterfall.collateral import haircut_quantile_table
from engine._kernels import haircut_from_uniform
from scipy import special

PAIRWISE = {"same_region_same_industry": 0.40, "same_region": 0.25, "same_industry": 0.35,
            "other": 0.10}


def _obligors(n=8):
    regions = ["nanshan", "futian", None]
    industries = ["ai", "biomedicine", None]
    return [{"id": f"B{i}", "kind": "borrower", "rating": "BB",
             "region": regions[i % 3], "industry": industries[(i // 3) % 3]} for i in range(n)]


def _scenario(correlation, n=8):
    doc = bullet_pool([0.02] * n, [1e6] * n, 0.1)
    doc["obligors"] = [{k: v for k, v in o.items() if v is not None} for o in _obligors(n)]
    doc["correlation"] = correlation
    return load(doc)


def test_pairwise_factor_structure_reproduces_the_relationship_table():
    sc = _scenario({"pairwise": PAIRWISE})
    fs = build_factor_structure(sc.obligors, sc.correlation)
    want = pairwise_correlation_matrix(sc.obligors, sc.correlation.pairwise)
    np.testing.assert_allclose(fs.correlation(), want, atol=1e-12)
    np.testing.assert_allclose(fs.dense()[:, 0], np.sqrt(0.10))   # economy-wide factor
    assert np.all(fs.idio >= 0)


def test_explicit_factors_give_the_implied_correlations():
    sc = _scenario({"factors": {"global": 0.3, "region": {"nanshan": 0.5, "futian": 0.4},
                                "industry": {"ai": 0.3}}})
    fs = build_factor_structure(sc.obligors, sc.correlation)
    r = fs.correlation()
    # B0: nanshan/ai, B3: nanshan/biomedicine, B1: futian/ai
    assert r[0, 3] == pytest.approx(0.09 + 0.25)
    assert r[0, 1] == pytest.approx(0.09 + 0.09)
    loadings = fs.dense()
    np.testing.assert_allclose((loadings**2).sum(axis=1) + fs.idio**2, 1.0)


def test_uniform_correlation_is_one_factor():
    sc = _scenario({"uniform": 0.3})
    r = build_factor_structure(sc.obligors, sc.correlation).correlation()
    assert np.allclose(r[~np.eye(len(r), dtype=bool)], 0.3)


def test_rating_pd_curve_uses_the_table_at_each_tenor():
    sc = _scenario({"uniform": 0.3})
    plan = compile_plan(sc)
    from engine.rating import domestic_table
    assert plan.pd_curves[0, -1] == pytest.approx(domestic_table().cumulative_pd("BB", 4.0))
    np.testing.assert_allclose(plan.thresholds, special.ndtri(plan.pd_curves))


def test_annual_pd_compounds_per_period():
    doc = bullet_pool([0.02], [1e6], 0.1, legal_final=8, frequency="quarterly")
    doc["obligors"][0]["pd"] = {"annual": 0.04}
    plan = compile_plan(load(doc))
    t = np.arange(1, 9) / 4
    np.testing.assert_allclose(plan.pd_curves[0], 1 - 0.96**t)


@pytest.mark.parametrize("mean,sd", [(0.85, 0.10), (0.5, 0.3), (0.95, 0.04), (0.2, 0.3)])
def test_haircut_table_inverts_the_beta_cdf(mean, sd):
    from engine.waterfall.collateral import beta_parameters
    table = haircut_quantile_table(mean, sd)
    a, b = beta_parameters(mean, sd)
    u = np.linspace(0.0005, 0.9995, 2001)
    got = np.array([haircut_from_uniform(x, table) for x in u])
    assert np.max(np.abs(got - special.betaincinv(a, b, u))) < 2e-3
    # in distribution: the CDF at the interpolated quantile is within 1e-3 of u
    assert np.max(np.abs(special.betainc(a, b, got) - u)) < 1e-3
