"""Analytic oracles checked against brute force, closed forms and scipy."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from engine.default.analytic import (
    conditional_default_probability,
    finite_pool_loss_distribution,
    finite_pool_loss_distribution_t,
    joint_default_probability,
    one_factor_joint_probability,
    tranche_default_probability,
    tranche_expected_loss,
    vasicek_cdf,
    vasicek_quantile,
    vasicek_tranche_expected_loss,
)

QUAD = {"epsabs": 1e-13, "epsrel": 1e-12, "limit": 200}


def _phi(z: float) -> float:
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _poisson_binomial(pds, exposures) -> np.ndarray:
    """Independent defaults: convolve the two-point laws one name at a time."""
    dist = np.array([1.0])
    for p, e in zip(pds, exposures):
        step = np.zeros(e + 1)
        step[0] += 1 - p
        step[e] += p
        dist = np.convolve(dist, step)
    return dist


def _small_pool_by_enumeration(pds, exposures, rho) -> np.ndarray:
    """All 2^n default patterns, each integrated over the factor by adaptive quadrature."""
    dist = np.zeros(sum(exposures) + 1)
    for pattern in itertools.product((0, 1), repeat=len(pds)):
        loss = sum(e for e, d in zip(exposures, pattern) if d)

        def integrand(z, pattern=pattern):
            p = conditional_default_probability(np.asarray(pds), rho, z)
            return _phi(z) * float(np.prod(np.where(pattern, p, 1 - p)))

        dist[loss] += integrate.quad(integrand, -np.inf, np.inf, **QUAD)[0]
    return dist


POOLS = [
    ([0.01, 0.05, 0.2], [1, 2, 3]),
    ([0.03] * 12 + [0.001, 0.002], [15, 15, 12, 10, 20, 23, 15, 15, 11, 14, 18, 16, 30, 30]),
    ([0.0, 1.0, 0.1, 0.1, 0.5], [2, 3, 0, 1, 4]),
]


# --------------------------------------------------------------------------- finite pools


@pytest.mark.parametrize(("pds", "exposures"), POOLS)
@pytest.mark.parametrize("rho", [0.0, 0.1, 0.4, 0.9])
def test_finite_pool_distribution_is_a_distribution_with_exact_mean(pds, exposures, rho):
    dist = finite_pool_loss_distribution(pds, exposures, rho)
    assert dist.shape == (sum(exposures) + 1,)
    assert np.all(dist >= 0)
    assert dist.sum() == pytest.approx(1.0, abs=1e-12)
    mean = np.arange(dist.size) @ dist
    assert mean == pytest.approx(np.dot(pds, exposures), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("pds", "exposures"), POOLS)
def test_zero_correlation_is_the_poisson_binomial(pds, exposures):
    dist = finite_pool_loss_distribution(pds, exposures, 0.0)
    np.testing.assert_allclose(dist, _poisson_binomial(pds, exposures), rtol=0, atol=1e-15)


@pytest.mark.parametrize("rho", [0.05, 0.3, 0.5])
def test_three_name_pool_matches_enumeration_and_quadrature(rho):
    pds, exposures = [0.01, 0.07, 0.25], [2, 1, 3]
    dist = finite_pool_loss_distribution(pds, exposures, rho)
    np.testing.assert_allclose(dist, _small_pool_by_enumeration(pds, exposures, rho), rtol=0, atol=1e-10)


def test_pd_zero_and_one_are_exact():
    dist = finite_pool_loss_distribution([0.0, 1.0], [3, 2], 0.3)
    np.testing.assert_allclose(dist, [0, 0, 1, 0, 0, 0], rtol=0, atol=1e-15)


def test_large_homogeneous_pool_approaches_vasicek():
    n, pd, rho = 2000, 0.05, 0.2
    dist = finite_pool_loss_distribution(np.full(n, pd), np.ones(n, dtype=int), rho)
    k = np.arange(n + 1)
    # half-unit continuity correction: P(L <= k) against the LHP law at (k + 1/2) / n
    gap = np.abs(np.cumsum(dist) - vasicek_cdf((k + 0.5) / n, pd, rho))
    assert gap.max() < 0.01


def test_more_nodes_change_little_at_high_correlation():
    pds, exposures = [0.02, 0.05, 0.1, 0.03], [1, 2, 3, 4]
    coarse = finite_pool_loss_distribution(pds, exposures, 0.9, n_nodes=256)
    fine = finite_pool_loss_distribution(pds, exposures, 0.9, n_nodes=1024)
    np.testing.assert_allclose(coarse, fine, atol=1e-8)


def test_finite_pool_rejects_bad_input():
    with pytest.raises(ValueError, match="integers"):
        finite_pool_loss_distribution([0.1], [1.5], 0.2)
    with pytest.raises(ValueError, match="integers"):
        finite_pool_loss_distribution([0.1], [-1], 0.2)
    with pytest.raises(ValueError, match="entries"):
        finite_pool_loss_distribution([0.1, 0.2], [1], 0.2)
    with pytest.raises(ValueError, match="rho"):
        finite_pool_loss_distribution([0.1], [1], 1.0)
    with pytest.raises(ValueError, match="pds"):
        finite_pool_loss_distribution([1.2], [1], 0.2)


# --------------------------------------------------------------------------- Student-t pools


T_POOL = (np.full(20, 0.05), np.ones(20, dtype=int))


@pytest.mark.parametrize("dof", [1.0, 3.0, 8.0, 50.0])
@pytest.mark.parametrize("rho", [0.0, 0.3])
def test_t_pool_distribution_is_a_distribution_with_exact_mean(dof, rho):
    pds, exposures = POOLS[1]
    dist = finite_pool_loss_distribution_t(pds, exposures, rho, dof)
    assert np.all(dist >= 0)
    assert dist.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.arange(dist.size) @ dist == pytest.approx(np.dot(pds, exposures), rel=1e-10)


@pytest.mark.parametrize("dof", [3.0, 5.0, 10.0])
def test_t_copula_has_heavier_loss_tail_than_gaussian(dof):
    pds, exposures = T_POOL
    gauss = finite_pool_loss_distribution(pds, exposures, 0.2)
    student = finite_pool_loss_distribution_t(pds, exposures, 0.2, dof)
    half = len(pds) // 2
    assert tranche_default_probability(student, half - 1) > tranche_default_probability(gauss, half - 1)


def test_t_copula_approaches_gaussian_for_many_degrees_of_freedom():
    pds, exposures = POOLS[0]
    gauss = finite_pool_loss_distribution(pds, exposures, 0.3)
    student = finite_pool_loss_distribution_t(pds, exposures, 0.3, 1e6)
    np.testing.assert_allclose(student, gauss, rtol=0, atol=1e-4)
    np.testing.assert_allclose(finite_pool_loss_distribution_t(pds, exposures, 0.3, np.inf), gauss, atol=1e-14)


def test_t_copula_without_factor_correlation_still_clusters_defaults():
    pds, exposures = [0.05, 0.05], [1, 1]
    dist = finite_pool_loss_distribution_t(pds, exposures, 0.0, 4.0)
    assert dist[2] > 0.05 * 0.05 * 1.5


def test_t_pool_both_default_matches_integral_over_the_mixing_variable():
    pds, exposures, rho, dof = [0.02, 0.1], [1, 2], 0.25, 4.0
    c = stats.t.ppf(pds, dof)

    def both(v):  # given V = v both default with a bivariate normal probability (tested above)
        p1, p2 = stats.norm.cdf(c * math.sqrt(v / dof))
        return joint_default_probability(p1, p2, rho) * stats.chi2.pdf(v, dof)

    reference = integrate.quad(both, 0, np.inf, **QUAD)[0]
    assert reference == pytest.approx(
        stats.multivariate_t(shape=[[1, rho], [rho, 1]], df=dof, seed=7).cdf(c), abs=1e-4
    )
    dist = finite_pool_loss_distribution_t(pds, exposures, rho, dof)
    assert dist[3] == pytest.approx(reference, abs=1e-10)


# --------------------------------------------------------------------------- tranche measures


def test_tranche_measures_on_a_small_distribution():
    dist = np.array([0.5, 0.2, 0.2, 0.1])  # L = 0, 1, 2, 3
    assert tranche_default_probability(dist, 1) == pytest.approx(0.3)
    assert tranche_default_probability(dist, 0.5) == pytest.approx(0.5)
    # E[min(max(L - 1, 0), 1)] = 0.2 * 1 + 0.1 * 1
    assert tranche_expected_loss(dist, 1, 2) == pytest.approx(0.3)
    # E[min(L, 3)] / 3
    assert tranche_expected_loss(dist, 0, 3) == pytest.approx((0.2 + 0.4 + 0.3) / 3)
    with pytest.raises(ValueError):
        tranche_expected_loss(dist, 2, 2)


def test_equity_tranche_loss_of_the_whole_pool_is_the_expected_loss():
    pds, exposures = POOLS[1]
    dist = finite_pool_loss_distribution(pds, exposures, 0.3)
    total = sum(exposures)
    assert tranche_expected_loss(dist, 0, total) == pytest.approx(np.dot(pds, exposures) / total, rel=1e-9)


# --------------------------------------------------------------------------- Vasicek


@pytest.mark.parametrize(("pd", "rho"), [(0.01, 0.1), (0.05, 0.2), (0.2, 0.6), (0.001, 0.35)])
def test_vasicek_quantile_inverts_cdf(pd, rho):
    q = np.linspace(0.001, 0.999, 199)
    np.testing.assert_allclose(vasicek_cdf(vasicek_quantile(q, pd, rho), pd, rho), q, atol=1e-12)
    x = np.linspace(0.001, 0.999, 199)
    x = x[vasicek_cdf(x, pd, rho) < 1 - 1e-9]  # beyond, the cdf has no digits left to invert
    np.testing.assert_allclose(vasicek_quantile(vasicek_cdf(x, pd, rho), pd, rho), x, rtol=1e-6)


def test_vasicek_mean_is_pd():
    pd, rho = 0.04, 0.3
    mean = integrate.quad(lambda x: 1 - vasicek_cdf(x, pd, rho), 0, 1, **QUAD)[0]
    assert mean == pytest.approx(pd, abs=1e-10)


def test_vasicek_edge_cases():
    assert vasicek_cdf(0.0, 0.05, 0.2) == 0.0
    assert vasicek_cdf(1.0, 0.05, 0.2) == 1.0
    assert vasicek_cdf(-0.5, 0.05, 0.2) == 0.0
    np.testing.assert_array_equal(vasicek_cdf([0.04, 0.05, 0.06], 0.05, 0.0), [0, 1, 1])
    np.testing.assert_array_equal(vasicek_cdf([0.0, 0.5, 1.0], 0.05, 1.0), [0.95, 0.95, 1.0])
    assert vasicek_cdf(0.0, 0.0, 0.3) == 1.0 and vasicek_cdf(0.99, 1.0, 0.3) == 0.0
    assert vasicek_quantile(0.3, 0.05, 0.0) == 0.05
    np.testing.assert_array_equal(vasicek_quantile([0.9, 0.96], 0.05, 1.0), [0.0, 1.0])
    assert vasicek_quantile(0.0, 0.05, 0.2) == 0.0 and vasicek_quantile(1.0, 0.05, 0.2) == 1.0
    assert isinstance(vasicek_cdf(0.1, 0.05, 0.2), float)


@pytest.mark.parametrize(
    ("attach", "detach", "pd", "rho", "lgd"),
    [(0.0, 0.05, 0.05, 0.2, 1.0), (0.05, 0.15, 0.05, 0.2, 0.6), (0.1, 0.3, 0.02, 0.4, 0.9), (0.3, 1.0, 0.1, 0.5, 1.0)],
)
def test_vasicek_tranche_expected_loss_matches_quadrature(attach, detach, pd, rho, lgd):
    width = detach - attach

    def loss(z):
        pool = lgd * conditional_default_probability(pd, rho, z)
        return _phi(z) * min(max(pool - attach, 0.0), width) / width

    # the payoff has kinks where the pool loss crosses attach and detach
    kinks = [
        (stats.norm.ppf(pd) - math.sqrt(1 - rho) * stats.norm.ppf(level / lgd)) / math.sqrt(rho)
        for level in (detach, attach)
        if 0 < level / lgd < 1
    ]
    edges = [-np.inf, *kinks, np.inf]
    reference = sum(integrate.quad(loss, a, b, **QUAD)[0] for a, b in zip(edges, edges[1:]))
    assert vasicek_tranche_expected_loss(attach, detach, pd, rho, lgd) == pytest.approx(reference, abs=1e-9)


def test_vasicek_whole_pool_tranche_loses_lgd_times_pd():
    assert vasicek_tranche_expected_loss(0.0, 1.0, 0.05, 0.3, 0.4) == pytest.approx(0.02, abs=1e-13)
    assert vasicek_tranche_expected_loss(0.5, 1.0, 0.05, 0.3, 0.4) == 0.0
    assert vasicek_tranche_expected_loss(0.01, 0.02, 0.05, 0.0) == 1.0


# --------------------------------------------------------------------------- two names


@pytest.mark.parametrize(
    ("pd1", "pd2", "rho"),
    [(0.01, 0.03, 0.3), (0.01, 0.03, -0.5), (0.2, 0.001, 0.9), (0.5, 0.5, 0.5), (0.0005, 0.0007, 0.4), (0.9, 0.6, 0.99)],
)
def test_joint_default_probability_matches_scipy(pd1, pd2, rho):
    h = stats.norm.ppf([pd1, pd2])
    reference = stats.multivariate_normal(cov=[[1, rho], [rho, 1]], abseps=1e-12, releps=1e-12).cdf(h)
    assert joint_default_probability(pd1, pd2, rho) == pytest.approx(reference, abs=1e-8)


@pytest.mark.parametrize("rho", [-0.99, -0.6, -0.1, 0.0, 0.25, 0.5, 0.8, 0.999])
def test_joint_default_probability_at_the_median_has_closed_form(rho):
    # Phi2(0, 0; r) = 1/4 + arcsin(r) / (2 pi)
    assert joint_default_probability(0.5, 0.5, rho) == pytest.approx(0.25 + math.asin(rho) / (2 * math.pi), abs=1e-14)


@pytest.mark.parametrize(("pd1", "pd2", "rho"), [(1e-4, 0.02, 0.35), (0.3, 0.05, -0.4), (0.07, 0.07, 0.95)])
def test_joint_default_probability_matches_conditional_integral(pd1, pd2, rho):
    h, k = stats.norm.ppf([pd1, pd2])
    s = math.sqrt(1 - rho * rho)
    integrand = lambda z: _phi(z) * stats.norm.cdf((k - rho * z) / s)  # noqa: E731
    reference = integrate.quad(integrand, -np.inf, h, **QUAD)[0]
    assert joint_default_probability(pd1, pd2, rho) == pytest.approx(reference, abs=1e-11)


def test_joint_default_probability_edge_cases_and_vectorisation():
    assert joint_default_probability(0.0, 0.3, 0.5) == 0.0
    assert joint_default_probability(1.0, 0.3, 0.5) == 0.3
    assert joint_default_probability(0.2, 0.3, 0.0) == pytest.approx(0.06)
    assert joint_default_probability(0.2, 0.3, 1.0) == 0.2
    assert joint_default_probability(0.2, 0.3, -1.0) == 0.0
    assert joint_default_probability(0.8, 0.3, -1.0) == pytest.approx(0.1)
    out = joint_default_probability([0.01, 0.02], 0.05, [0.2, 0.4])
    assert out.shape == (2,) and out[1] == joint_default_probability(0.02, 0.05, 0.4)
    with pytest.raises(ValueError):
        joint_default_probability(0.1, 0.1, 1.5)


@pytest.mark.parametrize(("pd_a", "pd_b", "rho_a", "rho_b"), [(0.02, 0.001, 0.25, 0.4), (0.1, 0.1, 0.1, 0.35)])
def test_one_factor_joint_probability_is_the_factor_integral(pd_a, pd_b, rho_a, rho_b):
    integrand = lambda z: (  # noqa: E731
        _phi(z) * conditional_default_probability(pd_a, rho_a, z) * conditional_default_probability(pd_b, rho_b, z)
    )
    reference = integrate.quad(integrand, -np.inf, np.inf, **QUAD)[0]
    assert one_factor_joint_probability(pd_a, pd_b, rho_a, rho_b) == pytest.approx(reference, abs=1e-10)


def test_conditional_default_probability_averages_to_pd():
    pd, rho = 0.03, 0.3
    mean = integrate.quad(lambda z: _phi(z) * conditional_default_probability(pd, rho, z), -np.inf, np.inf, **QUAD)[0]
    assert mean == pytest.approx(pd, abs=1e-12)
    assert conditional_default_probability(pd, 0.0, 2.5) == pytest.approx(pd, rel=1e-14)
    c = stats.norm.ppf(pd)
    np.testing.assert_array_equal(conditional_default_probability(pd, 1.0, [c - 0.1, c + 0.1]), [1.0, 0.0])
    assert conditional_default_probability(pd, 0.3, [-1.0, 0.0, 1.0]).tolist() == sorted(
        conditional_default_probability(pd, 0.3, [-1.0, 0.0, 1.0]).tolist(), reverse=True
    )
