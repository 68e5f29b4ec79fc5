"""Numba kernel of where a snapshot run leaves the deal: the cash kernel's work after
``waterfall.stop`` dates, turned into the Plan's terms (per asset, support, obligor,
tranche and fee) for a deal state (:func:`engine.deterministic.run.state_after`)."""
from __future__ import annotations

import numpy as np
from engine._jit import njit

from engine.waterfall.bundles import StateOut


@njit(cache=True)
def make_state_out(deal, n_obligors):
    """Zeroed :class:`StateOut` of ``deal``."""
    n_assets = deal.pool.asset_obligor.shape[0]
    n_cov = deal.support.cov_sup.shape[0]
    return StateOut(
        defaulted_at=np.zeros(n_assets, dtype=np.int64),
        slotted=np.zeros(n_assets, dtype=np.int64), exposure=np.zeros(n_assets),
        received=np.zeros(n_assets), support_paid=np.zeros(n_cov), paid_back=np.zeros(n_cov),
        cap_used=np.zeros(n_obligors), arrears=np.zeros(deal.notes.balance.shape[0]),
        reimb_owed=np.zeros(deal.support.kind.shape[0]),
        fee_arrears=np.zeros(deal.waterfall.fee_kind.shape[0]), cum_default=np.zeros(1))


@njit(cache=True)
def snapshot_state(deal, obligor_default, scratch, state):
    """Fill ``state`` from the cash kernel's ``scratch`` after a run of ``deal`` on the
    obligors' default dates ``obligor_default`` (:func:`run_path_cash` with
    ``waterfall.stop``)."""
    pl, cov_ptr = deal.pool, deal.support.cov_ptr
    for i in range(pl.asset_obligor.shape[0]):
        when = pl.past_tau[i]
        if when > 0:
            tau = obligor_default[pl.asset_obligor[i]]
            when = tau if tau <= pl.asset_term[i] else deal.horizon + 1
        state.defaulted_at[i] = when
        state.slotted[i] = 0
    for d in range(scratch.n_slots[0]):
        i = scratch.def_assets[d]
        state.slotted[i] = 1
        state.exposure[i] = scratch.ead[d]
        state.received[i] = scratch.coll_pool[d]
        for q in range(cov_ptr[i], cov_ptr[i + 1]):
            state.support_paid[q] = scratch.guar_paid[d, q - cov_ptr[i]]
            state.paid_back[q] = scratch.guar_back[d, q - cov_ptr[i]]
    state.cap_used[:] = scratch.cap_used
    state.arrears[:] = scratch.arrears
    state.reimb_owed[:] = scratch.reimb_owed
    state.fee_arrears[:] = scratch.fee_arrears
    cum = deal.waterfall.start_cum_default
    for t in range(1, deal.waterfall.stop + 1):
        cum += scratch.default_by_t[t]
    state.cum_default[0] = cum
