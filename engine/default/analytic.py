"""Analytic default models: fast screens for users and oracles for the Monte Carlo engine.

Everything here is the one-factor copula model of portfolio credit risk. Obligor
``i`` has the latent variable ``X_i = sqrt(rho) Z + sqrt(1 - rho) e_i`` (Gaussian
copula; the Student-t copula multiplies it by a shared ``sqrt(W)``) and defaults
when ``X_i`` falls below the threshold that gives its default probability
``pd_i``. Given the systematic factor ``Z = z`` the defaults are independent,
which makes three kinds of results cheap and exact up to quadrature:

* the large homogeneous pool (Vasicek) distribution of the pool default rate
  (:func:`vasicek_cdf`, :func:`vasicek_quantile`,
  :func:`vasicek_tranche_expected_loss`);
* the exact loss distribution of a finite, heterogeneous pool with integer
  exposures (:func:`finite_pool_loss_distribution`,
  :func:`finite_pool_loss_distribution_t`) and tranche measures on it
  (:func:`tranche_default_probability`, :func:`tranche_expected_loss`);
* joint default probabilities of two names, e.g. a borrower and its guarantor
  (:func:`joint_default_probability`, :func:`one_factor_joint_probability`) --
  the ``y1`` of the agencies' guarantee shortcut in design/DOMAIN.md.

These are single-period models: ``pd`` is the default probability over the
horizon of interest. The tests compare the simulation engine with them.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from scipy import special, stats

__all__ = [
    "conditional_default_probability",
    "vasicek_cdf",
    "vasicek_quantile",
    "vasicek_tranche_expected_loss",
    "finite_pool_loss_distribution",
    "finite_pool_loss_distribution_t",
    "tranche_default_probability",
    "tranche_expected_loss",
    "joint_default_probability",
    "one_factor_joint_probability",
]

#: Largest number of float64 cells of conditional distributions held at once.
_CHUNK_CELLS = 1 << 22
#: Tail mass of the chi-square mixing variable left out of the t quadrature.
_CHI2_TAIL = 1e-16
#: Largest trapezoid step in log V; at 0.25 the rule is exact to rounding for dof >= 0.5.
_MAX_LOG_CHI2_STEP = 0.25


# --------------------------------------------------------------------------- one name


def conditional_default_probability(
    pd: float | np.ndarray, rho: float | np.ndarray, z: float | np.ndarray
) -> float | np.ndarray:
    """Default probability of a name given the systematic factor, Gaussian copula.

    ``p(z) = Phi((Phi^-1(pd) - sqrt(rho) z) / sqrt(1 - rho))``.

    Parameters
    ----------
    pd : float or array_like
        Unconditional default probability, in ``[0, 1]``.
    rho : float or array_like
        Asset correlation (the squared factor loading), in ``[0, 1]``. With
        ``rho = 1`` the name defaults exactly when ``z <= Phi^-1(pd)``.
    z : float or array_like
        Value of the standard normal systematic factor (low = bad economy).

    Returns
    -------
    float or numpy.ndarray
        Broadcast over the inputs; a float when all are scalars.
    """
    pd_a, rho_a, z_a = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (pd, rho, z)))
    _check_unit(pd_a, "pd")
    _check_unit(rho_a, "rho")
    c = special.ndtri(pd_a)
    out = np.where(z_a <= c, 1.0, 0.0)
    smooth = rho_a < 1
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (c - np.sqrt(rho_a) * z_a) / np.sqrt(1 - rho_a)
    out[smooth] = special.ndtr(arg[smooth])
    return _scalar_or_array(out, pd, rho, z)


# --------------------------------------------------------------------------- Vasicek


def vasicek_cdf(
    x: float | np.ndarray, pd: float | np.ndarray, rho: float | np.ndarray
) -> float | np.ndarray:
    """Distribution function of the default rate of a large homogeneous pool.

    ``P(DR <= x) = Phi((sqrt(1 - rho) Phi^-1(x) - Phi^-1(pd)) / sqrt(rho))``,
    the limit of a pool of infinitely many small names with default
    probability ``pd`` and asset correlation ``rho`` (Vasicek).

    Parameters
    ----------
    x : float or array_like
        Default rate; values outside ``[0, 1]`` give 0 or 1.
    pd : float or array_like
        Default probability of each name, in ``[0, 1]``.
    rho : float or array_like
        Asset correlation, in ``[0, 1]``. ``rho = 0`` puts all mass at ``pd``;
        ``rho = 1`` puts ``pd`` at 1 and ``1 - pd`` at 0.

    Returns
    -------
    float or numpy.ndarray
        Broadcast over the inputs; a float when all are scalars.
    """
    x_a, pd_a, rho_a = _broadcast(x, pd, rho)
    _check_unit(pd_a, "pd")
    _check_unit(rho_a, "rho")
    out = np.empty(x_a.shape)
    cases = _vasicek_cases(pd_a, rho_a)
    out[cases["none"]] = 1.0
    out[cases["all"]] = 0.0
    out[cases["flat"]] = (x_a >= pd_a)[cases["flat"]]
    out[cases["step"]] = 1 - pd_a[cases["step"]]
    general = cases["general"]
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (np.sqrt(1 - rho_a) * special.ndtri(np.clip(x_a, 0, 1)) - special.ndtri(pd_a)) / np.sqrt(rho_a)
    out[general] = special.ndtr(arg[general])
    out[x_a < 0] = 0.0
    out[(x_a == 0) & general] = 0.0
    out[x_a >= 1] = 1.0
    return _scalar_or_array(out, x, pd, rho)


def vasicek_quantile(
    q: float | np.ndarray, pd: float | np.ndarray, rho: float | np.ndarray
) -> float | np.ndarray:
    """Quantile of the large-homogeneous-pool default rate (inverse of :func:`vasicek_cdf`).

    ``x(q) = Phi((Phi^-1(pd) + sqrt(rho) Phi^-1(q)) / sqrt(1 - rho))``: the default
    rate not exceeded with probability ``q`` -- with ``q`` the confidence level,
    the agencies' target (scenario) default rate of a very granular pool.

    Parameters
    ----------
    q : float or array_like
        Probability level, in ``[0, 1]``.
    pd, rho : float or array_like
        As for :func:`vasicek_cdf`.

    Returns
    -------
    float or numpy.ndarray
        The smallest ``x`` with ``vasicek_cdf(x) >= q`` (0 for ``q = 0`` unless
        the distribution is a point mass).
    """
    q_a, pd_a, rho_a = _broadcast(q, pd, rho)
    _check_unit(q_a, "q")
    _check_unit(pd_a, "pd")
    _check_unit(rho_a, "rho")
    out = np.empty(q_a.shape)
    cases = _vasicek_cases(pd_a, rho_a)
    out[cases["none"]] = 0.0
    out[cases["all"]] = 1.0
    out[cases["flat"]] = pd_a[cases["flat"]]
    out[cases["step"]] = (q_a > 1 - pd_a)[cases["step"]]
    general = cases["general"]
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (special.ndtri(pd_a) + np.sqrt(rho_a) * special.ndtri(q_a)) / np.sqrt(1 - rho_a)
    out[general] = special.ndtr(arg[general])
    return _scalar_or_array(out, q, pd, rho)


def vasicek_tranche_expected_loss(
    attach: float, detach: float, pd: float, rho: float, lgd: float = 1.0
) -> float:
    """Expected loss of a tranche of a large homogeneous pool, in the Vasicek model.

    The pool loss is ``L = lgd * DR`` with ``DR`` Vasicek distributed; the tranche
    ``[attach, detach]`` loses ``min(max(L - attach, 0), detach - attach)``.
    Closed form: ``E[min(DR, m)] = Phi2(Phi^-1(pd), -z_m; -sqrt(rho)) + m P(DR > m)``
    with ``z_m = (Phi^-1(pd) - sqrt(1 - rho) Phi^-1(m)) / sqrt(rho)``.

    Parameters
    ----------
    attach, detach : float
        Tranche attachment and detachment as fractions of the pool,
        ``0 <= attach < detach <= 1``.
    pd : float
        Default probability of each name, in ``[0, 1]``.
    rho : float
        Asset correlation, in ``[0, 1]``.
    lgd : float, default 1.0
        Loss given default, in ``[0, 1]`` (fixed).

    Returns
    -------
    float
        Expected tranche loss as a fraction of the tranche notional.
    """
    if not 0 <= attach < detach <= 1:
        raise ValueError(f"need 0 <= attach < detach <= 1; got attach={attach!r}, detach={detach!r}")
    for value, name in ((pd, "pd"), (rho, "rho"), (lgd, "lgd")):
        _check_unit(np.asarray(value, dtype=np.float64), name)
    upper = _expected_min_loss(detach, pd, rho, lgd)
    lower = _expected_min_loss(attach, pd, rho, lgd)
    return min(max((upper - lower) / (detach - attach), 0.0), 1.0)


def _expected_min_loss(level: float, pd: float, rho: float, lgd: float) -> float:
    """``E[min(lgd * DR, level)]`` for a Vasicek default rate ``DR``."""
    if lgd == 0 or level <= 0:
        return 0.0
    m = level / lgd
    if m >= 1 or pd == 0:
        return lgd * pd
    if pd == 1:
        return lgd * m
    if rho == 0:
        return lgd * min(pd, m)
    if rho == 1:
        return lgd * pd * m
    c = special.ndtri(pd)
    minus_z = (math.sqrt(1 - rho) * special.ndtri(m) - c) / math.sqrt(rho)
    below = _bvn_lower(pd, minus_z, -math.sqrt(rho))  # E[DR 1{DR <= m}]
    return lgd * (below + m * special.ndtr(-minus_z))


def _vasicek_cases(pd: np.ndarray, rho: np.ndarray) -> dict[str, np.ndarray]:
    """Masks of the degenerate parameter cases of the Vasicek distribution."""
    none = pd == 0
    all_ = (pd == 1) & ~none
    rest = ~(none | all_)
    flat = rest & (rho == 0)
    step = rest & (rho == 1)
    return {"none": none, "all": all_, "flat": flat, "step": step, "general": rest & ~(flat | step)}


# --------------------------------------------------------------------------- two names


def joint_default_probability(
    pd1: float | np.ndarray, pd2: float | np.ndarray, rho: float | np.ndarray
) -> float | np.ndarray:
    """Probability that two names both default, Gaussian copula.

    ``Phi2(Phi^-1(pd1), Phi^-1(pd2); rho)``, computed with Owen's T function
    (absolute error about 1e-16; the tests check it against direct integration
    of the conditional probabilities). In the agencies' guarantee shortcut this
    is ``y1`` for a borrower and its guarantor.

    Parameters
    ----------
    pd1, pd2 : float or array_like
        Default probabilities, in ``[0, 1]``.
    rho : float or array_like
        Correlation of the two latent variables, in ``[-1, 1]`` (for two names
        in a one-factor model, ``sqrt(rho_a rho_b)``).

    Returns
    -------
    float or numpy.ndarray
        Broadcast over the inputs; a float when all are scalars.
    """
    p1, p2, r = _broadcast(pd1, pd2, rho)
    _check_unit(p1, "pd1")
    _check_unit(p2, "pd2")
    if not np.all((r >= -1) & (r <= 1)):
        raise ValueError(f"rho must lie in [-1, 1]; got {rho!r}")
    out = np.array([_joint(a, b, c) for a, b, c in zip(p1.ravel(), p2.ravel(), r.ravel())])
    return _scalar_or_array(out.reshape(p1.shape), pd1, pd2, rho)


def one_factor_joint_probability(pd_a: float, pd_b: float, rho_a: float, rho_b: float) -> float:
    """Joint default probability of two names loading on one common factor.

    ``int p_a(z) p_b(z) phi(z) dz`` with ``p(z)`` from
    :func:`conditional_default_probability` and loadings ``sqrt(rho_a)``,
    ``sqrt(rho_b)``; this equals :func:`joint_default_probability` with latent
    correlation ``sqrt(rho_a rho_b)``, which is how it is computed.

    Parameters
    ----------
    pd_a, pd_b : float
        Default probabilities, in ``[0, 1]``.
    rho_a, rho_b : float
        Each name's asset correlation with the factor, in ``[0, 1]``.

    Returns
    -------
    float
        Probability that both default.
    """
    for value, name in ((rho_a, "rho_a"), (rho_b, "rho_b")):
        _check_unit(np.asarray(value, dtype=np.float64), name)
    return float(joint_default_probability(pd_a, pd_b, math.sqrt(rho_a * rho_b)))


def _joint(p1: float, p2: float, r: float) -> float:
    """Scalar ``Phi2(Phi^-1(p1), Phi^-1(p2); r)`` with the degenerate cases exact."""
    p1, p2 = min(p1, p2), max(p1, p2)
    if p1 == 0 or p2 == 1:
        return p1
    if r == 0:
        return p1 * p2
    if r == 1:
        return p1
    if r == -1:
        return max(0.0, p1 + p2 - 1)
    return _bvn_lower(p1, float(special.ndtri(p2)), r)


def _bvn_lower(p_h: float, k: float, r: float) -> float:
    """``P(X <= Phi^-1(p_h), Y <= k)`` for standard normals with correlation ``|r| < 1``."""
    return float(_bvn_owen(np.asarray(special.ndtri(p_h)), np.asarray(k), np.asarray(r)))


def _bvn_owen(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Bivariate normal distribution function by Owen's T function (finite ``h, k``, ``|r| < 1``).

    ``Phi2(h, k; r) = (Phi(h) + Phi(k)) / 2 - T(h, a_h) - T(k, a_k) - beta`` with
    ``a_h = (k - r h) / (h sqrt(1 - r²))``, ``a_k = (h - r k) / (k sqrt(1 - r²))``
    and ``beta = 1/2`` when ``h k < 0`` or ``h k = 0`` with ``h + k < 0``, else 0
    (Owen 1956). Owen's T is evaluated to double precision by
    :func:`scipy.special.owens_t`, so the absolute error is about 1e-16.
    """
    h, k, r = np.broadcast_arrays(h, k, r)
    s = np.sqrt((1 - r) * (1 + r))
    with np.errstate(divide="ignore", invalid="ignore"):
        a_h = (k - r * h) / (h * s)
        a_k = (h - r * k) / (k * s)
    beta = np.where((h * k < 0) | ((h * k == 0) & (h + k < 0)), 0.5, 0.0)
    out = 0.5 * (special.ndtr(h) + special.ndtr(k)) - beta
    both_zero = (h == 0) & (k == 0)
    t_h = np.where(h == 0, np.sign(k) / 4, special.owens_t(h, np.where(h == 0, 0.0, a_h)))
    t_k = np.where(k == 0, np.sign(h) / 4, special.owens_t(k, np.where(k == 0, 0.0, a_k)))
    out = np.where(both_zero, 0.25 + np.arcsin(r) / (2 * np.pi), out - t_h - t_k)
    return np.clip(out, 0.0, np.minimum(special.ndtr(h), special.ndtr(k)))


