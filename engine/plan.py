"""Compile a Scenario into a Plan: the frozen plain arrays the kernels run on.

The Plan is the only bridge between the pydantic world and the numba world. Every
scenario feature becomes a model field, a Plan array and kernel code. Features the
format names but this version does not simulate are rejected here, all at once, with
:class:`engine.errors.UnsupportedFeature` (never silently ignored).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.default.bundles import DefaultModel
from engine.default.concentration import concentration_multipliers
from engine.default.draw_keys import draw_keys
from engine.default.factors import FactorStructure, build_factor_structure
from engine.default.groups import DefaultGroups, build_groups
from engine.default.pd_curves import cumulative_pd_curves, latent_thresholds
from engine.errors import Problem, UnsupportedFeature
from engine.rating.tables import resolve_table
from engine.scenario.edit import canonical
from engine.waterfall.calendar import (
    asset_accrual,
    date_labels,
    note_accrual,
    years_after_closing,
)
from engine.scenario.models import covered_assets, full_loss_order
from engine.waterfall import codes as wk
from engine.waterfall.bundles import (
    Collateral,
    Deal,
    HaircutDraws,
    Notes,
    Pool,
    Support,
    Waterfall,
)
from engine.waterfall.collateral import haircut_quantile_table
from engine.waterfall.program import compile_program
from engine.waterfall.schedules import (
    asset_schedules,
    distinct_schedules,
    tranche_target_balance,
)
from engine.rating.tables import domestic_el_table
from engine.tracking import closing_tracking, tracked_plan

_SHARING = {"creditor_first": wk.SHARE_CREDITOR_FIRST, "pro_rata": wk.SHARE_PRO_RATA,
            "guarantor_first": wk.SHARE_GUARANTOR_FIRST}
_FEE_KIND = {
    "interest_collections": wk.FEE_SHARE_OF_INTEREST,
    "senior_balance": wk.FEE_SENIOR_BALANCE,
    "pool_balance": wk.FEE_POOL_BALANCE,
}


@dataclass(frozen=True)
class Plan:
    """Everything the simulation needs, as arrays (float64 / int64), plus labels."""
    horizon: int
    periods_per_year: int
    pool_balance: float
    # labels (not passed to kernels)
    obligor_ids: tuple[str, ...]
    asset_ids: tuple[str, ...]
    tranche_ids: tuple[str, ...]
    support_ids: tuple[str, ...]
    fee_ids: tuple[str, ...]
    # default model
    factors: FactorStructure
    pd_curves: np.ndarray          # (n_obligors, horizon): F_j(t)
    thresholds: np.ndarray         # (n_obligors, horizon): latent quantiles of F_j(t)
    dof: float                     # Student-t degrees of freedom; 0 for the Gaussian copula
    groups: DefaultGroups
    exposure: np.ndarray           # (n_obligors,): pool balance of each obligor's assets, share
    ob_key: np.ndarray             # uint64 draw key per obligor (a hash of its id)
    # assets
    asset_obligor: np.ndarray
    asset_term: np.ndarray
    sched_prin: np.ndarray
    sched_int: np.ndarray
    out_start: np.ndarray
    pool_sched_int: np.ndarray      # (horizon + 1,): the pool's scheduled interest per date
    pool_sched_prin: np.ndarray
    pool_out_start: np.ndarray
    pool_active: np.ndarray         # int: assets scheduled to pay on each date
    # collateral, ordered by asset (coll_ptr), with the scenario index as draw index
    coll_ptr: np.ndarray
    coll_draw: np.ndarray
    coll_key: np.ndarray           # uint64 draw key per collateral item, in the scenario's order
    coll_value: np.ndarray
    coll_lag: np.ndarray
    coll_pledgee: np.ndarray       # 1: a counter-pledge to the guarantor (never reaches the pool)
    coll_systemic: np.ndarray
    coll_table: np.ndarray         # (n_collateral,): row of haircut_tables for each item
    haircut_tables: np.ndarray     # (distinct haircut laws, HAIRCUT_TABLE_POINTS): quantiles
    # credit support
    sup_kind: np.ndarray
    sup_provider: np.ndarray
    sup_share: np.ndarray
    sup_lag: np.ndarray
    sup_cap: np.ndarray
    sup_target: np.ndarray
    sup_covers_tranche: np.ndarray  # (n_support, n_tranches) 0/1
    cov_ptr: np.ndarray             # loan-level support per asset (CSR), in loss order
    cov_sup: np.ndarray
    cov_deductible: np.ndarray      # per covered asset (cov entries): insurance deductible
    cov_limit: np.ndarray           # per covered asset: insurance limit (inf: none)
    sup_sharing: np.ndarray         # recovery_sharing of asset-level support (SHARE_*)
    sup_reimbursed: np.ndarray      # shortfall commitments: 1 if owed back (and its guarantees)
    ob_capacity: np.ndarray         # per obligor: capital it can lose on the deal (inf: none)
    ob_default_on_exhaustion: np.ndarray
    cap_obligors: np.ndarray        # obligors with a capacity
    # tranches, fees, waterfall
    tr_balance: np.ndarray
    tr_coupon: np.ndarray
    tr_sub: np.ndarray
    tr_pass_through: np.ndarray
    tr_target_balance: np.ndarray   # (n_tranches, horizon + 1): scheduled balance after each date
    tr_deferrable: np.ndarray       # 1: unpaid interest carried as arrears
    tr_int_in_prin: np.ndarray      # 1: the principal list has an interest step for it
    tr_maturity: np.ndarray         # expected maturity that is a default date (0: legal final)
    tr_accrual: np.ndarray          # (horizon + 1,) notes' and fees' year fraction of each
                                    # period by the deal's day count (empty: 1 / f, no dates)
    tr_years: np.ndarray            # (horizon + 1,) years from the start to each date (WAL;
                                    # empty: t / f)
    fee_kind: np.ndarray
    fee_value: np.ndarray
    ops_int: np.ndarray
    ops_prin: np.ndarray
    ops_post: np.ndarray
    grp_ptr: np.ndarray             # tranche groups of the programs' steps (CSR)
    grp_idx: np.ndarray
    trigger_ids: tuple[str, ...]
    trig_kind: np.ndarray
    trig_arg: np.ndarray            # tranche or obligor index (-1 for a default rate)
    trig_value: np.ndarray          # default-rate threshold
    res_initial: float              # reserve funded at closing
    res_target_amount: float
    res_target_share: float         # of the non-subordinated balance
    res_covers: np.ndarray          # 0/1 per tranche: interest the reserve pays
    ob_asset_ptr: np.ndarray        # obligor -> its assets (CSR)
    ob_asset_idx: np.ndarray
    # sampling: importance-sampling mean shift of the factors and twist target (0 = none),
    # and the defensive mixture's share of unshifted paths (0 = none)
    z_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))
    twist_target: float = 0.0
    defensive_share: float = 0.0
    # a tracked deal (engine.tracking): its state arrays, dates elapsed before date 1 of
    # this plan; and the last date to run (0: horizon; earlier for a state snapshot)
    tracking: object = None
    as_of: int = 0
    stop: int = 0
    # a run of the rating ladder (engine.rating.ladder): per obligor, the date it stops
    # paying as a supporter (0: defaulted from the start; past the horizon: never), or -1
    # for its simulated default date; None: every supporter as simulated
    as_supporter: np.ndarray | None = None
    # calendar dates (ISO) of closing and each payment date, () without a `dates` block
    dates: tuple = ()

    @property
    def n_obligors(self) -> int:
        return len(self.obligor_ids)

    @property
    def n_tranches(self) -> int:
        return len(self.tranche_ids)

    def deal(self) -> Deal:
        """The cash side as the kernels' :class:`engine.waterfall.bundles.Deal`."""
        tk = self.tracking or closing_tracking(
            len(self.asset_ids), len(self.cov_sup), self.n_tranches, len(self.fee_ids),
            len(self.support_ids), len(self.trigger_ids), self.horizon)
        return Deal(
            horizon=self.horizon, periods_per_year=self.periods_per_year,
            pool_balance=self.pool_balance, pool=self._pool_bundle(tk),
            collateral=Collateral(ptr=self.coll_ptr, value=self.coll_value, lag=self.coll_lag,
                                  pledgee=self.coll_pledgee),
            support=self._support_bundle(), notes=self._notes_bundle(),
            waterfall=self._waterfall_bundle(tk))

    def _pool_bundle(self, tk) -> Pool:
        row, prin, intr, out, row_term = distinct_schedules(
            self.sched_prin, self.sched_int, self.out_start, self.asset_term)
        asset_class = self.asset_classes(tk.past_tau)
        return Pool(
            asset_obligor=self.asset_obligor, asset_term=self.asset_term, sched_row=row,
            sched_prin=prin, sched_int=intr, out_start=out, pool_sched_int=self.pool_sched_int,
            pool_sched_prin=self.pool_sched_prin, pool_out_start=self.pool_out_start,
            pool_active=self.pool_active, ob_asset_ptr=self.ob_asset_ptr,
            ob_asset_idx=self.ob_asset_idx, past_tau=tk.past_tau,
            past_principal=tk.past_principal, past_ead=tk.past_ead,
            past_int_left=tk.past_int_left, past_coll_left=tk.past_coll_left,
            past_coll_pool=tk.past_coll_pool, past_guar_paid=tk.past_guar_paid,
            past_guar_back=tk.past_guar_back,
            past_assets=np.flatnonzero(tk.past_tau <= 0).astype(np.int64),
            asset_class=asset_class, row_term=row_term,
            ob_plain_row=plain_rows(self.ob_asset_ptr, self.ob_asset_idx, asset_class, row))

    def _support_bundle(self) -> Support:
        return Support(
            kind=self.sup_kind, provider=self.sup_provider, share=self.sup_share,
            lag=self.sup_lag, cap=self.sup_cap, target=self.sup_target,
            covers_tranche=self.sup_covers_tranche, cov_ptr=self.cov_ptr, cov_sup=self.cov_sup,
            deductible=self.cov_deductible, limit=self.cov_limit, sharing=self.sup_sharing,
            reimbursed=self.sup_reimbursed, ob_capacity=self.ob_capacity,
            ob_default_on_exhaustion=self.ob_default_on_exhaustion,
            cap_obligors=self.cap_obligors, as_supporter=self.supporter_dates())

    def _notes_bundle(self) -> Notes:
        return Notes(
            balance=self.tr_balance, coupon=self.tr_coupon, sub=self.tr_sub,
            pass_through=self.tr_pass_through, target_balance=self.tr_target_balance,
            deferrable=self.tr_deferrable, int_in_prin=self.tr_int_in_prin,
            maturity=self.tr_maturity, accrual=self.tr_accrual, years=self.tr_years)

    def _waterfall_bundle(self, tk) -> Waterfall:
        return Waterfall(
            fee_kind=self.fee_kind, fee_value=self.fee_value, ops_int=self.ops_int,
            ops_prin=self.ops_prin, ops_post=self.ops_post, grp_ptr=self.grp_ptr,
            grp_idx=self.grp_idx, trig_kind=self.trig_kind, trig_arg=self.trig_arg,
            trig_value=self.trig_value, res_initial=float(self.res_initial),
            res_target_amount=float(self.res_target_amount),
            res_target_share=float(self.res_target_share), res_covers=self.res_covers,
            start_arrears=tk.start_arrears, start_fee_arrears=tk.start_fee_arrears,
            start_int_cash=float(tk.start_int_cash), start_prin_cash=float(tk.start_prin_cash),
            start_reimb_owed=tk.start_reimb_owed, start_fired=tk.start_fired,
            start_cum_default=float(tk.start_cum_default), stop=int(self.stop or self.horizon))

    def supporter_dates(self) -> np.ndarray:
        """Per obligor: when it stops paying as a supporter in this run (-1: simulated)."""
        if self.as_supporter is None:
            return np.full(self.n_obligors, -1, dtype=np.int64)
        return np.asarray(self.as_supporter, dtype=np.int64)

    def asset_classes(self, past_tau: np.ndarray) -> np.ndarray:
        """``ASSET_*`` of each asset: defaulted before date 1 (``past_tau <= 0``), plain
        (no collateral, no credit support covering it), or with its own slot."""
        plain = (np.diff(self.coll_ptr) == 0) & (np.diff(self.cov_ptr) == 0)
        return np.where(past_tau <= 0, wk.ASSET_PAST,
                        np.where(plain, wk.ASSET_PLAIN, wk.ASSET_SLOT)).astype(np.int8)

    def default_model(self, z_scale: float = 1.0) -> DefaultModel:
        """The default side as the kernels' :class:`engine.default.bundles.DefaultModel`."""
        shift = self.z_shift if len(self.z_shift) else np.zeros(self.factors.n_factors)
        return DefaultModel(np.ascontiguousarray(shift, dtype=np.float64), float(z_scale),
                            float(self.dof), float(self.twist_target),
                            float(self.defensive_share),
                            draw_keys("factor", self.factors.names or
                                      [str(k) for k in range(self.factors.n_factors)]))

    def haircut_draws(self) -> HaircutDraws:
        """How the kernels draw each collateral item's haircut."""
        return HaircutDraws(self.coll_key[self.coll_draw], self.coll_systemic,
                            self.coll_table, self.haircut_tables)


