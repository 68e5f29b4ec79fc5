"""Numba kernels of the priority of payments: one walker of a waterfall program that pays
with the cash of one account or finds the least top-up that makes given items whole.

A program is an int64 array of ``(op, argument)`` rows. Interest and principal steps name a
*group* of tranches (rows ``grp_ptr[g]..grp_ptr[g+1]`` of ``grp_idx``): one tranche is a
sequential step, several are paid pro rata to what each is owed, the rounding residual
going to the last so that sums are exact.
"""
from __future__ import annotations

import types

import numpy as np
from engine._jit import njit

from engine.waterfall.codes import (  # ROUNDING is read from here too
    OP_FEES,
    OP_INTEREST,
    OP_PRINCIPAL,
    OP_REIMBURSE,
    OP_RESERVE_TOP_UP,
    OP_RESIDUAL,
    OP_TO_PRINCIPAL,
    ROUNDING,
)

#: What :func:`walk` does with a list: pay with the account's cash, or find the least top-up
#: for the covered tranches' interest and scheduled principal, or for their interest only.
#: NumPy scalars rather than Python ints: numba compiles a walker per value of a literal
#: argument, and one walker serves all three.
PAY = np.int64(0)
NEED = np.int64(1)
NEED_INTEREST = np.int64(2)

@njit(cache=True, inline="always")
def required_principal(k, t, horizon, rem, target_balance, pass_through, is_sub):
    """Principal tranche ``k`` is *due* on date ``t``: down to its scheduled balance, or
    all of it at legal final (nothing before for pass-through and subordinated ones)."""
    if t == horizon:
        return rem[k]
    if pass_through[k] or is_sub[k]:
        return 0.0
    due = rem[k] - target_balance[k, t]
    return due if due > 0.0 else 0.0


@njit(cache=True, inline="always")
def seniors_repaid(k, rem):
    """True when every tranche ranked above ``k`` has no balance left (less than half a cent
    of floating-point residue counts as none)."""
    for i in range(k):
        if rem[i] > ROUNDING:
            return False
    return True


@njit(cache=True, inline="always")
def notes_repaid(rem, is_sub):
    """True when no non-subordinated tranche has a balance left (half a cent: none)."""
    for i in range(rem.shape[0]):
        if not is_sub[i] and rem[i] > ROUNDING:
            return False
    return True


@njit(cache=True, inline="always")
def pay_interest_above(k, cash, int_due, pay_int, is_sub, blocked):
    """Arrears first: before anything goes to tranche ``k`` as principal or residual, pay
    each tranche ranked above it what it is still owed in interest on this date (coupon
    and arrears; a subordinated one not while a reimbursement is owed), most senior first.
    The cash left."""
    for i in range(k):
        if is_sub[i] and blocked:
            continue
        c = int_due[i] - pay_int[i]
        if c > 0.0 and cash > 0.0:
            p = min(cash, c)
            pay_int[i] += p
            cash -= p
    return cash


@njit(cache=True, inline="always")
def count_interest_above(k, int_due, pay_int, counted, is_sub, blocked, covered):
    """What :func:`pay_interest_above` would pay before tranche ``k`` with unlimited cash,
    beyond what a top-up walk has counted already (``counted``, updated); and whether a
    ``covered`` tranche is among those paid (more than :data:`ROUNDING`)."""
    extra = 0.0
    hit = False
    for i in range(k):
        if is_sub[i] and blocked:
            continue
        c = int_due[i] - pay_int[i] - counted[i]
        if c > 0.0:
            extra += c
            counted[i] += c
            if covered[i] and c > ROUNDING:
                hit = True
    return extra, hit


@njit(cache=True, inline="always")
def group_top(g, grp_ptr, grp_idx):
    """The most senior tranche of group ``g`` (lowest index)."""
    ug = np.uint64(g)
    top = grp_idx[np.uint64(grp_ptr[ug])]
    for q in range(np.uint64(grp_ptr[ug]), np.uint64(grp_ptr[ug + np.uint64(1)])):
        top = min(top, grp_idx[q])
    return top


