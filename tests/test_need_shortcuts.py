"""The shortcuts that let a shortfall commitment skip its search (issue #29) never skip a
need: whenever one says a walk of a list for the covered tranches' least top-up must find
nothing, that walk finds exactly nothing. Random programs and states, checked against the
walk itself (``engine.waterfall._program_kernels.walk``), with enough cases where the
shortcut does apply that the check means something."""
from __future__ import annotations

import numpy as np
import pytest

from engine.waterfall._program_kernels import (
    NEED,
    nothing_needed,
    PAY,
    nothing_short,
    walk,
)
from engine.waterfall.bundles import Accounts, Program
from engine.waterfall.codes import (
    OP_FEES,
    OP_INTEREST,
    OP_PRINCIPAL,
    OP_REIMBURSE,
    OP_RESERVE_TOP_UP,
    OP_RESIDUAL,
    OP_TO_PRINCIPAL,
)

HORIZON = 8


def _case(rng):
    """A random deal's list, program, accounts and balances on a random date."""
    n_tr = int(rng.integers(2, 5))
    sub = np.zeros(n_tr, dtype=np.bool_)
    sub[-1] = rng.random() < 0.7
    groups = [[k] for k in range(n_tr)]
    if n_tr >= 3 and rng.random() < 0.5:
        groups.append([0, 1])                        # a pro-rata pair
    grp_ptr = np.cumsum([0] + [len(g) for g in groups]).astype(np.int64)
    grp_idx = np.array([k for g in groups for k in g], dtype=np.int64)
    steps = [(OP_FEES, 0)] if rng.random() < 0.8 else []
    interest_first = rng.random() < 0.6
    order = rng.permutation(len(groups))
    for g in order:
        if interest_first or rng.random() < 0.8:
            steps.append((OP_INTEREST, int(g)))
        if not interest_first:
            steps.append((OP_PRINCIPAL, int(g)))
    if interest_first:
        for g in order:
            steps.append((OP_PRINCIPAL, int(g)))
    for extra in (OP_RESERVE_TOP_UP, OP_REIMBURSE, OP_FEES):
        if rng.random() < 0.3:
            steps.insert(int(rng.integers(0, len(steps) + 1)), (extra, 0))
    if rng.random() < 0.3:
        steps.append((OP_TO_PRINCIPAL, 0))
    steps.append((OP_RESIDUAL, n_tr - 1))
    ops = np.array(steps, dtype=np.int64)
    t = int(rng.integers(1, HORIZON + 1))
    rem = np.round(rng.uniform(0, 1e6, n_tr), 2) * (rng.random(n_tr) < 0.85)
    target = np.repeat(rem[:, None], HORIZON + 1, axis=1)
    bullet = rng.random(n_tr) < 0.5
    target[bullet, int(rng.integers(1, HORIZON + 1)):] = 0.0
    pass_through = rng.random(n_tr) < 0.4
    prog = Program(HORIZON, grp_ptr, grp_idx, target, pass_through, sub)
    int_due = np.round(rng.uniform(0, 2e4, n_tr), 2) * (rng.random(n_tr) < 0.8)
    fee_due = np.round(rng.uniform(0, 500, 2), 2)
    reimb = np.round(rng.uniform(0, 1e4, 2), 2) * (rng.random(2) < 0.3)
    acct = Accounts(fee_due, int_due, reimb, np.zeros(n_tr), np.zeros(2), np.zeros(n_tr),
                    np.zeros(n_tr), np.zeros(n_tr), np.zeros(2), np.zeros(n_tr),
                    np.zeros(n_tr))
    covered = (rng.random(n_tr) < 0.6).astype(np.uint8)
    covered[-1] = 0 if sub[-1] else covered[-1]
    gap = float(np.round(rng.uniform(0, 5e3), 2)) if rng.random() < 0.5 else 0.0
    scale = int_due.sum() + fee_due.sum() + reimb.sum() + gap + rem.sum()
    cash = float(np.round(rng.uniform(0, 1.2) * scale, 2))
    return ops, t, covered, cash, prog, acct, rem, gap


