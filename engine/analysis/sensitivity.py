"""Sensitivities: the base case beside each change, on the same random numbers.

Because every random number is a pure function of (seed, path, stream, index), a changed
deal runs on exactly the base case's paths; the change in each estimate is measured path
by path, so its standard error is far smaller than either estimate's. Importance sampling,
when asked, keeps the base case's shift for every case (still unbiased for each).
"""
from __future__ import annotations

import dataclasses
import time

from engine.analysis.changes import apply_change, describe
from engine.analysis.paired import tranche_differences
from engine.api import finish_result, resolve_paths_seed, sampling_plan
from engine.plan import compile_plan
from engine.simulate import simulate

SENSITIVITY_FORMAT = "ipabs-sensitivity/v1"


def run_case(scenario, change: dict, base_plan, paths: int, seed: int, run_info: dict,
             backend=None):
    """One changed deal on the base case's paths: ``(Result, Totals)``."""
    started = time.perf_counter()
    changed, kwargs = apply_change(scenario, change)
    plan = compile_plan(changed, **kwargs)
    if plan.factors.n_factors == base_plan.factors.n_factors:
        plan = dataclasses.replace(plan, z_shift=base_plan.z_shift,
                                   twist_target=base_plan.twist_target)
    totals = simulate(plan, paths, seed, record=True, backend=backend)
    return finish_result(changed, plan, totals, paths, seed, run_info, started), totals


def sensitivity(scenario, cases=None, *, paths: int | None = None, seed: int | None = None,
                progress=None, backend=None) -> dict:
    """The base case and each sensitivity of the scenario (or ``cases``: a list of
    ``(name, change dict)``), as the ``ipabs-sensitivity/v1`` document."""
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    if cases is None:
        cases = [(s.name, describe(s)) for s in scenario.sensitivities]
    started = time.perf_counter()
    base_plan, run_info = sampling_plan(scenario, compile_plan(scenario), seed)
    base_totals = simulate(base_plan, paths, seed, record=True, backend=backend)
    base = finish_result(scenario, base_plan, base_totals, paths, seed, run_info, started)
    out = []
    for n, (name, change) in enumerate(cases):
        result, totals = run_case(scenario, change, base_plan, paths, seed, run_info, backend)
        diffs = tranche_differences(base_totals.record, totals.record)
        rows = []
        for row, diff in zip(result.tranche_rows, diffs):
            rows.append({key: row[key] for key in (
                "id", "rating", "rating_range", "default_probability", "default_probability_se",
                "expected_loss", "expected_loss_se")} | diff)
        out.append({"name": name, "change": change, "tranches": rows})
        if progress is not None:
            progress(n + 1, len(cases))
    return {"format": SENSITIVITY_FORMAT, "base": base.to_dict(), "cases": out}