@njit(cache=True, inline="always")
def reimbursement_left(owed, paid):
    """What commitment providers are still owed on this date, after ``paid``."""
    left = 0.0
    for s in range(owed.shape[0]):
        left += owed[s] - paid[s]
    return left


@njit(cache=True, inline="always")
def principal_claim(k, t, horizon, rem, target_balance, pass_through, is_sub, post, blocked):
    """What a principal step would pay tranche ``k`` with unlimited cash: a subordinated
    tranche only once those above it are repaid and no reimbursement is owed (``blocked``);
    after acceleration, pass-through, or at legal final all of it; else down to its
    scheduled balance."""
    if is_sub[k]:
        return rem[k] if seniors_repaid(k, rem) and not blocked else 0.0
    if post or pass_through[k] or t == horizon:
        return rem[k]
    return required_principal(k, t, horizon, rem, target_balance, pass_through, is_sub)


@njit(cache=True, inline="always")
def interest_claims(g, grp_ptr, grp_idx, int_due, paid_int, is_sub, blocked, claim):
    """Coupon still owed to each tranche of group ``g`` (into ``claim``; nothing to a
    subordinated tranche while a reimbursement is owed); their total."""
    total = 0.0
    ug = np.uint64(g)
    for q in range(np.uint64(grp_ptr[ug]), np.uint64(grp_ptr[ug + np.uint64(1)])):
        k = np.uint64(grp_idx[q])
        claim[k] = 0.0 if is_sub[k] and blocked else max(0.0, int_due[k] - paid_int[k])
        total += claim[k]
    return total


@njit(cache=True, inline="always")
def principal_claims(g, t, horizon, grp_ptr, grp_idx, rem, target_balance, pass_through,
                     is_sub, post, blocked, claim):
    """What a principal step would pay each tranche of group ``g`` with unlimited cash
    (into ``claim``); their total."""
    total = 0.0
    ug = np.uint64(g)
    for q in range(np.uint64(grp_ptr[ug]), np.uint64(grp_ptr[ug + np.uint64(1)])):
        k = np.uint64(grp_idx[q])
        claim[k] = principal_claim(k, t, horizon, rem, target_balance, pass_through, is_sub,
                                   post, blocked)
        total += claim[k]
    return total


@njit(cache=True, inline="always")
def nothing_needed(t, covered, prog, acct, rem):
    """True when a :data:`NEED` walk of any list on date ``t`` must find nothing: every
    ``covered`` tranche's interest is paid within :data:`ROUNDING` (``acct.pay_int``) and
    none has scheduled principal due above it at the balances ``rem``. Exact, not a bound: a
    walk's needs come only from covered interest claims (at most ``int_due - pay_int``) and
    covered scheduled principal (at most what is due at ``rem``: balances only fall during a
    walk), each counted only above :data:`ROUNDING`."""
    for k in range(rem.shape[0]):
        if not covered[k]:
            continue
        if acct.int_due[k] - acct.pay_int[k] > ROUNDING:
            return False
        if required_principal(k, t, prog.horizon, rem, prog.target_balance, prog.pass_through,
                              prog.sub) > ROUNDING:
            return False
    return True


@njit(cache=True, inline="always")
def _first_count(k, covered, int_due, marked, bound, short):
    """Tranche ``k``'s coupon where a list first counts or pays it: ``bound`` with it added
    and ``short`` set if it is a covered coupon with something due; unchanged once counted
    (a walk counts or pays a coupon once)."""
    if marked[k] != 0.0:
        return bound, short
    marked[k] = 1.0
    return bound + max(0.0, int_due[k]), short or (covered[k] != 0 and int_due[k] > ROUNDING)


