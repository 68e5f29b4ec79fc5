"""A tracked deal's Plan: the closing Plan moved to the state after ``as_of`` dates.

This module owns how an ``ipabs-state/v1`` state (:mod:`engine.scenario.state`) becomes
kernel arrays, on the Plan's own time axis shifted by ``as_of`` (date ``t`` of the tracked
Plan is the deal's date ``as_of + t``), so every kernel, accumulator and report works
unchanged on what is still to come:

- performing assets keep their schedule from date ``as_of + 1`` on, scaled to the
  reported balance (a prepaid part shortens every later payment in proportion); repaid
  assets drop out;
- obligors default by their PD curves conditional on survival to ``as_of``,
  ``F_c(t) = (F(as_of + t) - F(as_of)) / (1 - F(as_of))``, or by the curve of a current
  rating or PD the state gives, counted from ``as_of``; an obligor whose asset defaulted,
  or one reported ``defaulted``, defaults on the first date (so its collateral haircuts
  are drawn on every path and, as a provider, it pays nothing);
- defaulted assets become past defaults (``Pool.past_*``, term 1 so the haircut draw sees
  them; the cash kernel takes them from ``past_*`` only, never from their obligor's
  default): their collateral and support claims still to come fall on the scenario's lags
  from their default period;
- tranches, arrears, cash, the reserve, support used, reimbursements owed, fee arrears
  and fired triggers start where the state says (``Waterfall.start_*``).

At ``as_of: 0`` with the closing data every array is the closing one, bit for bit.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from engine.default.groups import build_groups
from engine.default.pd_curves import cumulative_pd_curve, latent_thresholds


@dataclass(frozen=True)
class Tracking:
    """The state arrays of :class:`engine.waterfall.bundles.Pool` (``past_*``) and
    ``Waterfall`` (``start_*``)."""

    past_tau: np.ndarray
    past_principal: np.ndarray
    past_ead: np.ndarray
    past_int_left: np.ndarray
    past_coll_left: np.ndarray
    past_coll_pool: np.ndarray
    past_guar_paid: np.ndarray
    past_guar_back: np.ndarray
    start_arrears: np.ndarray
    start_fee_arrears: np.ndarray
    start_int_cash: float
    start_prin_cash: float
    start_reimb_owed: np.ndarray
    start_fired: np.ndarray
    start_cum_default: float


def closing_tracking(n_assets: int, n_cov: int, n_tranches: int, n_fees: int,
                     n_supports: int, n_triggers: int, horizon: int) -> Tracking:
    """The state at closing: nothing has happened."""
    z = np.zeros
    return Tracking(np.full(n_assets, horizon + 1, dtype=np.int64), z(n_assets), z(n_assets),
                    z(n_assets), z(n_assets), z(n_assets), z(n_cov), z(n_cov), z(n_tranches),
                    z(n_fees), 0.0, 0.0, z(n_supports), z(n_triggers, dtype=np.int64), 0.0)


def conditional_curve(curve: np.ndarray, as_of: int) -> np.ndarray:
    """``F_c(t) = (F(as_of + t) - F(as_of)) / (1 - F(as_of))``, ``t = 1..len - as_of``:
    the PD curve of an obligor known to have survived ``as_of`` periods (``curve[t - 1]
    = F(t)``). An obligor sure to have defaulted by ``as_of`` (``F = 1``) defaults at once."""
    f0 = curve[as_of - 1] if as_of > 0 else 0.0
    rest = curve[as_of:]
    if f0 >= 1.0:
        return np.ones_like(rest)
    out = (rest - f0) / (1.0 - f0)
    return np.maximum.accumulate(np.clip(out, 0.0, 1.0))


def tracked_plan(plan, scenario, state, *, pd_multiplier: float, concentration, table,
                 dof: float | None, by_exposure: bool):
    """``plan`` (of ``scenario`` at closing) moved to ``state`` (checked already)."""
    a = state.as_of
    H = plan.horizon - a
    ppy = plan.periods_per_year
    sup_index = {sid: n for n, sid in enumerate(plan.support_ids)}
    ob_index = {oid: j for j, oid in enumerate(plan.obligor_ids)}

    # assets
    n_assets = len(plan.asset_ids)
    cols = slice(a, plan.horizon + 1)          # row 0 of the tracked plan is date a
    sched_prin = plan.sched_prin[:, cols].copy()
    sched_int = plan.sched_int[:, cols].copy()
    out_start = plan.out_start[:, cols].copy()
    term = plan.asset_term - a
    n_cov = len(plan.cov_sup)
    tk = closing_tracking(n_assets, n_cov, plan.n_tranches, len(plan.fee_ids),
                          len(plan.support_ids), len(plan.trigger_ids), H)
    past_obligors = set()
    by_id = {x.id: x for x in state.assets}
    for i, aid in enumerate(plan.asset_ids):
        x = by_id[aid]
        if x.defaulted:
            past_obligors.add(int(plan.asset_obligor[i]))
            term[i] = 1             # its obligor "defaults" on date 1: its haircuts are drawn
            sched_prin[i] = sched_int[i] = out_start[i] = 0.0
            principal = x.principal if x.principal is not None else x.exposure
            got = x.received + sum(x.support_paid.get(s, 0.0) for s in plan.support_ids)
            tk.past_tau[i] = x.defaulted_in - a
            tk.past_principal[i] = principal
            tk.past_ead[i] = x.exposure
            tk.past_int_left[i] = max(0.0, (x.exposure - principal) - got)
            tk.past_coll_left[i] = max(0.0, x.exposure - x.received
                                       - sum(x.paid_back.values()))
            tk.past_coll_pool[i] = x.received
            for q in range(plan.cov_ptr[i], plan.cov_ptr[i + 1]):
                sid = plan.support_ids[plan.cov_sup[q]]
                tk.past_guar_paid[q] = x.support_paid.get(sid, 0.0)
                tk.past_guar_back[q] = x.paid_back.get(sid, 0.0)
            continue
        if x.balance <= 0.0:                    # repaid or prepaid
            term[i] = 0
            sched_prin[i] = sched_int[i] = out_start[i] = 0.0
            continue
        scheduled = out_start[i, 1]
        if x.balance != scheduled:
            scale = x.balance / scheduled
            sched_prin[i] *= scale
            sched_int[i] *= scale
            out_start[i] *= scale
    steps = np.arange(H + 1)
    paying = np.where(tk.past_tau <= 0, 0, term)
    pool_active = ((paying[:, None] >= steps[None, :]).sum(axis=0) * (steps > 0)).astype(np.int64)

    # default model
    fresh = {oid for oid, o in state.obligors.items()
             if o.rating is not None or o.pd is not None}
    down = {oid for oid, o in state.obligors.items() if o.defaulted}
    curves = np.empty((plan.n_obligors, H))
    for j, o in enumerate(scenario.obligors):
        if o.id in down or j in past_obligors:
            curves[j] = 1.0         # defaulted: on date 1 (as a provider it pays nothing)
        elif o.id in fresh:
            curves[j] = cumulative_pd_curve(o, H, ppy, table, pd_multiplier * concentration[j])
        else:
            curves[j] = conditional_curve(plan.pd_curves[j], a)
    thresholds = latent_thresholds(curves, dof)
    exposure = np.zeros(plan.n_obligors)       # as compile_plan sums it (same bits at 0)
    balances = [float(out_start[i, 1]) if H > 0 else 0.0 for i in range(n_assets)]
    for i in range(n_assets):
        exposure[plan.asset_obligor[i]] += balances[i]
    total = sum(balances)
    if total > 0:
        exposure /= total
    groups = build_groups(plan.factors, thresholds, exposure, by_exposure=by_exposure,
                          keys=plan.ob_key)

    # support, tranches and the start of the waterfall
    sup_cap = plan.sup_cap.copy()
    for sid, used in state.support_used.items():
        n = sup_index.get(sid)
        if n is not None:
            sup_cap[n] = max(0.0, sup_cap[n] - used)
    ob_capacity = plan.ob_capacity.copy()
    for oid, o in state.obligors.items():
        if o.capacity_used and oid in ob_index:
            j = ob_index[oid]
            ob_capacity[j] = max(0.0, ob_capacity[j] - o.capacity_used)
    tr_balance = plan.tr_balance.copy()
    for k, tid in enumerate(plan.tranche_ids):
        t = state.tranche(tid)
        tr_balance[k] = t.balance
        tk.start_arrears[k] = t.interest_arrears
    maturity = np.where(plan.tr_maturity > a, plan.tr_maturity - a, 0).astype(np.int64)
    for f, fid in enumerate(plan.fee_ids):
        tk.start_fee_arrears[f] = state.fee_arrears.get(fid, 0.0)
    for sid, owed in state.reimbursement_owed.items():
        if sid in sup_index:
            tk.start_reimb_owed[sup_index[sid]] = owed
    for r, tid in enumerate(plan.trigger_ids):
        tk.start_fired[r] = int(tid in state.triggers_fired)
    tk = dataclasses.replace(tk, start_int_cash=float(state.cash.interest),
                             start_prin_cash=float(state.cash.principal),
                             start_cum_default=float(state.defaulted_principal()))
    return dataclasses.replace(
        plan, horizon=H, pd_curves=curves, thresholds=thresholds, groups=groups,
        exposure=exposure, asset_term=term.astype(np.int64),
        sched_prin=sched_prin, sched_int=sched_int, out_start=out_start,
        pool_sched_int=sched_int.sum(axis=0), pool_sched_prin=sched_prin.sum(axis=0),
        pool_out_start=out_start.sum(axis=0), pool_active=pool_active,
        sup_cap=sup_cap, ob_capacity=ob_capacity, tr_balance=tr_balance,
        tr_target_balance=np.ascontiguousarray(plan.tr_target_balance[:, cols]),
        tr_maturity=maturity, res_initial=float(state.reserve), tracking=tk, as_of=a,
        tr_accrual=(np.concatenate(([0.0], plan.tr_accrual[a + 1:])) if len(plan.tr_accrual)
                    else plan.tr_accrual),
        tr_years=(plan.tr_years[a:] - plan.tr_years[a] if len(plan.tr_years)
                  else plan.tr_years), dates=plan.dates[a:])