def used_obligors(scenario) -> set[str]:
    """Ids of the obligors something in the deal names: a borrower of an asset, a provider
    of credit support, the subject of a ``provider_default`` trigger."""
    used = {a.obligor for a in scenario.assets}
    used |= {s.provider for s in scenario.credit_support if s.provider is not None}
    used |= {t.when.provider_default for t in scenario.triggers
             if t.when.provider_default is not None}
    return used


def unsupported_features(scenario) -> list[Problem]:
    """What a valid scenario asks for that this version cannot simulate yet."""
    out: list[Problem] = []

    def no(path: str, what: str, issue: str) -> None:
        out.append(Problem(path, f"{what} is not supported yet ({issue})"))

    for s, sup in enumerate(scenario.credit_support):
        if sup.level != "asset" and sup.lag != 0:
            no(f"credit_support.{s}.lag", f"a payment lag on a {sup.type}", "waterfall issue")
    return out


def rating_table(scenario):
    """The ideal default table the scenario names (built-in ``domestic`` or a user CSV)."""
    return resolve_table(scenario.rating.table, scenario.base_dir)


def rating_tables(scenario) -> dict:
    """The tables the scenario's rating method uses (``pd``, and ``el`` for expected loss)."""
    pd_table = rating_table(scenario)
    el = domestic_el_table() if scenario.rating.table == "domestic" else pd_table
    return {"pd": pd_table, "el": el}