def _need(ops, t, covered, cash, prog, acct, rem, gap, post):
    return walk(ops, NEED, covered, cash, t, np.bool_(post), prog, acct, rem, gap)[3]


def test_after_acceleration_the_shortcut_never_skips_a_need():
    rng = np.random.default_rng(29)
    applied = needed = 0
    for _ in range(4000):
        ops, t, covered, cash, prog, acct, rem, gap = _case(rng)
        need = _need(ops, t, covered, cash, prog, acct, rem, gap, post=True)
        says_none = nothing_short(ops, t, covered, cash, prog, acct, rem, gap, False)
        if says_none:
            applied += 1
            assert need == 0.0, (ops, t, covered, cash, rem, acct.int_due)
        needed += need > 0.0
    assert applied > 400 and needed > 400        # both outcomes well represented


def test_after_acceleration_the_shortcut_sees_a_cent_short():
    """One covered coupon behind fees: cash a cent short of both needs the search."""
    ops = np.array([(OP_FEES, 0), (OP_INTEREST, 0), (OP_PRINCIPAL, 0), (OP_RESIDUAL, 1)],
                   dtype=np.int64)
    prog = Program(HORIZON, np.array([0, 1, 2]), np.array([0, 1]),
                   np.full((2, HORIZON + 1), 1e6), np.zeros(2, np.bool_),
                   np.array([False, True]))
    acct = Accounts(np.array([100.0]), np.array([5_000.0, 0.0]), np.zeros(0), np.zeros(2),
                    np.zeros(1), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(0),
                    np.zeros(2), np.zeros(2))
    rem = np.array([1e6, 1e5])
    covered = np.array([1, 0], dtype=np.uint8)
    args = (ops, 1, covered)
    for listed in (False, True):
        assert nothing_short(*args, 5_100.01, prog, acct, rem, 0.0, listed)
        assert not nothing_short(*args, 5_099.99, prog, acct, rem, 0.0, listed)
    assert _need(ops, 1, covered, 5_099.99, prog, acct, rem, 0.0, post=True) == \
        pytest.approx(0.01)


def test_before_acceleration_the_shortcut_never_skips_a_need():
    """``nothing_needed``: covered coupons paid (within half a cent) and no covered
    scheduled principal due means no list's walk needs anything, whatever the cash."""
    rng = np.random.default_rng(31)
    applied = 0
    for _ in range(4000):
        ops, t, covered, cash, prog, acct, rem, gap = _case(rng)
        paid = rng.random(rem.shape[0])
        acct.pay_int[:] = np.where(paid < 0.5, acct.int_due,
                                   np.round(acct.int_due * rng.random(rem.shape[0]), 2))
        if nothing_needed(t, covered, prog, acct, rem):
            applied += 1
            assert _need(ops, t, covered, cash, prog, acct, rem, gap, post=False) == 0.0
            assert _need(ops, t, covered, cash, prog, acct, rem, gap, post=True) == 0.0
    assert applied > 300


def test_before_acceleration_the_interest_list_pays_every_covered_coupon():
    """``nothing_short(..., listed=True)`` on the interest list: its walk with the cash pays
    every covered coupon in full, so that :func:`nothing_needed` holds after it and no
    list's search can need anything."""
    rng = np.random.default_rng(37)
    applied = 0
    for _ in range(4000):
        ops, t, covered, cash, prog, acct, rem, gap = _case(rng)
        says_none = nothing_short(ops, t, covered, cash, prog, acct, rem, gap, True)
        walked = rem.copy()
        walk(ops, PAY, covered, cash, t, np.bool_(False), prog, acct, walked, gap)
        if says_none:
            applied += 1
            paid = acct.pay_int[covered.astype(bool)]
            due = acct.int_due[covered.astype(bool)]
            np.testing.assert_array_equal(paid, due)
            assert nothing_needed(t, covered, prog, acct, walked)
            assert _need(ops, t, covered, cash, prog, acct, walked, gap, post=False) == 0.0
    assert applied > 300
