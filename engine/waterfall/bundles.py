"""The cash kernel's inputs, outputs and work arrays as typed bundles.

Each bundle is a ``typing.NamedTuple`` of NumPy arrays and scalars, which numba passes as one
argument and reads by name: a new field is added here, filled in :mod:`engine.plan` and read
in the kernel, nothing else. Row ``t`` of a per-date array is payment date ``t`` (row 0 is
closing).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Pool(NamedTuple):
    """The assets and the pool's scheduled totals per date."""

    asset_obligor: np.ndarray      # (assets,) obligor index
    asset_term: np.ndarray         # (assets,) last period
    sched_row: np.ndarray          # (assets,) row of the next three for each asset
    sched_prin: np.ndarray         # (schedules, dates) scheduled principal
    sched_int: np.ndarray          # (schedules, dates) scheduled interest
    out_start: np.ndarray          # (schedules, dates) balance at the start of each period
    pool_sched_int: np.ndarray     # (dates,) the pool's scheduled interest
    pool_sched_prin: np.ndarray
    pool_out_start: np.ndarray
    pool_active: np.ndarray        # (dates,) assets scheduled to pay
    ob_asset_ptr: np.ndarray       # obligor -> its assets (CSR)
    ob_asset_idx: np.ndarray
    # assets that defaulted before the first simulated date (a tracked deal's state):
    past_tau: np.ndarray           # (assets,) their default date (<= 0); horizon + 1: none
    past_principal: np.ndarray     # (assets,) principal outstanding at that default
    past_ead: np.ndarray           # (assets,) exposure at default
    past_int_left: np.ndarray      # (assets,) interest part of the exposure still unrecovered
    past_coll_left: np.ndarray     # (assets,) exposure not yet met by collateral
    past_coll_pool: np.ndarray     # (assets,) collateral that reached the pool
    past_guar_paid: np.ndarray     # (len(cov_sup),) paid by each covering support
    past_guar_back: np.ndarray     # (len(cov_sup),) collateral paid back to it
    past_assets: np.ndarray        # indices of the assets with ``past_tau <= 0``, ascending
    asset_class: np.ndarray        # (assets,) int8 ASSET_* of engine.waterfall.codes
    row_term: np.ndarray           # (schedules,) the term of the assets on each row
    ob_plain_row: np.ndarray       # (obligors,) the row of an obligor's only asset when it
                                   # is plain (ASSET_PLAIN); -1 otherwise


class Collateral(NamedTuple):
    """IP items grouped by asset: ``ptr[i]..ptr[i+1]`` are asset ``i``'s."""

    ptr: np.ndarray
    value: np.ndarray              # appraised value (scaled by recovery stresses)
    lag: np.ndarray
    pledgee: np.ndarray            # 1: a counter-pledge to the guarantor


class Support(NamedTuple):
    """Credit support, its coverage of assets (CSR, loss order) and providers' capacity."""

    kind: np.ndarray               # SUP_* of engine.waterfall._kernels
    provider: np.ndarray           # obligor index, -1 for a riskless sponsor
    share: np.ndarray
    lag: np.ndarray
    cap: np.ndarray                # aggregate cap (fund size for risk compensation)
    target: np.ndarray             # commitment guarantees: the commitment's index
    covers_tranche: np.ndarray     # (supports, tranches) 0/1 for shortfall commitments
    cov_ptr: np.ndarray            # asset -> supports covering it (CSR), in loss order
    cov_sup: np.ndarray
    deductible: np.ndarray         # insurance deductible per cov entry (a sliced asset's share)
    limit: np.ndarray              # insurance limit per cov entry (inf: none)
    sharing: np.ndarray            # recovery_sharing (SHARE_*)
    reimbursed: np.ndarray         # commitments: paid back (with their guarantees)
    ob_capacity: np.ndarray        # per obligor (inf: none)
    ob_default_on_exhaustion: np.ndarray
    cap_obligors: np.ndarray       # obligors with a capacity
    as_supporter: np.ndarray       # per obligor: date it stops paying as a supporter in a
                                   # run of the rating ladder (0: from the start; past the
                                   # horizon: never), -1: its simulated default date


