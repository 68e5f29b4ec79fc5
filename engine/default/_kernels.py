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
from engine._jit import njit
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic
from numba.cpython.unsafe.numbers import trailing_zeros

from engine.default.bundles import DefaultWork
from engine.default._normal_kernels import ieee_div, norm_cdf_lanes
from engine.default.draw_keys import GAMMA as _GAMMA

# Streams: one per kind of draw, so adding draws of one kind never shifts another.
STREAM_FACTOR = 1      # systematic factors Z_k
STREAM_IDIO = 2        # idiosyncratic terms e_j, one per obligor
STREAM_HAIRCUT = 3     # collateral haircut noise, one per collateral item
STREAM_MIXING = 4      # the Student-t chi-square mixing variable, one per path
STREAM_COMPONENT = 5   # importance sampling's defensive mixture: the path's component

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_C_PATH = np.uint64(0xD1B54A32D192ED03)
_C_STREAM = np.uint64(0x8CB92BA72F3D8DD7)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0
_TWO_P53 = 9007199254740992.0


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
def uniform_bits_at(key, step):
    """The 53-bit integer ``m`` of a stream's number whose
    :func:`engine.default.draw_keys.index_step` is ``step`` (an index fixed for a run is
    stepped once, in NumPy: one multiplication less per number)."""
    return mix64(key + step) >> _S11


@njit(cache=True, inline="always")
def uniform_bits(key, index):
    """The 53-bit integer ``m`` of the ``index``-th uniform of a stream (:func:`uniform`)."""
    return uniform_bits_at(key, (index + _ONE) * _GAMMA)


@njit(cache=True, inline="always")
def uniform(key, index):
    """The ``index``-th uniform of a stream, strictly inside (0, 1), 53-bit resolution:
    ``(m + 1/2) 2^-53`` as rounded in double precision."""
    return uniform_at(key, (index + _ONE) * _GAMMA)


@njit(cache=True, inline="always")
def uniform_at(key, step):
    """:func:`uniform` of the number whose :func:`engine.default.draw_keys.index_step` is
    ``step``."""
    return (np.float64(uniform_bits_at(key, step)) + 0.5) * _TWO_M53


@njit(cache=True)
def uniform_bits_below(p):
    """The largest ``m`` whose uniform is at most ``p`` (-1: none), so that ``uniform <= p``
    is the integer test ``uniform_bits <= m``, exactly (the rounding of ``m + 1/2`` above
    2^52 included)."""
    scaled = p * _TWO_P53                  # exact: a power of two
    if scaled >= _TWO_P53:
        return np.int64(9007199254740991)
    if not scaled >= 0.5:                  # also NaN
        return np.int64(-1)
    m = np.int64(math.floor(scaled))
    while m >= 0 and np.float64(m) + 0.5 > scaled:
        m -= 1
    return m


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
def gamma_variate(key, alpha):
    """A Gamma(alpha, 1) draw from one stream (Marsaglia-Tsang; boost for alpha < 1).

    Uses as many draws of the stream as the rejection needs; deterministic per key.
    """
    index = 0
    boost = 1.0
    a = alpha
    if a < 1.0:
        boost = uniform(key, np.uint64(index)) ** (1.0 / a)
        index += 1
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(key, np.uint64(index))
        index += 1
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(key, np.uint64(index))
        index += 1
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost


@njit(cache=True, inline="always")
def draw_factors(seed, path, shift, scale, keys, out):
    """Systematic factors ``Z = shift + scale * eps`` of one path into ``out``; factor ``k``'s
    ``eps`` is the normal of draw key ``keys[k]`` (a hash of its name).

    Returns the log likelihood ratio of the mean shift, ``-shift.eps - |shift|^2 / 2``
    (zero without a shift; meaningless when ``scale == 0``, the conditional pilot mode).
    """
    key = stream_key(seed, path, np.uint64(STREAM_FACTOR))
    log_w = 0.0
    for k in range(out.shape[0]):
        e = normal(key, keys[k])
        out[k] = shift[k] + scale * e
        log_w -= shift[k] * e + 0.5 * shift[k] * shift[k]
    return log_w


