"""Monte Carlo results against exact answers, with tolerances from the reported errors."""
from __future__ import annotations

import math

import pytest

import engine
from builders import bullet_pool, load
from engine.default.analytic import (finite_pool_loss_distribution, joint_default_probability,
                                     tranche_default_probability, tranche_expected_loss)

PATHS = 200_000
UNIT = 1_000_000.0
PDS = [0.01, 0.02, 0.03, 0.05, 0.08, 0.04, 0.015, 0.06, 0.025, 0.035, 0.07, 0.045]
SIZES = [10, 15, 20, 12, 18, 22, 9, 14, 16, 11, 13, 20]     # in units of 1m


def within(estimate, se, exact, k=4.0):
    assert abs(estimate - exact) <= k * se + 1e-12, (estimate, se, exact)


@pytest.mark.parametrize("rho,sub_units", [(0.1, 10), (0.25, 20), (0.4, 30), (0.25, 0)])
def test_bullet_pool_tranches_match_exact_finite_pool_recursion(rho, sub_units):
    pool_units = sum(SIZES)
    doc = bullet_pool(PDS, [s * UNIT for s in SIZES], rho, legal_final=1,
                      senior_share=(pool_units - sub_units) / pool_units, paths=PATHS, seed=11)
    if sub_units == 0:
        doc["tranches"] = doc["tranches"][:1]
    res = engine.run(load(doc))
    dist = finite_pool_loss_distribution(PDS, SIZES, rho)
    a = res.tranches.loc["A"]
    exact_pd = tranche_default_probability(dist, sub_units)
    exact_el = tranche_expected_loss(dist, sub_units, pool_units)
    within(a.default_probability, a.default_probability_se, exact_pd)
    within(a.expected_loss, a.expected_loss_se, exact_el)
    binomial_se = math.sqrt(exact_pd * (1 - exact_pd) / PATHS)
    assert abs(a.default_probability_se / binomial_se - 1) < 0.3
    if sub_units:
        sub = res.tranches.loc["Sub"]
        within(sub.default_probability, sub.default_probability_se, 1 - dist[0])
        within(sub.expected_loss, sub.expected_loss_se, tranche_expected_loss(dist, 0, sub_units))
    expected_dr = sum(p * s for p, s in zip(PDS, SIZES)) / pool_units
    within(res.pool["expected_default_rate"], res.pool["expected_default_rate_se"], expected_dr)


def _one_name_deal(support_type, pd_b, pd_g, rho):
    doc = bullet_pool([pd_b], [100 * UNIT], rho, senior_share=1.0, legal_final=1, paths=PATHS,
                      seed=5)
    doc["tranches"] = doc["tranches"][:1]
    doc["obligors"].append({"id": "G", "kind": "guarantee_company", "pd": {"cumulative": [pd_g]}})
    if support_type == "shortfall_commitment":
        doc["credit_support"] = [{"id": "S", "type": support_type, "provider": "G", "covers": ["A"]}]
    else:
        doc["credit_support"] = [{"id": "S", "type": support_type, "provider": "G", "lag": 0}]
    return doc


@pytest.mark.parametrize("support_type", ["shortfall_commitment", "loan_guarantee", "bank_guarantee"])
@pytest.mark.parametrize("pd_b,pd_g,rho", [(0.05, 0.02, 0.3), (0.10, 0.05, 0.6)])
def test_supported_senior_defaults_only_when_provider_defaults_jointly(support_type, pd_b, pd_g, rho):
    res = engine.run(load(_one_name_deal(support_type, pd_b, pd_g, rho)))
    a = res.tranches.loc["A"]
    exact = joint_default_probability(pd_b, pd_g, rho)
    within(a.default_probability, a.default_probability_se, exact)
    s = res.support[0]
    # the support pays exactly on the paths where the borrower defaults and the provider does not
    assert s["call_probability"] == pytest.approx(pd_b - exact, abs=4 * math.sqrt(pd_b / PATHS))


def test_obligor_default_frequencies_match_their_pd_curves():
    res = engine.run(engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml"), paths=100_000)
    for o in res.obligors:
        p = o["model_default_probability"]
        se = math.sqrt(p * (1 - p) / 100_000)
        within(o["default_probability"], se, p)


def test_collateral_recovery_has_the_beta_mean():
    doc = bullet_pool([1.0], [10 * UNIT], 0.2, senior_share=1.0, legal_final=3, paths=50_000)
    doc["tranches"] = doc["tranches"][:1]
    doc["assets"][0]["collateral"] = ["P"]
    doc["collateral"] = [{"id": "P", "type": "invention_patent", "appraised_value": 20 * UNIT,
                          "haircut": {"mean": 0.8, "sd": 0.1}, "lag": 1, "systemic": 0.5}]
    res = engine.run(load(doc))
    # default in period 1 (PD 1), recovery in period 2, capped at the exposure (10m)
    from scipy import integrate, stats
    from engine.waterfall.collateral import beta_parameters
    a, b = beta_parameters(0.8, 0.1)
    exact = integrate.quad(lambda h: min(20 * (1 - h), 10) * stats.beta.pdf(h, a, b), 0, 1)[0] / 10
    within(1 - res.pool["expected_loss_rate"], res.pool["expected_loss_rate_se"], exact)
    senior = res.tranches.loc["A"]
    within(1 - senior.expected_loss, senior.expected_loss_se, exact)