# --------------------------------------------------------------------------- finite pools


def finite_pool_loss_distribution(
    pds: np.ndarray, exposures: np.ndarray, rho: float, n_nodes: int = 128
) -> np.ndarray:
    """Exact loss distribution of a finite pool in the one-factor Gaussian copula.

    The pool loss is ``L = sum_i exposures[i] * 1{name i defaults}`` in integer
    loss units. Given ``Z = z`` names default independently with
    :func:`conditional_default_probability`, so the conditional distribution
    of ``L`` is built by convolution on the integer lattice (names with equal
    ``pd`` and exposure are handled together as one binomial); the result is
    integrated over ``Z`` by Gauss–Hermite (probabilists') quadrature.

    Parameters
    ----------
    pds : array_like
        Default probabilities, in ``[0, 1]`` (0 and 1 are exact).
    exposures : array_like
        Non-negative integer loss of each name on default (e.g. the balance in
        units of 100 000).
    rho : float
        Asset correlation of every name with the single factor, in ``[0, 1)``.
        ``rho = 0`` is exact (independent names, a Poisson-binomial law).
    n_nodes : int, default 128
        Quadrature nodes in ``Z``. Small pools at moderate correlation are
        exact to rounding with 64 nodes; the integrand gets sharp in ``z`` for
        high correlation (``rho = 0.9``: about 3e-6 at 128 nodes, 1e-9 at 256)
        and for big pools (2000 equal names: the distribution function is
        within about 5e-3 at 128 nodes and 1e-3 at 256). Cost is
        ``O(n_nodes * names * total exposure)``, less for names sharing
        ``pd`` and exposure.

    Returns
    -------
    numpy.ndarray
        ``P(L = k)`` for ``k = 0 .. sum(exposures)``.
    """
    pd_arr, expo = _check_pool(pds, exposures)
    _check_rho(rho)
    z, w = (np.zeros(1), np.ones(1)) if rho == 0 else _hermite_rule(int(n_nodes))
    thresholds = special.ndtri(pd_arr)

    def conditional(rows: slice) -> np.ndarray:
        return _gaussian_conditional(thresholds, rho, z[rows][:, None])

    return _mixture(conditional, w, pd_arr, expo)


