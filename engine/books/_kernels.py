"""Numba kernels of a guarantor's book: one deal's paths on the book's random numbers,
recording what each modelled entity's supports paid by date, the entity's own default
date and each tranche's outcome; the same paths replayed with an entity's default or
capital fixed (its exhaustion); the outside book's claims given the factors.

Every draw is keyed by identity (seed, path, a hash of the name), so a deal run here on
path ``p`` sees the same factors (shared by label) and the same default of a shared
entity as every other deal of the book on path ``p``.
"""
from __future__ import annotations

import numpy as np
from engine._jit import njit, prange

from engine._kernels import draw_haircuts
from engine.default._kernels import conditional_pd, draw_factors, threshold_scale
from engine.default._kernels import make_default_work
from engine.default._mixture_kernels import draw_weighted_defaults
from engine.waterfall._kernels import run_path_cash
from engine.waterfall.bundles import Deal
from engine.waterfall._outcome_kernels import (
    make_cash_outputs,
    make_cash_scratch,
    tranche_outcome,
)


@njit(cache=True)
def book_deal_paths(seed, paths, model, groups, draws, deal, ent_obligor, ent_sup, tau_fix,
                    cap_fix, t_default, t_loss, t_wal, claims, ent_tau):
    """Paths ``paths`` of one deal, serially (row ``r`` of every output is ``paths[r]``).

    ``ent_obligor[e]``: the deal's obligor index of modelled entity ``e`` (-1: absent);
    ``ent_sup[s]``: the entity whose capital support ``s`` draws on (-1: none).
    ``tau_fix[r, e] >= 0`` fixes the entity's default date on the row's path (its
    exhaustion), ``cap_fix[r, e] >= 0`` its capacity in this deal (what it pays in all,
    exhausted then); -1: as simulated. Writes each tranche's default flag, loss and WAL
    (-1: no principal paid), each entity's claims by date (``claims[r, e, t]``) and its
    simulated default date (past the deal's horizon: none)."""
    n_obl = groups.members.shape[0]
    n_f = model.z_shift.shape[0]
    horizon = deal.horizon
    z = np.zeros(n_f)
    zero_shift = np.zeros(n_f)
    tau = np.full(n_obl, horizon + 1, dtype=np.int64)
    defaulters = np.zeros(n_obl, dtype=np.int64)
    dwork = make_default_work(groups)
    haircut = np.zeros(deal.collateral.value.shape[0])
    out = make_cash_outputs(deal)
    scratch = make_cash_scratch(deal, n_obl)
    capacity = deal.support.ob_capacity
    on_exhaustion = deal.support.ob_default_on_exhaustion
    n_ent = ent_obligor.shape[0]
    n_tr = deal.notes.balance.shape[0]
    n_sup = ent_sup.shape[0]
    n_def = np.int64(0)
    saved_tau = np.zeros(n_ent, dtype=np.int64)
    saved_cap = np.zeros(n_ent)
    saved_flag = np.zeros(n_ent, dtype=np.int64)
    for r in range(paths.shape[0]):
        upath = np.uint64(paths[r])
        n_def, _ = draw_weighted_defaults(seed, upath, model, groups, dwork, z, zero_shift,
                                          tau, defaulters, n_def)
        draw_haircuts(seed, upath, z[0], defaulters, n_def, tau, deal, draws, haircut)
        for e in range(n_ent):
            j = ent_obligor[e]
            ent_tau[r, e] = tau[j] if j >= 0 else horizon + 1
        for e in range(n_ent):          # fixes (replays only: serial, never in parallel)
            j = ent_obligor[e]
            if j < 0 or (tau_fix[r, e] < 0 and cap_fix[r, e] < 0.0):
                continue
            saved_tau[e], saved_cap[e], saved_flag[e] = tau[j], capacity[j], on_exhaustion[j]
            if tau_fix[r, e] >= 0:
                tau[j] = min(tau[j], tau_fix[r, e])
            if cap_fix[r, e] >= 0.0:
                capacity[j] = min(capacity[j], cap_fix[r, e])
                on_exhaustion[j] = 1
        run_path_cash(deal, tau, defaulters, n_def, haircut, out, scratch)
        for e in range(n_ent):
            j = ent_obligor[e]
            if j >= 0 and (tau_fix[r, e] >= 0 or cap_fix[r, e] >= 0.0):
                tau[j], capacity[j], on_exhaustion[j] = saved_tau[e], saved_cap[e], saved_flag[e]
        for k in range(n_tr):
            d, loss, wal = tranche_outcome(k, deal, out)
            t_default[r, k] = d
            t_loss[r, k] = loss
            t_wal[r, k] = wal
        for e in range(n_ent):
            for t in range(horizon + 1):
                claims[r, e, t] = 0.0
        for s in range(n_sup):
            e = ent_sup[s]
            if e >= 0:
                for t in range(1, horizon + 1):
                    claims[r, e, t] += out.sup_paid[t, s]


@njit(parallel=True, cache=True)
def book_deal_blocks(seed, n_paths, block, model, groups, draws, horizon, periods_per_year,
                     pool_balance, pool, collateral, support, notes, waterfall, ent_obligor,
                     ent_sup, t_default, t_loss, t_wal, claims, ent_tau):
    """Every path ``0 .. n_paths - 1`` of one deal as simulated (nothing fixed), in blocks
    of ``block`` paths on the threads (each block writes its own rows: the same output for
    any thread count)."""
    n_blocks = (n_paths + block - 1) // block
    n_ent = ent_obligor.shape[0]
    for b in prange(n_blocks):
        deal = Deal(horizon=horizon, periods_per_year=periods_per_year,
                    pool_balance=pool_balance, pool=pool, collateral=collateral,
                    support=support, notes=notes, waterfall=waterfall)
        start = b * block
        stop = min(start + block, n_paths)
        paths = np.arange(start, stop).astype(np.int64)
        none_i = np.full((stop - start, n_ent), -1, dtype=np.int64)
        none_f = np.full((stop - start, n_ent), -1.0)
        book_deal_paths(seed, paths, model, groups, draws, deal, ent_obligor, ent_sup, none_i,
                        none_f, t_default[start:stop], t_loss[start:stop], t_wal[start:stop],
                        claims[start:stop], ent_tau[start:stop])


@njit(cache=True)
def outside_claims(seed, n_paths, dof, factor_keys, loadings, idio, thresholds, amount_lgd,
                   out):
    """Claims on an entity from its outside book (a large pool on the book's factors) by
    date on each path: ``amount x lgd x`` the increase of the pool's conditional default
    rate, ``P(a.Z + b e <= c_t * s | Z)`` with the path's factors ``Z`` and Student-t scale
    ``s`` (the same draws as the deals')."""
    n_f = factor_keys.shape[0]
    horizon = thresholds.shape[0]
    z = np.zeros(n_f)
    shift = np.zeros(n_f)
    for p in range(n_paths):
        up = np.uint64(p)
        draw_factors(seed, up, shift, 1.0, factor_keys, z)
        scale = threshold_scale(seed, up, dof)
        m = 0.0
        for k in range(n_f):
            m += loadings[k] * z[k]
        before = 0.0
        out[p, 0] = 0.0
        for t in range(horizon):
            now = conditional_pd(thresholds[t], scale, m, idio)
            now = max(now, before)
            out[p, t + 1] = amount_lgd * (now - before)
            before = now