def compile_plan(scenario, *, pd_multiplier: float = 1.0, correlation_shift: float = 0.0,
                 recovery_multiplier: float = 1.0, key_space: str | None = None,
                 also_used: frozenset = frozenset()) -> Plan:
    """Turn a validated :class:`engine.Scenario` into a :class:`Plan`.

    The keyword arguments are the stresses sensitivities apply; they change numbers,
    never the shape of the Plan, so stressed runs reuse the base case's random numbers.
    ``key_space`` (a book's name for the deal) makes the draw keys of the obligors without
    an ``entity`` and of the collateral private to the deal; an obligor's ``entity`` keys
    its draws whatever the deal. ``also_used``: obligors whose correlation cells shape the
    factor structure though nothing in this scenario names them (a sensitivity that removes a
    support keeps its base case's structure, and so its paths: :func:`used_obligors`).
    Each part of the Plan has its builder (the default side, the pool, collateral, credit
    support, the notes, the waterfall), each returning its fields by name.

    Raises
    ------
    UnsupportedFeature
        The scenario is valid but asks for something this version does not simulate.
    """
    problems = unsupported_features(scenario)
    if problems:
        raise UnsupportedFeature(problems)
    given = scenario
    scenario = canonical(scenario)      # obligors, assets and collateral in id order
    table = rating_table(scenario)
    ob_index = {o.id: j for j, o in enumerate(scenario.obligors)}
    imp = scenario.simulation.importance
    by_exposure = bool(imp and imp.twist)
    default_side, concentration, dof = _default_fields(scenario, table, pd_multiplier,
                                                       correlation_shift, by_exposure,
                                                       key_space, also_used)
    plan = Plan(
        horizon=scenario.legal_final, periods_per_year=scenario.periods_per_year,
        pool_balance=float(sum(a.balance for a in scenario.assets)),
        obligor_ids=tuple(o.id for o in scenario.obligors),
        asset_ids=tuple(a.id for a in scenario.assets),
        tranche_ids=tuple(t.id for t in scenario.tranches),
        support_ids=tuple(s.id for s in scenario.credit_support),
        fee_ids=tuple(f.id for f in scenario.fees),
        **default_side, **_pool_fields(scenario, ob_index),
        **_collateral_fields(scenario, given, recovery_multiplier, key_space),
        **_support_fields(scenario, ob_index), **_note_fields(scenario),
        **_waterfall_fields(scenario, ob_index),
    )
    if scenario.state is None:
        return plan
    return tracked_plan(plan, scenario, scenario.state, pd_multiplier=pd_multiplier,
                        concentration=concentration, table=table, dof=dof,
                        by_exposure=by_exposure)