@njit(cache=True, inline="always")
def threshold_scale(seed, path, dof):
    """``sqrt(chi2_dof / dof)`` for the Student-t copula (1 for the Gaussian, ``dof <= 0``).

    The latent ``X = sqrt(W) (a Z + b e)``, ``W = dof / chi2``, defaults below ``c``
    exactly when ``a Z + b e <= c * sqrt(chi2 / dof)``.
    """
    if dof <= 0.0:
        return 1.0
    key = stream_key(seed, path, np.uint64(STREAM_MIXING))
    return math.sqrt(2.0 * gamma_variate(key, 0.5 * dof) / dof)


@njit(cache=True, inline="always")
def standardised(threshold, scale, mean, idio):
    """``(threshold * scale - mean) / idio``: where the idiosyncratic term must fall for a
    default given ``Z`` (``idio > 0``), in standard deviations."""
    return ieee_div(threshold * scale - mean, idio)


@njit(cache=True, inline="always")
def conditional_pd(threshold, scale, mean, idio):
    """``P(a Z + b e <= threshold * scale | Z)`` with ``mean = a Z`` and ``idio = b``."""
    if idio > 0.0:
        return norm_cdf(standardised(threshold, scale, mean, idio))
    return 1.0 if threshold * scale >= mean else 0.0


@njit(cache=True)
def twist_parameter(p, size, expo, target):
    """Glasserman-Li exponential twist ``theta >= 0`` with ``sum size*expo*q(theta) = target``.

    ``q(theta) = p e^(theta expo) / (1 + p (e^(theta expo) - 1))``; ``theta = 0`` when the
    conditional mean already reaches the target. Solved by bisection (monotone in theta).
    """
    def mean_at(theta):
        m = 0.0
        for g in range(p.shape[0]):
            if expo[g] > 0.0 and 0.0 < p[g] < 1.0:
                e = math.exp(min(theta * expo[g], 700.0))
                m += size[g] * expo[g] * p[g] * e / (1.0 + p[g] * (e - 1.0))
            elif p[g] >= 1.0:
                m += size[g] * expo[g]
        return m

    if mean_at(0.0) >= target:
        return 0.0
    hi = 1.0
    while mean_at(hi) < target and hi < 1e6:
        hi *= 2.0
    lo = 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mean_at(mid) < target:
            lo = mid
        else:
            hi = mid
    return hi


