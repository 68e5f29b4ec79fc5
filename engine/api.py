"""The public Python API: load a scenario, run it, get a Result."""
from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

from engine.default.importance import importance_plan
from engine.plan import compile_plan, rating_tables
from engine.result import Result, build_result
from engine.simulate import DEFAULT_CHUNK_BLOCKS, Progress, simulate


def engine_version() -> str:
    try:
        return version("ipabs-engine")
    except PackageNotFoundError:  # running from a source tree
        return "0.1.0"


def run(scenario, paths: int | None = None, seed: int | None = None, *,
        chunk_blocks: int = DEFAULT_CHUNK_BLOCKS, progress: Progress | None = None,
        backend=None) -> Result:
    """Simulate a scenario and rate its tranches.

    Parameters
    ----------
    scenario : engine.Scenario
        From :func:`engine.load_scenario`.
    paths, seed : int, optional
        Default to the scenario's ``simulation`` block.
    chunk_blocks : int
        Blocks of paths per kernel call; changes progress granularity, never results.
    progress : callable(done, total), optional
        Called after each chunk.
    backend : engine.backends.DaskBackend, optional
        Run the chunks on a Dask cluster; the result is bit-identical to a local run.

    Returns
    -------
    engine.Result
    """
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    started = time.perf_counter()
    plan, run_info = sampling_plan(scenario, compile_plan(scenario), seed)
    totals = simulate(plan, paths, seed, chunk_blocks=chunk_blocks, progress=progress,
                      backend=backend)
    return finish_result(scenario, plan, totals, paths, seed, run_info, started)


def resolve_paths_seed(scenario, paths, seed) -> tuple[int, int]:
    """``paths`` and ``seed``, defaulting to the scenario's ``simulation`` block, checked."""
    paths = scenario.simulation.paths if paths is None else int(paths)
    seed = scenario.simulation.seed if seed is None else int(seed)
    if paths < 1:
        raise ValueError(f"paths must be at least 1, got {paths}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return paths, seed


def sampling_plan(scenario, plan, seed: int):
    """The Plan with importance sampling aimed (when asked), and the run description."""
    run_info = {"method": scenario.simulation.method, "engine_version": engine_version()}
    if scenario.simulation.method == "importance":
        plan, run_info["importance"] = importance_plan(scenario, plan, simulate, seed)
    return plan, run_info


def finish_result(scenario, plan, totals, paths, seed, run_info, started) -> Result:
    """Estimates and ratings of a finished simulation (TDR/BDR work included when asked)."""
    tables = rating_tables(scenario)
    info = {"paths": paths, "seed": seed, **run_info}
    result = build_result(scenario, plan, totals, tables, info)
    if scenario.rating.method == "tdr_bdr":
        rate_tdr_bdr(result, scenario, plan, totals, tables["pd"])
    if scenario.rating.large_obligor_test:
        from engine.analysis.large_obligor import apply_large_obligor_test

        apply_large_obligor_test(result, scenario)
    result.run["elapsed_s"] = round(time.perf_counter() - started, 3)
    return result


def rate_tdr_bdr(result, scenario, plan, totals, table) -> None:
    """Replace each tranche's grade by the TDR/BDR grade; add ``pool.tdr`` and ``bdr``."""
    from engine.analysis.breakeven import break_even_rates
    from engine.rating.tdr_bdr import grade_for, pool_wal_years, target_default_rates

    wal = pool_wal_years(plan)
    tdrs = target_default_rates(totals.default_rate_hist, totals.paths, wal, table)
    bdrs = break_even_rates(scenario)
    for row in result.tranche_rows:
        b = bdrs[row["id"]]
        row["bdr"], row["bdr_by_scenario"] = b["bdr"], b["bdr_by_scenario"]
        row["rating"] = grade_for(b["bdr"], tdrs)
        row["rating_range"] = [grade_for(b["bdr"], tdrs, 1), grade_for(b["bdr"], tdrs, 2)]
    result.pool["wal_years"] = wal
    result.pool["tdr"] = {grade: v[0] for grade, v in tdrs.items()}


def cashflows(scenario, *, defaults: dict[str, int] | None = None, cdr: float = 0.0,
              timing="uniform", recovery: float | None = None, recovery_lag: int = 0):
    """One deterministic run of the deal: the per-date cash flows of the pool, every support,
    fee and tranche, under given defaults (none by default).

    Parameters
    ----------
    scenario : engine.Scenario
    defaults : dict obligor id -> period, optional
        Named obligors (borrowers or support providers) that default, and when.
    cdr : float
        Share of every asset's original balance that defaults, spread by ``timing``
        (``"uniform"``, ``"front:x"`` or shares per period).
    recovery, recovery_lag : optional
        Recovery as a share of principal outstanding at default and its lag, replacing the
        collateral (which otherwise realises at its mean haircut).

    Returns
    -------
    engine.waterfall.deterministic.CashFlowReport
        ``.table`` (DataFrame indexed by period), ``.summary``, ``.to_dict()``.
    """
    from engine.waterfall.assumptions import DefaultAssumptions
    from engine.waterfall.deterministic import deterministic_cashflows

    timing = timing if isinstance(timing, str) else tuple(timing)
    return deterministic_cashflows(scenario, DefaultAssumptions(
        named=dict(defaults or {}), cdr=cdr, timing=timing, recovery=recovery,
        recovery_lag=recovery_lag))
