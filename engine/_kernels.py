"""The fused chunk kernel: factors -> defaults -> haircuts -> cash -> outcome, per path.

Paths are grouped in fixed blocks of ``block_size``; each block is simulated serially by
one thread and writes its own row of sums, histogram and default tallies; the driver
folds rows in block order, so any thread count or chunking gives the same numbers. The
columns of a row are named in :mod:`engine.layout`.

A batch of paths is drawn once (:func:`draw_paths`: factors, defaults, haircuts into a
:class:`PathStore`) and paid by each support set of the pass in turn (:func:`cash_paths`:
the full deal, its standalone structure, the rating ladder's runs), so the draw is paid
once. The kernels hold no GIL and are called by the driver's threads
(:mod:`engine.simulate`), not from a numba ``prange``: a parallel loop re-optimised and
re-emitted the whole kernel once more on the first run (about 20 s of compiling).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from engine import layout as L
from engine.default._kernels import (
    STREAM_HAIRCUT,
    norm_cdf,
    normal,
    stream_key,
)
from engine.default._mixture_kernels import draw_weighted_defaults
from engine.waterfall._kernels import run_path_cash
from engine.waterfall._outcome_kernels import cash_error, tranche_outcome


class PathWork(NamedTuple):
    """A block's working arrays, reused path after path."""

    z: np.ndarray            # (factors,) the path's systematic factors
    zero_shift: np.ndarray   # (factors,) zeros: the unshifted model of a defensive path
    tau: np.ndarray          # (obligors,) default period of each obligor (horizon + 1: none)
    defaulters: np.ndarray   # (obligors,) the path's defaulters, first n_def used
    default_work: tuple      # engine.default's working arrays (make_default_work)
    haircut: np.ndarray      # (collateral,) realised haircut of each item


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


class PathStore(NamedTuple):
    """A batch of drawn paths, kept for the support sets' waterfalls: path ``i``'s weight,
    its defaulters ``obligor[ptr[i]:ptr[i + 1]]`` with their default dates ``when`` (in
    draw order) and the haircuts as drawn (``haircut[i]``; items of assets that did not
    default are not read)."""

    weight: np.ndarray       # (batch,)
    ptr: np.ndarray          # (batch + 1,) int64
    obligor: np.ndarray      # (capacity,) int64
    when: np.ndarray         # (capacity,) int64
    haircut: np.ndarray      # (batch, collateral)


@njit(cache=True, nogil=True, _nrt=False)
def draw_paths(seed, start, stop, model, groups, draws, deal, work, store, defaults):
    """Draw paths ``start ..`` (up to ``stop - 1``, as many as ``store`` holds) into
    ``store``; add each path's weight to ``defaults[j]`` of every obligor ``j`` that
    defaulted on it. ``work`` is a :class:`PathWork` whose ``tau`` comes in and leaves as
    no default (``horizon + 1``). Returns the number of paths drawn. Holds no GIL and
    allocates nothing."""
    z, zero_shift, tau, defaulters = work.z, work.zero_shift, work.tau, work.defaulters
    dwork, haircut = work.default_work, work.haircut
    n_obl = tau.shape[0]
    cap = store.obligor.shape[0]
    n_coll = haircut.shape[0]
    q = np.int64(0)
    store.ptr[0] = 0
    n_def = np.int64(0)
    i = 0
    for path in range(start, stop):
        if i == store.weight.shape[0] or q + n_obl > cap:
            break
        upath = np.uint64(path)
        n_def, w = draw_weighted_defaults(seed, upath, model, groups, dwork, z, zero_shift, tau,
                                          defaulters, n_def)
        draw_haircuts(seed, upath, z[0], defaulters, n_def, tau, deal, draws, haircut)
        store.weight[i] = w
        for r in range(n_def):
            j = defaulters[r]
            store.obligor[q] = j
            store.when[q] = tau[j]
            q += 1
        store.ptr[i + 1] = q
        for c in range(n_coll):
            store.haircut[i, c] = haircut[c]
        for r in range(np.uint64(n_def)):
            defaults[np.uint64(defaulters[r])] += w
        i += 1
    for r in range(n_def):
        tau[defaulters[r]] = deal.horizon + 1
    return i


@njit(cache=True, nogil=True, _nrt=False)
def cash_paths(n, first, offset, store, deal, lay, work, out, scratch, sums, hist, hist_sq,
               main, record):
    """The waterfall of one support set (``deal``, its row layout ``lay``) on the ``n``
    stored paths ``first ..``: each path's outcomes into ``sums``; with ``main`` also the
    pool default-rate histogram ``hist`` (``hist_sq``) and the ``record`` rows
    (``path - offset``). Returns the lowest and highest histogram bin used. Holds no GIL
    and allocates nothing."""
    tau, defaulters, haircut = work.tau, work.defaulters, work.haircut
    path_weight, path_default, path_loss = record.weight, record.default, record.loss
    n_tr = deal.notes.balance.shape[0]
    n_coll = haircut.shape[0]
    hist_bins = hist.shape[0]
    lo_bin = hist_bins
    hi_bin = -1
    for i in range(n):
        path = first + i
        w = store.weight[i]
        n_def = store.ptr[i + 1] - store.ptr[i]
        for r in range(n_def):
            q = store.ptr[i] + r
            defaulters[r] = store.obligor[q]
            tau[store.obligor[q]] = store.when[q]
        for c in range(n_coll):
            haircut[c] = store.haircut[i, c]
        dr, lr, accel = run_path_cash(deal, tau, defaulters, n_def, haircut, out, scratch)
        for r in range(n_def):
            tau[defaulters[r]] = deal.horizon + 1
        for k in range(n_tr):
            d, loss, wal = tranche_outcome(k, deal, out)
            if main and path_weight.shape[0] > 0:
                r = path - offset
                path_weight[r] = w
                path_default[r, k] = d
                path_loss[r, k] = loss
            add_tranche(sums, k, w, d, loss, wal)
        add_deal(sums, lay, w, deal, out, scratch, dr, lr, accel)
        if main:
            bin_ = min(max(int(dr * (hist_bins - 1) + 1e-9), 0), hist_bins - 1)
            hist[bin_] += w
            if hist_sq.shape[0] > 0:
                hist_sq[bin_] += w * w
            lo_bin = min(lo_bin, bin_)
            hi_bin = max(hi_bin, bin_)
    return lo_bin, hi_bin
