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
from engine._jit import njit

from engine.default._kernels import (
    STREAM_HAIRCUT,
    norm_cdf,
    normal,
    stream_key,
)
from engine.default._mixture_kernels import draw_weighted_defaults
from engine._path_outcomes import (
    V_DEFAULT_RATE,
    V_TR,
    V_TRANCHES,
    add_values,
    copy_values,
    fill_values,
)
from engine.waterfall._kernels import run_path_cash


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
        for r in range(np.uint64(n_def)):            # unsigned: no wraparound code
            j = np.uint64(defaulters[r])
            store.obligor[np.uint64(q) + r] = j
            store.when[np.uint64(q) + r] = tau[j]
            defaults[j] += w
        q += n_def
        store.ptr[i + 1] = q
        for c in range(n_coll):
            store.haircut[i, c] = haircut[c]
        i += 1
    for r in range(n_def):
        tau[defaulters[r]] = deal.horizon + 1
    return i


#: How a support set may take the main set's outcome of a path (``Reuse.twin``).
TWIN_NONE = 0
TWIN_LADDER = 1      # the main set's deal with other supporters' dates fixed
TWIN_ALONE = 2       # the main set's deal without any credit support


class Reuse(NamedTuple):
    """What a support set's waterfall may take instead of running. A path without defaults
    has the same outcome on every such path (worked out once per thread). The main set's
    outcome of a path is a ladder run's when every supporter whose date the run fixes
    fares as in the main run, or when none of the supports those supporters stand behind
    was asked to pay (and no trigger names them); it is the standalone structure's when no
    support at all was asked to pay (the supports' values left out: ``take``)."""

    rows: np.ndarray         # (batch, values) the main set's outcome of each stored path
    own: np.ndarray          # (1, values) this set's outcome of the current path
    memo: np.ndarray         # (1, values) this set's outcome of a path without defaults
    ready: np.ndarray        # (1,) int64: 1 once ``memo`` is worked out
    twin: int                # TWIN_*
    obligors: np.ndarray     # the supporters whose fixed dates differ from the main set's
    fixed_main: np.ndarray   # (obligors,) the main set's ``as_supporter``
    fixed: np.ndarray        # (obligors,) this set's
    by_claims: bool          # may a path without claims on ``touch`` be taken?
    touch: np.ndarray        # the main set's supports whose claim makes a path this set's own
    claims_at: int           # first claim value in a main row
    take: np.ndarray         # this set's values from a main row (empty: the same values)
    taken: np.ndarray        # (2,) int64: paths taken from ``memo``, from the main set


@njit(cache=True, inline="always")
def _effective(fixed, tau, horizon):
    """A supporter's date as the waterfall reads it (before date 1 or after the horizon are
    all alike: ``provider_up`` asks ``> t``, triggers ``<= t``, for ``1 <= t <= horizon``)."""
    when = tau if fixed < 0 else fixed
    return max(1, min(when, horizon + 1))


@njit(cache=True, inline="always")
def _fares_alike(store, i, reuse, horizon):
    """Does every supporter whose date the set fixes differently fare on stored path ``i``
    as in the main set's run?"""
    for q in range(reuse.obligors.shape[0]):
        j = reuse.obligors[q]
        tau = horizon + 1
        for p in range(store.ptr[i], store.ptr[i + 1]):
            if store.obligor[p] == j:
                tau = store.when[p]
        if _effective(reuse.fixed[j], tau, horizon) != _effective(reuse.fixed_main[j], tau,
                                                                   horizon):
            return False
    return True


@njit(cache=True, inline="always")
def _takes_main(store, i, reuse, horizon):
    """May the set take the main set's outcome of stored path ``i``?"""
    if reuse.twin == TWIN_NONE:
        return False
    if reuse.twin == TWIN_LADDER and _fares_alike(store, i, reuse, horizon):
        return True
    if not reuse.by_claims:
        return False
    for q in range(reuse.touch.shape[0]):
        if reuse.rows[i, reuse.claims_at + reuse.touch[q]] != 0.0:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def cash_paths(n, first, offset, store, deal, lay, tau, defaulters, haircut, out, scratch, sums,
               hist, hist_sq, main, record, reuse):
    """The waterfall of one support set (``deal``, its row layout ``lay``) on the ``n``
    stored paths ``first ..``: each path's outcomes into ``sums``; with ``main`` also the
    pool default-rate histogram ``hist`` (``hist_sq``), the ``record`` rows
    (``path - offset``) and each path's outcome in ``reuse.rows``. A path whose outcome is
    known (:class:`Reuse`) is not run again. ``tau``, ``defaulters`` and ``haircut`` are
    the block's :class:`PathWork` arrays (``tau`` all ``horizon + 1`` on entry and on
    return), passed alone: the kernel's arguments are what it reads. Returns the lowest and
    highest histogram bin used. Holds no GIL and allocates nothing."""
    path_weight, path_default, path_loss = record.weight, record.default, record.loss
    rows, own, memo = reuse.rows, reuse.own, reuse.memo
    n_tr = deal.notes.balance.shape[0]
    n_coll = haircut.shape[0]
    hist_bins = hist.shape[0]
    lo_bin = hist_bins
    hi_bin = -1
    for i in range(n):
        path = first + i
        w = store.weight[i]
        n_def = store.ptr[i + 1] - store.ptr[i]
        vals, r = (rows, i) if main else (own, 0)
        in_rows = main
        if n_def == 0 and reuse.ready[0] == 1:
            vals, r = memo, 0
            in_rows = False
            reuse.taken[0] += 1
        elif not main and _takes_main(store, i, reuse, deal.horizon):
            reuse.taken[1] += 1
            if reuse.take.shape[0] == 0:
                vals, r = rows, i
            else:
                for c in range(reuse.take.shape[0]):
                    own[0, c] = rows[i, reuse.take[c]]
        else:
            first_def = np.uint64(store.ptr[i])      # unsigned: no wraparound code
            for q in range(np.uint64(n_def)):
                j = store.obligor[first_def + q]
                defaulters[q] = j
                tau[np.uint64(j)] = store.when[first_def + q]
            for c in range(n_coll):
                haircut[c] = store.haircut[i, c]
            dr, lr, accel = run_path_cash(deal, tau, defaulters, n_def, haircut, out, scratch)
            for q in range(np.uint64(n_def)):
                tau[np.uint64(defaulters[q])] = deal.horizon + 1
            fill_values(deal, out, scratch, dr, lr, accel, vals, r)
            if n_def == 0:
                copy_values(vals, r, memo, 0)
                reuse.ready[0] = 1
        if main:
            if not in_rows:
                copy_values(vals, r, rows, i)
                vals, r = rows, i
            if path_weight.shape[0] > 0:
                row = path - offset
                path_weight[row] = w
                for k in range(n_tr):
                    path_default[row, k] = vals[r, V_TRANCHES + V_TR * k]
                    path_loss[row, k] = vals[r, V_TRANCHES + V_TR * k + 1]
        add_values(sums, lay, w, deal, vals, r)
        if main:
            dr = vals[r, V_DEFAULT_RATE]
            bin_ = min(max(int(dr * (hist_bins - 1) + 1e-9), 0), hist_bins - 1)
            hist[bin_] += w
            if hist_sq.shape[0] > 0:
                hist_sq[bin_] += w * w
            lo_bin = min(lo_bin, bin_)
            hi_bin = max(hi_bin, bin_)
    return lo_bin, hi_bin