class Notes(NamedTuple):
    """The tranches, most senior first."""

    balance: np.ndarray
    coupon: np.ndarray
    sub: np.ndarray                # subordinated
    pass_through: np.ndarray
    target_balance: np.ndarray     # (tranches, dates) scheduled balance after each date
    deferrable: np.ndarray
    int_in_prin: np.ndarray        # the principal list has an interest step for it
    maturity: np.ndarray           # expected maturity that is a default date (0: none)
    accrual: np.ndarray            # (dates,) year fraction of each period (empty: 1 / f)
    years: np.ndarray              # (dates,) years from the start to each date (empty: t / f)


class Waterfall(NamedTuple):
    """Fees, the three payment programs with their tranche groups, triggers, reserve."""

    fee_kind: np.ndarray
    fee_value: np.ndarray
    ops_int: np.ndarray
    ops_prin: np.ndarray
    ops_post: np.ndarray
    grp_ptr: np.ndarray
    grp_idx: np.ndarray
    trig_kind: np.ndarray
    trig_arg: np.ndarray
    trig_value: np.ndarray
    res_initial: float
    res_target_amount: float
    res_target_share: float
    res_covers: np.ndarray
    # the state after the last date before the first simulated one (zeros at closing)
    start_arrears: np.ndarray      # (tranches,) deferred interest
    start_fee_arrears: np.ndarray  # (fees,)
    start_int_cash: float          # cash in the interest account
    start_prin_cash: float         # cash in the principal account
    start_reimb_owed: np.ndarray   # (supports,) commitment payments still owed back
    start_fired: np.ndarray        # (triggers,) 1: fired already
    start_cum_default: float       # principal defaulted before (default-rate triggers)
    stop: int                      # last date to run (horizon; earlier: a state snapshot)


class HaircutDraws(NamedTuple):
    """How each collateral item's haircut is drawn (in the Plan's collateral order)."""

    draw: np.ndarray               # uint64 draw key of its random number (a hash of its id)
    systemic: np.ndarray           # weight of the economy factor
    table: np.ndarray              # row of ``tables`` (its haircut law)
    tables: np.ndarray             # (laws, points) quantiles of each distinct law


class Deal(NamedTuple):
    """Everything the cash side of a path needs."""

    horizon: int
    periods_per_year: int
    pool_balance: float
    pool: Pool
    collateral: Collateral
    support: Support
    notes: Notes
    waterfall: Waterfall


class Program(NamedTuple):
    """What a walk of a payment program reads of the deal (a small view of :class:`Deal`,
    so that a call passes a few arrays rather than the whole deal)."""

    horizon: int
    grp_ptr: np.ndarray            # tranche groups of the steps (CSR)
    grp_idx: np.ndarray
    target_balance: np.ndarray     # (tranches, dates)
    pass_through: np.ndarray
    sub: np.ndarray


class Accounts(NamedTuple):
    """What is due and what is paid on one date (views of :class:`CashScratch` arrays)."""

    fee_due: np.ndarray
    int_due: np.ndarray            # interest payable (coupon + arrears)
    reimb_owed: np.ndarray         # per support
    claim: np.ndarray              # per tranche: work
    pay_fee: np.ndarray
    pay_int: np.ndarray
    pay_prin: np.ndarray
    pay_res: np.ndarray
    pay_reimb: np.ndarray
    rem: np.ndarray                # per tranche: work of the least top-up
    counted: np.ndarray            # per tranche: interest a least top-up has counted so far


class CashFlowsOut(NamedTuple):
    """What the cash kernel writes for one path."""

    coll_int: np.ndarray           # (dates,) interest collections
    coll_prin: np.ndarray          # principal collections
    coll_recovery: np.ndarray      # collateral recoveries reaching the pool
    sup_paid: np.ndarray           # (dates, supports)
    fee_paid: np.ndarray           # (dates, fees)
    int_due: np.ndarray            # (dates, tranches) coupon accrued on the date
    int_paid: np.ndarray
    prin_paid: np.ndarray
    res_paid: np.ndarray
    reimb_paid: np.ndarray         # (dates, supports) commitment payments paid back
    carry: np.ndarray              # cash left in the accounts after each date
    tr_bal_end: np.ndarray         # (dates, tranches)
    reserve_bal: np.ndarray
    trig_period: np.ndarray        # (triggers,) first date it fired (horizon + 1: never)


