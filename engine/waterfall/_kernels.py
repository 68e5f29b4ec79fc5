"""Numba kernels of the cash side of one path: asset collections, collateral
recoveries, loan-level and deal-level support, and the priority of payments.

The entry point :func:`run_path_cash` takes the default period of every obligor and
the realised haircut of every collateral item, and writes the period-by-period cash
flows of the deal into preallocated arrays (row ``t`` = payment date ``t``, row 0 =
closing, unused). Nothing here knows how defaults were drawn. A plain-Python twin in
``tests/naive_waterfall.py`` re-implements the same rules independently.

Each date runs the phases below in docs/model.md's order of events. A defaulted loan's
events (collateral, loan-level support) are in :mod:`engine.waterfall._loan_kernels`, the
scheduled collections in :mod:`engine.waterfall._collection_kernels`; the priority of
payments is data: integer programs walked by :mod:`engine.waterfall._program_kernels`.
"""
from __future__ import annotations

import numpy as np
from engine._jit import njit

from engine.waterfall._program_kernels import (
    NEED,
    NEED_INTEREST,
    PAY,
    ROUNDING,
    nothing_needed,
    nothing_short,
    pay_walk,
    walk,
)
from engine.waterfall._collection_kernels import _bucket_events, scheduled_collections
from engine.waterfall._loan_kernels import (
    _asset_events,
    _asset_offsets,
    draw_capacity,
    provider_up,
    supporter_default,
)
from engine.waterfall.bundles import Accounts, Program
from engine.waterfall.codes import (
    SUP_SHORTFALL,
    SUP_COMMITMENT_GUARANTEE,
    FEE_SHARE_OF_INTEREST,
    FEE_SENIOR_BALANCE,
    FEE_POOL_BALANCE,
    TRIG_CUMULATIVE_DEFAULT_RATE,
    TRIG_INTEREST_SHORTFALL,
)

#: Cash shortfalls smaller than this (currency units, half a cent) are rounding, not default.
PAYMENT_TOLERANCE = ROUNDING


@njit(cache=True, inline="always")
def _zero_payments(acct):
    """Forget what a (dry) walk of the lists paid."""
    for f in range(acct.pay_fee.shape[0]):
        acct.pay_fee[f] = 0.0
    for k in range(acct.pay_int.shape[0]):
        acct.pay_int[k] = 0.0
        acct.pay_prin[k] = 0.0
        acct.pay_res[k] = 0.0
    for s in range(acct.pay_reimb.shape[0]):
        acct.pay_reimb[s] = 0.0


#: ``CashScratch.plain``: the date's interest list paid with its own cash, kept while the
#: accounts are unchanged (no commitment paid yet): ``(valid, cash left, reached
#: to_principal, reserve top-up)``; its payments stay in the accounts and ``rem_dry``.
PLAIN_VALID, PLAIN_LEFT, PLAIN_TO_P, PLAIN_TOPPED = 0, 1, 2, 3


