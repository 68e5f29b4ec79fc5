"""Break-even default rates (BDR): the largest cumulative pool default rate a tranche
survives in the deterministic cash-flow model, by bisection, for each stress of a grid.

Default grid (the small-business grid of docs/domain.md): base; recovery 0, -10%, -20%; default
timing front-loaded 10% and 20%; excess spread -25 and -50 bp; 30% of recoveries delayed
6 months; and all the worst of these combined. Support providers do not default in these
runs: the grid stresses the pool, and the support works as the deal says.
"""
from __future__ import annotations

from engine.waterfall.assumptions import DefaultAssumptions
from engine.waterfall.deterministic import deterministic_cashflows

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


def survives(scenario, k: int, cdr: float, timing: str) -> bool:
    """Does tranche ``k`` escape default with ``cdr`` of the pool defaulting?"""
    rep = deterministic_cashflows(scenario, DefaultAssumptions(cdr=cdr, timing=timing))
    return not rep.summary["tranches"][k]["defaulted"]


def break_even_rate(scenario, k: int, timing: str = "uniform", tol: float = 1e-4) -> float:
    """Largest cumulative default rate (share of the pool) tranche ``k`` survives."""
    if survives(scenario, k, 1.0, timing):
        return 1.0
    if not survives(scenario, k, 0.0, timing):
        return 0.0
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if survives(scenario, k, mid, timing):
            lo = mid
        else:
            hi = mid
    return lo


def break_even_rates(scenario) -> dict:
    """``{tranche id: {"bdr": min over the grid, "bdr_by_scenario": {stress: rate}}}``."""
    grid = stress_grid(scenario)
    stressed = [(s["name"], stressed_scenario(scenario, s), s.get("timing", "uniform"))
                for s in grid]
    out = {}
    for k, tranche in enumerate(scenario.tranches):
        by = {name: break_even_rate(sc, k, timing) for name, sc, timing in stressed}
        out[tranche.id] = {"bdr": min(by.values()), "bdr_by_scenario": by}
    return out
