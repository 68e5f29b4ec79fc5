"""One path of cash flows for given default periods and haircuts (no random draws).

This is the deterministic mode the break-even (BDR) work and the tests build on: the same
kernel the simulation runs, called once, returning every period's cash flows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from engine.waterfall._kernels import run_path_cash
from engine.waterfall._outcome_kernels import (
    cash_error,
    make_cash_outputs,
    make_cash_scratch,
    tranche_outcome,
)


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
        Default period of each obligor, ``horizon + 1`` (or more) for none.
    haircuts : float array (n_collateral,)
        Realised haircut of each collateral item, in the scenario's order.
    """
    tau = np.asarray(obligor_default, dtype=np.int64)
    if tau.shape != (plan.n_obligors,):
        raise ValueError(f"need one default period per obligor ({plan.n_obligors})")
    tau = np.minimum(tau, plan.horizon + 1)
    hc = np.asarray(haircuts, dtype=np.float64)[plan.coll_draw]
    deal = plan.deal()
    out = make_cash_outputs(deal)
    scratch = make_cash_scratch(deal, plan.n_obligors)
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
    cols["accelerated"] = np.arange(1, plan.horizon + 1) >= cf.accelerated_from
    frame = pd.DataFrame(cols, index=pd.RangeIndex(1, plan.horizon + 1, name="period"))
    return frame


def deterministic_cashflows(scenario, assumptions=None) -> CashFlowReport:
    """Run the deal once under deterministic default and recovery assumptions.

    Parameters
    ----------
    scenario : engine.Scenario
    assumptions : engine.deterministic.assumptions.DefaultAssumptions, optional
        Default: nothing defaults.
    """
    from engine.deterministic.assumptions import DefaultAssumptions, sliced_scenario
    from engine.plan import compile_plan

    a = assumptions if assumptions is not None else DefaultAssumptions()
    sliced, named = sliced_scenario(scenario, a)
    plan = compile_plan(sliced)
    tau = np.array([named.get(oid, plan.horizon + 1) for oid in plan.obligor_ids])
    cf = run_cash(plan, tau, np.array([c.haircut.mean for c in sliced.collateral]))
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