def _i64(xs) -> np.ndarray:
    return np.asarray(list(xs), dtype=np.int64)


def _f64(xs) -> np.ndarray:
    return np.asarray(list(xs), dtype=np.float64)


def obligor_key_names(obligors, key_space: str | None = None) -> list[str]:
    """What keys each obligor's random numbers: its ``entity`` (the real firm, the same in
    every deal), else its id (inside ``key_space``, a book's name for the deal)."""
    return [f"entity:{o.entity}" if o.entity is not None
            else (o.id if key_space is None else f"{key_space}/{o.id}") for o in obligors]


def _default_fields(scenario, table, pd_multiplier, correlation_shift, by_exposure,
                    key_space=None, also_used=frozenset()):
    """The default side: PD curves, the factor structure, thresholds and default groups.
    Returns ``(fields, concentration multipliers, dof or None)``."""
    obligors, assets, horizon = scenario.obligors, scenario.assets, scenario.legal_final
    ob_index = {o.id: j for j, o in enumerate(obligors)}
    concentration = concentration_multipliers(obligors, assets, scenario.rating.concentration)
    curves = cumulative_pd_curves(obligors, [pd_multiplier * m for m in concentration],
                                  horizon, scenario.periods_per_year, table)
    factors = build_factor_structure(obligors, scenario.correlation, correlation_shift,
                                     pool={a.obligor for a in assets},
                                     used=used_obligors(scenario) | also_used)
    dof = scenario.correlation.dof if scenario.correlation.copula == "student_t" else None
    thresholds = latent_thresholds(curves, dof)
    exposure = np.zeros(len(obligors))
    ob_assets: list[list[int]] = [[] for _ in obligors]
    for i, a in enumerate(assets):
        exposure[ob_index[a.obligor]] += a.balance
        ob_assets[ob_index[a.obligor]].append(i)
    exposure /= sum(a.balance for a in assets)
    ob_key = draw_keys("obligor", obligor_key_names(obligors, key_space))
    groups = build_groups(factors, thresholds, exposure, by_exposure=by_exposure, keys=ob_key)
    fields = dict(
        factors=factors, pd_curves=curves, thresholds=thresholds, dof=float(dof or 0.0),
        groups=groups, exposure=exposure, ob_key=ob_key,
        ob_asset_ptr=np.cumsum([0] + [len(a) for a in ob_assets]).astype(np.int64),
        ob_asset_idx=_i64(i for a in ob_assets for i in a),
        z_shift=np.zeros(factors.n_factors))
    return fields, concentration, dof