@njit(cache=True, _nrt=False)
def _commitment_need(t, avail_int, avail_prin, ops_int, ops_prin, ops_post, int_in_prin, prog,
                     acct, bal, rem_dry, covered, gap, plain, post):
    """``(to the interest account, to the principal account)``: the least top-up that pays
    the tranches ``covered`` marks (interest and scheduled principal), using all accounts
    first; ``bal`` are the balances before the date, ``rem_dry`` work. After acceleration
    (``post``) the post-acceleration list's, all to the principal account.

    Before it, the interest list runs with its own cash (once a date while no commitment
    pays: kept in ``plain``, which :func:`_pay` takes too); if the principal list can make
    up every covered interest still short (``int_in_prin``: it has their interest steps),
    the top-up goes to the principal account; otherwise the interest account is topped up
    first (as a custom program without make-up needs). Compiled once, with the date's
    interest walk inlined (a call passes about 150 machine words); the search calls the
    walker, as it runs only on dates :func:`nothing_needed` cannot settle (inlined, it
    cost about 5 s of a first run's compiling).
    """
    pre = np.bool_(False)        # not accelerated (a value, not a literal: one walker)
    need_i = 0.0
    if post:
        _zero_payments(acct)
        ops, cash, rem, rest = ops_post, avail_prin, bal, gap
    else:
        if plain[PLAIN_VALID] == 0.0:
            _zero_payments(acct)
            for k in range(bal.shape[0]):
                rem_dry[k] = bal[k]
            left, to_p, topped, _ = pay_walk(ops_int, PAY, covered, avail_int, t, pre,
                                             prog, acct, rem_dry, gap)
            plain[PLAIN_VALID] = 1.0
            plain[PLAIN_LEFT] = left
            plain[PLAIN_TO_P] = 1.0 if to_p else 0.0
            plain[PLAIN_TOPPED] = topped
        else:
            left, to_p, topped = (plain[PLAIN_LEFT], plain[PLAIN_TO_P] != 0.0,
                                  plain[PLAIN_TOPPED])
        reach = True
        for k in range(bal.shape[0]):
            if (covered[k] and not int_in_prin[k]
                    and acct.int_due[k] - acct.pay_int[k] > ROUNDING):
                reach = False
        if not reach:
            plain[PLAIN_VALID] = 0.0     # the accounts and rem_dry are walked again below
            _zero_payments(acct)
            _, _, _, need_i = walk(ops_int, NEED, covered, avail_int, t, pre, prog, acct,
                                   bal, gap)
            for k in range(bal.shape[0]):
                rem_dry[k] = bal[k]
            left, to_p, topped, _ = walk(ops_int, PAY, covered, avail_int + need_i, t, pre,
                                         prog, acct, rem_dry, gap)
        flow = left if to_p else 0.0
        ops, cash, rem, rest = ops_prin, avail_prin + flow, rem_dry, gap - topped
    if nothing_needed(t, covered, prog, acct, rem):
        return need_i, 0.0
    _, _, _, need_p = walk(ops, NEED, covered, cash, t, np.bool_(post), prog, acct, rem, rest)
    return need_i, need_p


@njit(cache=True, inline="always")
def _zero_outputs(deal, out, scratch):
    """Zero the outputs by stores (small arrays: a memset call each costs more): what dates
    add to on every date; the rest is written on dates 1 .. stop, so only at closing (row 0)
    and after a snapshot's last date."""
    horizon, stop = deal.horizon, deal.waterfall.stop
    n_tr, n_sup = deal.notes.balance.shape[0], deal.support.kind.shape[0]
    n_fee = deal.waterfall.fee_kind.shape[0]
    for t in range(horizon + 1):
        out.coll_recovery[t] = 0.0
        scratch.recv_int[t] = 0.0
        scratch.default_by_t[t] = 0.0
        for s in range(n_sup):
            out.sup_paid[t, s] = 0.0
    scratch.default_by_t[horizon + 1] = 0.0
    for t in range(horizon + 1):
        if 0 < t <= stop:
            continue
        out.carry[t] = 0.0
        out.reserve_bal[t] = 0.0
        for s in range(n_sup):
            out.reimb_paid[t, s] = 0.0
        for f in range(n_fee):
            out.fee_paid[t, f] = 0.0
        for k in range(n_tr):
            out.int_due[t, k] = 0.0
            out.int_paid[t, k] = 0.0
            out.prin_paid[t, k] = 0.0
            out.res_paid[t, k] = 0.0
            out.tr_bal_end[t, k] = 0.0


