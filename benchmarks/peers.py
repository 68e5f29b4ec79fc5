"""Reference points for the engine's speed: the raw random-number bound and a plain NumPy
implementation of the same default model."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.default._kernels import (
    STREAM_IDIO,
    draw_defaults,
    draw_factors,
    make_default_work,
    stream_key,
    threshold_scale,
    uniform,
)


@njit(parallel=True, cache=True)
def raw_uniform_bound(seed, n_paths, n_obligors, block_size):
    """Draw one uniform per obligor and path with the engine's generator, summing them
    (so nothing is optimised away): the least any engine of this design can spend."""
    n_blocks = -(-n_paths // block_size)
    out = np.zeros(n_blocks)
    for b in prange(n_blocks):
        acc = 0.0
        for path in range(b * block_size, min((b + 1) * block_size, n_paths)):
            key = stream_key(np.uint64(seed), np.uint64(path), np.uint64(STREAM_IDIO))
            for j in range(n_obligors):
                acc += uniform(key, np.uint64(j))
        out[b] = acc
    return out.sum()


def numpy_default_model(plan, n_paths, seed, chunk=2000):
    """Vectorised NumPy: factors, latent variables, default periods and the pool default
    rate distribution, chunk by chunk (no cash flows: the default model only)."""
    rng = np.random.default_rng(seed)
    a = plan.factors.dense()
    idio = plan.factors.idio
    thr = plan.thresholds
    principal_at = plan.out_start[:, 1:]
    owner = plan.asset_obligor
    rates = np.empty(n_paths)
    for start in range(0, n_paths, chunk):
        n = min(chunk, n_paths - start)
        z = rng.standard_normal((n, a.shape[1]))
        x = z @ a.T + rng.standard_normal((n, a.shape[0])) * idio
        period = (x[:, :, None] > thr[None, :, :]).sum(axis=2)        # 0-based default period
        t_asset = period[:, owner]
        defaulted = t_asset < plan.asset_term[None, :]
        amount = np.where(defaulted, principal_at[np.arange(len(owner))[None, :],
                                                  np.minimum(t_asset, thr.shape[1] - 1)], 0.0)
        rates[start:start + n] = amount.sum(axis=1) / plan.pool_balance
    return rates


@njit(cache=True, _nrt=False)
def _default_rates_block(seed, start, stop, shift, keys, dof, groups, asset_obligor,
                         asset_term, out_start, pool_balance, z, tau, defaulters, work, out):
    """One block's paths, compiled like the engine's ``simulate_block`` (no reference
    counting in the per-path loop)."""
    n_def = 0
    for path in range(start, stop):
        draw_factors(np.uint64(seed), np.uint64(path), shift, 1.0, keys, z)
        scale = threshold_scale(np.uint64(seed), np.uint64(path), dof)
        n_def, _ = draw_defaults(np.uint64(seed), np.uint64(path), z, scale, groups, 0.0,
                                 work, tau, defaulters, n_def)
        amount = 0.0
        for i in range(asset_obligor.shape[0]):
            t = tau[asset_obligor[i]]
            if t <= asset_term[i]:
                amount += out_start[i, t]
        out[path] = amount / pool_balance


@njit(parallel=True, cache=True)
def _engine_default_rates(seed, n_paths, block_size, shift, keys, dof, groups, asset_obligor,
                          asset_term, out_start, pool_balance, out):
    n_blocks = -(-n_paths // block_size)
    horizon = groups.thr.shape[1]
    n_obl = groups.members.shape[0]
    for b in prange(n_blocks):
        z = np.zeros(shift.shape[0])
        tau = np.full(n_obl, horizon + 1, dtype=np.int64)
        defaulters = np.zeros(n_obl, dtype=np.int64)
        work = make_default_work(groups)
        _default_rates_block(seed, b * block_size, min((b + 1) * block_size, n_paths), shift,
                             keys, dof, groups, asset_obligor, asset_term, out_start, pool_balance,
                             z, tau, defaulters, work, out)


def engine_default_model(plan, n_paths, seed):
    """The engine's own default model alone (same outputs as :func:`numpy_default_model`):
    the apples-to-apples comparison with the NumPy peer."""
    g = plan.groups
    out = np.empty(n_paths)
    _engine_default_rates(seed, n_paths, 1024, np.zeros(plan.factors.n_factors),
                          plan.default_model().factor_key, plan.dof,
                          g.bundle(), plan.asset_obligor, plan.asset_term, plan.out_start,
                          plan.pool_balance, out)
    return out


def simple_numpy_script(n_paths, n_obligors=1000, rho=0.2, pd=0.02, years=3.0, chunk=20_000,
                        seed=1):
    """What a user would write instead (the speed issue's script): the one-factor Gaussian
    copula drawn with NumPy, chunk by chunk, and only the horizon default rate
    ``((sqrt(rho) z + sqrt(1 - rho) e) < c) @ w`` of equal weights; no timing, no cash."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    c = norm.ppf(1.0 - (1.0 - pd) ** years)
    w = np.full(n_obligors, 1.0 / n_obligors)
    rates = np.empty(n_paths)
    a, b = np.sqrt(rho), np.sqrt(1.0 - rho)
    for start in range(0, n_paths, chunk):
        n = min(chunk, n_paths - start)
        z = rng.standard_normal((n, 1))
        e = rng.standard_normal((n, n_obligors))
        rates[start:start + n] = ((a * z + b * e) < c) @ w
    return rates
