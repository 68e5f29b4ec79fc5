"""The fused chunk kernel: factors -> defaults -> haircuts -> cash -> outcome, per path.

Paths are grouped in fixed blocks of ``block_size``; each block is simulated serially by
one thread and writes its own row of sums, histogram and default tallies; the driver
folds rows in block order, so any thread count or chunking gives the same numbers.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from engine.default._kernels import (STREAM_HAIRCUT, draw_defaults, draw_factors,
                                     norm_cdf, normal, stream_key, threshold_scale)
from engine.waterfall._kernels import PAYMENT_TOLERANCE, run_path_cash

# Column layout of a block's sums (w = the path's likelihood ratio, 1 for plain Monte Carlo):
# per tranche: w.d, (w.d)^2, w.loss, (w.loss)^2, w.p, w.p.wal, (w.p)^2, (w.p.wal)^2,
#              (w.p)(w.p.wal)  with d = defaulted, p = some principal paid;
# pool: w.dr, (w.dr)^2, w.lr, (w.lr)^2, w, w^2, max cash error (a max, not a sum);
# per support instrument: w.amount, (w.amount)^2, w.called, w.reimbursed;
# per trigger: w.fired, w.fired.period; then w.accelerated;
# then per date t = 0..horizon: w x principal defaulting at t / pool (the timing profile);
# then per provider with a capacity: w x ran out of capacity.
TR_COLS = 9
POOL_COLS = 7
SUP_COLS = 4
TRIG_COLS = 2


@njit(cache=True, inline="always")
def haircut_from_uniform(u, table):
    """Linear interpolation in a quantile table on ``linspace(0, 1, len(table))``."""
    x = u * (table.shape[0] - 1)
    i = int(x)
    if i >= table.shape[0] - 1:
        return table[table.shape[0] - 1]
    frac = x - i
    return table[i] + frac * (table[i + 1] - table[i])


@njit(cache=True, inline="always")
def draw_haircuts(seed, path, z0, defaulters, n_defaulters, obligor_default, asset_term,
                  ob_asset_ptr, ob_asset_idx, coll_ptr, coll_draw, coll_systemic,
                  coll_table, haircut_tables, out):
    """Haircut of every collateral item of an asset that defaults (others are not used).

    The haircut's uniform is ``Phi(-s Z_0 + sqrt(1 - s^2) eps)``: worse when the global
    factor ``Z_0`` is bad, with weight ``s = systemic``.
    """
    key = stream_key(seed, path, np.uint64(STREAM_HAIRCUT))
    for r in range(n_defaulters):
        j = defaulters[r]
        for q in range(ob_asset_ptr[j], ob_asset_ptr[j + 1]):
            i = ob_asset_idx[q]
            if obligor_default[j] > asset_term[i]:
                continue
            for c in range(coll_ptr[i], coll_ptr[i + 1]):
                s = coll_systemic[c]
                w = -s * z0 + math.sqrt(1.0 - s * s) * normal(key, np.uint64(coll_draw[c]))
                out[c] = haircut_from_uniform(norm_cdf(w), haircut_tables[coll_table[c]])


@njit(cache=True, inline="always")
def tranche_outcome(k, horizon, ppy, balance, is_sub, deferrable, maturity, int_due,
                    int_paid, prin_paid, tr_bal_end):
    """``(defaulted, loss share, wal years or -1)`` of tranche ``k`` on one path.

    A shortfall of a subordinated tranche's coupon (an expected return) is a loss, not a
    default; a deferrable tranche defaults only on interest still unpaid at legal final;
    any other tranche defaults on an interest shortfall; every tranche on principal not
    repaid by legal final, or by its expected maturity (``maturity > 0``) when it says so.
    """
    due = 0.0
    got = 0.0
    got_int = 0.0
    defaulted = False
    paid = 0.0
    timed = 0.0
    for t in range(1, horizon + 1):
        due += int_due[t, k]
        got_int += int_paid[t, k]
        got += int_paid[t, k] + prin_paid[t, k]
        if not is_sub and not deferrable and int_paid[t, k] < int_due[t, k] - PAYMENT_TOLERANCE:
            defaulted = True
        paid += prin_paid[t, k]
        timed += prin_paid[t, k] * (t / ppy)
    if not is_sub and deferrable and got_int < due - PAYMENT_TOLERANCE:
        defaulted = True
    if tr_bal_end[horizon, k] > PAYMENT_TOLERANCE:
        defaulted = True
    if maturity > 0 and tr_bal_end[maturity, k] > PAYMENT_TOLERANCE:
        defaulted = True
    loss = 0.0
    short = due + balance - got
    if balance > 0.0 and short > PAYMENT_TOLERANCE:     # less than half a cent is rounding
        loss = short / balance
    wal = timed / paid if paid > 0.0 else -1.0
    return defaulted, loss, wal


@njit(cache=True, inline="always")
def cash_error(horizon, reserve_initial, coll_int, coll_prin, coll_recovery, sup_paid,
               fee_paid, int_paid, prin_paid, res_paid, reimb_paid, carry, reserve_bal):
    """Cash in (reserve at closing + collections + support) minus cash out (payments) and
    cash left (accounts and reserve) at legal final."""
    inflow = reserve_initial
    outflow = 0.0
    for t in range(1, horizon + 1):
        inflow += coll_int[t] + coll_prin[t] + coll_recovery[t]
        for s in range(sup_paid.shape[1]):
            inflow += sup_paid[t, s]
            outflow += reimb_paid[t, s]
        for f in range(fee_paid.shape[1]):
            outflow += fee_paid[t, f]
        for k in range(int_paid.shape[1]):
            outflow += int_paid[t, k] + prin_paid[t, k] + res_paid[t, k]
    return inflow - outflow - carry[horizon] - reserve_bal[horizon]


@njit(cache=True)
def make_cash_outputs(horizon, n_sup, n_tr, n_fee, n_trig):
    """The per-date outputs of :func:`run_path_cash`, in its order."""
    t1 = horizon + 1
    return (
        np.zeros(t1), np.zeros(t1), np.zeros(t1), np.zeros((t1, n_sup)),
        np.zeros((t1, n_fee)), np.zeros((t1, n_tr)), np.zeros((t1, n_tr)),
        np.zeros((t1, n_tr)), np.zeros((t1, n_tr)), np.zeros((t1, n_sup)), np.zeros(t1),
        np.zeros((t1, n_tr)), np.zeros(t1), np.zeros(n_trig, dtype=np.int64),
    )


@njit(cache=True)
def make_cash_scratch(horizon, n_assets, max_cov, n_sup, n_tr, n_fee, n_obl):
    """The work arrays of :func:`run_path_cash`, in its order (one set per thread)."""
    t1 = horizon + 1
    return (
        np.zeros(n_assets, dtype=np.int64), np.zeros(n_assets), np.zeros(n_assets),
        np.zeros(n_assets), np.zeros((n_assets, max_cov)), np.zeros((n_assets, max_cov)),
        np.zeros(n_tr), np.zeros(n_tr), np.zeros(n_fee), np.zeros(n_fee),
        np.zeros(n_tr), np.zeros(n_fee), np.zeros(n_tr), np.zeros(n_tr), np.zeros(n_tr),
        np.zeros(n_sup), np.zeros(n_tr, dtype=np.int64), np.zeros(t1),
        np.zeros(t1, dtype=np.int64), np.zeros(n_tr), np.zeros(n_tr),
        np.zeros(n_tr, dtype=np.int64), np.zeros(t1 + 1),
        np.zeros((n_assets, max_cov), dtype=np.int64), np.zeros(n_assets, dtype=np.int64),
        np.zeros(n_obl), np.full(n_obl, horizon + 1, dtype=np.int64),
        np.zeros(n_assets), np.zeros(t1), np.zeros(n_sup), np.zeros(n_sup), np.zeros(n_tr),
    )


@njit(parallel=True, cache=True)
def simulate_blocks(
    seed, first_block, n_blocks, block_size, n_paths,
    # default model
    z_shift, z_scale, dof, twist_target,
    g_ptr, g_idx, g_val, g_idio, g_thr, g_size, g_expo, members_ptr, members,
    coll_draw, coll_systemic, coll_table, haircut_tables,
    # deal
    horizon, ppy, pool_balance,
    asset_obligor, asset_term, sched_prin, sched_int, out_start,
    pool_sched_int, pool_sched_prin, pool_out_start, pool_active,
    coll_ptr, coll_value, coll_lag, coll_pledgee,
    sup_kind, sup_provider, sup_share, sup_lag, sup_cap, sup_target, sup_covers_tranche,
    cov_ptr, cov_sup, sup_deductible, sup_limit, sup_sharing, sup_reimbursed, ob_capacity,
    ob_default_on_exhaustion, cap_obligors,
    tr_balance, tr_coupon, tr_sub, tr_pass_through, tr_target_balance, tr_deferrable,
    tr_int_in_prin,
    fee_kind, fee_value, ops_int, ops_prin, ops_post, grp_ptr, grp_idx,
    trig_kind, trig_arg, trig_value,
    res_initial, res_target_amount, res_target_share, res_covers,
    ob_asset_ptr, ob_asset_idx,
    # outcome: expected maturity of each tranche that defaults at it (0: legal final)
    tr_maturity,
    # outputs, one row per block
    block_sums, block_hist, block_defaults, block_hist_range,
    # optional per-path record (rows = paths of this call; zero rows: not recorded)
    path_weight, path_default, path_loss,
):
    """Simulate blocks ``first_block .. first_block + n_blocks - 1``.

    Row ``b`` of each output receives block ``first_block + b``'s weighted sums; every
    estimate weighs a path by its likelihood ratio ``w`` (1 without importance sampling).
    ``block_hist`` and ``block_defaults`` must come in zeroed and are only added to;
    ``block_hist_range[b]`` receives the lowest and highest histogram bin block ``b`` used
    (the driver folds and re-zeroes just that range).
    """
    n_obl = members.shape[0]
    n_groups = g_thr.shape[0]
    n_tr = tr_balance.shape[0]
    n_sup = sup_kind.shape[0]
    n_assets = asset_obligor.shape[0]
    n_coll = coll_value.shape[0]
    hist_bins = block_hist.shape[1]
    max_cov = 1
    for i in range(n_assets):
        max_cov = max(max_cov, cov_ptr[i + 1] - cov_ptr[i])
    n_trig = trig_kind.shape[0]
    pool_col = TR_COLS * n_tr
    sup_col = pool_col + POOL_COLS
    trig_col = sup_col + SUP_COLS * n_sup
    useed = np.uint64(seed)
    for b in prange(n_blocks):
        z = np.zeros(z_shift.shape[0])
        tau = np.full(n_obl, horizon + 1, dtype=np.int64)
        defaulters = np.zeros(n_obl, dtype=np.int64)
        n_def = 0
        g_mean = np.zeros(n_groups)
        g_pT = np.zeros(n_groups)
        g_q = np.zeros(n_groups)
        haircut = np.zeros(n_coll)
        outs = make_cash_outputs(horizon, n_sup, n_tr, fee_kind.shape[0], n_trig)
        scratch = make_cash_scratch(horizon, n_assets, max_cov, n_sup, n_tr,
                                    fee_kind.shape[0], n_obl)
        (coll_int, coll_prin, coll_recovery, sup_paid, fee_paid, int_due, int_paid,
         prin_paid, res_paid, reimb_paid, carry, tr_bal_end, reserve_bal, trig_period) = outs
        sums = block_sums[b]
        sums[:] = 0.0
        hist = block_hist[b]
        obl = block_defaults[b]
        lo_bin = hist_bins
        hi_bin = -1
        start = (first_block + b) * block_size
        stop = min(start + block_size, n_paths)
        for path in range(start, stop):
            upath = np.uint64(path)
            log_w = draw_factors(useed, upath, z_shift, z_scale, z)
            scale = threshold_scale(useed, upath, dof)
            n_def, log_w_twist = draw_defaults(
                useed, upath, z, scale, g_ptr, g_idx, g_val, g_idio, g_thr, g_size, g_expo,
                members_ptr, members, twist_target, g_mean, g_pT, g_q, tau, defaulters,
                n_def)
            w = math.exp(log_w + log_w_twist) if z_scale > 0.0 else 1.0
            draw_haircuts(useed, upath, z[0], defaulters, n_def, tau, asset_term,
                          ob_asset_ptr, ob_asset_idx, coll_ptr, coll_draw, coll_systemic,
                          coll_table, haircut_tables, haircut)
            dr, lr, accel = run_path_cash(
                horizon, ppy, pool_balance, asset_obligor, asset_term, sched_prin,
                sched_int, out_start, pool_sched_int, pool_sched_prin, pool_out_start,
                pool_active, coll_ptr, coll_value, coll_lag, coll_pledgee, sup_kind,
                sup_provider, sup_share, sup_lag, sup_cap, sup_target, sup_covers_tranche,
                cov_ptr, cov_sup, sup_deductible, sup_limit, sup_sharing, sup_reimbursed,
                ob_capacity, ob_default_on_exhaustion, cap_obligors, tr_balance, tr_coupon,
                tr_sub, tr_pass_through, tr_target_balance, tr_deferrable, tr_int_in_prin,
                fee_kind, fee_value, ops_int, ops_prin, ops_post, grp_ptr, grp_idx,
                trig_kind, trig_arg, trig_value, res_initial, res_target_amount,
                res_target_share, res_covers, ob_asset_ptr, ob_asset_idx,
                tau, defaulters, n_def, haircut, *outs, *scratch)
            for k in range(n_tr):
                d, loss, wal = tranche_outcome(k, horizon, ppy, tr_balance[k], tr_sub[k],
                                               tr_deferrable[k], tr_maturity[k], int_due,
                                               int_paid, prin_paid, tr_bal_end)
                if path_weight.shape[0] > 0:
                    row = path - first_block * block_size
                    path_weight[row] = w
                    path_default[row, k] = d
                    path_loss[row, k] = loss
                c = TR_COLS * k
                if d:
                    sums[c] += w
                    sums[c + 1] += w * w
                sums[c + 2] += w * loss
                sums[c + 3] += w * loss * w * loss
                if wal >= 0.0:
                    sums[c + 4] += w
                    sums[c + 5] += w * wal
                    sums[c + 6] += w * w
                    sums[c + 7] += w * wal * w * wal
                    sums[c + 8] += w * w * wal
            sums[pool_col] += w * dr
            sums[pool_col + 1] += w * dr * w * dr
            sums[pool_col + 2] += w * lr
            sums[pool_col + 3] += w * lr * w * lr
            sums[pool_col + 4] += w
            sums[pool_col + 5] += w * w
            err = abs(cash_error(horizon, res_initial, coll_int, coll_prin, coll_recovery,
                                 sup_paid, fee_paid, int_paid, prin_paid, res_paid,
                                 reimb_paid, carry, reserve_bal))
            if err > sums[pool_col + 6]:
                sums[pool_col + 6] = err
            for s in range(n_sup):
                amount = 0.0
                back = 0.0
                for t in range(1, horizon + 1):
                    amount += sup_paid[t, s]
                    back += reimb_paid[t, s]
                c = sup_col + SUP_COLS * s
                sums[c] += w * amount
                sums[c + 1] += w * amount * w * amount
                if amount > 0.0:
                    sums[c + 2] += w
                sums[c + 3] += w * back
            c = trig_col
            for r in range(n_trig):
                if trig_period[r] <= horizon:
                    sums[c + TRIG_COLS * r] += w
                    sums[c + TRIG_COLS * r + 1] += w * trig_period[r]
            if accel <= horizon:
                sums[c + TRIG_COLS * n_trig] += w
            default_by_t = scratch[22]
            c = trig_col + TRIG_COLS * n_trig + 1
            for t in range(1, horizon + 1):
                if default_by_t[t] > 0.0:
                    sums[c + t] += w * default_by_t[t] / pool_balance
            exhausted = scratch[26]
            c += horizon + 1
            for r in range(cap_obligors.shape[0]):
                if exhausted[cap_obligors[r]] <= horizon:
                    sums[c + r] += w
            bin_ = min(max(int(dr * (hist_bins - 1) + 1e-9), 0), hist_bins - 1)
            hist[bin_] += w
            lo_bin = min(lo_bin, bin_)
            hi_bin = max(hi_bin, bin_)
            for r in range(n_def):
                obl[defaulters[r]] += w
        block_hist_range[b, 0] = lo_bin
        block_hist_range[b, 1] = hi_bin