class CashScratch(NamedTuple):
    """Work arrays of the cash kernel (one set per thread)."""

    def_assets: np.ndarray         # defaulted assets, in asset order
    ead: np.ndarray                # per defaulted asset
    coll_left: np.ndarray          # exposure not yet met by collateral
    coll_pool: np.ndarray          # collateral that reached the pool
    guar_paid: np.ndarray          # (defaulted, max cover) paid by each support
    guar_back: np.ndarray          # collateral paid back to each support
    bal: np.ndarray                # tranche balances
    rem: np.ndarray                # tranche balances during a date's payments
    fee_arrears: np.ndarray
    fee_due: np.ndarray
    int_due: np.ndarray            # interest payable on the date (coupon + arrears)
    pay_fee: np.ndarray
    pay_int: np.ndarray
    pay_prin: np.ndarray
    pay_res: np.ndarray
    cap_left: np.ndarray           # per support
    covered: np.ndarray            # per tranche: covered by the commitment at hand
    perf_bal: np.ndarray           # (dates,) performing balance
    perf_count: np.ndarray         # (dates,) performing assets
    rem_dry: np.ndarray
    claim: np.ndarray
    short: np.ndarray              # per tranche: had an interest shortfall
    default_by_t: np.ndarray       # (dates + 1,) principal defaulting at each date
    offset: np.ndarray             # (defaulted, max cover) periods to each support's payment
    events_end: np.ndarray         # per defaulted asset: last date of its events
    cap_used: np.ndarray           # per obligor
    exhausted: np.ndarray          # per obligor: date its capacity ran out
    int_left: np.ndarray           # per defaulted asset: interest of the period unrecovered
    recv_int: np.ndarray           # (dates,) interest part of receipts on defaulted assets
    reimb_owed: np.ndarray         # per support
    pay_reimb: np.ndarray          # per support
    arrears: np.ndarray            # per tranche: deferred interest
    def_tau: np.ndarray            # per defaulted asset: its default date
    event_ptr: np.ndarray          # (dates + 2,) date t's slots: event_slots[ptr[t+1]:ptr[t+2]]
    event_slots: np.ndarray        # defaulted-asset slots with events, by date, in asset order
    row_lost: np.ndarray           # (schedule rows, dates + 1) defaulted assets of a row by date
    plain_lost: np.ndarray         # (schedule rows, dates + 1) the plain ones among them
    rows_hit: np.ndarray           # schedule rows with a defaulted asset, in first-hit order
    row_from: np.ndarray           # per schedule row: its earliest default date (0: none)
    int_counted: np.ndarray        # per tranche: interest counted by a top-up walk
    n_slots: np.ndarray            # (1,) defaulted-asset slots the path used (def_assets[:n])
    plain: np.ndarray              # (4,) the date's interest list as paid with its own cash
                                   # (``_kernels.PLAIN_*``), while no commitment has paid
    claimed: np.ndarray            # per support: 1.0 once asked for a positive amount on the
                                   # path (paid or not: its provider may be down)


class StateOut(NamedTuple):
    """Where a snapshot run (``waterfall.stop``) leaves the deal, per asset, support,
    obligor, tranche and fee of the Plan: written by
    :func:`engine.waterfall._state_kernels.snapshot_state` from the cash kernel's work."""

    defaulted_at: np.ndarray       # (assets,) default date (<= 0: before the run; horizon+1: none)
    slotted: np.ndarray            # (assets,) 1: defaulted with collateral or support events
    exposure: np.ndarray           # (assets,) exposure at default of a slotted asset
    received: np.ndarray           # (assets,) its collateral that reached the pool
    support_paid: np.ndarray       # (cov entries,) what each loan-level support paid on it
    paid_back: np.ndarray          # (cov entries,) collateral paid back to that support
    cap_used: np.ndarray           # (obligors,) capacity used
    arrears: np.ndarray            # (tranches,) interest owed
    reimb_owed: np.ndarray         # (supports,) commitment payments owed back
    fee_arrears: np.ndarray        # (fees,)
    cum_default: np.ndarray        # (1,) principal defaulted up to the stop, state included
