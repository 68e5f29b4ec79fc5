"""Reference points for the engine's speed: the raw random-number bound and a plain NumPy
implementation of the same default model."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.default._kernels import STREAM_IDIO, stream_key, uniform


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
