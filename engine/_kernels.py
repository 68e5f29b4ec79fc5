"""The fused chunk kernel: factors -> defaults -> haircuts -> cash -> outcome, per path.

Paths are grouped in fixed blocks of ``block_size``; each block is simulated serially by
one thread and writes its own row of sums, histogram and default tallies; the driver
folds rows in block order, so any thread count or chunking gives the same numbers. The
columns of a row are named in :mod:`engine.layout`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from engine import layout as L
from engine.default._kernels import (
    STREAM_HAIRCUT,
    make_default_work,
    norm_cdf,
    normal,
    stream_key,
)
from engine.default._mixture_kernels import draw_weighted_defaults
from engine.waterfall._kernels import run_path_cash
from engine.waterfall._outcome_kernels import (
    cash_error,
    make_cash_outputs,
    make_cash_scratch,
    tranche_outcome,
)
from engine.waterfall.bundles import Deal


class BlockRows(NamedTuple):
    """What the blocks of one call write: row ``b`` for block ``first_block + b``."""

    sums: np.ndarray         # (blocks, layout width) weighted sums
    hist: np.ndarray         # (blocks, bins) weight of paths per pool default-rate bin
    defaults: np.ndarray     # (blocks, obligors) weight of paths where each defaulted
    hist_range: np.ndarray   # (blocks, 2) lowest and highest bin used
    hist_sq: np.ndarray      # (blocks, bins) sum of w^2 per bin; (blocks, 0): not kept


class BlockRow(NamedTuple):
    """What one block writes: its row of each :class:`BlockRows` array."""

    sums: np.ndarray
    hist: np.ndarray
    defaults: np.ndarray
    hist_sq: np.ndarray


class PathWork(NamedTuple):
    """A block's working arrays, reused path after path."""

    z: np.ndarray            # (factors,) the path's systematic factors
    zero_shift: np.ndarray   # (factors,) zeros: the unshifted model of a defensive path
    tau: np.ndarray          # (obligors,) default period of each obligor (horizon + 1: none)
    defaulters: np.ndarray   # (obligors,) the path's defaulters, first n_def used
    default_work: tuple      # engine.default's working arrays (make_default_work)
    haircut: np.ndarray      # (collateral,) realised haircut of each item
    cash: tuple              # CashFlowsOut of the path
    scratch: tuple           # CashScratch of the path


class RecordRows(NamedTuple):
    """Per-path outcomes of this call's paths (zero rows: not recorded)."""

    weight: np.ndarray
    default: np.ndarray      # (paths, tranches)
    loss: np.ndarray


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
def draw_haircuts(seed, path, z0, defaulters, n_defaulters, obligor_default, deal, draws, out):
    """Haircut of every collateral item of an asset that defaults (others are not used).

    The haircut's uniform is ``Phi(-s Z_0 + sqrt(1 - s^2) eps)``: worse when the global
    factor ``Z_0`` is bad, with weight ``s = systemic``.
    """
    pool, coll_ptr = deal.pool, deal.collateral.ptr
    if coll_ptr[coll_ptr.shape[0] - 1] == 0:     # no collateral in the deal
        return
    key = stream_key(seed, path, np.uint64(STREAM_HAIRCUT))
    for r in range(n_defaulters):
        j = defaulters[r]
        for q in range(pool.ob_asset_ptr[j], pool.ob_asset_ptr[j + 1]):
            i = pool.ob_asset_idx[q]
            if obligor_default[j] > pool.asset_term[i]:
                continue
            for c in range(coll_ptr[i], coll_ptr[i + 1]):
                s = draws.systemic[c]
                w = -s * z0 + math.sqrt(1.0 - s * s) * normal(key, draws.draw[c])
                out[c] = haircut_from_uniform(norm_cdf(w), draws.tables[draws.table[c]])