def finite_pool_loss_distribution_t(
    pds: np.ndarray,
    exposures: np.ndarray,
    rho: float,
    dof: float,
    n_nodes: int = 64,
    n_chi2_nodes: int = 96,
) -> np.ndarray:
    """Exact loss distribution of a finite pool in the one-factor Student-t copula.

    ``X_i = sqrt(W) (sqrt(rho) Z + sqrt(1 - rho) e_i)`` with ``W = dof / V``,
    ``V ~ chi2(dof)`` shared by all names, and default when
    ``X_i <= t_dof^-1(pd_i)``. Given ``Z = z`` and ``V = v`` names default
    independently with ``Phi((t_dof^-1(pd_i) sqrt(v / dof) - sqrt(rho) z) / sqrt(1 - rho))``.
    The integral over ``Z`` uses Gauss–Hermite nodes; the one over ``V`` a
    trapezoid rule in ``log V`` between its 1e-16 and 1 - 1e-16 quantiles
    (geometrically convergent for this smooth, fast-decaying density, and stable
    for any ``dof``, unlike Gauss–Laguerre weights, which overflow for large ``dof``).

    Parameters
    ----------
    pds, exposures, rho
        As for :func:`finite_pool_loss_distribution`. With ``rho = 0`` names
        are still dependent through ``W``.
    dof : float
        Degrees of freedom, ``> 0``; ``numpy.inf`` gives the Gaussian copula.
    n_nodes : int, default 64
        Gauss–Hermite nodes in ``Z``.
    n_chi2_nodes : int, default 96
        Least number of trapezoid nodes in ``log V``; more are used when needed
        to keep the step at most 0.25 (small ``dof``, whose ``log V`` has a
        long left tail: about 310 nodes at ``dof = 1``).

    Returns
    -------
    numpy.ndarray
        ``P(L = k)`` for ``k = 0 .. sum(exposures)``.
    """
    if not dof > 0:
        raise ValueError(f"dof must be > 0 (or numpy.inf for the Gaussian copula); got {dof!r}")
    if math.isinf(dof):
        return finite_pool_loss_distribution(pds, exposures, rho, n_nodes)
    pd_arr, expo = _check_pool(pds, exposures)
    _check_rho(rho)
    z, wz = (np.zeros(1), np.ones(1)) if rho == 0 else _hermite_rule(int(n_nodes))
    scale, wv = _chi2_scale_rule(float(dof), int(n_chi2_nodes))
    z_all = np.repeat(z, scale.size)
    scale_all = np.tile(scale, z.size)
    weights = np.outer(wz, wv).ravel()
    thresholds = stats.t.ppf(pd_arr, dof)

    def conditional(rows: slice) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            scaled = thresholds[None, :] * scale_all[rows][:, None]
        return _gaussian_conditional(scaled, rho, z_all[rows][:, None])

    return _mixture(conditional, weights, pd_arr, expo)