@njit(cache=True, inline="always")
def nothing_short(ops, t, covered, cash, prog, acct, rem, reserve_gap, listed):
    """True when the list ``ops`` (nothing paid yet on the date) with ``cash`` leaves no
    ``covered`` tranche short, told without walking it: none has scheduled principal due
    (at ``rem``), and ``cash`` exceeds a bound of all the list's claims up to its last step
    where a covered tranche's interest can be short. Then a :data:`NEED` walk of the list
    finds nothing (the post-acceleration list); and with ``listed`` (the interest list
    before acceleration), a :data:`PAY` walk pays every covered coupon in full, which needs
    each to have an interest step before the list ends (one that has not is not short here
    only if it has nothing due): after it, :func:`nothing_needed` holds.

    The bound adds each tranche's interest due where the list first counts or pays it (its
    interest step, or a principal step below it: arrears are paid first), each fee step's
    fees, each principal step's balances, the reserve's gap and what commitment providers
    are owed. Only nonnegative amounts are summed, so the walk's sums (in any order) stay
    within ``1e-9`` of the bound: exact, with that margin and half a cent.
    ``acct.counted`` is marked."""
    n_tr = rem.shape[0]
    for k in range(n_tr):
        if covered[k] and required_principal(k, t, prog.horizon, rem, prog.target_balance,
                                             prog.pass_through, prog.sub) > ROUNDING:
            return False
    grp_ptr, grp_idx, int_due, marked = prog.grp_ptr, prog.grp_idx, acct.int_due, acct.counted
    bound = 0.0
    for k in range(n_tr):
        marked[k] = 0.0
    fees = 0.0
    for f in range(acct.fee_due.shape[0]):
        fees += max(0.0, acct.fee_due[f])
    owed = 0.0
    for s in range(acct.reimb_owed.shape[0]):
        owed += max(0.0, acct.reimb_owed[s])
    reach = -1.0                 # the bound at the last step where a need can arise
    for r in range(ops.shape[0]):
        op = ops[r, 0]
        arg = ops[r, 1]
        if op == OP_FEES:
            bound += fees
        elif op == OP_INTEREST or op == OP_PRINCIPAL:
            short = False
            if op == OP_INTEREST:
                for q in range(grp_ptr[arg], grp_ptr[arg + 1]):
                    bound, short = _first_count(grp_idx[q], covered, int_due, marked, bound,
                                                short)
            else:                        # arrears first: the coupons above, not counted yet
                for i in range(group_top(arg, grp_ptr, grp_idx)):
                    bound, short = _first_count(i, covered, int_due, marked, bound, short)
            if short:
                reach = bound
            if op == OP_PRINCIPAL:
                for q in range(grp_ptr[arg], grp_ptr[arg + 1]):
                    bound += max(0.0, rem[grp_idx[q]])
        elif op == OP_RESERVE_TOP_UP:
            bound += max(0.0, reserve_gap)
        elif op == OP_REIMBURSE:
            bound += owed
        else:                    # the residual or to_principal: the walk stops (or pays
            break                # nothing more)
    if listed:                   # a coupon unlisted, or held back while providers are owed
        for k in range(n_tr):
            if covered[k] and int_due[k] > ROUNDING and (
                    marked[k] == 0.0 or (prog.sub[k] and owed > ROUNDING)):
                return False
    return reach < 0.0 or cash >= reach * (1.0 + 1e-9) + ROUNDING


@njit(cache=True, inline="always")
def _pro_rata(amount, g, grp_ptr, grp_idx, claim, total, paid, rem, principal):
    """Split ``amount`` (<= ``total``) over group ``g`` in proportion to ``claim``; the last
    member takes the rounding residual, and a group paid in full gets exactly its claims.
    Principal payments also reduce ``rem``."""
    ug, one = np.uint64(g), np.uint64(1)
    last = np.uint64(grp_ptr[ug + one]) - one
    given = 0.0
    full = amount >= total       # paid in full: each gets exactly its claim
    for q in range(np.uint64(grp_ptr[ug]), last + one):
        k = np.uint64(grp_idx[q])
        if full:
            x = claim[k]
        else:
            x = amount - given if q == last else amount * claim[k] / total
        paid[k] += x
        given += x
        if principal:
            rem[k] = 0.0 if x >= rem[k] else rem[k] - x