@njit(cache=True, inline="always")
def add_tranche(sums, k, w, defaulted, loss, wal):
    """One path's outcome of tranche ``k`` into a row."""
    c = L.TR_COLS * k
    if defaulted:
        sums[c + L.TR_DEFAULT] += w
        sums[c + L.TR_DEFAULT_SQ] += w * w
    sums[c + L.TR_LOSS] += w * loss
    sums[c + L.TR_LOSS_SQ] += w * loss * w * loss
    if wal >= 0.0:
        sums[c + L.TR_PAID] += w
        sums[c + L.TR_WAL] += w * wal
        sums[c + L.TR_PAID_SQ] += w * w
        sums[c + L.TR_WAL_SQ] += w * wal * w * wal
        sums[c + L.TR_PAID_WAL] += w * w * wal


@njit(cache=True, inline="always")
def add_deal(sums, lay, w, deal, out, scratch, dr, lr, accel):
    """One path's pool, support, trigger, timing and capacity outcomes into a row."""
    horizon = deal.horizon
    c = lay.pool
    sums[c + L.POOL_DEFAULT_RATE] += w * dr
    sums[c + L.POOL_DEFAULT_RATE_SQ] += w * dr * w * dr
    sums[c + L.POOL_LOSS_RATE] += w * lr
    sums[c + L.POOL_LOSS_RATE_SQ] += w * lr * w * lr
    sums[c + L.POOL_WEIGHT] += w
    sums[c + L.POOL_WEIGHT_SQ] += w * w
    err = abs(cash_error(deal, out))
    if err > sums[c + L.POOL_CASH_ERROR]:
        sums[c + L.POOL_CASH_ERROR] = err
    for s in range(out.sup_paid.shape[1]):
        amount = 0.0
        back = 0.0
        for t in range(1, horizon + 1):
            amount += out.sup_paid[t, s]
            back += out.reimb_paid[t, s]
        c = lay.support + L.SUP_COLS * s
        sums[c + L.SUP_PAID] += w * amount
        sums[c + L.SUP_PAID_SQ] += w * amount * w * amount
        if amount > 0.0:
            sums[c + L.SUP_CALLED] += w
        sums[c + L.SUP_REIMBURSED] += w * back
    for r in range(out.trig_period.shape[0]):
        if out.trig_period[r] <= horizon:
            c = lay.trigger + L.TRIG_COLS * r
            sums[c + L.TRIG_FIRED] += w
            sums[c + L.TRIG_FIRED_PERIOD] += w * out.trig_period[r]
    if accel <= horizon:
        sums[lay.accelerated] += w
    for t in range(1, horizon + 1):
        if scratch.default_by_t[t] > 0.0:
            sums[lay.timing + t] += w * scratch.default_by_t[t] / deal.pool_balance
    cap_obligors = deal.support.cap_obligors
    for r in range(cap_obligors.shape[0]):
        if scratch.exhausted[cap_obligors[r]] <= horizon:
            sums[lay.capacity + r] += w