@njit(cache=True, inline="always")
def _schedule_events(deal, n_def, scratch):
    """Before the first date: every support's capacity in full, and each defaulted asset's
    event dates (its default to its last support or collateral payment, bucketed by date;
    a tracked deal's asset starts from what was paid on it already)."""
    pl, co, su = deal.pool, deal.collateral, deal.support
    coll_ptr, cov_ptr = co.ptr, su.cov_ptr
    s_def_assets, s_def_tau, s_events_end = scratch.def_assets, scratch.def_tau, scratch.events_end
    s_guar_paid, s_guar_back = scratch.guar_paid, scratch.guar_back
    for s in range(su.kind.shape[0]):
        scratch.cap_left[s] = su.cap[s]
        scratch.claimed[s] = 0.0
    for r in range(su.cap_obligors.shape[0]):
        scratch.cap_used[su.cap_obligors[r]] = 0.0
        scratch.exhausted[su.cap_obligors[r]] = deal.horizon + 1
    one = np.uint64(1)
    for ud in range(np.uint64(n_def)):           # only the slots this path uses
        ui = np.uint64(s_def_assets[ud])
        if coll_ptr[ui] == coll_ptr[ui + one] and cov_ptr[ui] == cov_ptr[ui + one]:
            s_events_end[ud] = s_def_tau[ud] - 1  # no collateral, no support: no events
            continue
        d, i = np.int64(ud), np.int64(ui)       # the event helpers take signed slots
        for g in range(s_guar_paid.shape[1]):
            s_guar_paid[d, g] = 0.0
            s_guar_back[d, g] = 0.0
        if pl.past_tau[i] <= 0:                  # a tracked deal: what was paid already
            for q in range(cov_ptr[i], cov_ptr[i + 1]):
                s_guar_paid[d, q - cov_ptr[i]] = pl.past_guar_paid[q]
                s_guar_back[d, q - cov_ptr[i]] = pl.past_guar_back[q]
        s_events_end[d] = s_def_tau[d] + _asset_offsets(d, i, cov_ptr, su.cov_sup, su.kind,
                                                        su.lag, coll_ptr, co.lag,
                                                        scratch.offset)
    _bucket_events(n_def, s_def_tau, s_events_end, deal.waterfall.stop, scratch.event_ptr,
                   scratch.event_slots)


@njit(cache=True, inline="always")
def _open_balances(deal, out, scratch):
    """The notes, what is owed and the triggers as the first date finds them (at closing,
    or a tracked deal's state); returns the first date of acceleration (``horizon + 1``:
    none yet)."""
    wf, horizon = deal.waterfall, deal.horizon
    for k in range(deal.notes.balance.shape[0]):
        scratch.bal[k] = deal.notes.balance[k]
        scratch.short[k] = 0
        scratch.arrears[k] = wf.start_arrears[k]
    for s in range(deal.support.kind.shape[0]):
        scratch.reimb_owed[s] = wf.start_reimb_owed[s]
        scratch.pay_reimb[s] = 0.0
    for f in range(wf.fee_kind.shape[0]):
        scratch.fee_arrears[f] = wf.start_fee_arrears[f]
    accelerated_from = horizon + 1
    for r in range(wf.trig_kind.shape[0]):
        out.trig_period[r] = horizon + 1
        if wf.start_fired[r]:
            out.trig_period[r] = 0
            accelerated_from = 0
    return accelerated_from


@njit(cache=True, inline="always")
def _collect(t, deal, obligor_default, haircut, out, scratch):
    """Loan-level support and collateral of date ``t``, assets in listed order."""
    for e in range(scratch.event_ptr[t + 1], scratch.event_ptr[t + 2]):
        d = scratch.event_slots[e]
        _asset_events(t, d, scratch.def_assets[d], scratch.def_tau[d], obligor_default, deal,
                      haircut, out, scratch)


@njit(cache=True, inline="always")
def _accrue(t, deal, out, scratch):
    """What date ``t`` owes: each fee's accrual plus its arrears, each tranche's interest
    plus its arrears. Returns the non-subordinated balance (the senior fees' base)."""
    no, wf = deal.notes, deal.waterfall
    tr_sub, tr_coupon, tr_accrual, fee_value = no.sub, no.coupon, no.accrual, wf.fee_value
    s_bal, int_due, s_perf_bal = scratch.bal, out.int_due, scratch.perf_bal
    n_tr = tr_coupon.shape[0]
    dated = tr_accrual.shape[0] > 0
    periods_per_year = deal.periods_per_year
    ppy = float(periods_per_year)
    per_period = 1.0 / ppy
    # x / ppy == x * (1 / ppy) exactly when ppy is a power of two (1, 2, 4: the usual
    # frequencies but monthly): a multiply instead of a divide, bit for bit the same
    exact_inverse = periods_per_year > 0 and (periods_per_year & (periods_per_year - 1)) == 0
    senior_bal = 0.0
    for k in range(n_tr):
        if not tr_sub[k]:
            senior_bal += s_bal[k]
    for f in range(wf.fee_kind.shape[0]):
        kind = wf.fee_kind[f]
        if kind == FEE_SHARE_OF_INTEREST:
            accrual = fee_value[f] * out.coll_int[t]
        elif kind == FEE_SENIOR_BALANCE:
            accrual = (fee_value[f] * tr_accrual[t] * senior_bal if dated
                       else fee_value[f] / ppy * senior_bal)
        elif kind == FEE_POOL_BALANCE:
            accrual = (fee_value[f] * tr_accrual[t] * s_perf_bal[t] if dated
                       else fee_value[f] / ppy * s_perf_bal[t])
        else:
            accrual = fee_value[f]
        scratch.fee_due[f] = scratch.fee_arrears[f] + accrual
    if dated:                # calendar dates: each period's year fraction
        for k in range(n_tr):
            int_due[t, k] = s_bal[k] * tr_coupon[k] * tr_accrual[t]
    elif exact_inverse:      # two loops: a select in one would still run the divide
        for k in range(n_tr):
            int_due[t, k] = s_bal[k] * tr_coupon[k] * per_period
    else:
        for k in range(n_tr):
            int_due[t, k] = s_bal[k] * tr_coupon[k] / ppy
    for k in range(n_tr):
        scratch.int_due[k] = int_due[t, k] + scratch.arrears[k]
    return senior_bal