@njit(cache=True)
def make_default_work(groups):
    """Zeroed :class:`engine.default.bundles.DefaultWork` for ``groups``."""
    n_groups = groups.thr.shape[0]
    n_obligors = groups.members.shape[0]
    return DefaultWork(np.zeros(n_groups), np.zeros(n_groups), np.zeros(n_groups),
                       np.zeros(n_obligors + 1, dtype=np.int64), np.zeros(n_obligors),
                       np.zeros(n_obligors, dtype=np.int64), np.zeros(n_groups, dtype=np.int64),
                       np.zeros(-(-groups.thr.shape[1] // 8) * 8))


@njit(cache=True, inline="always")
def group_periods(g, d, key, member_steps, p, q, scale, groups, work):
    """0-based default period of each of group ``g``'s ``d`` defaulters (positions
    ``work.found[:d]``) into ``work.period``: the first period whose conditional PD reaches
    the defaulter's uniform given default by the horizon, ``v = u p / q`` in ``(0, p]`` (the
    last period if none before it does). One normal CDF per period for the whole group
    instead of a normal quantile per defaulter (the latent value ``m + b Phi^-1(v)`` is under
    the period's threshold exactly when ``v`` is at most that period's conditional PD): the
    periods' CDFs as one vector loop over whole vectors of ``work.cut``
    (:func:`~engine.default._normal_kernels.norm_cdf_lanes`; ``conditional_pd`` would call
    the library's ``erfc`` once per period), then each period a loop over the defaulters
    with no branch (vectorised)."""
    if d == 0:
        return
    horizon = groups.thr.shape[1]
    found, v, period = work.found, work.uniform, work.period
    nd = np.uint64(d)
    for f in range(nd):
        v[f] = uniform_at(key, member_steps[np.uint64(found[f])])
    if q != p:
        for f in range(nd):
            v[f] = v[f] / q * p
    for f in range(nd):
        period[f] = 0
    mean, idio = work.mean[g], groups.idio[g]
    cut = work.cut
    n_cut = np.uint64(horizon - 1)
    if idio > 0.0:                   # the periods' CDFs as vector code, whole vectors
        for k in range(n_cut):
            cut[k] = standardised(groups.thr[g, k], scale, mean, idio)
        for k in range(n_cut, cut.shape[0]):
            cut[k] = 0.0
        for k in range(cut.shape[0]):
            cut[k] = norm_cdf_lanes(cut[k])
    else:
        for k in range(n_cut):
            cut[k] = conditional_pd(groups.thr[g, k], scale, mean, idio)
    for k in range(n_cut):           # the PDs rise with k: count those below v
        c = cut[k]
        for f in range(nd):
            period[f] += v[f] > c


@intrinsic
def _word_below(typingctx, key, steps, start, bound):
    """Bit ``b`` set when ``uniform_bits_at(key, steps[start + b]) <= bound``, for the 64
    numbers from ``start`` (all of them must be there): :func:`mix64` of 64 lanes at once
    and the 64 comparisons read as one word (a mask register on AVX-512; numba's loop
    needs a shift and an OR per lane and a reduction per word)."""
    if not (isinstance(steps, types.Array) and steps.ndim == 1 and steps.layout == "C"
            and steps.dtype == types.uint64):
        return None                  # a typing error: contiguous uint64 steps only
    sig = types.uint64(types.uint64, steps, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        key_v, steps_v, start_v, bound_v = args
        data = context.make_array(signature.args[1])(context, builder, steps_v).data
        lanes = ir.VectorType(ir.IntType(64), 64)
        ptr = builder.bitcast(builder.gep(data, [start_v]), lanes.as_pointer())
        z = builder.load(ptr, align=8)

        def splat(value):
            vec = ir.Constant(lanes, ir.Undefined)
            vec = builder.insert_element(vec, value, ir.Constant(ir.IntType(32), 0))
            return builder.shuffle_vector(vec, ir.Constant(lanes, ir.Undefined),
                                          ir.Constant(ir.VectorType(ir.IntType(32), 64),
                                                      [0] * 64))

        def const(c):
            return ir.Constant(lanes, [int(c)] * 64)

        z = builder.add(z, splat(key_v))
        z = builder.mul(builder.xor(z, builder.lshr(z, const(_S30))), const(_M1))
        z = builder.mul(builder.xor(z, builder.lshr(z, const(_S27))), const(_M2))
        z = builder.xor(z, builder.lshr(z, const(_S31)))
        hit = builder.icmp_unsigned("<=", builder.lshr(z, const(_S11)), splat(bound_v))
        return builder.bitcast(hit, ir.IntType(64))

    return sig, codegen


#: Set bits of a group's 64-member word taken with no branch (:func:`group_defaulters`):
#: at the pools' conditional PDs (a few percent) a word rarely holds more, and a loop over
#: a varying number of bits mispredicts its exit once a word (about 6 ns a defaulter of
#: a 1,000-loan pool at PD 2%; 1 ns with eight).
_UNROLLED_BITS = 8


@njit(cache=True, _nrt=False)
def group_defaulters(key, member_steps, first, end, q, found):
    """Positions ``r`` in ``first .. end - 1`` whose member's uniform (the one of its draw
    key, whose :func:`~engine.default.draw_keys.index_step` is
    ``member_steps[r]``) is at most ``q`` (into ``found``, ascending); their number.

    Sixty-four members at a time: an integer test on each uniform's bits
    (:func:`uniform_bits_below`) sets its bit of a word (a vectorised loop with no branch),
    then only the word's set bits are visited (trailing-zero count): the first
    :data:`_UNROLLED_BITS` with no branch, so that a word's varying number of defaulters
    costs no mispredicted loop exit (``found`` holds one slack entry beyond the members)."""
    below = uniform_bits_below(q)
    if below < 0:
        return 0
    bound = np.uint64(below)
    lo, hi = np.uint64(first), np.uint64(end)        # unsigned: no negative-index wraparound
    one = np.uint64(1)
    n = np.uint64(0)
    base = lo
    while base < hi:
        width = min(np.uint64(64), hi - base)
        if width == np.uint64(64):
            bits = _word_below(key, member_steps, base, bound)
        else:                                    # a ragged last word
            bits = np.uint64(0)
            for b in range(width):
                bits |= np.uint64(uniform_bits_at(key, member_steps[base + b]) <= bound) << b
        for _ in range(_UNROLLED_BITS):          # no branch: a spent word (trailing-zero
            found[n] = base + trailing_zeros(bits)   # count 64) writes the slack entry
            n += np.uint64(bits != 0)                # ``found[n]``, overwritten or unread
            bits &= bits - one
        while bits != 0:
            found[n] = base + trailing_zeros(bits)
            n += one
            bits &= bits - one
        base += np.uint64(64)
    return np.int64(n)


@njit(cache=True, inline="always")
def draw_defaults(seed, path, z, scale, groups, twist_target, work, tau, defaulters,
                  n_previous):
    """Default period of every obligor of one path, by conditional independence.

    Given the factors ``z`` (and the Student-t ``scale``), obligors of a group (same
    loadings, idiosyncratic weight and thresholds) default independently: obligor ``j``
    draws ``u_j`` and defaults by legal final when ``u_j <= q_g``, where
    ``p_g = P(default by T | z)`` and ``q_g = p_g`` unless twisted. A defaulter's period
    is the first whose conditional PD reaches ``v = u_j p_g / q_g`` (:func:`default_period`).
    Exact in distribution; the cost per path is one uniform per obligor, one normal CDF per
    group, and one per period of each group with a defaulter.

    ``tau`` must hold ``T + 1`` for every obligor except the ``n_previous`` first entries
    of ``defaulters`` (the previous path's), which are reset here; on return ``tau[j]`` is
    the default period (``T + 1``: none) and ``defaulters`` lists this path's defaulters.

    ``groups`` is a :class:`engine.default.bundles.Groups`; ``work`` a
    :class:`engine.default.bundles.DefaultWork` (:func:`make_default_work`).

    Returns ``(number of defaulters, log likelihood ratio of the twist)``.
    """
    g_ptr, g_idx, g_val, g_idio, g_thr = (groups.ptr, groups.idx, groups.val, groups.idio,
                                          groups.thr)
    g_size, g_expo, members_ptr, members = (groups.size, groups.expo, groups.members_ptr,
                                            groups.members)
    member_steps = groups.member_step
    g_mean, g_pT, g_q = work.mean, work.p_horizon, work.q
    n_groups, horizon = g_thr.shape
    for r in range(np.uint64(n_previous)):
        tau[np.uint64(defaulters[r])] = horizon + 1
    key = stream_key(seed, path, np.uint64(STREAM_IDIO))
    for g in range(n_groups):
        m = 0.0
        for q in range(g_ptr[g], g_ptr[g + 1]):
            m += g_val[q] * z[g_idx[q]]
        g_mean[g] = m
        g_pT[g] = conditional_pd(g_thr[g, horizon - 1], scale, m, g_idio[g])
    theta = 0.0
    if twist_target > 0.0:
        theta = twist_parameter(g_pT, g_size, g_expo, twist_target)
    log_w = 0.0
    n_def = np.int64(0)      # not the literal 0 (callers would compile twice)
    for g in range(n_groups):
        p = g_pT[g]
        q = p
        if theta > 0.0 and g_expo[g] > 0.0 and 0.0 < p < 1.0:
            e = math.exp(min(theta * g_expo[g], 700.0))
            q = p * e / (1.0 + p * (e - 1.0))
        g_q[g] = q
        work.count[g] = 0
        if q <= 0.0:
            continue
        d = group_defaulters(key, member_steps, members_ptr[g], members_ptr[g + 1], q,
                             work.found)
        group_periods(g, d, key, member_steps, p, q, scale, groups, work)
        for f in range(np.uint64(d)):                  # unsigned: no wraparound code
            j = members[np.uint64(work.found[f])]
            tau[np.uint64(j)] = work.period[f] + 1
            defaulters[np.uint64(n_def)] = j
            n_def += 1
        work.count[g] = d
        if q != p:
            n_g = members_ptr[g + 1] - members_ptr[g]
            log_w += d * math.log(p / q) + (n_g - d) * math.log((1.0 - p) / (1.0 - q))
    return n_def, log_w
