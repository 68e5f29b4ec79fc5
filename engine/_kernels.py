"""The fused chunk kernel: factors -> defaults -> haircuts -> cash -> outcome, per path.

Paths are grouped in fixed blocks of ``block_size``; each block is simulated serially by
one thread and writes its own row of sums (:mod:`engine.accumulate` owns the layout),
so any thread count or chunking gives the same numbers. Integer tallies (histogram of
the pool default rate, obligor default counts) go to per-thread rows: integer sums are
exact in any order.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from engine.default._kernels import (STREAM_HAIRCUT, draw_default_periods, draw_factors,
                                     norm_cdf, normal, stream_key)
from engine.waterfall._kernels import (SUP_BANK_GUARANTEE, SUP_LOAN_GUARANTEE,
                                       run_path_cash)

#: Cash shortfalls smaller than this (currency units, half a cent) are rounding, not default.
PAYMENT_TOLERANCE = 0.005

# Column layout of a block's sums: per tranche, then pool, then per support instrument.
TR_COLS = 8     # w, def, def^2, loss, loss^2, wal_paths, wal, wal^2
POOL_COLS = 5   # default rate, its square, loss rate, its square, cash error (max)
SUP_COLS = 3    # amount paid, its square, paths where it paid


@njit(cache=True)
def haircut_from_uniform(u, table):
    """Linear interpolation in a quantile table on ``linspace(0, 1, len(table))``."""
    x = u * (table.shape[0] - 1)
    i = int(x)
    if i >= table.shape[0] - 1:
        return table[table.shape[0] - 1]
    frac = x - i
    return table[i] + frac * (table[i + 1] - table[i])


@njit(cache=True)
def draw_haircuts(seed, path, z0, obligor_default, horizon, asset_obligor, coll_ptr,
                  coll_draw, coll_systemic, coll_quantiles, out):
    """Haircut of every collateral item whose asset's obligor defaults within the horizon.

    The haircut's uniform is ``Phi(-s Z_0 + sqrt(1 - s^2) eps)``: worse when the global
    factor ``Z_0`` is bad, with weight ``s = systemic``.
    """
    key = stream_key(seed, path, np.uint64(STREAM_HAIRCUT))
    for i in range(asset_obligor.shape[0]):
        defaulted = obligor_default[asset_obligor[i]] <= horizon
        for c in range(coll_ptr[i], coll_ptr[i + 1]):
            if not defaulted:
                out[c] = 0.0
                continue
            s = coll_systemic[c]
            w = -s * z0 + math.sqrt(1.0 - s * s) * normal(key, np.uint64(coll_draw[c]))
            out[c] = haircut_from_uniform(norm_cdf(w), coll_quantiles[c])


@njit(cache=True)
def tranche_outcome(k, horizon, ppy, balance, int_due, int_paid, prin_paid, tr_bal_end):
    """``(defaulted, loss share, wal years or -1)`` of tranche ``k`` on one path."""
    due = 0.0
    got = 0.0
    defaulted = False
    paid = 0.0
    timed = 0.0
    for t in range(1, horizon + 1):
        due += int_due[t, k]
        got += int_paid[t, k] + prin_paid[t, k]
        if int_paid[t, k] < int_due[t, k] - PAYMENT_TOLERANCE:
            defaulted = True
        paid += prin_paid[t, k]
        timed += prin_paid[t, k] * (t / ppy)
    if tr_bal_end[horizon, k] > PAYMENT_TOLERANCE:
        defaulted = True
    loss = 0.0
    if balance > 0.0:
        loss = max(0.0, due + balance - got) / balance
    wal = timed / paid if paid > 0.0 else -1.0
    return defaulted, loss, wal


@njit(cache=True)
def cash_error(horizon, coll_int, coll_prin, coll_recovery, sup_paid, fee_paid, int_paid,
               prin_paid, res_paid, carry):
    """Cash in (collections + support) minus cash out (payments + cash left)."""
    inflow = 0.0
    outflow = 0.0
    for t in range(1, horizon + 1):
        inflow += coll_int[t] + coll_prin[t] + coll_recovery[t]
        for s in range(sup_paid.shape[1]):
            inflow += sup_paid[t, s]
        for f in range(fee_paid.shape[1]):
            outflow += fee_paid[t, f]
        for k in range(int_paid.shape[1]):
            outflow += int_paid[t, k] + prin_paid[t, k] + res_paid[t, k]
    return inflow - outflow - carry[horizon]


@njit(cache=True)
def make_cash_scratch(horizon, n_assets, max_cov, n_coll, n_sup, n_tr, n_fee):
    """Per-thread work arrays of :func:`run_path_cash` (outputs first, then scratch)."""
    t1 = horizon + 1
    return (
        np.zeros(t1), np.zeros(t1), np.zeros(t1), np.zeros((t1, n_sup)),
        np.zeros((t1, n_fee)), np.zeros((t1, n_tr)), np.zeros((t1, n_tr)),
        np.zeros((t1, n_tr)), np.zeros((t1, n_tr)), np.zeros(t1), np.zeros((t1, n_tr)),
        np.zeros(n_assets, dtype=np.int64), np.zeros(n_assets), np.zeros(n_assets),
        np.zeros(n_assets), np.zeros((n_assets, max_cov)), np.zeros((n_assets, max_cov)),
        np.zeros(n_tr), np.zeros(n_tr), np.zeros(n_fee), np.zeros(n_fee),
        np.zeros(n_tr), np.zeros(n_fee), np.zeros(n_tr), np.zeros(n_tr), np.zeros(n_tr),
        np.zeros(n_sup), np.zeros(n_tr, dtype=np.int64), np.zeros(t1),
        np.zeros(t1, dtype=np.int64),
    )


@njit(parallel=True, cache=True)
def simulate_blocks(
    seed, first_block, n_blocks, block_size, n_paths,
    n_factors, load_ptr, load_idx, load_val, idio, thresholds,
    coll_draw, coll_systemic, coll_quantiles, hist_bins,
    horizon, ppy, pool_balance,
    asset_obligor, asset_term, sched_prin, sched_int, out_start,
    pool_sched_int, pool_sched_prin, pool_out_start, pool_active,
    coll_ptr, coll_value, coll_lag,
    sup_kind, sup_provider, sup_share, sup_lag, sup_cap, sup_target, sup_covers_tranche,
    cov_ptr, cov_sup,
    tr_balance, tr_coupon, tr_sub, tr_pass_through, tr_target_balance,
    fee_kind, fee_value, ops_int, ops_prin,
    block_sums, thread_hist, thread_defaults,
):
    """Simulate blocks ``first_block .. first_block + n_blocks - 1``.

    ``block_sums[b]`` receives block ``first_block + b``'s sums; ``thread_hist`` and
    ``thread_defaults`` (rows per thread) are incremented.
    """
    n_obl = thresholds.shape[0]
    n_tr = tr_balance.shape[0]
    n_sup = sup_kind.shape[0]
    n_assets = asset_obligor.shape[0]
    n_coll = coll_value.shape[0]
    max_cov = 1
    for i in range(n_assets):
        max_cov = max(max_cov, cov_ptr[i + 1] - cov_ptr[i])
    pool_col = TR_COLS * n_tr
    sup_col = pool_col + POOL_COLS
    useed = np.uint64(seed)
    for b in prange(n_blocks):
        tid = numba.get_thread_id()
        z = np.zeros(max(n_factors, 1))
        tau = np.zeros(n_obl, dtype=np.int64)
        haircut = np.zeros(n_coll)
        sc = make_cash_scratch(horizon, n_assets, max_cov, n_coll, n_sup, n_tr,
                               fee_kind.shape[0])
        (coll_int, coll_prin, coll_recovery, sup_paid, fee_paid, int_due, int_paid,
         prin_paid, res_paid, carry, tr_bal_end) = sc[:11]
        sums = block_sums[b]
        sums[:] = 0.0
        start = (first_block + b) * block_size
        stop = min(start + block_size, n_paths)
        for path in range(start, stop):
            upath = np.uint64(path)
            draw_factors(useed, upath, n_factors, z)
            draw_default_periods(useed, upath, z, load_ptr, load_idx, load_val, idio,
                                 thresholds, tau)
            draw_haircuts(useed, upath, z[0], tau, horizon, asset_obligor, coll_ptr,
                          coll_draw, coll_systemic, coll_quantiles, haircut)
            dr, lr = run_path_cash(
                horizon, ppy, pool_balance, asset_obligor, asset_term, sched_prin,
                sched_int, out_start, pool_sched_int, pool_sched_prin, pool_out_start,
                pool_active,
                coll_ptr, coll_value, coll_lag, sup_kind, sup_provider, sup_share,
                sup_lag, sup_cap, sup_target, sup_covers_tranche, cov_ptr, cov_sup,
                tr_balance, tr_coupon, tr_sub, tr_pass_through, tr_target_balance,
                fee_kind, fee_value, ops_int, ops_prin, tau, haircut,
                coll_int, coll_prin, coll_recovery, sup_paid, fee_paid, int_due,
                int_paid, prin_paid, res_paid, carry, tr_bal_end,
                sc[11], sc[12], sc[13], sc[14], sc[15], sc[16], sc[17], sc[18], sc[19],
                sc[20], sc[21], sc[22], sc[23], sc[24], sc[25], sc[26], sc[27], sc[28],
                sc[29])
            for k in range(n_tr):
                d, loss, wal = tranche_outcome(k, horizon, ppy, tr_balance[k], int_due,
                                               int_paid, prin_paid, tr_bal_end)
                c = TR_COLS * k
                sums[c] += 1.0
                if d:
                    sums[c + 1] += 1.0
                    sums[c + 2] += 1.0
                sums[c + 3] += loss
                sums[c + 4] += loss * loss
                if wal >= 0.0:
                    sums[c + 5] += 1.0
                    sums[c + 6] += wal
                    sums[c + 7] += wal * wal
            sums[pool_col] += dr
            sums[pool_col + 1] += dr * dr
            sums[pool_col + 2] += lr
            sums[pool_col + 3] += lr * lr
            err = abs(cash_error(horizon, coll_int, coll_prin, coll_recovery, sup_paid,
                                 fee_paid, int_paid, prin_paid, res_paid, carry))
            if err > sums[pool_col + 4]:
                sums[pool_col + 4] = err
            for s in range(n_sup):
                amount = 0.0
                for t in range(1, horizon + 1):
                    amount += sup_paid[t, s]
                c = sup_col + SUP_COLS * s
                sums[c] += amount
                sums[c + 1] += amount * amount
                if amount > 0.0:
                    sums[c + 2] += 1.0
            bin_ = int(dr * (hist_bins - 1) + 1e-9)
            thread_hist[tid, min(max(bin_, 0), hist_bins - 1)] += 1
            for j in range(n_obl):
                if tau[j] <= horizon:
                    thread_defaults[tid, j] += 1