@njit(cache=True, inline="always")
def _available(t, deal, out, scratch, carry_int, carry_prin):
    """The interest and principal accounts of date ``t``: what was carried, collections,
    recoveries and the loan-level support paid (interest recovered goes to interest)."""
    avail_int = carry_int + out.coll_int[t] + scratch.recv_int[t]
    avail_prin = carry_prin + out.coll_prin[t] + out.coll_recovery[t] - scratch.recv_int[t]
    sup_kind = deal.support.kind
    for s in range(sup_kind.shape[0]):
        if sup_kind[s] != SUP_SHORTFALL and sup_kind[s] != SUP_COMMITMENT_GUARANTEE:
            avail_prin += out.sup_paid[t, s]
    return avail_int, avail_prin


@njit(cache=True, inline="always")
def _fire_triggers(t, deal, obligor_default, out, scratch, cum_default, accelerated_from):
    """Triggers in listed order on what is known at date ``t``; returns the first date of
    acceleration."""
    wf, su, horizon = deal.waterfall, deal.support, deal.horizon
    trig_period = out.trig_period
    for r in range(wf.trig_kind.shape[0]):
        if trig_period[r] <= horizon:
            continue
        kind = wf.trig_kind[r]
        fired = False
        if kind == TRIG_CUMULATIVE_DEFAULT_RATE:
            fired = cum_default > wf.trig_value[r] * deal.pool_balance
        elif kind == TRIG_INTEREST_SHORTFALL:
            fired = scratch.short[wf.trig_arg[r]] == 1
        else:
            j = wf.trig_arg[r]
            fired = (supporter_default(j, obligor_default, su.as_supporter) <= t
                     or (su.ob_default_on_exhaustion[j] == 1
                         and scratch.exhausted[j] <= t))
        if fired:
            trig_period[r] = t
            if accelerated_from > horizon:
                accelerated_from = t
    return accelerated_from


@njit(cache=True, inline="always")
def _use_reserve(t, deal, prog, acct, scratch, reserve, avail_int, avail_prin, post,
                 senior_bal):
    """The reserve at date ``t``: released at legal final or once what it covers is
    repaid, else drawn by the least amount that pays the fees and covered interest.
    Returns ``(reserve, avail_int, avail_prin, gap)``, ``gap`` what tops it up to target."""
    wf, s_bal = deal.waterfall, scratch.bal
    res_covers = wf.res_covers
    covered_left = False
    for k in range(res_covers.shape[0]):
        if res_covers[k] and s_bal[k] > ROUNDING:
            covered_left = True
    if reserve > 0.0 and (t == deal.horizon or not covered_left):
        avail_prin += reserve
        reserve = 0.0
    target = wf.res_target_amount + wf.res_target_share * senior_bal
    gap = max(0.0, target - reserve)
    if reserve > 0.0:
        _zero_payments(acct)
        ops = wf.ops_post if post else wf.ops_int
        _, _, _, need = walk(ops, NEED_INTEREST, res_covers, avail_prin if post else avail_int,
                             t, post, prog, acct, s_bal, gap)
        draw = min(reserve, need)
        if draw > 0.0:
            reserve -= draw
            if post:
                avail_prin += draw
            else:
                avail_int += draw
        gap = max(0.0, target - reserve)
    return reserve, avail_int, avail_prin, gap