def _pool_fields(scenario, ob_index) -> dict:
    """The assets' borrowers, terms and schedules, and the pool's totals per date."""
    assets, horizon = scenario.assets, scenario.legal_final
    prin, intr, out = asset_schedules(assets, horizon, scenario.periods_per_year,
                                      asset_accrual(scenario, horizon))
    dates = np.arange(horizon + 1)
    terms = np.asarray([a.term for a in assets])
    return dict(
        asset_obligor=_i64(ob_index[a.obligor] for a in assets),
        asset_term=_i64(a.term for a in assets),
        sched_prin=prin, sched_int=intr, out_start=out,
        pool_sched_int=intr.sum(axis=0), pool_sched_prin=prin.sum(axis=0),
        pool_out_start=out.sum(axis=0),
        pool_active=_i64((terms[:, None] >= dates[None, :]).sum(axis=0) * (dates > 0)))


def _collateral_fields(scenario, given, recovery_multiplier, key_space=None) -> dict:
    """Each asset's pledged items (CSR), their values, lags and haircut laws; an item's draw
    is its place in the scenario as given (haircut arrays come so)."""
    coll_by_id = {c.id: (n, c) for n, c in enumerate(given.collateral)}
    coll_ptr = [0]
    rows = []
    for asset in scenario.assets:
        for cid in asset.collateral:
            rows.append(coll_by_id[cid])
        coll_ptr.append(len(rows))
    laws: dict[tuple[float, float], int] = {}
    coll_table = [laws.setdefault((c.haircut.mean, c.haircut.sd), len(laws)) for _, c in rows]
    points = len(haircut_quantile_table(0.5, 0.0))
    tables = (np.stack([haircut_quantile_table(m, sd) for m, sd in laws])
              if laws else np.zeros((0, points)))
    return dict(
        coll_ptr=_i64(coll_ptr), coll_draw=_i64(n for n, _ in rows),
        coll_key=draw_keys("collateral", [c.id if key_space is None else f"{key_space}/{c.id}"
                                          for c in given.collateral]),
        coll_value=_f64(c.appraised_value * recovery_multiplier for _, c in rows),
        coll_lag=_i64(c.lag for _, c in rows),
        coll_pledgee=_i64(c.pledgee == "guarantor" for _, c in rows),
        coll_systemic=_f64(c.systemic for _, c in rows),
        coll_table=_i64(coll_table),
        haircut_tables=np.ascontiguousarray(tables, dtype=np.float64))