@njit(cache=True, inline="always")
def _group_need(need, ahead, total, cash, principal, g, t, horizon, prog, rem, covered, claim):
    """``need`` raised so that the covered tranches of group ``g`` get their claims (interest,
    or with ``principal`` their scheduled principal) after ``ahead`` and this step's
    ``total`` are paid from ``cash``; a covered claim below :data:`ROUNDING` needs nothing."""
    ug = np.uint64(g)
    for q in range(np.uint64(prog.grp_ptr[ug]), np.uint64(prog.grp_ptr[ug + np.uint64(1)])):
        k = np.uint64(prog.grp_idx[q])
        if not covered[k]:
            continue
        if not principal:
            if claim[k] > ROUNDING:
                need = max(need, ahead + total - cash)
        elif claim[k] > 0.0:
            req = required_principal(k, t, horizon, rem, prog.target_balance, prog.pass_through,
                                     prog.sub)
            if req > ROUNDING:
                need = max(need, ahead + total * min(1.0, req / claim[k]) - cash)
    return need


@njit(cache=True, inline="always")
def _uncounted(g, grp_ptr, grp_idx, claim, counted):
    """Group ``g``'s interest claims less what a top-up walk counted already (paid ahead of
    a principal step, arrears first), counted now; their total."""
    total = 0.0
    ug = np.uint64(g)
    for q in range(np.uint64(grp_ptr[ug]), np.uint64(grp_ptr[ug + np.uint64(1)])):
        k = np.uint64(grp_idx[q])
        c = claim[k] - counted[k]
        c = c if c > 0.0 else 0.0
        claim[k] = c
        counted[k] += c
        total += c
    return total


@njit(cache=True, inline="always")
def _pay_group(cash, total, g, grp_ptr, grp_idx, claim, paid, rem, principal):
    """Pay group ``g`` what ``cash`` allows of its claims (``total``), pro rata; the cash left."""
    if total > 0.0 and cash > 0.0:
        amount = min(cash, total)
        _pro_rata(amount, g, grp_ptr, grp_idx, claim, total, paid, rem, principal)
        cash -= amount
    return cash