@njit(cache=True, inline="always")
def _guarantee_commitment(t, s, owed, paid, deal, obligor_default, out, scratch):
    """``paid`` plus what the guarantees of shortfall commitment ``s`` pay, in listed
    order, of the part of ``owed`` its provider (down at ``t``) did not pay."""
    su = deal.support
    sup_kind, sup_provider, as_supporter = su.kind, su.provider, su.as_supporter
    for g in range(sup_kind.shape[0]):
        if sup_kind[g] != SUP_COMMITMENT_GUARANTEE or su.target[g] != s:
            continue
        if not provider_up(sup_provider[g], t, obligor_default, as_supporter,
                           scratch.exhausted):
            continue
        p = min(su.share[g] * (owed - paid), scratch.cap_left[g])
        p = draw_capacity(sup_provider[g], p, t, su.ob_capacity, scratch.cap_used,
                          scratch.exhausted)
        if p > 0.0:
            scratch.cap_left[g] -= p
            out.sup_paid[t, g] += p
            paid += p
            if su.reimbursed[s]:
                scratch.reimb_owed[g] += p
    return paid


@njit(cache=True, inline="always")
def _union_covered(deal, covered):
    """``covered``: the tranches any shortfall commitment covers; the commitments' number."""
    su = deal.support
    n = 0
    for k in range(covered.shape[0]):
        covered[k] = 0
    for s in range(su.kind.shape[0]):
        if su.kind[s] == SUP_SHORTFALL:
            n += 1
            for k in range(covered.shape[0]):
                if su.covers_tranche[s, k]:
                    covered[k] = 1
    return n


@njit(cache=True, inline="always")
def _call_commitments(t, deal, obligor_default, prog, acct, out, scratch, avail_int,
                      avail_prin, post, gap):
    """Each shortfall commitment in listed order, for what all accounts together cannot
    pay, then its guarantees for what its provider did not. Returns the accounts.

    With two or more commitments, one search for the tranches any of them covers comes
    first (``s = -1``): a tranche's need does not depend on which others are covered, and
    a commitment's is the largest of its tranches', so when the union needs nothing (and,
    before acceleration, the interest list paid every covered coupon with its own cash) no
    commitment does, and the date goes on without them. The needs have one call site."""
    su, wf = deal.support, deal.waterfall
    sup_kind, sup_provider, sup_share, as_supporter = su.kind, su.provider, su.share, \
        su.as_supporter
    s_covered, s_cap_left, s_exhausted = scratch.covered, scratch.cap_left, scratch.exhausted
    plain = scratch.plain
    plain[PLAIN_VALID] = 0.0
    n_sup = sup_kind.shape[0]
    n_commitments = _union_covered(deal, s_covered)
    if n_commitments == 0 or nothing_short(wf.ops_post if post else wf.ops_int, t, s_covered,
                     avail_prin if post else avail_int, prog, acct, scratch.bal, gap, not post):
        return avail_int, avail_prin     # no search (not even a call): none needs anything
    s = -1 if n_commitments >= 2 else 0
    while s < n_sup:
        if s >= 0:
            if sup_kind[s] != SUP_SHORTFALL:
                s += 1
                continue
            for k in range(su.covers_tranche.shape[1]):
                s_covered[k] = su.covers_tranche[s, k]
        need_i, need_p = _commitment_need(t, avail_int, avail_prin, wf.ops_int, wf.ops_prin,
                                          wf.ops_post, deal.notes.int_in_prin, prog, acct,
                                          scratch.bal, scratch.rem_dry, s_covered, gap, plain,
                                          post)
        need = need_i + need_p
        if s < 0:
            if need <= 0.0 and (post or plain[PLAIN_VALID] != 0.0):
                return avail_int, avail_prin
            s = 0
            continue
        if need <= 0.0:
            s += 1
            continue
        scratch.claimed[s] = 1.0
        plain[PLAIN_VALID] = 0.0         # the accounts change (or the provider is asked)
        paid = 0.0
        if provider_up(sup_provider[s], t, obligor_default, as_supporter, s_exhausted):
            paid = draw_capacity(sup_provider[s], min(sup_share[s] * need, s_cap_left[s]),
                                 t, su.ob_capacity, scratch.cap_used, s_exhausted)
            s_cap_left[s] -= paid
            out.sup_paid[t, s] += paid
            if su.reimbursed[s]:
                scratch.reimb_owed[s] += paid
        if paid < sup_share[s] * need and not provider_up(
                sup_provider[s], t, obligor_default, as_supporter, s_exhausted):
            paid = _guarantee_commitment(t, s, sup_share[s] * need, paid, deal,
                                         obligor_default, out, scratch)
        to_i = min(paid, need_i)
        avail_int += to_i
        avail_prin += paid - to_i
        s += 1
    return avail_int, avail_prin


