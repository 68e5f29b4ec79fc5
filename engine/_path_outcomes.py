"""One path's outcome as a row of values, and what it adds to a block's accumulator row.

A support set's waterfall on a path ends in a few numbers: each tranche's default flag,
loss and WAL, the pool's default and loss rates, the acceleration date, the cash check,
what each support paid and was paid back, each trigger's date, the defaults by date and
which capacities ran out. :func:`fill_values` reads them from the cash kernel's outputs,
:func:`add_values` adds them, weighted, to a row of :mod:`engine.layout` - the same
operations in the same order whether the values were just computed or reused, so a path
whose outcome is known already (a path without defaults: the same on every such path; a
ladder run whose supporters fare as in the full run: the full run's) costs a copy, and
every sum keeps its bits.

Values of a deal with ``n_tr`` tranches, ``n_sup`` supports, ``n_trig`` triggers and
``n_cap`` capacities, in this order: ``default_rate, loss_rate, accelerated_from,
cash_error``; per tranche ``defaulted (0/1), loss, wal (-1: no principal)``; per support
``paid, paid back``; per trigger its date; per date ``1..horizon`` the principal defaulting;
per capacity the date it ran out; per support whether it was asked to pay
(``CashScratch.claimed``: what decides whether another support set could reuse the path).
"""
from __future__ import annotations

from typing import NamedTuple

from engine._jit import njit

from engine import layout as L
from engine.waterfall._outcome_kernels import cash_error, tranche_outcome

V_DEFAULT_RATE = 0
V_LOSS_RATE = 1
V_ACCELERATED = 2
V_CASH_ERROR = 3
V_TRANCHES = 4            # then 3 per tranche
V_TR = 3


class ValueParts(NamedTuple):
    """First value of each part of a path's outcome, and the width."""

    supports: int
    triggers: int
    dates: int
    capacities: int
    claims: int
    width: int


@njit(cache=True, inline="always")
def value_parts(n_tranches, n_supports, n_triggers, horizon, n_capacity):
    """The :class:`ValueParts` of a deal of these sizes (from Python:
    ``engine._jit.python(value_parts)``)."""
    sup = V_TRANCHES + V_TR * n_tranches
    trig = sup + 2 * n_supports
    dates = trig + n_triggers
    cap = dates + horizon
    claims = cap + n_capacity
    return ValueParts(sup, trig, dates, cap, claims, claims + n_supports)


@njit(cache=True, inline="always")
def _parts(deal):
    """The :class:`ValueParts` of ``deal``."""
    return value_parts(deal.notes.balance.shape[0], deal.support.kind.shape[0],
                       deal.waterfall.trig_kind.shape[0], deal.horizon,
                       deal.support.cap_obligors.shape[0])


@njit(cache=True, inline="always")
def fill_values(deal, out, scratch, dr, lr, accel, vals, r):
    """Row ``r`` of ``vals``: the outcome of the path the cash kernel just ran."""
    horizon = deal.horizon
    parts = _parts(deal)
    sup, trig, dates, cap = parts.supports, parts.triggers, parts.dates, parts.capacities
    vals[r, V_DEFAULT_RATE] = dr
    vals[r, V_LOSS_RATE] = lr
    vals[r, V_ACCELERATED] = accel
    vals[r, V_CASH_ERROR] = abs(cash_error(deal, out))
    for k in range(deal.notes.balance.shape[0]):
        d, loss, wal = tranche_outcome(k, deal, out)
        c = V_TRANCHES + V_TR * k
        vals[r, c] = 1.0 if d else 0.0
        vals[r, c + 1] = loss
        vals[r, c + 2] = wal
    for s in range(out.sup_paid.shape[1]):
        amount = 0.0
        back = 0.0
        for t in range(1, horizon + 1):
            amount += out.sup_paid[t, s]
            back += out.reimb_paid[t, s]
        vals[r, sup + 2 * s] = amount
        vals[r, sup + 2 * s + 1] = back
    for q in range(out.trig_period.shape[0]):
        vals[r, trig + q] = out.trig_period[q]
    for t in range(1, horizon + 1):
        vals[r, dates + t - 1] = scratch.default_by_t[t]
    cap_obligors = deal.support.cap_obligors
    for q in range(cap_obligors.shape[0]):
        vals[r, cap + q] = scratch.exhausted[cap_obligors[q]]
    for s in range(out.sup_paid.shape[1]):
        vals[r, parts.claims + s] = scratch.claimed[s]


@njit(cache=True, inline="always")
def copy_values(src, i, dst, r):
    """Row ``i`` of ``src`` into row ``r`` of ``dst``."""
    for c in range(src.shape[1]):
        dst[r, c] = src[i, c]


@njit(cache=True, inline="always")
def add_values(sums, lay, w, deal, vals, r):
    """Row ``r`` of ``vals`` (a path of weight ``w``) into the accumulator row ``sums``."""
    horizon = deal.horizon
    parts = _parts(deal)
    sup, trig, dates, cap = parts.supports, parts.triggers, parts.dates, parts.capacities
    for k in range(deal.notes.balance.shape[0]):
        v = V_TRANCHES + V_TR * k
        loss, wal = vals[r, v + 1], vals[r, v + 2]
        c = L.TR_COLS * k
        if vals[r, v] != 0.0:
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
    dr, lr = vals[r, V_DEFAULT_RATE], vals[r, V_LOSS_RATE]
    c = lay.pool
    sums[c + L.POOL_DEFAULT_RATE] += w * dr
    sums[c + L.POOL_DEFAULT_RATE_SQ] += w * dr * w * dr
    sums[c + L.POOL_LOSS_RATE] += w * lr
    sums[c + L.POOL_LOSS_RATE_SQ] += w * lr * w * lr
    sums[c + L.POOL_WEIGHT] += w
    sums[c + L.POOL_WEIGHT_SQ] += w * w
    if vals[r, V_CASH_ERROR] > sums[c + L.POOL_CASH_ERROR]:
        sums[c + L.POOL_CASH_ERROR] = vals[r, V_CASH_ERROR]
    for s in range(deal.support.kind.shape[0]):
        amount, back = vals[r, sup + 2 * s], vals[r, sup + 2 * s + 1]
        c = lay.support + L.SUP_COLS * s
        sums[c + L.SUP_PAID] += w * amount
        sums[c + L.SUP_PAID_SQ] += w * amount * w * amount
        if amount > 0.0:
            sums[c + L.SUP_CALLED] += w
        sums[c + L.SUP_REIMBURSED] += w * back
    for q in range(deal.waterfall.trig_kind.shape[0]):
        if vals[r, trig + q] <= horizon:
            c = lay.trigger + L.TRIG_COLS * q
            sums[c + L.TRIG_FIRED] += w
            sums[c + L.TRIG_FIRED_PERIOD] += w * vals[r, trig + q]
    if vals[r, V_ACCELERATED] <= horizon:
        sums[lay.accelerated] += w
    for t in range(1, horizon + 1):
        if vals[r, dates + t - 1] > 0.0:
            sums[lay.timing + t] += w * vals[r, dates + t - 1] / deal.pool_balance
    for q in range(deal.support.cap_obligors.shape[0]):
        if vals[r, cap + q] <= horizon:
            sums[lay.capacity + q] += w
