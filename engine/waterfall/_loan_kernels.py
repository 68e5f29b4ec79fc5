"""Numba kernels of a defaulted loan's events: its collateral realised, its loan-level
support (guarantees, insurance, a risk-compensation fund) called in loss order, recoveries
shared with the guarantors, and the supporters' state (up, defaulted, capacity used).

:func:`engine.waterfall._kernels.run_path_cash` calls :func:`_asset_events` for each
defaulted loan with an event on a date.
"""
from __future__ import annotations

from engine._jit import njit

from engine.waterfall.codes import (
    SUP_LOAN_GUARANTEE,
    SUP_BANK_GUARANTEE,
    SUP_RISK_COMPENSATION,
    SUP_IP_INSURANCE,
    SHARE_CREDITOR_FIRST,
    SHARE_PRO_RATA,
    SHARE_GUARANTOR_FIRST,
)


@njit(cache=True, inline="always")
def supporter_default(j, obligor_default, as_supporter):
    """The date obligor ``j`` defaults as a supporter: fixed by the run, or simulated."""
    fixed = as_supporter[j]
    return obligor_default[j] if fixed < 0 else fixed


@njit(cache=True, inline="always")
def provider_up(j, t, obligor_default, as_supporter, exhausted_at):
    """Can provider ``j`` pay on date ``t`` (not defaulted, capacity not exhausted)?
    ``j < 0`` is a riskless sponsor. ``as_supporter[j]`` fixes when ``j`` stops paying as a
    supporter in a run of the rating ladder (0: defaulted from the start; a date past the
    horizon: never), or is -1 for its simulated default date."""
    if j < 0:
        return True
    return supporter_default(j, obligor_default, as_supporter) > t and exhausted_at[j] > t


@njit(cache=True, inline="always")
def draw_capacity(j, amount, t, ob_capacity, cap_used, exhausted_at):
    """What provider ``j`` pays of ``amount`` within its capacity; a claim it cannot meet in
    full exhausts it on date ``t`` (it pays what is left and nothing more)."""
    if j < 0 or amount <= 0.0:
        return amount
    left = ob_capacity[j] - cap_used[j]
    if amount > left:
        amount = max(left, 0.0)
        exhausted_at[j] = t
    cap_used[j] += amount
    return amount


@njit(cache=True, inline="always")
def _asset_offsets(d, i, cov_ptr, cov_sup, sup_kind, sup_lag, coll_ptr, coll_lag, s_offset):
    """Periods from asset ``i``'s default to each of its supports' payment: a guarantee's
    own lag; insurance and risk compensation pay ``lag`` after the loss is known, i.e. after
    its collateral and every support ranked before them have paid."""
    known = 0
    for c in range(coll_ptr[i], coll_ptr[i + 1]):
        known = max(known, coll_lag[c])
    for q in range(cov_ptr[i], cov_ptr[i + 1]):
        s = cov_sup[q]
        if sup_kind[s] == SUP_LOAN_GUARANTEE or sup_kind[s] == SUP_BANK_GUARANTEE:
            off = sup_lag[s]
        else:
            off = known + sup_lag[s]
        s_offset[d, q - cov_ptr[i]] = off
        known = max(known, off)
    return known


@njit(cache=True, inline="always")
def _to_pool(d, t, amount, s_int_left, s_recv_int):
    """Book ``amount`` received by the pool on defaulted asset ``d``: its interest part
    (the interest of the period of default still unrecovered) to the interest account."""
    part = min(amount, s_int_left[d])
    if part > 0.0:
        s_int_left[d] -= part
        s_recv_int[t] += part


@njit(cache=True, inline="always")
def _pay_back(d, base, end, mode, cash, cov_sup, sup_sharing, s_guar_paid, s_guar_back):
    """Providers sharing recoveries by ``mode`` are paid back what they paid on defaulted
    asset ``d``, in listed order; returns the cash left."""
    for q in range(base, end):
        g = q - base
        if sup_sharing[cov_sup[q]] == mode:
            back = min(cash, s_guar_paid[d, g] - s_guar_back[d, g])
            if back > 0.0:
                s_guar_back[d, g] += back
                cash -= back
    return cash


