"""Break-even default rates (BDR): the largest cumulative pool default rate a tranche
survives in the deterministic cash-flow model, by bisection, for each stress of a grid.

Default grid (the small-business grid of docs/domain.md): base; recovery 0, -10%, -20%; default
timing front-loaded 10% and 20%; excess spread -25 and -50 bp; 30% of recoveries delayed
6 months; and all the worst of these combined. The rating code runs it on the standalone
structure (no credit support). Each stress's sliced deal is compiled once and every probe
rescales its arrays (:class:`CdrProbe`), so the search never re-validates a scenario.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from engine.deterministic.assumptions import (
    DefaultAssumptions,
    slice_shares,
    sliced_scenario,
    timing_curve,
    with_slice_terms,
)
from engine.deterministic.run import run_cash
from engine.plan import Plan, compile_plan
from engine.scenario.edit import canonical

DEFAULT_GRID = (
    {"name": "base"},
    {"name": "recovery 0", "recovery_multiplier": 0.0},
    {"name": "recovery -10%", "recovery_multiplier": 0.9},
    {"name": "recovery -20%", "recovery_multiplier": 0.8},
    {"name": "front-loaded 10%", "timing": "front:0.1"},
    {"name": "front-loaded 20%", "timing": "front:0.2"},
    {"name": "spread -25bp", "spread_shift": -0.0025},
    {"name": "spread -50bp", "spread_shift": -0.005},
    {"name": "30% of recoveries 6 months late", "recovery_delay": {"share": 0.3, "months": 6}},
    {"name": "combined", "recovery_multiplier": 0.8, "timing": "front:0.2",
     "spread_shift": -0.005, "recovery_delay": {"share": 0.3, "months": 6}},
)


def stress_grid(scenario) -> list[dict]:
    """The scenario's grid (``rating.stresses``) or the default one, as plain dicts."""
    if scenario.rating.stresses:
        return [s.model_dump(exclude_none=True) for s in scenario.rating.stresses]
    return [dict(s) for s in DEFAULT_GRID]


