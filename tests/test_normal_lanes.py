"""The branch-free normal CDF of the default periods (engine.default._normal_kernels)
against the C library's ``erfc`` and the exact value, and the default periods it gives
against those of the library's CDF."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from numba import njit
from scipy.special import erfcinv

from engine.default._kernels import (group_periods, make_default_work, norm_cdf, stream_key,
                                     uniform_at)
from engine.default._normal_kernels import erfc_lanes, norm_cdf_lanes
from engine.default.bundles import Groups

from elementwise import elementwise

# range edges of the method (0.25, 0.84375, 1.25, 1 / 0.35, 28), each side of them
EDGES = [0.0, 0.25, 0.84375, 1.25, 2.857142857142857, 6.0, 26.5, 27.5, 28.0]


_erfc_many = elementwise(erfc_lanes)
_cdf_many = elementwise(norm_cdf_lanes)


def _arguments():
    rng = np.random.default_rng(11)
    near = [np.nextafter(e, d) for e in EDGES for d in (-np.inf, np.inf)]
    edges = np.array(EDGES + near)
    return np.concatenate([rng.uniform(-7.0, 30.0, 400_000), rng.normal(0.0, 2.0, 200_000),
                           edges, -edges])


def _ulps(got, want):
    return np.abs(got - want) / np.spacing(want)


def test_erfc_within_8_ulps_of_the_c_library():
    """Everywhere the library's value is above 1e-300 (the two differ by at most 3 ulps each
    from the exact value); below it the lanes give at most 1e-300."""
    y = _arguments()
    got = _erfc_many(y)
    want = np.array([math.erfc(v) for v in y])
    big = want > 1e-300
    assert _ulps(got[big], want[big]).max() <= 8
    assert np.all((got[~big] >= 0.0) & (got[~big] <= 1e-300))


def test_erfc_within_3_ulps_of_the_exact_value():
    mpmath.mp.prec = 120
    y = np.concatenate([np.random.default_rng(5).uniform(-6.0, 26.0, 3_000),
                        np.array(EDGES[1:-2]), -np.array(EDGES[1:-2])])
    got = _erfc_many(y)
    exact = np.array([float(mpmath.erfc(mpmath.mpf(float(v)))) for v in y])
    assert _ulps(got, exact).max() <= 3


def test_erfc_at_the_ends_and_infinities():
    y = np.array([0.0, -0.0, 28.0, 40.0, -28.0, -40.0, np.inf, -np.inf, 1e-300, -1e-300])
    np.testing.assert_array_equal(_erfc_many(y),
                                  [1.0, 1.0, 0.0, 0.0, 2.0, 2.0, 0.0, 2.0, 1.0, 1.0])


def test_norm_cdf_is_the_library_cdf_to_8_ulps_and_rises():
    """As ``0.5 erfc(-x / sqrt 2)`` with the library's ``erfc`` (the engine's ``norm_cdf``),
    and never falling from one double to the next across the method's range edges."""
    x = -np.sqrt(2.0) * _arguments()
    got = _cdf_many(x)
    want = np.array([norm_cdf(v) for v in x])
    big = want > 1e-300
    assert _ulps(got[big], want[big]).max() <= 8
    for edge in EDGES:
        for c in (edge, -edge):
            y = c + np.arange(-3_000, 3_000) * np.spacing(max(abs(c), 1e-3))
            assert np.all(np.diff(_erfc_many(y)) <= 0.0), c
    assert np.all(np.diff(_cdf_many(np.linspace(-40.0, 12.0, 400_001))) >= 0.0)


def _group(thr, idio, loading=0.5):
    n = 300
    return Groups(np.array([0, 1]), np.array([0]), np.array([loading]), np.array([idio]),
                  np.array([thr]), np.array([n]), np.full(n, 1.0 / n), np.array([0, n]),
                  np.arange(n, dtype=np.int64),
                  np.random.default_rng(1).integers(1, 2**63, n).astype(np.uint64))


@njit
def _periods(key, groups, work, d, p, q, scale):
    group_periods(0, d, key, groups.member_step, p, q, scale, groups, work)
    return work.period[:d].copy()


@njit
def _uniforms(key, steps, found, d):
    return np.array([uniform_at(key, steps[np.uint64(found[f])]) for f in range(d)])


@pytest.mark.parametrize("horizon", [1, 2, 9, 12, 17, 24])
@pytest.mark.parametrize("idio", [0.8, 0.0])
def test_default_periods_are_those_of_the_library_cdf(horizon, idio):
    """Each defaulter's period is the number of periods before the last whose conditional
    PD (by the library's ``erfc``) is below its ``v = u p / q``: at every horizon (whole
    vectors of 8 and not), with and without idiosyncratic weight, a twisted ``q`` and a
    Student-t ``scale``; a period of zero PD (threshold ``-inf``) included."""
    rng = np.random.default_rng(horizon)
    cum = np.cumsum(rng.uniform(0.0, 0.08, horizon))
    cum[0] = 0.0 if horizon > 1 else cum[0]
    thr = np.array([-np.inf if c == 0.0 else -math.sqrt(2.0) * float(erfcinv(2.0 * c))
                    for c in cum])
    groups = _group(thr, idio)
    work = make_default_work(groups)
    assert work.cut.shape[0] % 8 == 0 and work.cut.shape[0] >= horizon
    for path in range(40):
        key = np.uint64(stream_key(np.uint64(3), np.uint64(path), np.uint64(2)))
        mean = float(rng.normal(0.0, 1.0))
        scale = 1.0 if path % 2 else float(rng.uniform(0.7, 1.4))
        work.mean[0] = mean
        d = int(rng.integers(0, 120))
        work.found[:d] = np.sort(rng.choice(300, d, replace=False))
        p = float(rng.uniform(0.01, 0.3))
        q = p if path % 3 else min(1.0, 2.5 * p)
        got = _periods(key, groups, work, d, p, q, scale)
        v = _uniforms(key, groups.member_step, work.found, d)
        if q != p:
            v = v / q * p
        cut = [_library_pd(thr[k], scale, mean, idio) for k in range(horizon - 1)]
        want = [sum(x > c for c in cut) for x in v]
        np.testing.assert_array_equal(got, want)


def _library_pd(threshold, scale, mean, idio):
    c = threshold * scale
    if idio > 0.0:
        return 0.5 * math.erfc(-((c - mean) / idio) * 0.7071067811865476)
    return 1.0 if c >= mean else 0.0
