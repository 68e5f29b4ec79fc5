"""Turn folded sums into estimates with Monte Carlo standard errors."""
from __future__ import annotations

import math

import numpy as np


def mean_and_se(n: float, s1: float, s2: float) -> tuple[float, float]:
    """Sample mean of ``n`` values with sum ``s1`` and sum of squares ``s2``, and its
    standard error ``sqrt(sample variance / n)``."""
    if n <= 0:
        return math.nan, math.nan
    mean = s1 / n
    if n < 2:
        return mean, math.nan
    var = (s2 - n * mean * mean) / (n - 1)
    if var < 0.0:              # rounding; a NaN stays NaN (never a silent 0)
        var = 0.0
    return mean, math.sqrt(var / n)


def histogram_quantile(hist: np.ndarray, q: float) -> float:
    """Smallest bin value ``x`` (bins on ``linspace(0, 1, len(hist))``) with ``P(X <= x) >= q``."""
    cum = np.cumsum(hist)
    k = int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1], side="left"))
    return k / (len(hist) - 1)


def ratio_and_se(n: float, a1: float, a2: float, b1: float, b2: float,
                 ab: float) -> tuple[float, float]:
    """Ratio estimator ``sum(a) / sum(b)`` over ``n`` paths and its delta-method standard
    error, from the sums of ``a``, ``a^2``, ``b``, ``b^2`` and ``a b``."""
    if b1 <= 0 or n < 2:
        return math.nan, math.nan
    r = a1 / b1
    mb = b1 / n
    var_a = (a2 - a1 * a1 / n) / (n - 1)
    var_b = (b2 - b1 * b1 / n) / (n - 1)
    cov = (ab - a1 * b1 / n) / (n - 1)
    var_r = (var_a - 2 * r * cov + r * r * var_b) / (n * mb * mb)
    if var_r < 0.0:            # rounding; a NaN stays NaN
        var_r = 0.0
    return r, math.sqrt(var_r)
