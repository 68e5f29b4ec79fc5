"""The public Python API: load a scenario, run it, get a Result."""
from __future__ import annotations

import time

from engine.rating.deal import (
    Stages,
    engine_version,
    reliance,
    resolve_paths_seed,
    run_deal,
    sampling_plan,
)
from engine.result import Result
from engine.simulate import DEFAULT_CHUNK_BLOCKS, Progress

__all__ = ["run", "cashflows", "engine_version", "resolve_paths_seed", "sampling_plan"]


def run(scenario, paths: int | None = None, seed: int | None = None, *,
        chunk_blocks: int = DEFAULT_CHUNK_BLOCKS, progress: Progress | None = None,
        backend=None, reliance_report: bool = False) -> Result:
    """Simulate a scenario and rate its tranches.

    Each tranche gets its ``rating`` by the scenario's convention (``rating.support``)
    and, from the same paths and seed, ``rating_standalone`` (no credit support),
    ``support_floor`` and ``rating_joint_default`` (supporters as correlated obligors).

    Parameters
    ----------
    scenario : engine.Scenario
        From :func:`engine.load_scenario`.
    paths, seed : int, optional
        Default to the scenario's ``simulation`` block.
    chunk_blocks : int
        Blocks of paths per kernel call; changes progress granularity, never results.
    progress : callable(done, total), optional
        Called after each chunk (over all the simulations the run needs).
    backend : engine.backends.DaskBackend, optional
        Run the chunks on a Dask cluster; the result is bit-identical to a local run.
    reliance_report : bool
        Also rate every tranche without each credit support entry in turn
        (``Result.reliance``): one more simulation per entry, on the same paths.

    Returns
    -------
    engine.Result
    """
    started = time.perf_counter()
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    n_stages = 2 + (len(scenario.credit_support) if reliance_report else 0)
    stages = Stages(progress, n_stages, paths)
    result, runs = run_deal(scenario, paths, seed, stages=stages, backend=backend,
                            chunk_blocks=chunk_blocks)
    if reliance_report:
        result.reliance = reliance(scenario, result, runs.plan, paths, seed, stages=stages,
                                   backend=backend)
        result.run["elapsed_s"] = round(time.perf_counter() - started, 3)
    return result


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
    engine.deterministic.run.CashFlowReport
        ``.table`` (DataFrame indexed by period), ``.summary``, ``.to_dict()``.
    """
    from engine.deterministic.assumptions import DefaultAssumptions
    from engine.deterministic.run import deterministic_cashflows

    timing = timing if isinstance(timing, str) else tuple(timing)
    return deterministic_cashflows(scenario, DefaultAssumptions(
        named=dict(defaults or {}), cdr=cdr, timing=timing, recovery=recovery,
        recovery_lag=recovery_lag))