@njit(cache=True, _nrt=False)
def simulate_block(seed, start, stop, offset, model, groups, draws, deal, lay, work, row,
                   record):
    """Paths ``start .. stop - 1`` of one block, serially, into its :class:`BlockRow`
    ``row``; ``record`` rows are ``path - offset``; ``work`` a :class:`PathWork`. Compiled
    without reference counting: it allocates nothing, and the per-path work reads bundle
    members in tight loops. Returns the lowest and highest histogram bin used."""
    z, zero_shift, tau, defaulters = work.z, work.zero_shift, work.tau, work.defaulters
    dwork, haircut, out, scratch = work.default_work, work.haircut, work.cash, work.scratch
    sums, hist, hist_sq, obl = row.sums, row.hist, row.hist_sq, row.defaults
    path_weight, path_default, path_loss = record.weight, record.default, record.loss
    n_tr = deal.notes.balance.shape[0]
    hist_bins = hist.shape[0]
    sums[:] = 0.0
    lo_bin = hist_bins
    hi_bin = -1
    n_def = np.int64(0)      # not the literal 0: that would compile run_path_cash twice
    for path in range(start, stop):
        upath = np.uint64(path)
        n_def, w = draw_weighted_defaults(seed, upath, model, groups, dwork, z, zero_shift, tau,
                                          defaulters, n_def)
        draw_haircuts(seed, upath, z[0], defaulters, n_def, tau, deal, draws, haircut)
        dr, lr, accel = run_path_cash(deal, tau, defaulters, n_def, haircut, out, scratch)
        for k in range(n_tr):
            d, loss, wal = tranche_outcome(k, deal, out)
            if path_weight.shape[0] > 0:
                r = path - offset
                path_weight[r] = w
                path_default[r, k] = d
                path_loss[r, k] = loss
            add_tranche(sums, k, w, d, loss, wal)
        add_deal(sums, lay, w, deal, out, scratch, dr, lr, accel)
        bin_ = min(max(int(dr * (hist_bins - 1) + 1e-9), 0), hist_bins - 1)
        hist[bin_] += w
        if hist_sq.shape[0] > 0:
            hist_sq[bin_] += w * w
        lo_bin = min(lo_bin, bin_)
        hi_bin = max(hi_bin, bin_)
        for r in range(np.uint64(n_def)):
            obl[np.uint64(defaulters[r])] += w
    return lo_bin, hi_bin


@njit(parallel=True, cache=True)
def simulate_blocks(seed, blocks, model, groups, draws, horizon, periods_per_year,
                    pool_balance, pool, collateral, support, notes, waterfall, rows, record):
    """Simulate blocks ``first .. first + n - 1`` of ``blocks = (first, n, block size,
    paths)``.

    ``model`` is a :class:`engine.default.bundles.DefaultModel` and ``groups`` its
    ``Groups``; ``draws`` the ``HaircutDraws``; the next eight arguments are the fields of a
    :class:`engine.waterfall.bundles.Deal` (numba cannot pass nested bundles into a parallel
    loop, so the Deal is rebuilt inside it); ``rows`` a :class:`BlockRows` and ``record`` a
    :class:`RecordRows`. Every estimate weighs a path by its likelihood ratio ``w`` (1
    without importance sampling). ``rows.hist``, ``rows.hist_sq`` and ``rows.defaults``
    must come in zeroed and are only added to; ``rows.hist_range[b]`` receives the lowest
    and highest histogram bin block ``b`` used (the driver folds and re-zeroes just that
    range).
    """
    first_block, n_blocks, block_size, n_paths = blocks
    block_sums, block_hist, block_defaults = rows.sums, rows.hist, rows.defaults
    block_hist_range, block_hist_sq = rows.hist_range, rows.hist_sq
    n_obl = groups.members.shape[0]
    n_tr = notes.balance.shape[0]
    n_coll = collateral.value.shape[0]
    useed = np.uint64(seed)
    for b in prange(n_blocks):
        deal = Deal(horizon=horizon, periods_per_year=periods_per_year,
                    pool_balance=pool_balance, pool=pool, collateral=collateral,
                    support=support, notes=notes, waterfall=waterfall)
        lay = L.row_layout(n_tr, support.kind.shape[0], waterfall.trig_kind.shape[0], horizon,
                           support.cap_obligors.shape[0])
        n_f = model.z_shift.shape[0]
        work = PathWork(np.zeros(n_f), np.zeros(n_f),
                        np.full(n_obl, horizon + 1, dtype=np.int64),
                        np.zeros(n_obl, dtype=np.int64), make_default_work(groups),
                        np.zeros(n_coll), make_cash_outputs(deal), make_cash_scratch(deal, n_obl))
        start = (first_block + b) * block_size
        stop = min(start + block_size, n_paths)
        row = BlockRow(block_sums[b], block_hist[b], block_defaults[b], block_hist_sq[b])
        lo_bin, hi_bin = simulate_block(useed, start, stop, first_block * block_size, model,
                                        groups, draws, deal, lay, work, row, record)
        block_hist_range[b, 0] = lo_bin
        block_hist_range[b, 1] = hi_bin