def _support_fields(scenario, ob_index) -> dict:
    """Credit support as the kernels read it: each support's registry code and terms, each
    asset's supports in loss order (CSR), the providers' capacities."""
    supports, obligors = scenario.credit_support, scenario.obligors
    sup_index = {s.id: n for n, s in enumerate(supports)}
    tranche_index = {t.id: k for k, t in enumerate(scenario.tranches)}
    covers_tranche = np.zeros((len(supports), len(scenario.tranches)), dtype=np.int64)
    cov: list[list[int]] = [[] for _ in scenario.assets]
    for n, sup in enumerate(supports):
        for i in covered_assets(scenario, sup):
            cov[i].append(n)
        for tid in sup.covered_tranches():
            covers_tranche[n, tranche_index[tid]] = 1
    order = {kind: r for r, kind in enumerate(full_loss_order(scenario.loss_order))}
    rank = [order[s.loss_kind] if s.loss_kind is not None else 0 for s in supports]
    cov = [sorted(c, key=lambda n: rank[n]) for c in cov]      # stable: listed order within a kind
    terms = [supports[n].per_asset_terms() for c in cov for n in c]
    return dict(
        sup_kind=_i64(s.code for s in supports),
        sup_provider=_i64(-1 if s.provider is None else ob_index[s.provider] for s in supports),
        sup_share=_f64(s.share for s in supports),
        sup_lag=_i64(s.lag for s in supports),
        sup_cap=_f64(np.inf if s.aggregate_cap() is None else s.aggregate_cap()
                     for s in supports),
        cov_deductible=_f64(d for d, _ in terms),
        cov_limit=_f64(limit for _, limit in terms),
        sup_sharing=_i64(_SHARING[s.sharing()] for s in supports),
        sup_reimbursed=_i64(s.owed_back() for s in supports),
        ob_capacity=_f64(np.inf if o.capacity is None else o.capacity for o in obligors),
        ob_default_on_exhaustion=_i64(o.default_on_exhaustion for o in obligors),
        cap_obligors=_i64(j for j, o in enumerate(obligors) if o.capacity is not None),
        sup_target=_i64(-1 if s.guaranteed() is None else sup_index[s.guaranteed()]
                        for s in supports),
        sup_covers_tranche=covers_tranche.reshape(len(supports), len(scenario.tranches)),
        cov_ptr=np.cumsum([0] + [len(c) for c in cov]).astype(np.int64),
        cov_sup=_i64(n for c in cov for n in c))