@njit(cache=True, inline="always")
def _pay(t, deal, prog, acct, scratch, avail_int, avail_prin, post, gap):
    """The priority of payments of date ``t``: the post-acceleration list, or the interest
    list and then the principal list with what the interest list passes on (one call site,
    inlined). Returns ``(carry_int, carry_prin, topped)``: the accounts carried to the next
    date and what went into the reserve."""
    wf = deal.waterfall
    plain = scratch.plain
    reuse = not post and plain[PLAIN_VALID] != 0.0   # the interest list as a commitment paid it
    for k in range(deal.notes.balance.shape[0]):
        scratch.rem[k] = scratch.rem_dry[k] if reuse else scratch.bal[k]
    if not reuse:
        _zero_payments(acct)
    topped = 0.0
    carry_int = 0.0
    cash = avail_prin if post else avail_int
    left = 0.0
    for part in range(1 if post else 2):
        ops = wf.ops_post if post else (wf.ops_int if part == 0 else wf.ops_prin)
        if part == 0 and reuse:
            left, to_p, top = plain[PLAIN_LEFT], plain[PLAIN_TO_P] != 0.0, plain[PLAIN_TOPPED]
        else:
            left, to_p, top, _ = pay_walk(ops, PAY, scratch.covered, cash, t, post, prog, acct,
                                          scratch.rem, gap if part == 0 else gap - topped)
        topped += top
        if part == 0 and not post:
            if to_p:
                avail_prin += left
                left = 0.0
            carry_int = left
            cash = avail_prin
    return carry_int, left, topped


@njit(cache=True, inline="always")
def _record(t, deal, out, scratch):
    """Date ``t``'s payments into the outputs, and what stays owed: fee arrears,
    reimbursement, interest arrears (a shortfall beyond rounding marks the tranche short),
    the tranches' balances."""
    for f in range(deal.waterfall.fee_kind.shape[0]):
        out.fee_paid[t, f] = scratch.pay_fee[f]
        scratch.fee_arrears[f] = scratch.fee_due[f] - scratch.pay_fee[f]
    for s in range(deal.support.kind.shape[0]):
        out.reimb_paid[t, s] = scratch.pay_reimb[s]
        scratch.reimb_owed[s] -= scratch.pay_reimb[s]
    for k in range(deal.notes.balance.shape[0]):
        out.int_paid[t, k] = scratch.pay_int[k]
        out.prin_paid[t, k] = scratch.pay_prin[k]
        out.res_paid[t, k] = scratch.pay_res[k]
        if scratch.pay_int[k] < scratch.int_due[k] - PAYMENT_TOLERANCE:
            scratch.short[k] = 1
        # unpaid interest stays owed (a shortfall of a non-deferrable tranche is also a
        # default: short), paid before the tranche's current interest later
        scratch.arrears[k] = max(0.0, scratch.int_due[k] - scratch.pay_int[k])
        scratch.bal[k] = scratch.rem[k]
        out.tr_bal_end[t, k] = scratch.bal[k]


@njit(cache=True, inline="always")
def _loss_amount(deal, n_def, plain_loss, scratch):
    """The pool's loss: each defaulted asset's principal at default less the collateral it
    realised by legal final (before any support), plus the plain defaulted assets'."""
    pl = deal.pool
    loss_amount = plain_loss            # plain defaulted assets recover nothing
    for d in range(np.uint64(n_def)):
        i = np.uint64(scratch.def_assets[d])
        tau = scratch.def_tau[d]
        recovered = scratch.ead[d] - scratch.coll_left[d]
        principal = (pl.past_principal[i] if tau <= 0
                     else pl.out_start[np.uint64(pl.sched_row[i]), np.uint64(tau)])
        loss_amount += max(0.0, principal - min(recovered, principal))
    return loss_amount


