"""Tracking ratings (跟踪评级): a deal's ratings at closing and at each trustee report, and
what moved them.

Every rating is simulated on the same paths and seed (common random numbers: each
obligor keeps its random numbers whatever the state), by the scenario's conventions. What
moved a tranche from its closing rating to a state's is attributed by re-rating partial
states, one change at a time, in this order:

1. ``time_elapsed``: the deal as scheduled at the state's ``as_of`` (nothing defaulted,
   every asset and tranche on its schedule, the closing supporters): the shorter horizon
   and the amortisation alone;
2. ``pool_performance``: the reported state with the supporters as at closing (assets,
   defaults, recoveries, tranches, reserve, cash, support used, triggers);
3. ``supporter_ratings``: the reported state in full (the ``obligors`` block: current
   ratings, PDs and defaults of supporters and obligors).

Each step's change is the difference of two ratings in notches (positive: an upgrade), so
the three add up to the total move; default probabilities move the same way, each change
with its paired standard error left to the result rows. The order matters when effects
interact (a downgraded guarantor matters more once the pool has defaults); it is fixed
and documented rather than averaged over orders.
"""
from __future__ import annotations

from pathlib import Path

from engine.rating.scale import SF_SCALE
from engine.api import as_state, checked, run
from engine.deterministic.assumptions import DefaultAssumptions
from engine.deterministic.run import state_after
from engine.rating.deal import resolve_paths_seed
from engine.scenario.state import DealState, closing_state, resolve_as_of

#: The steps of the attribution, in order.
STEPS = ("time_elapsed", "pool_performance", "supporter_ratings")


def _rows(result) -> list[dict]:
    keep = ("id", "rated", "rating", "rating_standalone", "rating_joint_default",
            "default_probability", "default_probability_se", "expected_loss",
            "expected_loss_se", "wal_years", "balance")
    return [{k: r.get(k) for k in keep} for r in result.to_dict()["tranches"]]


def notches(before: str | None, after: str | None) -> int | None:
    """Notches from ``before`` to ``after`` on the sf scale (positive: an upgrade)."""
    if before is None or after is None:
        return None
    return SF_SCALE.index(before) - SF_SCALE.index(after)


def scheduled_state(scenario, as_of: int):
    """The deal at ``as_of`` had everything paid on schedule and nobody defaulted."""
    if as_of == 0:
        return DealState.model_validate(closing_state(scenario))
    return DealState.model_validate(state_after(scenario, DefaultAssumptions(), as_of))


def without_supporter_news(state):
    """``state`` with the supporters and obligors as at closing (no new ratings, PDs or
    defaults in ``obligors``; capacity used stays)."""
    kept = {oid: o.model_copy(update={"rating": None, "pd": None, "defaulted": False})
            for oid, o in state.obligors.items() if o.capacity_used}
    out = state.model_copy(update={"obligors": kept})
    out._lines, out._source = state._lines, state._source
    return out


def position(scenario, state) -> dict:
    """Where the deal stands at a state (``None``: closing): the pool (performing, defaulted
    and what came back on it), each tranche's balance and arrears, the reserve and cash, and
    each credit support's amount used and what is left of its cap."""
    if state is None:
        pool = sum(a.balance for a in scenario.assets)
        return {"performing": pool, "defaulted": 0.0, "recovered": 0.0,
                "tranches": {t.id: {"balance": t.balance, "arrears": 0.0}
                             for t in scenario.tranches},
                "reserve": scenario.reserve.initial if scenario.reserve is not None else 0.0,
                "cash": 0.0,
                "support": {s.id: {"used": 0.0, "left": _cap(s)} for s in scenario.credit_support}}
    assets = state.assets or []
    used = state.support_used
    return {"performing": sum(a.balance or 0.0 for a in assets if not a.defaulted),
            "defaulted": sum(a.exposure or 0.0 for a in assets if a.defaulted),
            "recovered": sum(a.received or 0.0 for a in assets if a.defaulted),
            "tranches": {t.id: {"balance": t.balance, "arrears": t.interest_arrears}
                         for t in state.tranches},
            "reserve": state.reserve, "cash": state.cash.interest + state.cash.principal,
            "support": {s.id: {"used": used.get(s.id, 0.0),
                               "left": None if _cap(s) is None
                               else max(0.0, _cap(s) - used.get(s.id, 0.0))}
                        for s in scenario.credit_support}}


def _cap(support) -> float | None:
    """A support's aggregate cap (a risk-compensation fund's size), or ``None``."""
    return support.aggregate_cap()


def track(scenario, states, *, paths: int | None = None, seed: int | None = None,
          backend=None, labels=None, progress=None) -> dict:
    """The ``ipabs-track/v1`` document: ratings at closing and at each state, and what
    moved each tranche (:data:`STEPS`).

    Parameters
    ----------
    scenario : engine.Scenario
    states : list of engine.scenario.state.DealState
        From :func:`engine.load_state`, in any order (shown in the order given).
    paths, seed : int, optional
        Default to the scenario's ``simulation`` block; every run uses the same ones.
    labels : list of str, optional
        A name per state (default: its file's name without the suffix, else its ``name``).
    """
    scenario = checked(scenario)
    states = [as_state(s) for s in states]
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    cache: dict = {}

    def rate(state):
        key = None if state is None else state.model_dump_json()
        if key not in cache:
            cache[key] = _rows(run(scenario, paths, seed, state=state, backend=backend))
            if progress is not None:
                progress(len(cache))
        return cache[key]

    closing = rate(None)
    out_states = [{"label": "closing", "name": None, "as_of": 0, "source": None,
                   "tranches": closing, "position": position(scenario, None)}]
    for n, state in enumerate(states):
        state = resolve_as_of(scenario, state)          # a date as payment dates elapsed
        label = ((labels[n] if labels else None)
                 or (Path(state.source).stem if state.source else None)
                 or state.name or f"state {n + 1}")
        steps = [closing, rate(scheduled_state(scenario, state.as_of)),
                 rate(without_supporter_news(state)), rate(state)]
        moved = {}
        for k, row in enumerate(steps[-1]):
            if not row["rated"]:
                continue
            by = {name: notches(steps[i][k]["rating"], steps[i + 1][k]["rating"])
                  for i, name in enumerate(STEPS)}
            pd_by = {name: steps[i + 1][k]["default_probability"]
                     - steps[i][k]["default_probability"] for i, name in enumerate(STEPS)}
            moved[row["id"]] = {"notches": by,
                                "total": notches(closing[k]["rating"], row["rating"]),
                                "default_probability_change": pd_by,
                                "ratings": {name: steps[i + 1][k]["rating"]
                                            for i, name in enumerate(STEPS)},
                                "standalone_notches": {
                                    name: notches(steps[i][k]["rating_standalone"],
                                                  steps[i + 1][k]["rating_standalone"])
                                    for i, name in enumerate(STEPS)}}
        out_states.append({"label": label, "name": state.name, "as_of": state.as_of,
                           "source": state.source,
                           "tranches": steps[-1], "moved_by": moved,
                           "position": position(scenario, state)})
    return {"format": "ipabs-track/v1", "scenario": scenario.name,
            "paths": paths, "seed": seed, "attribution": list(STEPS),
            "rating": {"method": scenario.rating.method, "support": scenario.rating.support,
                       "table": scenario.rating.table},
            "states": out_states}