@njit(cache=True, inline="always")
def _share_collateral(d, base, end, cash, cov_sup, sup_sharing, s_ead, s_coll_pool,
                      s_guar_paid, s_guar_back):
    """Split collateral ``cash`` of defaulted asset ``d`` between the noteholders and the
    providers that paid on it, by each provider's ``recovery_sharing``; the pool's part."""
    paid = 0.0
    for q in range(base, end):
        paid += s_guar_paid[d, q - base]
    owed_pool = max(0.0, s_ead[d] - s_coll_pool[d] - paid)
    pool = 0.0
    cash = _pay_back(d, base, end, SHARE_GUARANTOR_FIRST, cash, cov_sup, sup_sharing,
                     s_guar_paid, s_guar_back)
    total = owed_pool                                # pro_rata providers beside the pool
    for q in range(base, end):
        if sup_sharing[cov_sup[q]] == SHARE_PRO_RATA:
            total += max(0.0, s_guar_paid[d, q - base] - s_guar_back[d, q - base])
    if total > owed_pool and cash > 0.0:
        amount = min(cash, total)
        for q in range(base, end):
            g = q - base
            if sup_sharing[cov_sup[q]] == SHARE_PRO_RATA:
                back = amount * max(0.0, s_guar_paid[d, g] - s_guar_back[d, g]) / total
                s_guar_back[d, g] += back
                cash -= back
        take = min(cash, amount * owed_pool / total)
        pool += take
        owed_pool -= take
        cash -= take
    take = min(cash, owed_pool)                      # the noteholders (creditor_first)
    pool += take
    cash -= take
    cash = _pay_back(d, base, end, SHARE_CREDITOR_FIRST, cash, cov_sup, sup_sharing,
                     s_guar_paid, s_guar_back)
    return pool + max(cash, 0.0)


@njit(cache=True, inline="always")
def _asset_events(t, d, i, tau, obligor_default, deal, haircut, out, scratch):
    """Date ``t`` for defaulted asset ``i`` (slot ``d``): support claims in loss order, then
    collateral pledged to the pool (shared with the providers that paid, by their
    ``recovery_sharing``). What the pool receives books interest first."""
    su, co = deal.support, deal.collateral
    cov_ptr, cov_sup, sup_kind, sup_provider = su.cov_ptr, su.cov_sup, su.kind, su.provider
    sup_share, sup_deductible, sup_limit, sup_sharing = (su.share, su.deductible, su.limit,
                                                         su.sharing)
    ob_capacity = su.ob_capacity
    coll_ptr, coll_lag, coll_value, coll_pledgee = co.ptr, co.lag, co.value, co.pledgee
    s_ead, s_coll_left, s_coll_pool = scratch.ead, scratch.coll_left, scratch.coll_pool
    s_guar_paid, s_guar_back, s_cap_left = scratch.guar_paid, scratch.guar_back, scratch.cap_left
    s_offset, s_cap_used, s_exhausted = scratch.offset, scratch.cap_used, scratch.exhausted
    s_int_left, s_recv_int = scratch.int_left, scratch.recv_int
    sup_paid, coll_recovery = out.sup_paid, out.coll_recovery
    base = cov_ptr[i]
    for q in range(base, cov_ptr[i + 1]):
        s = cov_sup[q]
        if tau + s_offset[d, q - base] != t:
            continue
        j = sup_provider[s]
        received = s_coll_pool[d]
        for q2 in range(base, cov_ptr[i + 1]):
            received += s_guar_paid[d, q2 - base]
        uncovered = s_ead[d] - received
        kind = sup_kind[s]
        if kind == SUP_IP_INSURANCE:
            p = min(sup_share[s] * max(0.0, uncovered - sup_deductible[q]), sup_limit[q])
        elif kind == SUP_RISK_COMPENSATION:
            p = sup_share[s] * uncovered
        else:
            p = sup_share[s] * (s_ead[d] - s_coll_pool[d])
        p = min(p, uncovered, s_cap_left[s])
        if p > 0.0:
            scratch.claimed[s] = 1.0
        if not provider_up(j, t, obligor_default, su.as_supporter, s_exhausted):
            continue  # provider has defaulted or run out: pays nothing
        p = draw_capacity(j, p, t, ob_capacity, s_cap_used, s_exhausted)
        if p > 0.0:
            s_cap_left[s] -= p
            s_guar_paid[d, q - base] += p
            sup_paid[t, s] += p
            _to_pool(d, t, p, s_int_left, s_recv_int)
    for c in range(coll_ptr[i], coll_ptr[i + 1]):
        if tau + coll_lag[c] != t or coll_pledgee[c] == 1:
            continue  # a counter-pledge (反担保) never reaches the pool
        cash = coll_value[c] * (1.0 - haircut[c])
        if cash > s_coll_left[d]:
            cash = s_coll_left[d]
        if cash <= 0.0:
            continue
        s_coll_left[d] -= cash
        pool = _share_collateral(d, base, cov_ptr[i + 1], cash, cov_sup, sup_sharing, s_ead,
                                 s_coll_pool, s_guar_paid, s_guar_back)
        s_coll_pool[d] += pool
        coll_recovery[t] += pool
        _to_pool(d, t, pool, s_int_left, s_recv_int)