def _note_fields(scenario) -> dict:
    """The tranches: balances, coupons, ranks, target balances, accrual and dates."""
    tranches, horizon = scenario.tranches, scenario.legal_final
    target_rows, pass_flags = zip(*(tranche_target_balance(t, horizon) for t in tranches))
    return dict(
        tr_balance=_f64(t.balance for t in tranches), tr_coupon=_f64(t.coupon for t in tranches),
        tr_sub=_i64(t.subordinated for t in tranches), tr_pass_through=_i64(pass_flags),
        tr_target_balance=np.stack(target_rows),
        tr_deferrable=_i64(t.interest == "deferrable" for t in tranches),
        dates=tuple(date_labels(scenario, horizon) or ()),
        tr_accrual=note_accrual(scenario, horizon),
        tr_years=years_after_closing(scenario, horizon),
        tr_maturity=_i64(t.expected_maturity() if t.default_at == "expected_maturity" else 0
                         for t in tranches))


def _waterfall_fields(scenario, ob_index) -> dict:
    """Fees, the payment programs, triggers and the reserve."""
    tranches, fees, res = scenario.tranches, scenario.fees, scenario.reserve
    tranche_index = {t.id: k for k, t in enumerate(tranches)}
    program = compile_program(scenario)
    trig_kind, trig_arg, trig_value = [], [], []
    for trig in scenario.triggers:
        w = trig.when
        if w.cumulative_default_rate_above is not None:
            row = (wk.TRIG_CUMULATIVE_DEFAULT_RATE, -1, w.cumulative_default_rate_above)
        elif w.interest_shortfall is not None:
            row = (wk.TRIG_INTEREST_SHORTFALL, tranche_index[w.interest_shortfall], 0.0)
        else:
            row = (wk.TRIG_PROVIDER_DEFAULT, ob_index[w.provider_default], 0.0)
        trig_kind.append(row[0])
        trig_arg.append(row[1])
        trig_value.append(row[2])
    res_covers = np.zeros(len(tranches), dtype=np.int64)
    if res is not None:
        for tid in (res.covers if res.covers is not None
                    else [t.id for t in tranches if not t.subordinated]):
            res_covers[tranche_index[tid]] = 1
    target = 0.0 if res is None else res.target
    return dict(
        tr_int_in_prin=program.interest_in(program.ops_prin, len(tranches)),
        fee_kind=_i64(wk.FEE_AMOUNT if f.amount is not None else _FEE_KIND[f.base] for f in fees),
        fee_value=_f64(f.amount if f.amount is not None else f.rate for f in fees),
        ops_int=program.ops_int, ops_prin=program.ops_prin, ops_post=program.ops_post,
        grp_ptr=program.grp_ptr, grp_idx=program.grp_idx,
        trigger_ids=tuple(t.id for t in scenario.triggers), trig_kind=_i64(trig_kind),
        trig_arg=_i64(trig_arg), trig_value=_f64(trig_value),
        res_initial=0.0 if res is None else float(res.initial),
        res_target_amount=float(target) if isinstance(target, (int, float)) else 0.0,
        res_target_share=0.0 if isinstance(target, (int, float)) else target.share_of_senior,
        res_covers=res_covers)


def plain_rows(ob_asset_ptr: np.ndarray, ob_asset_idx: np.ndarray, asset_class: np.ndarray,
               row: np.ndarray) -> np.ndarray:
    """Per obligor: the schedule row of its only asset when that asset is plain
    (``ASSET_PLAIN``: no collateral, no support, not defaulted before date 1), else -1. A
    defaulter of such an obligor is counted by row and date with no lookup of its asset
    (:func:`engine.waterfall._collection_kernels.scheduled_collections`)."""
    rows = np.full(len(ob_asset_ptr) - 1, -1, dtype=np.int64)
    single = np.flatnonzero(np.diff(ob_asset_ptr) == 1)
    assets = ob_asset_idx[ob_asset_ptr[single]]
    plain = asset_class[assets] == wk.ASSET_PLAIN
    rows[single[plain]] = row[assets[plain]]
    return rows
