"""Numba kernel of a path's scheduled collections: what the performing loans pay on each
date, less what the defaulted ones no longer pay (only the defaulters are visited).
"""
from __future__ import annotations

import numpy as np
from engine._jit import njit

from engine.waterfall.codes import ASSET_PAST, ASSET_PLAIN


@njit(cache=True, inline="always")
def _insert_sorted(items, n, i):
    """Insert ``i`` into the ascending ``items[:n]``; returns the new count."""
    pos = n
    while pos > 0 and items[pos - 1] > i:
        items[pos] = items[pos - 1]
        pos -= 1
    items[pos] = i
    return n + 1


@njit(cache=True, inline="always")
def _count_row(k, tau, n_rows_hit, rows_hit, row_from):
    """Note a defaulted asset of schedule row ``k`` at date ``tau``: the rows hit, in
    first-hit order, and each one's earliest default date. Returns the rows hit."""
    was = row_from[k]
    if was == 0:                             # the row's first defaulted asset
        rows_hit[n_rows_hit] = k
        n_rows_hit += 1
    row_from[k] = tau if was == 0 else min(was, tau)   # a select, not a branch: the
    return n_rows_hit                                    # earliest date is a coin toss


@njit(cache=True, _nrt=False)
def scheduled_collections(pl, obligor_default, defaulters, n_defaulters, horizon, coll_int,
                          coll_prin, scratch):
    """The pool's scheduled collections of one path, and its defaulted assets.

    Writes the pool's scheduled interest and principal (``coll_int``, ``coll_prin``),
    performing balance and count by date: the pool's totals less what defaulted assets no
    longer pay, row by row of the distinct schedules (a row's amounts times the number of
    its assets defaulted by each date, up to the row's term). The count of performing
    assets is exact, so a date on which none performs collects exactly zero (no rounding
    dust).

    A defaulted asset with collateral or support (``ASSET_SLOT``), or one that defaulted
    before the first date (``ASSET_PAST``, a tracked deal), gets a slot: listed in asset
    order in ``scratch.def_assets`` with its default date, exposure at default and what is
    left to recover. A plain one (``ASSET_PLAIN``) is only counted by row and date: it
    recovers nothing, so its loss is its principal at default. Returns ``(number of slots,
    principal outstanding at default of all defaulted assets, that of the plain ones)``.

    A kernel of its own (not inlined): its loops run over contiguous rows with unsigned
    indices, which the compiler vectorises when they are not squeezed into the registers of
    the whole path's kernel."""
    asset_obligor, asset_term, asset_class = pl.asset_obligor, pl.asset_term, pl.asset_class
    sched_prin, sched_int, out_start = pl.sched_prin, pl.sched_int, pl.out_start
    ob_asset_ptr, ob_asset_idx, sched_row = pl.ob_asset_ptr, pl.ob_asset_idx, pl.sched_row
    s_def_assets, s_ead, s_coll_left, s_coll_pool = (scratch.def_assets, scratch.ead,
                                                     scratch.coll_left, scratch.coll_pool)
    s_perf_bal, s_perf_count, s_int_left = scratch.perf_bal, scratch.perf_count, scratch.int_left
    s_default_by_t, s_def_tau = scratch.default_by_t, scratch.def_tau
    s_row_lost, s_plain_lost, s_rows_hit, s_row_from = (scratch.row_lost, scratch.plain_lost,
                                                        scratch.rows_hit, scratch.row_from)
    for t in range(horizon + 1):
        coll_int[t] = pl.pool_sched_int[t]
        coll_prin[t] = pl.pool_sched_prin[t]
        s_perf_bal[t] = pl.pool_out_start[t]
        s_perf_count[t] = pl.pool_active[t]
    # defaulted assets (obligor defaulted within the asset's term): counted by schedule row
    # and date; slots for those with collateral or support, in asset order. Indices
    # unsigned in the per-defaulter loops (no negative-index wraparound code).
    one = np.uint64(1)
    n_def = 0
    n_rows_hit = 0
    ob_plain_row, row_term = pl.ob_plain_row, pl.row_term
    for r in range(np.uint64(n_defaulters)):
        j = np.uint64(defaulters[r])
        tau = obligor_default[j]
        ut = np.uint64(tau)
        if ob_plain_row[j] >= 0:      # one plain asset: its row and term, no asset lookup
            k = np.uint64(ob_plain_row[j])
            if tau <= row_term[k]:
                n_rows_hit = _count_row(k, tau, n_rows_hit, s_rows_hit, s_row_from)
                s_plain_lost[k, ut] += 1.0
            continue
        for q in range(np.uint64(ob_asset_ptr[j]), np.uint64(ob_asset_ptr[j + one])):
            i = ob_asset_idx[q]
            ui = np.uint64(i)
            kind = asset_class[ui]
            if tau > asset_term[ui] or kind == ASSET_PAST:
                continue
            k = np.uint64(sched_row[ui])
            n_rows_hit = _count_row(k, tau, n_rows_hit, s_rows_hit, s_row_from)
            if kind == ASSET_PLAIN:
                s_plain_lost[k, ut] += 1.0
            else:
                s_row_lost[k, ut] += 1.0
                n_def = _insert_sorted(s_def_assets, n_def, i)
    for r in range(pl.past_assets.shape[0]):     # defaulted before the first date
        n_def = _insert_sorted(s_def_assets, n_def, pl.past_assets[r])
    default_amount = 0.0
    for d in range(np.uint64(n_def)):
        i = np.uint64(s_def_assets[d])
        if asset_class[i] == ASSET_PAST:
            s_def_tau[d] = pl.past_tau[i]
            s_ead[d] = pl.past_ead[i]
            default_amount += pl.past_principal[i]
            s_coll_left[d] = pl.past_coll_left[i]
            s_coll_pool[d] = pl.past_coll_pool[i]
            s_int_left[d] = pl.past_int_left[i]
            continue
        tau = obligor_default[np.uint64(asset_obligor[i])]
        s_def_tau[d] = tau
        ut = np.uint64(tau)
        k = np.uint64(sched_row[i])
        row_int, row_out = sched_int[k], out_start[k]
        s_ead[d] = row_out[ut] + row_int[ut]
        default_amount += row_out[ut]
        s_default_by_t[ut] += row_out[ut]
        s_coll_left[d] = s_ead[d]
        s_coll_pool[d] = 0.0
        s_int_left[d] = row_int[ut]
    # What the defaulted assets no longer pay, row by row up to its term (a row is zero
    # after it): its amounts times the number of its assets defaulted by each date; and the
    # principal of the plain ones at their default.
    plain_amount = 0.0
    for h in range(n_rows_hit):
        k = s_rows_hit[h]
        row_int, row_prin, row_out = sched_int[k], sched_prin[k], out_start[k]
        lost, plain = s_row_lost[k], s_plain_lost[k]
        n = 0.0
        last = np.uint64(min(pl.row_term[k], horizon))
        for t in range(np.uint64(s_row_from[k]), last + one):
            n += lost[t] + plain[t]
            lost[t] = 0.0
            coll_int[t] -= row_int[t] * n
            coll_prin[t] -= row_prin[t] * n
            s_perf_bal[t] -= row_out[t] * n
            s_perf_count[t] -= np.int64(n)
            if plain[t] > 0.0:
                amount = row_out[t] * plain[t]
                plain[t] = 0.0
                s_default_by_t[t] += amount
                plain_amount += amount
        s_row_from[k] = 0
    for t in range(horizon + 1):
        if s_perf_count[t] == 0:
            coll_int[t] = 0.0
            coll_prin[t] = 0.0
            s_perf_bal[t] = 0.0
        else:
            coll_int[t] = max(coll_int[t], 0.0)
            coll_prin[t] = max(coll_prin[t], 0.0)
            s_perf_bal[t] = max(s_perf_bal[t], 0.0)
    return n_def, default_amount + plain_amount, plain_amount


@njit(cache=True, inline="always")
def _bucket_events(n_def, first, last, stop, ptr, slots):
    """Group the defaulted-asset slots ``d`` by the dates ``max(first[d], 1) ..
    min(last[d], stop)`` of their events: on return date ``t``'s slots, in ascending
    order, are ``slots[ptr[t + 1]:ptr[t + 2]]`` (a counting sort: each date visits only
    the assets with events on it)."""
    for t in range(stop + 3):
        ptr[t] = 0
    for d in range(n_def):
        for t in range(max(first[d], 1), min(last[d], stop) + 1):
            ptr[t + 1] += 1
    for t in range(1, stop + 3):
        ptr[t] += ptr[t - 1]
    for d in range(n_def - 1, -1, -1):
        for t in range(max(first[d], 1), min(last[d], stop) + 1):
            ptr[t + 1] -= 1
            slots[ptr[t + 1]] = d
