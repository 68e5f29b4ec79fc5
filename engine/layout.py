"""The layout of a block's accumulator row, by name, once.

A row holds weighted sums over the block's paths (``w`` = the path's likelihood ratio, 1
for plain Monte Carlo), in this order: one group per tranche, the pool group, one group per
support, one group per trigger, the acceleration count, the default-timing profile
(``w x`` principal defaulting at each date ``t = 0..horizon`` / pool) and one column per
provider with a capacity (``w x`` it ran out). The fused kernel writes rows by these names,
the driver folds them, :class:`engine.simulate.Totals` and the result read them.
"""
from __future__ import annotations

from typing import NamedTuple

from engine._jit import njit

# per tranche: d = defaulted, p = some principal paid, wal = its WAL on the path
TR_DEFAULT = 0        # w.d
TR_DEFAULT_SQ = 1     # (w.d)^2
TR_LOSS = 2           # w.loss
TR_LOSS_SQ = 3        # (w.loss)^2
TR_PAID = 4           # w.p
TR_WAL = 5            # w.p.wal
TR_PAID_SQ = 6        # (w.p)^2
TR_WAL_SQ = 7         # (w.p.wal)^2
TR_PAID_WAL = 8       # (w.p)(w.p.wal)
TR_COLS = 9

# the pool: dr = default rate, lr = loss rate
POOL_DEFAULT_RATE = 0
POOL_DEFAULT_RATE_SQ = 1
POOL_LOSS_RATE = 2
POOL_LOSS_RATE_SQ = 3
POOL_WEIGHT = 4       # w
POOL_WEIGHT_SQ = 5    # w^2
POOL_CASH_ERROR = 6   # the largest |cash in - cash out| (a max, not a sum)
POOL_COLS = 7

# per support
SUP_PAID = 0          # w.amount paid
SUP_PAID_SQ = 1
SUP_CALLED = 2        # w.(amount > 0)
SUP_REIMBURSED = 3    # w.amount paid back
SUP_COLS = 4

# per trigger
TRIG_FIRED = 0        # w.fired
TRIG_FIRED_PERIOD = 1  # w.fired.period
TRIG_COLS = 2


class Layout(NamedTuple):
    """First column of each part of a row, and the row's width."""

    pool: int
    support: int
    trigger: int
    accelerated: int
    timing: int
    capacity: int
    width: int


@njit(cache=True)
def row_layout(n_tranches, n_supports, n_triggers, horizon, n_capacity):
    """The :class:`Layout` of a deal of these sizes."""
    pool = TR_COLS * n_tranches
    support = pool + POOL_COLS
    trigger = support + SUP_COLS * n_supports
    accelerated = trigger + TRIG_COLS * n_triggers
    timing = accelerated + 1
    capacity = timing + horizon + 1
    return Layout(pool, support, trigger, accelerated, timing, capacity,
                  capacity + n_capacity)
