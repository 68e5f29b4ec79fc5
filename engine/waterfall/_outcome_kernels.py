"""Numba kernels that read one path's cash flows: each tranche's outcome and the cash
check, and the zeroed work arrays of the cash kernel (shared by the simulation and the
deterministic one-path mode)."""
from __future__ import annotations

import numpy as np
from engine._jit import njit

from engine.waterfall._kernels import PAYMENT_TOLERANCE
from engine.waterfall.bundles import CashFlowsOut, CashScratch


@njit(cache=True, inline="always")
def tranche_outcome(k, deal, out):
    """``(defaulted, loss share, wal years or -1)`` of tranche ``k`` on one path.

    A shortfall of a subordinated tranche's coupon (an expected return) is a loss, not a
    default; a deferrable tranche defaults only on interest still unpaid at legal final;
    any other tranche defaults on an interest shortfall; every tranche on principal not
    repaid by legal final, or by its expected maturity when it says so.
    """
    notes = deal.notes
    horizon, ppy = deal.horizon, deal.periods_per_year
    balance, is_sub, deferrable = notes.balance[k], notes.sub[k], notes.deferrable[k]
    maturity = notes.maturity[k]
    dated = notes.years.shape[0] > 0
    int_due, int_paid, prin_paid, tr_bal_end = out.int_due, out.int_paid, out.prin_paid, out.tr_bal_end
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
        timed += prin_paid[t, k] * (notes.years[t] if dated else t / ppy)
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
def cash_error(deal, out):
    """Cash in (reserve at closing + collections + support) minus cash out (payments and
    reimbursements) and cash left (accounts and reserve) at legal final."""
    horizon = deal.horizon
    wf = deal.waterfall
    inflow = wf.res_initial + wf.start_int_cash + wf.start_prin_cash
    outflow = 0.0
    for t in range(1, horizon + 1):
        inflow += out.coll_int[t] + out.coll_prin[t] + out.coll_recovery[t]
        for s in range(out.sup_paid.shape[1]):
            inflow += out.sup_paid[t, s]
            outflow += out.reimb_paid[t, s]
        for f in range(out.fee_paid.shape[1]):
            outflow += out.fee_paid[t, f]
        for k in range(out.int_paid.shape[1]):
            outflow += out.int_paid[t, k] + out.prin_paid[t, k] + out.res_paid[t, k]
    return inflow - outflow - out.carry[horizon] - out.reserve_bal[horizon]


@njit(cache=True)
def make_cash_outputs(deal):
    """Zeroed outputs of :func:`engine.waterfall._kernels.run_path_cash`."""
    t1 = deal.horizon + 1
    n_sup = deal.support.kind.shape[0]
    n_tr = deal.notes.balance.shape[0]
    n_fee = deal.waterfall.fee_kind.shape[0]
    n_trig = deal.waterfall.trig_kind.shape[0]
    return CashFlowsOut(
        coll_int=np.zeros(t1), coll_prin=np.zeros(t1), coll_recovery=np.zeros(t1),
        sup_paid=np.zeros((t1, n_sup)), fee_paid=np.zeros((t1, n_fee)),
        int_due=np.zeros((t1, n_tr)), int_paid=np.zeros((t1, n_tr)),
        prin_paid=np.zeros((t1, n_tr)), res_paid=np.zeros((t1, n_tr)),
        reimb_paid=np.zeros((t1, n_sup)), carry=np.zeros(t1), tr_bal_end=np.zeros((t1, n_tr)),
        reserve_bal=np.zeros(t1), trig_period=np.zeros(n_trig, dtype=np.int64))


@njit(cache=True)
def make_cash_scratch(deal, n_obligors):
    """The work arrays of :func:`engine.waterfall._kernels.run_path_cash` (one per thread)."""
    t1 = deal.horizon + 1
    n_assets = deal.pool.asset_obligor.shape[0]
    n_rows = deal.pool.sched_int.shape[0]
    n_sup = deal.support.kind.shape[0]
    n_tr = deal.notes.balance.shape[0]
    n_fee = deal.waterfall.fee_kind.shape[0]
    cov_ptr = deal.support.cov_ptr
    max_cov = 1
    for i in range(n_assets):
        max_cov = max(max_cov, cov_ptr[i + 1] - cov_ptr[i])
    i64 = np.int64
    return CashScratch(
        def_assets=np.zeros(n_assets, dtype=i64), ead=np.zeros(n_assets),
        coll_left=np.zeros(n_assets), coll_pool=np.zeros(n_assets),
        guar_paid=np.zeros((n_assets, max_cov)), guar_back=np.zeros((n_assets, max_cov)),
        bal=np.zeros(n_tr), rem=np.zeros(n_tr), fee_arrears=np.zeros(n_fee),
        fee_due=np.zeros(n_fee), int_due=np.zeros(n_tr), pay_fee=np.zeros(n_fee),
        pay_int=np.zeros(n_tr), pay_prin=np.zeros(n_tr), pay_res=np.zeros(n_tr),
        cap_left=np.zeros(n_sup), covered=np.zeros(n_tr, dtype=i64), perf_bal=np.zeros(t1),
        perf_count=np.zeros(t1, dtype=i64), rem_dry=np.zeros(n_tr), claim=np.zeros(n_tr),
        short=np.zeros(n_tr, dtype=i64), default_by_t=np.zeros(t1 + 1),
        offset=np.zeros((n_assets, max_cov), dtype=i64), events_end=np.zeros(n_assets, dtype=i64),
        cap_used=np.zeros(n_obligors), exhausted=np.full(n_obligors, deal.horizon + 1, dtype=i64),
        int_left=np.zeros(n_assets), recv_int=np.zeros(t1), reimb_owed=np.zeros(n_sup),
        pay_reimb=np.zeros(n_sup), arrears=np.zeros(n_tr), def_tau=np.zeros(n_assets, dtype=i64),
        event_ptr=np.zeros(t1 + 2, dtype=i64),
        event_slots=np.zeros(n_assets * deal.horizon, dtype=i64),
        row_lost=np.zeros((n_rows, t1 + 1)), plain_lost=np.zeros((n_rows, t1 + 1)),
        rows_hit=np.zeros(n_rows, dtype=i64), row_from=np.zeros(n_rows, dtype=i64),
        int_counted=np.zeros(n_tr), n_slots=np.zeros(1, dtype=i64), plain=np.zeros(4),
        claimed=np.zeros(n_sup))