def stressed_scenario(scenario, stress: dict):
    """The scenario with a stress's recovery, spread and recovery-delay changes applied."""
    m = stress.get("recovery_multiplier", 1.0)
    shift = stress.get("spread_shift", 0.0)
    delay = stress.get("recovery_delay")
    ppy = scenario.periods_per_year
    collateral, late_of = [], {}
    for c in scenario.collateral:
        value = c.appraised_value * m
        if delay and delay["share"] > 0:
            late = f"{c.id}~late"
            extra = -(-delay["months"] * ppy // 12)
            collateral.append(c.model_copy(update={"appraised_value": value * (1 - delay["share"])}))
            collateral.append(c.model_copy(update={"id": late, "lag": c.lag + extra,
                                                   "appraised_value": value * delay["share"]}))
            late_of[c.id] = late
        else:
            collateral.append(c.model_copy(update={"appraised_value": value}))
    assets = [a.model_copy(update={
        "rate": max(0.0, a.rate + shift),
        "collateral": [x for cid in a.collateral for x in ([cid, late_of[cid]] if cid in late_of
                                                           else [cid])]})
        for a in scenario.assets]
    return scenario.model_copy(update={"collateral": collateral, "assets": assets})


#: CDR at which each stress's sliced deal is compiled once; probes rescale its arrays.
REFERENCE_CDR = 0.5


@dataclass(frozen=True)
class CdrProbe:
    """One stress's deal sliced by default period, compiled once: a probe at any CDR
    rescales the slices' balances, schedules and collateral (everything in them is linear
    in the slice's share) instead of re-validating and recompiling the scenario."""

    plan: Plan
    tau: np.ndarray           # default period of every obligor (slices default at theirs)
    haircuts: np.ndarray      # mean haircut of every collateral item
    curve: np.ndarray         # timing shares per period (up to the longest term)
    slice_period: np.ndarray  # per Plan asset: the period its slice defaults in (0: survivor)
    covered: np.ndarray       # per Plan asset: timing shares within its original term

    @classmethod
    def build(cls, scenario, timing, supporters: dict | None = None) -> CdrProbe:
        """``supporters``: {obligor id: the date it stops paying as a supporter}, fixed as in
        a run of the rating ladder (none: every supporter removed or as given)."""
        sliced, named = sliced_scenario(scenario, DefaultAssumptions(cdr=REFERENCE_CDR,
                                                                     timing=timing))
        plan = with_slice_terms(compile_plan(sliced), slice_shares(scenario, sliced))
        if supporters:
            plan = dataclasses.replace(plan, as_supporter=np.array(
                [supporters.get(oid, -1) for oid in plan.obligor_ids], dtype=np.int64))
        longest = max(a.term for a in scenario.assets)
        curve = timing_curve(timing, longest)
        period = np.array([int(aid.rsplit("@", 1)[1]) if "@" in aid else 0
                           for aid in plan.asset_ids])
        covered = np.array([curve[:a.term].sum() for a in canonical(sliced).assets])
        tau = np.array([named.get(oid, plan.horizon + 1) for oid in plan.obligor_ids])
        return cls(plan, tau, np.array([c.haircut.mean for c in sliced.collateral]), curve,
                   period, covered)

    def share(self, cdr: float) -> np.ndarray:
        """Each Plan asset's share of its original asset at this CDR."""
        t = self.slice_period
        return np.where(t > 0, cdr * self.curve[np.maximum(t, 1) - 1],
                        np.maximum(1.0 - cdr * self.covered, 0.0))

    def at(self, cdr: float) -> Plan:
        """The compiled deal with ``cdr`` of the pool defaulting."""
        p = self.plan
        scale = self.share(cdr) / self.share(REFERENCE_CDR)
        prin = p.sched_prin * scale[:, None]
        intr = p.sched_int * scale[:, None]
        out = p.out_start * scale[:, None]
        per_item = np.repeat(scale, np.diff(p.coll_ptr))
        return with_slice_terms(dataclasses.replace(
            p, sched_prin=prin, sched_int=intr, out_start=out,
            pool_sched_prin=prin.sum(axis=0), pool_sched_int=intr.sum(axis=0),
            pool_out_start=out.sum(axis=0), coll_value=p.coll_value * per_item), scale)

    def survives(self, k: int, cdr: float) -> bool:
        """Does tranche ``k`` escape default with ``cdr`` of the pool defaulting?"""
        return not run_cash(self.at(cdr), self.tau, self.haircuts).tranche_defaulted[k]


def break_even_rate(scenario, k: int, timing="uniform", tol: float = 1e-4) -> float:
    """Largest cumulative default rate (share of the pool) tranche ``k`` survives."""
    return bisect_break_even(CdrProbe.build(scenario, timing), k, tol)


def bisect_break_even(probe: CdrProbe, k: int, tol: float = 1e-4) -> float:
    """Bisection of :func:`break_even_rate` on a compiled probe."""
    if probe.survives(k, 1.0):
        return 1.0
    if not probe.survives(k, 0.0):
        return 0.0
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if probe.survives(k, mid):
            lo = mid
        else:
            hi = mid
    return lo


def break_even_rates(scenario, supporters: dict | None = None) -> dict:
    """``{tranche id: {"bdr": min over the grid, "bdr_by_scenario": {stress: rate}}}``;
    ``supporters`` as for :meth:`CdrProbe.build` (a run of the rating ladder)."""
    probes = [(s["name"], CdrProbe.build(stressed_scenario(scenario, s),
                                         s.get("timing", "uniform"), supporters))
              for s in stress_grid(scenario)]
    out = {}
    for k, tranche in enumerate(scenario.tranches):
        by = {name: bisect_break_even(probe, k) for name, probe in probes}
        out[tranche.id] = {"bdr": min(by.values()), "bdr_by_scenario": by}
    return out
