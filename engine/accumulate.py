"""Turn folded sums into estimates with Monte Carlo standard errors."""
from __future__ import annotations

import math
from dataclasses import dataclass

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


def effective_size(s1: float, s2: float) -> float:
    """Kish's effective sample size ``(sum v)^2 / sum v^2`` of the terms ``v`` of an estimate
    (``v = w x f``: the weight times the path's value; 0 when every term is 0).

    With all weights 1 and an indicator ``f`` it is the number of paths that saw the event;
    under importance sampling it is the number of equally weighted paths that would carry
    the same information, and the estimate's relative standard error is about
    ``1 / sqrt(it)`` for a rare event.
    """
    return float(s1 * s1 / s2) if s2 > 0.0 else 0.0


@dataclass(frozen=True)
class TailQuantile:
    """A quantile of the pool default rate from the (weighted) histogram: the point, a
    confidence interval and the effective number of paths at or above the point."""

    value: float
    low: float
    high: float
    effective_paths: float


class TailCurve:
    """The weighted tail ``S(x) = sum(w [X > x]) / paths`` of a variable binned on
    ``linspace(0, 1, len(hist))`` (bins hold sums of weights, ``hist_sq`` sums of squared
    weights; ``None``: every weight is 1) and its standard error, computed once for any
    number of quantiles (:meth:`quantile`)."""

    def __init__(self, hist: np.ndarray, paths: int, hist_sq: np.ndarray | None = None):
        sq = hist if hist_sq is None else hist_sq
        self.n = n = float(paths)
        self.bins = len(hist) - 1
        self.total, self.total_sq = float(hist.sum()), float(sq.sum())
        # tail[k] = sum over bins above k (reverse cumulative sums keep small tails exact)
        self.tail = np.concatenate((np.cumsum(hist[::-1])[::-1][1:], [0.0])) / n
        self.tail_sq = np.concatenate((np.cumsum(sq[::-1])[::-1][1:], [0.0]))
        var = np.maximum(self.tail_sq / n - self.tail * self.tail, 0.0) / max(n - 1.0, 1.0)
        self.se = np.sqrt(var)

    def _first(self, mask) -> int:
        k = int(np.argmax(mask))
        return k if mask[k] else self.bins

    def quantile(self, q: float, level: float = 0.95) -> TailQuantile:
        """See :func:`tail_quantile`."""
        from statistics import NormalDist

        tail, se, bins = self.tail, self.se, self.bins
        z = NormalDist().inv_cdf(0.5 + level / 2)
        target = (1.0 - q) + 1e-9
        k = self._first(tail <= target)
        low = self._first(tail - z * se <= target)
        high = self._first(tail + z * se <= target)
        at_k = ((tail[k - 1] * self.n, self.tail_sq[k - 1]) if k > 0
                else (self.total, self.total_sq))
        return TailQuantile(k / bins, min(low, k) / bins, max(high, k) / bins,
                            effective_size(*at_k))


def tail_quantile(hist: np.ndarray, q: float, paths: int, hist_sq: np.ndarray | None = None,
                  level: float = 0.95) -> TailQuantile:
    """The ``q`` quantile of a variable binned on ``linspace(0, 1, len(hist))``, from the
    weighted tail ``S(x) = sum(w [X > x]) / paths`` (bins hold sums of weights, ``hist_sq``
    sums of squared weights; ``None``: every weight is 1). For several quantiles of one
    histogram, build a :class:`TailCurve` once.

    The point is the smallest bin ``x`` with ``S(x) <= 1 - q``: with unit weights exactly
    :func:`histogram_quantile`; under importance sampling it is the tail estimator that the
    shift makes precise (Glynn 1996), not self-normalised by the total weight. The interval
    inverts the pointwise confidence band ``S(x) +- z se(x)``, ``se(x)^2 =
    (sum(w^2 [X > x]) / paths - S(x)^2) / (paths - 1)``: ``low`` is the smallest
    ``x`` with ``S - z se <= 1 - q``, ``high`` the smallest with ``S + z se <= 1 - q``.
    """
    return TailCurve(hist, paths, hist_sq).quantile(q, level)


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
