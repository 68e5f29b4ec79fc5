"""The priority of payments as integer programs the kernel interprets.

Three lists, as in the format: ``interest`` (interest collections), ``principal``
(principal collections plus what the interest list passes on) and ``post_acceleration``
(all cash, once a trigger has fired). Each step becomes an ``(op, argument)`` row; interest
and principal steps name a group of tranches (a list in the file: paid pro rata).

Defaults, for tranches listed most senior first:
``interest: [fees, {interest: each non-subordinated tranche}, reserve_top_up (with a reserve),
{to_principal: rest}]``;
``principal: [fees, {interest: each non-subordinated tranche with current interest},
{principal: each non-subordinated tranche}, {interest: each deferrable non-subordinated
tranche} (its arrears before anything below it), reimbursement (with a reimbursed commitment),
{interest: each subordinated tranche with an expected return}, {principal: each
subordinated tranche}, {residual: last subordinated}]`` (principal collections make up fees
and senior interest first: 本金账户补足收入账户);
``post_acceleration: [fees, {interest: each non-subordinated}, {principal: each
non-subordinated}, reimbursement, {interest/principal: each subordinated}, {residual: last
subordinated}]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.waterfall.codes import (OP_FEES, OP_INTEREST, OP_PRINCIPAL,
                                     OP_REIMBURSE, OP_RESERVE_TOP_UP, OP_RESIDUAL,
                                     OP_TO_PRINCIPAL)


@dataclass(frozen=True)
class Program:
    """The three lists as ``(op, argument)`` int64 arrays, and the tranche groups."""

    ops_int: np.ndarray
    ops_prin: np.ndarray
    ops_post: np.ndarray
    grp_ptr: np.ndarray
    grp_idx: np.ndarray

    def interest_in(self, ops: np.ndarray, n_tranches: int) -> np.ndarray:
        """0/1 per tranche: does list ``ops`` have an interest step paying it?"""
        out = np.zeros(n_tranches, dtype=np.int64)
        for op, arg in ops:
            if op == OP_INTEREST:
                out[self.grp_idx[self.grp_ptr[arg]:self.grp_ptr[arg + 1]]] = 1
        return out


def _default_steps(scenario) -> dict[str, list]:
    tranches = scenario.tranches
    seniors = [t.id for t in tranches if not t.subordinated]
    current = [t.id for t in tranches if not t.subordinated and t.interest == "current"]
    subs = [t for t in tranches if t.subordinated]
    reimburse = ["reimbursement"] if any(
        s.owed_back() for s in scenario.credit_support) else []
    interest = ["fees"] + [{"interest": t} for t in seniors]
    if scenario.reserve is not None:
        interest.append("reserve_top_up")
    interest.append({"to_principal": "rest"})
    # principal collections make up fees and current senior interest first (本金账户补足收入账户)
    principal = ["fees"] + [{"interest": t} for t in current]
    principal += [{"principal": t} for t in seniors]
    # a deferrable tranche's arrears (and coupon) before anything below it
    principal += [{"interest": t.id} for t in tranches
                  if not t.subordinated and t.interest == "deferrable"] + reimburse
    principal += [{"interest": t.id} for t in subs if t.coupon > 0]
    principal += [{"principal": t.id} for t in subs]
    post = ["fees"] + [{"interest": t} for t in seniors] + [{"principal": t} for t in seniors]
    post += reimburse + [{"interest": t.id} for t in subs if t.coupon > 0]
    post += [{"principal": t.id} for t in subs]
    if subs:
        principal.append({"residual": subs[-1].id})
        post.append({"residual": subs[-1].id})
    return {"interest": interest, "principal": principal, "post_acceleration": post}


def _with_reimbursement(scenario, steps: list) -> list:
    """A custom list with a reimbursed commitment but no ``reimbursement`` step gets one
    before its first subordinated payment (or at its end)."""
    if "reimbursement" in steps or not any(s.owed_back() for s in scenario.credit_support):
        return steps
    subs = {t.id for t in scenario.tranches if t.subordinated}

    def pays_sub(step) -> bool:
        step = _as_plain(step)
        if not isinstance(step, dict):
            return False
        ids = next(iter(step.values()))
        return bool(subs & set([ids] if isinstance(ids, str) else ids))

    at = next((n for n, step in enumerate(steps) if pays_sub(step)), len(steps))
    return steps[:at] + ["reimbursement"] + steps[at:]


def _as_plain(step):
    """A model step (or a plain one) as ``str`` or a one-key dict."""
    if isinstance(step, (str, dict)):
        return step
    return step.model_dump(exclude_none=True)


def compile_program(scenario) -> Program:
    """The scenario's waterfall (or the default one) as a :class:`Program`."""
    tranches = scenario.tranches
    index = {t.id: k for k, t in enumerate(tranches)}
    lists = _default_steps(scenario)
    wf = scenario.waterfall
    if wf is not None:
        lists["interest"] = list(wf.interest)
        lists["principal"] = _with_reimbursement(scenario, list(wf.principal))
        if wf.post_acceleration is not None:
            lists["post_acceleration"] = _with_reimbursement(scenario,
                                                             list(wf.post_acceleration))
    groups: list[list[int]] = []

    def group(ids) -> int:
        groups.append([index[i] for i in ([ids] if isinstance(ids, str) else ids)])
        return len(groups) - 1

    def rows(steps) -> np.ndarray:
        out = []
        for step in map(_as_plain, steps):
            if step == "fees":
                out.append((OP_FEES, -1))
            elif step == "reserve_top_up":
                out.append((OP_RESERVE_TOP_UP, -1))
            elif step == "reimbursement":
                out.append((OP_REIMBURSE, -1))
            elif "interest" in step:
                out.append((OP_INTEREST, group(step["interest"])))
            elif "principal" in step:
                out.append((OP_PRINCIPAL, group(step["principal"])))
            elif "to_principal" in step:
                out.append((OP_TO_PRINCIPAL, -1))
            else:
                out.append((OP_RESIDUAL, index[step["residual"]]))
        return np.asarray(out, dtype=np.int64).reshape(-1, 2)

    ops = [rows(lists[name]) for name in ("interest", "principal", "post_acceleration")]
    ptr = np.cumsum([0] + [len(g) for g in groups]).astype(np.int64)
    idx = np.asarray([k for g in groups for k in g], dtype=np.int64)
    return Program(*ops, grp_ptr=ptr, grp_idx=idx)