@njit(cache=True, _nrt=False)
def walk(ops, mode, covered, cash, t, post, prog, acct, rem, reserve_gap):
    """The one interpreter of a list: walk ``ops`` on date ``t`` with ``cash`` of its
    account; ``prog`` is the deal's :class:`~engine.waterfall.bundles.Program` and ``acct``
    its :class:`~engine.waterfall.bundles.Accounts`. Each step's claims are worked out once;
    ``mode`` says what is done with them.

    - :data:`PAY`: pay ``min(cash, claims)``; payments add to the ``pay_*`` arrays of
      ``acct``, ``rem`` (the balances) falls with principal paid. Before a principal step
      or the residual pays a tranche, each tranche ranked above it is paid what it is still
      owed in interest on the date (arrears first, :func:`pay_interest_above`).
    - :data:`NEED` / :data:`NEED_INTEREST`: pay nothing; find the least cash to add so that
      every ``covered`` tranche's interest due (and, for ``NEED``, its scheduled principal
      due) in this list is paid in full. Everything ranked ahead of a covered item is paid
      first, so it counts too; covered amounts below :data:`ROUNDING` need nothing. The
      ``pay_*`` arrays and ``rem`` are what an earlier list of the same date already paid
      (zeros and the balances for the first list) and are only read; ``acct.rem`` is work.

    ``covered`` is read only for a need. ``mode`` and ``post`` must arrive as values (the
    NumPy constants, a computed flag, ``np.bool_``), not literals: numba would compile
    another walker for each literal. Returns ``(cash left, reached to_principal, reserve
    top-up, need)``.
    """
    horizon = prog.horizon
    grp_ptr, grp_idx = prog.grp_ptr, prog.grp_idx
    target_balance, pass_through, is_sub = prog.target_balance, prog.pass_through, prog.sub
    fee_due, int_due, reimb_owed, claim = acct.fee_due, acct.int_due, acct.reimb_owed, acct.claim
    pay_fee, pay_int, pay_prin = acct.pay_fee, acct.pay_int, acct.pay_prin
    pay_res, pay_reimb = acct.pay_res, acct.pay_reimb
    paying = mode == PAY
    counted = acct.counted
    if not paying:
        work = acct.rem
        for k in range(rem.shape[0]):
            work[k] = rem[k]
            counted[k] = 0.0
        rem = work
    topped = 0.0
    ahead = 0.0                  # need: what the steps so far claim
    need = 0.0
    owed = reimbursement_left(reimb_owed, pay_reimb)
    for r in range(ops.shape[0]):
        op = ops[r, 0]
        arg = ops[r, 1]
        blocked = owed > ROUNDING
        if op == OP_FEES:
            for f in range(fee_due.shape[0]):
                c = fee_due[f] - pay_fee[f]
                if paying:
                    p = min(cash, c)
                    if p > 0.0:
                        pay_fee[f] += p
                        cash -= p
                else:
                    ahead += max(0.0, c)
        elif op == OP_INTEREST:
            total = interest_claims(arg, grp_ptr, grp_idx, int_due, pay_int, is_sub, blocked,
                                    claim)
            if paying:
                cash = _pay_group(cash, total, arg, grp_ptr, grp_idx, claim, pay_int, rem, False)
            else:
                total = _uncounted(arg, grp_ptr, grp_idx, claim, counted)
                need = _group_need(need, ahead, total, cash, False, arg, t, horizon, prog, rem,
                                   covered, claim)
                ahead += total
        elif op == OP_PRINCIPAL:
            top = group_top(arg, grp_ptr, grp_idx)
            if paying:
                cash = pay_interest_above(top, cash, int_due, pay_int, is_sub, blocked)
            else:
                extra, hit = count_interest_above(top, int_due, pay_int, counted, is_sub,
                                                  blocked, covered)
                ahead += extra
                if hit:          # a covered tranche's interest, paid here: needed whole
                    need = max(need, ahead - cash)
            total = principal_claims(arg, t, horizon, grp_ptr, grp_idx, rem, target_balance,
                                     pass_through, is_sub, post, blocked, claim)
            if paying:
                cash = _pay_group(cash, total, arg, grp_ptr, grp_idx, claim, pay_prin, rem, True)
            else:
                if mode == NEED:
                    need = _group_need(need, ahead, total, cash, True, arg, t, horizon, prog,
                                       rem, covered, claim)
                for q in range(grp_ptr[arg], grp_ptr[arg + 1]):
                    k = grp_idx[q]
                    rem[k] -= claim[k]
                ahead += total
        elif op == OP_RESERVE_TOP_UP:
            c = reserve_gap - topped
            if paying:
                p = min(cash, c)
                if p > 0.0:
                    topped += p
                    cash -= p
            else:
                ahead += c
        elif op == OP_REIMBURSE:
            if notes_repaid(rem, is_sub):
                if paying:
                    for s in range(reimb_owed.shape[0]):
                        p = min(cash, reimb_owed[s] - pay_reimb[s])
                        if p > 0.0:
                            pay_reimb[s] += p
                            cash -= p
                    owed = reimbursement_left(reimb_owed, pay_reimb)
                else:
                    ahead += owed
                    owed = 0.0
        elif op == OP_RESIDUAL:
            if not paying:
                break
            if (t == horizon or notes_repaid(rem, is_sub)) and not blocked:
                cash = pay_interest_above(arg, cash, int_due, pay_int, is_sub, blocked)
                pay_res[arg] += cash
                cash = 0.0
        elif op == OP_TO_PRINCIPAL:
            return cash, True, topped, need
    return cash, False, topped, need


def _named(fn, name: str):
    """A copy of function ``fn`` called ``name`` (its own kernel: compiled once, under its
    own name, which :data:`engine._jit.INLINE_INTO` can name)."""
    code = fn.__code__.replace(co_name=name, co_qualname=name)
    copy = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__qualname__, copy.__module__, copy.__doc__ = name, fn.__module__, fn.__doc__
    return copy


#: :func:`walk` built into its caller, for the date's priority of payments and a
#: commitment's search (one site each, per path and date): a call passes two views and the
#: list, about 130 machine words, which cost a fifth of a simple pool's path (8.1 -> 6.5 us).
#: Compiled once as a kernel of its own that LLVM inlines at both sites
#: (:data:`engine._jit.INLINE_INTO`): numba's own inlining typed the walker again at each.
#: The other searches keep the call: inlining every site doubled the first run's compile time.
pay_walk = njit(cache=True, _nrt=False)(_named(getattr(walk, "py_func", walk), "pay_walk"))
