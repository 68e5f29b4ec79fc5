"""Numba kernels of the default model: counter-based random numbers, the normal
quantile, and correlated default timing of one path.

Every random number is a pure function of ``(seed, path, stream, index)``: a
SplitMix64-style hash of a per-(seed, path, stream) key and the draw index. No
generator state exists, so results do not depend on threads, chunking or backend,
and any path can be replayed on its own. Only plain arrays and scalars go in and out.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

# Streams: one per kind of draw, so adding draws of one kind never shifts another.
STREAM_FACTOR = 1      # systematic factors Z_k
STREAM_IDIO = 2        # idiosyncratic terms e_j, one per obligor
STREAM_HAIRCUT = 3     # collateral haircut noise, one per collateral item

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_C_PATH = np.uint64(0xD1B54A32D192ED03)
_C_STREAM = np.uint64(0x8CB92BA72F3D8DD7)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche of a 64-bit word."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def stream_key(seed, path, stream):
    """Key of the random stream ``stream`` of path ``path`` under ``seed`` (all uint64)."""
    k = mix64(seed + _GAMMA)
    k = mix64(k ^ (path * _C_PATH))
    return mix64(k ^ (stream * _C_STREAM))


@njit(cache=True, inline="always")
def uniform(key, index):
    """The ``index``-th uniform of a stream, strictly inside (0, 1), 53-bit resolution."""
    x = mix64(key + (index + _ONE) * _GAMMA)
    return (np.float64(x >> _S11) + 0.5) * _TWO_M53


@njit(cache=True)
def ndtri(p):
    """Standard normal quantile (Wichura 1988, AS241 PPND16; relative error ~1e-16)."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    x = num / den
    return -x if q < 0.0 else x


@njit(cache=True, inline="always")
def norm_cdf(x):
    """Standard normal CDF."""
    return 0.5 * math.erfc(-x * 0.7071067811865476)


@njit(cache=True, inline="always")
def normal(key, index):
    """The ``index``-th standard normal of a stream (inverse-CDF of :func:`uniform`)."""
    return ndtri(uniform(key, index))


@njit(cache=True)
def draw_factors(seed, path, n_factors, out):
    """Systematic factors of one path into ``out[:n_factors]``."""
    key = stream_key(seed, path, np.uint64(STREAM_FACTOR))
    for k in range(n_factors):
        out[k] = normal(key, np.uint64(k))


@njit(cache=True)
def draw_default_periods(seed, path, z, load_ptr, load_idx, load_val, idio,
                         thresholds, out):
    """Default period of every obligor on one path.

    ``X_j = sum_k load_val * z[load_idx] + idio[j] * e_j``; the obligor defaults in the
    first period ``t`` (1-based) with ``X_j <= thresholds[j, t-1]`` (thresholds are the
    latent quantiles of the cumulative PD curve, non-decreasing in ``t``), else
    ``out[j] = T + 1`` (no default within the horizon).
    """
    n_obl, horizon = thresholds.shape
    key = stream_key(seed, path, np.uint64(STREAM_IDIO))
    for j in range(n_obl):
        x = 0.0
        for q in range(load_ptr[j], load_ptr[j + 1]):
            x += load_val[q] * z[load_idx[q]]
        if idio[j] != 0.0:
            x += idio[j] * normal(key, np.uint64(j))
        if x > thresholds[j, horizon - 1]:
            out[j] = horizon + 1
            continue
        t = 0
        while x > thresholds[j, t]:
            t += 1
        out[j] = t + 1
