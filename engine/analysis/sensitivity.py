"""Sensitivities: the base case beside each change, on the same random numbers.

Because every random number is a pure function of (seed, path, stream, index), a changed
deal runs on exactly the base case's paths; the change in each estimate is measured path
by path, so its standard error is far smaller than either estimate's. Importance sampling,
when asked, keeps the base case's shift for every case (still unbiased for each).
"""
from __future__ import annotations

from engine.analysis.changes import apply_change, describe
from engine.analysis.paired import tranche_differences
from engine.rating.deal import resolve_paths_seed, run_deal

SENSITIVITY_FORMAT = "ipabs-sensitivity/v1"
#: What each case reports of each tranche (beside the paired differences).
CASE_KEYS = ("id", "rated", "rating", "rating_range", "rating_standalone", "rating_by",
             "rating_substitution", "rating_range_substitution", "support_ladder",
             "rating_joint_default", "rating_range_standalone", "rating_range_joint_default",
             "default_probability", "default_probability_se",
             "expected_loss", "expected_loss_se")


def run_case(scenario, change: dict, base_plan, paths: int, seed: int, run_info: dict,
             backend=None):
    """One changed deal on the base case's paths: ``(Result, DealRuns)``."""
    changed, kwargs = apply_change(scenario, change)
    return run_deal(changed, paths, seed, base=base_plan, run_info=run_info,
                    compile_kwargs=kwargs, record=True, backend=backend)


def sensitivity(scenario, cases=None, *, paths: int | None = None, seed: int | None = None,
                progress=None, backend=None) -> dict:
    """The base case and each sensitivity of the scenario (or ``cases``: a list of
    ``(name, change dict)``), as the ``ipabs-sensitivity/v1`` document."""
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    if cases is None:
        cases = [(s.name, describe(s)) for s in scenario.sensitivities]
    base, base_runs = run_deal(scenario, paths, seed, record=True, backend=backend)
    run_info = {k: v for k, v in base.run.items() if k not in ("paths", "seed", "elapsed_s")}
    out = []
    for n, (name, change) in enumerate(cases):
        result, runs = run_case(scenario, change, base_runs.plan, paths, seed, run_info,
                                backend)
        diffs = tranche_differences(base_runs.totals.record, runs.totals.record)
        rows = [{key: row[key] for key in CASE_KEYS} | diff
                for row, diff in zip(result.tranche_rows, diffs)]
        out.append({"name": name, "change": change, "tranches": rows})
        if progress is not None:
            progress(n + 1, len(cases))
    return {"format": SENSITIVITY_FORMAT, "base": base.to_dict(), "cases": out}
