"""One path of cash flows for given default periods and haircuts (no random draws).

This is the deterministic mode the break-even (BDR) work and the tests build on: the same
kernel the simulation runs, called once, returning every period's cash flows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine._kernels import cash_error, make_cash_scratch, tranche_outcome
from engine.waterfall._kernels import run_path_cash


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
    cash_left: np.ndarray
    tranche_balance: np.ndarray    # end of each date
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
    n_assets = len(plan.asset_ids)
    max_cov = max(1, int(np.max(np.diff(plan.cov_ptr), initial=0)))
    sc = make_cash_scratch(plan.horizon, n_assets, max_cov, len(plan.coll_value),
                           len(plan.support_ids), plan.n_tranches, len(plan.fee_ids))
    defaulters = np.flatnonzero(tau <= plan.horizon).astype(np.int64)
    dr, lr = run_path_cash(*plan.cash_args(), tau, defaulters, len(defaulters), hc, *sc)
    outs = sc[:11]
    err = cash_error(plan.horizon, outs[0], outs[1], outs[2], outs[3], outs[4], outs[6],
                     outs[7], outs[8], outs[9])
    ppy = plan.periods_per_year
    outcome = [tranche_outcome(k, plan.horizon, ppy, plan.tr_balance[k], outs[5], outs[6],
                               outs[7], outs[10]) for k in range(plan.n_tranches)]
    return CashFlows(*(np.array(a) for a in outs), default_rate=dr, loss_rate=lr,
                     cash_error=err,
                     tranche_defaulted=np.array([o[0] for o in outcome]),
                     tranche_loss=np.array([o[1] for o in outcome]),
                     tranche_wal=np.array([o[2] if o[2] >= 0 else np.nan for o in outcome]))