def tranche_default_probability(dist: np.ndarray, attach_units: float) -> float:
    """Probability that the pool loss exceeds a tranche's attachment point.

    Parameters
    ----------
    dist : array_like
        ``P(L = k)``, ``k = 0, 1, ...`` (from :func:`finite_pool_loss_distribution`).
    attach_units : float
        Attachment point in the same loss units, ``>= 0``.

    Returns
    -------
    float
        ``P(L > attach_units)``.
    """
    p = _check_distribution(dist)
    if not attach_units >= 0:
        raise ValueError(f"attach_units must be >= 0; got {attach_units!r}")
    k = np.arange(p.size)
    return float(p[k > attach_units].sum())


def tranche_expected_loss(dist: np.ndarray, attach_units: float, detach_units: float) -> float:
    """Expected loss of a tranche as a fraction of its notional.

    Parameters
    ----------
    dist : array_like
        ``P(L = k)``, ``k = 0, 1, ...``.
    attach_units, detach_units : float
        Tranche boundaries in loss units, ``0 <= attach_units < detach_units``.

    Returns
    -------
    float
        ``E[min(max(L - a, 0), d - a)] / (d - a)``.
    """
    p = _check_distribution(dist)
    if not 0 <= attach_units < detach_units:
        raise ValueError(
            f"need 0 <= attach_units < detach_units; got {attach_units!r}, {detach_units!r}"
        )
    width = detach_units - attach_units
    loss = np.clip(np.arange(p.size) - attach_units, 0.0, width)
    return float(p @ loss / width)


