"""Tranche sizing: the largest balance of a tranche that still earns a target rating.

The balance moves between the tranche and the one below it (the rest of the pool keeps
its structure); every candidate runs on the same random numbers, so the tranche's default
probability is monotone in its balance path by path and a bisection converges on the
boundary. The answer is resolved to ``tolerance`` (a share of the two tranches' total).
"""
from __future__ import annotations

from engine.errors import Problem, ScenarioError
from engine.plan import compile_plan
from engine.rating.deal import resolve_paths_seed, run_deal, sampling_plan
from engine.rating.scale import SF_SCALE
from engine.scenario.edit import standalone


def with_balance(scenario, k: int, balance: float, total: float):
    state = scenario.state
    if state is not None:      # a tracked deal: the report's balances move, the documents stay
        rows = list(state.tranches)
        rows[k] = rows[k].model_copy(update={"balance": balance})
        rows[k + 1] = rows[k + 1].model_copy(update={"balance": total - balance})
        moved = state.model_copy(update={"tranches": rows})
        moved._lines, moved._source = state._lines, state._source
        out = scenario.model_copy()
        out._state = moved
        return out
    tranches = list(scenario.tranches)
    tranches[k] = tranches[k].model_copy(update={"balance": balance})
    tranches[k + 1] = tranches[k + 1].model_copy(update={"balance": total - balance})
    for j in (k, k + 1):   # a bullet or schedule stays as scheduled, rescaled
        spec = tranches[j].principal
        if spec is not None and hasattr(spec, "schedule"):
            old = sum(spec.schedule)
            scale = tranches[j].balance / old if old > 0 else 0.0
            tranches[j] = tranches[j].model_copy(update={"principal": spec.model_copy(
                update={"schedule": [x * scale for x in spec.schedule]})})
    return scenario.model_copy(update={"tranches": tranches})


def size_tranche(scenario, tranche: str, target: str, *, paths: int | None = None,
                 seed: int | None = None, tolerance: float = 1e-3, backend=None) -> dict:
    """Largest balance of ``tranche`` (the rest moving to the tranche below) that earns
    ``target`` or better; returns the ``{"tranche", "target", "balance", "share_of_pool",
    "achieved", "bracket", "resolution", "paths", "seed"}`` document (``achieved`` is that
    tranche's result at the balance found; ``bracket`` the balance found and the smallest
    balance tried that misses the target, ``None`` if the whole of the two tranches earns
    it; ``resolution`` the search's step)."""
    ids = [t.id for t in scenario.tranches]
    problems = []
    if tranche not in ids:
        problems.append(Problem("--tranche", f"unknown tranche {tranche!r}; tranches: {', '.join(ids)}"))
    elif ids.index(tranche) == len(ids) - 1:
        problems.append(Problem("--tranche", f"{tranche!r} is the last tranche: no tranche below "
                                             "to take the rest"))
    elif not scenario.tranches[ids.index(tranche)].rated:
        problems.append(Problem("--tranche", f"{tranche!r} is marked `rated: false`: it carries "
                                             "no rating to size for"))
    if target not in SF_SCALE:
        problems.append(Problem("--target", f"unknown grade {target!r}; allowed: {', '.join(SF_SCALE)}"))
    if problems:
        raise ScenarioError(problems)
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    k = ids.index(tranche)
    now = scenario.tranches if scenario.state is None else [
        scenario.state.tranche(t) for t in ids]          # a tracked deal: what is owed now
    total = now[k].balance + now[k + 1].balance
    search = _Search(k, total, SF_SCALE.index(target), paths, seed, tolerance, backend)
    best, best_row, fails = search.run(scenario)
    if best is None:
        raise ScenarioError(Problem("--target", f"{tranche} does not earn {target} even with "
                                                "no balance"))
    pool = (sum(a.balance for a in scenario.assets) if scenario.state is None else
            sum(a.balance or 0.0 for a in scenario.state.assets))
    doc = {"format": "ipabs-size/v1", "tranche": tranche, "target": target, "balance": best,
           "rating": {"method": scenario.rating.method, "support": scenario.rating.support,
                      "table": scenario.rating.table},
           "share_of_pool": best / pool, "achieved": best_row,
           "bracket": [best, fails], "resolution": tolerance * total,
           "paths": paths, "seed": seed}
    if scenario.rating.support == "substitution" and scenario.credit_support:
        # what the pool and structure carry alone: the number a structurer negotiates
        alone, alone_row, alone_fails = search.run(standalone(scenario))
        doc["support_carries_any_size"] = fails is None
        doc["standalone"] = None if alone is None else {
            "balance": alone, "share_of_pool": alone / pool, "achieved": alone_row,
            "bracket": [alone, alone_fails]}
    return doc


class _Search:
    """The bisection of one sizing, on one basis (the scenario it is given)."""

    def __init__(self, k, total, goal, paths, seed, tolerance, backend):
        self.k, self.total, self.goal = k, total, goal
        self.paths, self.seed, self.tolerance, self.backend = paths, seed, tolerance, backend

    def run(self, scenario):
        """``(largest balance earning the goal, its tranche row, smallest balance tried that
        misses it or None)``; ``(None, None, 0.0)`` when even no balance misses it."""
        k, total = self.k, self.total
        base_plan, run_info = sampling_plan(scenario, compile_plan(scenario), self.seed)

        def evaluate(balance):
            sc = with_balance(scenario, k, balance, total)
            res, _ = run_deal(sc, self.paths, self.seed, base=base_plan, run_info=run_info,
                              backend=self.backend)
            row = res.tranche_rows[k]
            return SF_SCALE.index(row["rating"]) <= self.goal, row

        lo, hi = 0.0, total
        ok_hi, row_hi = evaluate(hi)
        if ok_hi:
            return hi, row_hi, None
        fails = hi                     # the smallest balance tried that misses the target
        ok_lo, row_lo = evaluate(lo)
        if not ok_lo:
            return None, None, 0.0
        best, best_row = lo, row_lo
        while hi - lo > self.tolerance * total:
            mid = 0.5 * (lo + hi)
            ok, row = evaluate(mid)
            if ok:
                lo, best, best_row = mid, mid, row
            else:
                hi = fails = mid
        return best, best_row, fails