@njit(cache=True, _nrt=False)
def run_path_cash(deal, obligor_default, defaulters, n_defaulters, haircut, out, scratch):
    """Cash flows of the deal on one path given default periods and haircuts.

    Returns ``(default_rate, loss_rate, accelerated_from)``: the pool's principal
    outstanding at default, and that less collateral realised by legal final (before any
    support), as shares of the initial pool balance; and the first date of the
    post-acceleration waterfall (``horizon + 1``: never).

    Each date runs docs/model.md's order of events, one phase each: collections and
    loan-level support (:func:`_collect`); what is due (:func:`_accrue`) and available
    (:func:`_available`); triggers (:func:`_fire_triggers`, in listed order; an interest
    shortfall accelerates from the next date); the reserve (:func:`_use_reserve`);
    shortfall commitments and their guarantees (:func:`_call_commitments`, for what all
    accounts together cannot pay); the priority of payments (:func:`_pay`); and the
    outcomes (:func:`_record`). Commitment payments are owed back to their payers
    (``reimbursement`` step); unpaid interest is carried as arrears.

    ``deal`` is a :class:`engine.waterfall.bundles.Deal`, ``out`` a ``CashFlowsOut`` and
    ``scratch`` a ``CashScratch``; this path is the default period of every obligor, the
    defaulters and the realised haircut of every collateral item.

    A tracked deal (:mod:`engine.tracking`) starts from its state: assets that defaulted
    before date 1 (``pool.past_tau <= 0``) with what was received and paid on them, and the
    ``waterfall.start_*`` balances; ``waterfall.stop`` ends the dates early (a snapshot:
    the interest account is then left in ``carry[0]``).
    """
    wf, no = deal.waterfall, deal.notes
    prog = Program(deal.horizon, wf.grp_ptr, wf.grp_idx, no.target_balance, no.pass_through,
                   no.sub)
    acct = Accounts(scratch.fee_due, scratch.int_due, scratch.reimb_owed, scratch.claim,
                    scratch.pay_fee, scratch.pay_int, scratch.pay_prin, scratch.pay_res,
                    scratch.pay_reimb, scratch.rem, scratch.int_counted)
    _zero_outputs(deal, out, scratch)
    n_def, default_amount, plain_loss = scheduled_collections(
        deal.pool, obligor_default, defaulters, n_defaulters, deal.horizon, out.coll_int,
        out.coll_prin, scratch)
    scratch.n_slots[0] = n_def
    _schedule_events(deal, n_def, scratch)
    accelerated_from = _open_balances(deal, out, scratch)
    carry_int, carry_prin = wf.start_int_cash, wf.start_prin_cash
    reserve = wf.res_initial
    out.reserve_bal[0] = reserve
    cum_default = wf.start_cum_default
    for t in range(1, wf.stop + 1):
        _collect(t, deal, obligor_default, haircut, out, scratch)
        cum_default += scratch.default_by_t[t]
        senior_bal = _accrue(t, deal, out, scratch)
        avail_int, avail_prin = _available(t, deal, out, scratch, carry_int, carry_prin)
        accelerated_from = _fire_triggers(t, deal, obligor_default, out, scratch, cum_default,
                                          accelerated_from)
        post = accelerated_from <= t
        if post:
            avail_prin += avail_int
            avail_int = 0.0
        reserve, avail_int, avail_prin, gap = _use_reserve(
            t, deal, prog, acct, scratch, reserve, avail_int, avail_prin, post, senior_bal)
        avail_int, avail_prin = _call_commitments(t, deal, obligor_default, prog, acct, out,
                                                  scratch, avail_int, avail_prin, post, gap)
        carry_int, carry_prin, topped = _pay(t, deal, prog, acct, scratch, avail_int,
                                             avail_prin, post, gap)
        reserve += topped
        out.reserve_bal[t] = reserve
        _record(t, deal, out, scratch)
        out.carry[t] = carry_int + carry_prin
    if wf.stop < deal.horizon:  # a snapshot: row 0 (closing, unused) keeps the interest account
        out.carry[0] = carry_int
    loss_amount = _loss_amount(deal, n_def, plain_loss, scratch)
    return default_amount / deal.pool_balance, loss_amount / deal.pool_balance, accelerated_from
