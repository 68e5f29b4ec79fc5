"""One path of cash flows for given default periods and haircuts (no random draws).

This is the deterministic mode the break-even (BDR) work and the tests build on: the same
kernel the simulation runs, called once, returning every period's cash flows.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from engine._jit import python
from engine.waterfall._kernels import run_path_cash
from engine.waterfall._outcome_kernels import (
    cash_error,
    make_cash_outputs,
    make_cash_scratch,
    tranche_outcome,
)
from engine.waterfall._state_kernels import make_state_out, snapshot_state
from engine.deterministic.assumptions import DefaultAssumptions, slice_shares, sliced_scenario, with_slice_terms
from engine.errors import Problem, ScenarioError
from engine.plan import compile_plan


@dataclass(frozen=True)
class CashFlows:
    """Per-date cash flows of one path (row ``t`` = payment date ``t``; row 0 unused)."""
    interest_collections: np.ndarray
    principal_collections: np.ndarray
    collateral_recoveries: np.ndarray
    support_paid: np.ndarray       # (dates, supports)
    fees_paid: np.ndarray          # (dates, fees)
    interest_due: np.ndarray       # (dates, tranches)
    interest_paid: np.ndarray
    principal_paid: np.ndarray
    residual_paid: np.ndarray
    reimbursed: np.ndarray         # (dates, supports): commitment payments paid back
    cash_left: np.ndarray
    tranche_balance: np.ndarray    # end of each date
    reserve_balance: np.ndarray    # end of each date (row 0: funded at closing)
    trigger_period: np.ndarray     # first date each trigger fired (horizon + 1: never)
    accelerated_from: int          # first date of the post-acceleration waterfall
    default_rate: float
    loss_rate: float
    cash_error: float
    tranche_defaulted: np.ndarray  # bool per tranche
    tranche_loss: np.ndarray       # share of balance
    tranche_wal: np.ndarray        # years, nan when no principal was paid


def run_cash(plan, obligor_default: np.ndarray, haircuts: np.ndarray) -> CashFlows:
    """Run the cash kernel once.

    Parameters
    ----------
    plan : engine.plan.Plan
    obligor_default : int array (n_obligors,)
        Default period of each obligor, ``1 .. horizon``; ``horizon + 1`` (or more) for none.
    haircuts : float array (n_collateral,)
        Realised haircut of each collateral item, in the scenario's order.
    """
    tau = np.asarray(obligor_default, dtype=np.int64)
    if tau.shape != (plan.n_obligors,):
        raise ValueError(f"need one default period per obligor ({plan.n_obligors})")
    if tau.size and tau.min() < 1:     # the kernel indexes dates by it, unchecked
        raise ValueError(f"default periods start at 1 (the first payment date); got "
                         f"{int(tau.min())}")
    tau = np.minimum(tau, plan.horizon + 1)
    hc = np.asarray(haircuts, dtype=np.float64)[plan.coll_draw]
    deal = plan.deal()
    out = python(make_cash_outputs)(deal)
    scratch = python(make_cash_scratch)(deal, plan.n_obligors)
    defaulters = np.flatnonzero(tau <= plan.horizon).astype(np.int64)
    dr, lr, accel = run_path_cash(deal, tau, defaulters, len(defaulters), hc, out, scratch)
    err = cash_error(deal, out)
    outcome = [tranche_outcome(k, deal, out) for k in range(plan.n_tranches)]
    return CashFlows(*(np.array(a) for a in out[:13]), trigger_period=np.array(out.trig_period),
                     accelerated_from=int(accel), default_rate=dr, loss_rate=lr,
                     cash_error=err,
                     tranche_defaulted=np.array([o[0] for o in outcome]),
                     tranche_loss=np.array([o[1] for o in outcome]),
                     tranche_wal=np.array([o[2] if o[2] >= 0 else np.nan for o in outcome]))


@dataclass(frozen=True)
class CashFlowReport:
    """One deterministic run: the per-date table and what it means for each tranche."""
    table: "pd.DataFrame"
    summary: dict

    def to_dict(self) -> dict:
        return {"format": "ipabs-cashflows/v1", "summary": self.summary,
                "periods": self.table.reset_index().to_dict(orient="records")}


def cashflow_table(plan, cf: CashFlows) -> "pd.DataFrame":
    """Per-date cash flows of the pool, every support, fee and tranche, as a DataFrame."""
    import pandas as pd

    rows = slice(1, plan.horizon + 1)
    cols: dict[str, np.ndarray] = {
        "interest_collections": cf.interest_collections[rows],
        "principal_collections": cf.principal_collections[rows],
        "recoveries": cf.collateral_recoveries[rows],
    }
    for s, sid in enumerate(plan.support_ids):
        cols[f"support:{sid}"] = cf.support_paid[rows, s]
        if plan.sup_reimbursed[s] or (plan.sup_target[s] >= 0
                                      and plan.sup_reimbursed[plan.sup_target[s]]):
            cols[f"reimbursed:{sid}"] = cf.reimbursed[rows, s]
    for f, fid in enumerate(plan.fee_ids):
        cols[f"fee:{fid}"] = cf.fees_paid[rows, f]
    for k, tid in enumerate(plan.tranche_ids):
        cols[f"{tid}:interest_due"] = cf.interest_due[rows, k]
        cols[f"{tid}:interest_paid"] = cf.interest_paid[rows, k]
        cols[f"{tid}:principal_paid"] = cf.principal_paid[rows, k]
        if plan.tr_sub[k]:
            cols[f"{tid}:residual_paid"] = cf.residual_paid[rows, k]
        cols[f"{tid}:balance"] = cf.tranche_balance[rows, k]
    if plan.res_initial > 0 or plan.res_target_amount > 0 or plan.res_target_share > 0:
        cols["reserve_balance"] = cf.reserve_balance[rows]
    cols["cash_left"] = cf.cash_left[rows]
    cols["accelerated"] = np.arange(1, plan.horizon + 1) >= max(cf.accelerated_from, 1)
    first = plan.as_of + 1          # a tracked deal's dates go on from its state
    frame = pd.DataFrame(cols, index=pd.RangeIndex(first, first + plan.horizon, name="period"))
    if plan.dates:                  # calendar dates: each period's payment date first
        frame.insert(0, "date", list(plan.dates[1:plan.horizon + 1]))
    return frame


def _deterministic_plan(scenario, a):
    """``(plan, default dates, haircuts, sliced scenario)`` of one deterministic run; a
    tracked scenario's named defaults are the deal's periods (after its ``as_of``)."""
    state = scenario.state
    if state is not None:
        _check_tracked(scenario, a)
        a = dataclasses.replace(a, named={o: t - state.as_of for o, t in a.named.items()})
    sliced, named = sliced_scenario(scenario, a)
    sliced._state = state
    plan = with_slice_terms(compile_plan(sliced), slice_shares(scenario, sliced))
    down = set()         # defaulted before the state: down from its first date, as simulated
    if state is not None:
        owner = {x.id: x.obligor for x in scenario.assets}
        down = ({o for o, s in state.obligors.items() if s.defaulted}
                | {owner[x.id] for x in state.assets if x.defaulted})
    tau = np.array([1 if oid in down else named.get(oid, plan.horizon + 1)
                    for oid in plan.obligor_ids])
    return plan, tau, np.array([c.haircut.mean for c in sliced.collateral]), sliced


def _check_tracked(scenario, a) -> None:
    as_of = scenario.state.as_of
    problems = [Problem("defaults", f"{oid}: period {t} is not after the state's as_of "
                                    f"({as_of}); the state reports what happened by then")
                for oid, t in a.named.items() if t <= as_of]
    if a.cdr > 0 or a.recovery is not None:
        problems.append(Problem("cdr", "a deal state holds whole assets: --cdr and --recovery "
                                       "(which slice them) do not combine with a state; name "
                                       "defaults with --default"))
    if problems:
        raise ScenarioError(problems)


def deterministic_cashflows(scenario, assumptions=None) -> CashFlowReport:
    """Run the deal once under deterministic default and recovery assumptions.

    Parameters
    ----------
    scenario : engine.Scenario
        A tracked scenario (:func:`engine.scenario.state.tracked`) runs from its state:
        the table's periods are the deal's (``as_of + 1 ..``), named defaults too.
    assumptions : engine.deterministic.assumptions.DefaultAssumptions, optional
        Default: nothing defaults.
    """
    a = assumptions if assumptions is not None else DefaultAssumptions()
    plan, tau, haircuts, sliced = _deterministic_plan(scenario, a)
    cf = run_cash(plan, tau, haircuts)
    summary = {
        "assumptions": {"defaults": dict(a.named), "cdr": a.cdr,
                        "timing": a.timing if isinstance(a.timing, str) else list(a.timing),
                        "recovery": a.recovery, "recovery_lag": a.recovery_lag},
        "pool_default_rate": cf.default_rate,
        "pool_loss_rate": cf.loss_rate,
        "cash_error": cf.cash_error,
        "accelerated_from": (int(cf.accelerated_from)
                             if cf.accelerated_from <= plan.horizon else None),
        "triggers": {tid: int(p) for tid, p in zip(plan.trigger_ids, cf.trigger_period)
                     if p <= plan.horizon},
        "tranches": [{"id": tid, "defaulted": bool(cf.tranche_defaulted[k]),
                      "loss": float(cf.tranche_loss[k]),
                      "wal_years": (None if np.isnan(cf.tranche_wal[k])
                                    else float(cf.tranche_wal[k]))}
                     for k, tid in enumerate(plan.tranche_ids)],
    }
    return CashFlowReport(cashflow_table(plan, cf), summary)


def state_after(scenario, assumptions, dates: int) -> dict:
    """The deal's ``ipabs-state/v1`` document after ``dates`` payment dates of the
    deterministic run (of a tracked scenario: dates after its state), as plain data.

    Continued with the same assumptions (:func:`engine.scenario.state.tracked` and
    :func:`deterministic_cashflows`), it gives the full run's later dates to the cent.
    Named defaults only: a state holds whole assets (``--cdr`` slices them).
    """
    a = assumptions if assumptions is not None else DefaultAssumptions()
    if a.cdr > 0 or a.recovery is not None:
        raise ScenarioError(Problem("--state-at", "a deal state holds whole assets: use named "
                                                  "defaults (--default), not --cdr or "
                                                  "--recovery"))
    plan, tau, haircuts, sliced = _deterministic_plan(scenario, a)
    if not 1 <= dates < plan.horizon:
        raise ScenarioError(Problem("--state-at", f"{dates} dates: must leave at least one "
                                                  f"date to run, 1..{plan.horizon - 1}"))
    plan = dataclasses.replace(plan, stop=dates)
    tau = np.minimum(np.asarray(tau, dtype=np.int64), plan.horizon + 1)
    deal = plan.deal()
    out = python(make_cash_outputs)(deal)
    scratch = python(make_cash_scratch)(deal, plan.n_obligors)
    defaulters = np.flatnonzero(tau <= plan.horizon).astype(np.int64)
    run_path_cash(deal, tau, defaulters, len(defaulters), haircuts[plan.coll_draw], out,
                  scratch)
    st = make_state_out(deal, plan.n_obligors)
    snapshot_state(deal, tau, scratch, st)
    prior = scenario.state
    base = 0 if prior is None else prior.as_of
    K = dates
    assets = []
    for i, aid in enumerate(plan.asset_ids):
        when = int(st.defaulted_at[i])
        if when <= K:
            principal = deal.pool.past_principal[i] if when <= 0 else plan.out_start[i, when]
            if not st.slotted[i]:    # plain: its period's principal and interest, nothing back
                paid, back = {}, {}
                exposure, received = principal + plan.sched_int[i, when], 0.0
            else:
                covers = range(plan.cov_ptr[i], plan.cov_ptr[i + 1])
                paid = {plan.support_ids[plan.cov_sup[q]]: float(st.support_paid[q])
                        for q in covers if st.support_paid[q] > 0}
                back = {plan.support_ids[plan.cov_sup[q]]: float(st.paid_back[q])
                        for q in covers if st.paid_back[q] > 0}
                exposure, received = st.exposure[i], st.received[i]
            row = {"id": aid, "defaulted_in": int(base + when), "exposure": float(exposure),
                   "principal": float(principal), "received": float(received)}
            if paid:
                row["support_paid"] = paid
            if back:
                row["paid_back"] = back
            assets.append(row)
        else:
            balance = plan.out_start[i, K + 1] if plan.asset_term[i] > K else 0.0
            assets.append({"id": aid, "balance": float(balance)})
    used = {} if prior is None else dict(prior.support_used)
    for s, sid in enumerate(plan.support_ids):
        got = float(out.sup_paid[1:K + 1, s].sum())
        if got > 0 or sid in used:
            used[sid] = used.get(sid, 0.0) + got
    obligors = {}
    for j, oid in enumerate(plan.obligor_ids):
        ob = {}
        if prior is not None and oid in prior.obligors:
            ob = prior.obligors[oid].model_dump(exclude_defaults=True, exclude_none=True)
        if np.isfinite(plan.ob_capacity[j]) and st.cap_used[j] > 0:
            ob["capacity_used"] = ob.get("capacity_used", 0.0) + float(st.cap_used[j])
        is_pool = any(plan.asset_obligor[i] == j for i in range(len(plan.asset_ids)))
        if tau[j] <= K and not is_pool:
            ob = {"defaulted": True}
        if ob:
            obligors[oid] = ob
    doc = {
        "format": "ipabs-state/v1",
        "name": f"{scenario.name}: after {base + K} payment dates (deterministic run)",
        "as_of": int(base + K),
        "assets": assets,
        "tranches": [dict({"id": tid, "balance": float(out.tr_bal_end[K, k])},
                          **({"interest_arrears": float(st.arrears[k])}
                             if st.arrears[k] > 0 else {}))
                     for k, tid in enumerate(plan.tranche_ids)],
        "reserve": float(out.reserve_bal[K]),
        "cash": {"interest": float(out.carry[0]),
                 "principal": float(out.carry[K] - out.carry[0])},
        "support_used": used,
        "reimbursement_owed": {sid: float(st.reimb_owed[s])
                               for s, sid in enumerate(plan.support_ids)
                               if st.reimb_owed[s] > 0},
        "fee_arrears": {fid: float(st.fee_arrears[f]) for f, fid in enumerate(plan.fee_ids)
                        if st.fee_arrears[f] > 0},
        "obligors": obligors,
        "triggers_fired": [tid for r, tid in enumerate(plan.trigger_ids)
                           if out.trig_period[r] <= K],
        "cumulative_defaults": float(st.cum_default[0]),
    }
    return doc