# --------------------------------------------------------------------------- internals


@functools.lru_cache(maxsize=16)
def _hermite_rule(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss–Hermite nodes and weights normalised to sum to one."""
    if n_nodes < 1:
        raise ValueError(f"n_nodes must be at least 1; got {n_nodes!r}")
    z, w = special.roots_hermitenorm(n_nodes)  # stable for large n, unlike hermegauss
    return z, w / w.sum()


def _chi2_scale_rule(dof: float, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of ``sqrt(V / dof)``, ``V ~ chi2(dof)``, and their weights (trapezoid in ``log V``).

    ``V / 2`` is Gamma(``dof / 2``, 1); in ``s = log(V / 2)`` its density is
    proportional to ``exp(dof/2 * s - e^s)``, smooth and decaying fast at both
    ends, where the trapezoid rule converges geometrically.
    """
    if n_nodes < 2:
        raise ValueError(f"n_chi2_nodes must be at least 2; got {n_nodes!r}")
    shape = dof / 2  # V / 2 ~ Gamma(shape, 1)
    lo = math.log(special.gammaincinv(shape, _CHI2_TAIL))
    hi = math.log(special.gammainccinv(shape, _CHI2_TAIL))
    s = np.linspace(lo, hi, max(n_nodes, math.ceil((hi - lo) / _MAX_LOG_CHI2_STEP) + 1))
    log_density = shape * s - np.exp(s)
    w = np.exp(log_density - log_density.max())
    return np.sqrt(np.exp(s) / shape), w / w.sum()


def _gaussian_conditional(thresholds: np.ndarray, rho: float, z: np.ndarray) -> np.ndarray:
    """``Phi((c - sqrt(rho) z) / sqrt(1 - rho))`` for thresholds ``c`` (``±inf`` allowed)."""
    return special.ndtr((thresholds - math.sqrt(rho) * z) / math.sqrt(1 - rho))


def _mixture(
    conditional: Callable[[slice], np.ndarray], weights: np.ndarray, pds: np.ndarray, exposures: np.ndarray
) -> np.ndarray:
    """Integrate conditional loss distributions over quadrature scenarios.

    ``conditional(rows)`` returns conditional default probabilities of every
    name for the scenarios ``rows``, shape ``(scenarios, names)``.
    """
    groups, first, counts = _groups(pds, exposures)
    total = int(exposures.sum())
    out = np.zeros(total + 1)
    chunk = max(1, _CHUNK_CELLS // (total + 1))
    for start in range(0, weights.size, chunk):
        rows = slice(start, min(start + chunk, weights.size))
        p = conditional(rows)[:, first]
        out += weights[rows] @ _conditional_distribution(p, groups, counts, total)
    return np.clip(out, 0.0, None)


def _groups(pds: np.ndarray, exposures: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Names with equal ``(pd, exposure)``: exposure, index of a first member, count.

    Zero exposures are dropped; larger groups come first, so their binomial
    convolution runs while the distribution is still short.
    """
    keep = exposures > 0
    keys = np.column_stack([pds, exposures.astype(np.float64)])
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    first, counts = first[keep[first]], counts[keep[first]]
    order = np.argsort(-(counts * exposures[first]), kind="stable")
    return exposures[first][order], first[order], counts[order]


def _conditional_distribution(
    p: np.ndarray, exposures: np.ndarray, counts: np.ndarray, total: int
) -> np.ndarray:
    """Loss distributions given each scenario: ``p`` has shape ``(scenarios, groups)``."""
    dist = np.zeros((p.shape[0], total + 1))
    dist[:, 0] = 1.0
    length = 1
    for g, (e, m) in enumerate(zip(exposures.tolist(), counts.tolist())):
        pg = p[:, g : g + 1]
        if m == 1:
            shifted = dist[:, :length] * pg
            dist[:, :length] *= 1.0 - pg
            dist[:, e : e + length] += shifted
        else:
            old = dist[:, :length].copy()
            dist[:, :length] = 0.0
            pmf = _binomial_pmf(m, pg)
            for j in range(m + 1):
                dist[:, j * e : j * e + length] += pmf[:, j : j + 1] * old
        length += m * e
    return dist


def _binomial_pmf(m: int, p: np.ndarray) -> np.ndarray:
    """``P(Binomial(m, p) = j)``, ``j = 0..m``, for a column of probabilities ``p`` (0 and 1 exact)."""
    j = np.arange(m + 1, dtype=np.float64)[None, :]
    log_choose = special.gammaln(m + 1) - special.gammaln(j + 1) - special.gammaln(m - j + 1)
    pmf = np.exp(log_choose + special.xlogy(j, p) + special.xlog1py(m - j, -p))
    return pmf / pmf.sum(axis=1, keepdims=True)


def _check_pool(pds: np.ndarray, exposures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(pds float64, exposures int64)`` of equal length."""
    pd_arr = np.asarray(pds, dtype=np.float64).ravel()
    raw = np.asarray(exposures).ravel()
    if pd_arr.size != raw.size:
        raise ValueError(f"pds has {pd_arr.size} entries but exposures has {raw.size}")
    _check_unit(pd_arr, "pds")
    as_float = raw.astype(np.float64)
    if not np.all(np.isfinite(as_float) & (as_float >= 0) & (as_float == np.round(as_float))):
        raise ValueError(
            "exposures must be non-negative integers (loss units); scale and round "
            "balances, e.g. to units of 100 000"
        )
    return pd_arr, as_float.astype(np.int64)


def _check_rho(rho: float) -> None:
    """Raise unless ``0 <= rho < 1``."""
    if not 0 <= rho < 1:
        raise ValueError(
            f"rho must lie in [0, 1) for a finite pool; got {rho!r} "
            "(rho = 1 makes every name default together: use a single name)"
        )


def _check_distribution(dist: np.ndarray) -> np.ndarray:
    """A loss distribution as a 1-D float array."""
    p = np.asarray(dist, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError("dist must be a non-empty 1-D array of P(L = k), k = 0, 1, ...")
    return p


def _check_unit(values: np.ndarray, name: str) -> None:
    """Raise unless every value lies in ``[0, 1]``."""
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"{name} must lie in [0, 1]; got {values!r}")


def _broadcast(*values) -> list[np.ndarray]:
    """Inputs as broadcast float64 arrays (writable copies)."""
    return [np.array(a) for a in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))]


def _scalar_or_array(out: np.ndarray, *inputs) -> float | np.ndarray:
    """A float when every input was a scalar, else the array."""
    return float(out) if all(np.ndim(v) == 0 for v in inputs) else out
