"""The public Python API: load a scenario, run it, get a Result."""
from __future__ import annotations

import os
import time

from engine.notation import rating_by_text
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
from engine.analysis.compare import compare as compare_document
from engine.analysis.sensitivity import sensitivity as sensitivity_document
from engine.analysis.sizing import size_tranche as size_document
from engine.analysis.sweep import sweep as sweep_document, sweep_frame
from engine.deterministic.assumptions import DefaultAssumptions
from engine.deterministic.run import deterministic_cashflows
from engine.deterministic.run import state_after as deterministic_state_after
from engine.errors import Problem, ScenarioError, UnsupportedFeature
from engine.scenario import Scenario
from engine.scenario.checks import check_scenario, passed_checks
from engine.scenario.edit import with_changes as edit_with_changes
from engine.scenario.state import DealState, tracked
from engine.scenario.state import load_state as load_state_file

__all__ = ["run", "load_state", "with_state", "state_after", "cashflows", "sensitivity",
           "compare", "size_tranche", "sweep", "with_changes",
           "engine_version", "resolve_paths_seed", "sampling_plan"]


def run(scenario, paths: int | None = None, seed: int | None = None, *,
        chunk_blocks: int = DEFAULT_CHUNK_BLOCKS, progress: Progress | None = None,
        backend=None, reliance_report: bool = False, state=None) -> Result:
    """Simulate a scenario and rate its tranches.

    Each tranche gets its ``rating`` by the scenario's convention (``rating.support``)
    and, from the same paths and seed, ``rating_standalone`` (no credit support),
    ``rating_substitution`` (the agencies' counterparty rule: ``support_ladder``,
    ``rating_by``) and ``rating_joint_default`` (supporters as correlated obligors).

    Parameters
    ----------
    scenario : engine.Scenario
        From :func:`engine.load_scenario`.
    paths, seed : int, optional
        Default to the scenario's ``simulation`` block.
    chunk_blocks : int
        Blocks of paths per chunk (a local run folds at most 8 at a time, a Dask task
        takes ``chunk_blocks``); changes progress granularity, never results.
    progress : callable(done, total), optional
        Called after each chunk (over all the simulations the run needs).
    backend : engine.backends.DaskBackend, optional
        Run the chunks on a Dask cluster; the result is bit-identical to a local run.
    reliance_report : bool
        Also rate every tranche without each credit support entry in turn
        (``Result.reliance``): one more simulation per entry, on the same paths.
    state : engine.DealState, optional
        A tracking rating (跟踪评级): rate the deal from this state (:func:`load_state`),
        simulating the dates after its ``as_of`` by the same conventions.

    Returns
    -------
    engine.Result
    """
    started = time.perf_counter()
    scenario, backend = checked(scenario), _backend(backend)
    state = as_state(state)
    scenario = with_state(scenario, state)
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    n_stages = 2 + (len(scenario.credit_support) if reliance_report else 0)
    stages = Stages(progress, n_stages, paths)
    result, runs = run_deal(scenario, paths, seed, stages=stages, backend=backend,
                            chunk_blocks=chunk_blocks)
    if state is not None:
        result.run["state"] = {"as_of": state.as_of, "name": state.name,
                               "source": state.source}
    if reliance_report:
        result.reliance = reliance(scenario, result, runs.plan, paths, seed, stages=stages,
                                   backend=backend)
        result.run["elapsed_s"] = round(time.perf_counter() - started, 3)
    return result


def as_state(state):
    """A DealState from a DealState, its document or the path of its file (``None`` stays
    ``None``); a TypeError naming ``state`` for anything else."""
    if isinstance(state, dict):          # a document (engine.state_after), checked here
        return DealState.model_validate(state)
    if isinstance(state, (str, os.PathLike)):
        return load_state(state)
    if state is not None and not isinstance(state, DealState):
        raise TypeError(f"state: expected an engine.DealState (engine.load_state), its "
                        f"document or the path of its file, got {_shown(state)}")
    return state


def _shown(value) -> str:
    """A value in a message: short, with its type."""
    text = repr(value)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({type(value).__name__})"


def checked(scenario, name: str = "scenario"):
    """``scenario`` if it is an :class:`engine.Scenario` that passes the checks as it is now
    (one changed in place, ``sc.assets.append(...)``, is checked afresh): a TypeError naming
    the argument for anything else, a ScenarioError for a broken deal."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"{name}: expected an engine.Scenario (engine.load_scenario), got "
                        f"{_shown(scenario)}")
    _check(scenario)
    return scenario


def _backend(backend):
    """``backend`` if it is ``None`` (run here) or a backend (a DaskBackend)."""
    if backend is not None and not callable(getattr(backend, "simulate", None)):
        raise TypeError(f"backend: expected None (run here) or an engine.backends.DaskBackend, "
                        f"got {_shown(backend)}")
    return backend


def with_state(scenario, state):
    """``scenario`` tracked at ``state`` (a DealState or its document; ``None``: unchanged);
    the state is checked against the scenario (a ScenarioError naming the state file
    otherwise)."""
    scenario = checked(scenario)
    if state is None:
        return scenario
    state = as_state(state)

    if scenario.rating.method == "tdr_bdr":
        raise UnsupportedFeature(Problem("rating.method", "tdr_bdr rating of a deal state is "
                                                          "not supported yet (issue 18); use "
                                                          "tranche_pd or expected_loss"))
    return tracked(scenario, state)


def load_state(path):
    """Read an ``ipabs-state/v1`` deal state file (:mod:`engine.scenario.state`)."""
    return load_state_file(path)


def _check(scenario) -> None:
    """A scenario derived in Python (``model_copy``) is checked like a file before it runs,
    so a broken cross reference is a ScenarioError, not a KeyError deep in the engine (its
    ``sensitivities`` aside: ``run`` does not run them)."""
    if passed_checks(scenario):       # loaded or validated as it is now (frozen models)
        return
    # the sensitivities are not run here (a derived deal may have dropped what one names)
    problems = [p for p in check_scenario(scenario) if not p.path.startswith("sensitivities")]
    if problems:
        raise ScenarioError(problems)


def cashflows(scenario, *, defaults: dict[str, int] | None = None, cdr: float = 0.0,
              timing="uniform", recovery: float | None = None, recovery_lag: int = 0,
              state=None):
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
    state : engine.DealState, optional
        Run from this state: the dates after its ``as_of`` (named defaults after it too).

    Returns
    -------
    engine.deterministic.run.CashFlowReport
        ``.table`` (DataFrame indexed by period), ``.summary``, ``.to_dict()``.
    """
    timing = timing if isinstance(timing, str) else tuple(timing)
    return deterministic_cashflows(with_state(scenario, state), DefaultAssumptions(
        named=dict(defaults or {}), cdr=cdr, timing=timing, recovery=recovery,
        recovery_lag=recovery_lag))


def state_after(scenario, dates: int, *, defaults: dict[str, int] | None = None,
                state=None) -> dict:
    """The ``ipabs-state/v1`` document of the deal after ``dates`` payment dates of the
    deterministic run with named ``defaults`` (from ``state`` if given): what
    ``ipabs cashflows --state-at`` writes. Continued by ``cashflows(..., state=...)`` with
    the same later defaults it reproduces the full run to the cent."""
    return deterministic_state_after(with_state(scenario, state),
                                     DefaultAssumptions(named=dict(defaults or {})),
                                     dates)


def with_changes(scenario, changes: dict | None = None, /, **fields):
    """A fully validated copy of ``scenario`` with changes (dotted paths such as
    ``"tranches.A.balance"``): see :func:`engine.scenario.edit.with_changes`."""
    return edit_with_changes(scenario, changes, **fields)


#: Columns of :func:`sensitivity`'s table, after its (case, tranche) index.
SENSITIVITY_COLUMNS = ("rating", "rating_range", "rating_standalone", "rating_by",
                       "rating_joint_default", "default_probability",
                       "default_probability_se", "pd_change", "pd_change_se",
                       "expected_loss", "expected_loss_se", "el_change", "el_change_se")


def sensitivity_frame(doc: dict):
    """The ``ipabs-sensitivity/v1`` document as a DataFrame indexed by (case, tranche), the
    base case first with changes of 0; ranges as ``AAAsf..AA+sf``, what the rating rests on
    as ``GC+SOE (AA+)``."""
    import pandas as pd


    def row(case, t, diff):
        out = {"case": case, "tranche": t["id"], **{k: t.get(k) for k in SENSITIVITY_COLUMNS}}
        out.update(diff)
        out["rating_range"] = "..".join(t["rating_range"]) if t.get("rating_range") else None
        out["rating_by"] = rating_by_text(t) if t.get("rating_by") else None
        return out

    zero = {"pd_change": 0.0, "pd_change_se": 0.0, "el_change": 0.0, "el_change_se": 0.0}
    rows = [row("base", t, zero) for t in doc["base"]["tranches"]]
    rows += [row(c["name"], t, {k: t[k] for k in zero}) for c in doc["cases"]
             for t in c["tranches"]]
    frame = pd.DataFrame(rows).set_index(["case", "tranche"])
    frame.attrs["document"] = doc
    return frame


def sensitivity(scenario, cases=None, *, paths: int | None = None, seed: int | None = None,
                backend=None):
    """The base case beside each sensitivity, on the same random numbers, as a DataFrame.

    Parameters
    ----------
    scenario : engine.Scenario
    cases : dict or list, optional
        ``{name: change}`` or ``[(name, change), ...]`` with changes as in the scenario's
        ``sensitivities`` (``{"pd_multiplier": 1.5}``, ``{"remove_support": ["SC"]}``, ...);
        default: the scenario's own sensitivities.
    paths, seed : int, optional
        Default to the scenario's ``simulation`` block.

    Returns
    -------
    pandas.DataFrame
        Indexed by (case, tranche), the base case first: ratings, default probability and
        expected loss with standard errors, and each case's paired change against the base
        (``pd_change``, ``el_change``) with its own standard error. The full document is in
        ``.attrs["document"]``.
    """
    scenario, backend = checked(scenario), _backend(backend)
    if isinstance(cases, dict):
        cases = list(cases.items())
    if cases is not None:
        with_changes(scenario, sensitivities=[{"name": n, **c} for n, c in cases])
    return sensitivity_frame(sensitivity_document(scenario, cases, paths=paths, seed=seed,
                                      backend=backend))


def compare(scenarios, *, paths: int | None = None, seed: int | None = None, backend=None):
    """Designs side by side on common random numbers: the ``ipabs-compare/v1`` document
    (:func:`engine.analysis.compare.compare`)."""
    if not isinstance(scenarios, (list, tuple)):
        raise TypeError(f"scenarios: expected a list of engine.Scenario, got "
                        f"{_shown(scenarios)}")
    scenarios = [checked(sc, f"scenarios[{i}]") for i, sc in enumerate(scenarios)]
    if not scenarios:
        raise ValueError("scenarios: expected at least one engine.Scenario, got none")
    return compare_document(scenarios, paths=paths, seed=seed, backend=_backend(backend))


def sweep(scenario, vary: dict, *, paths: int | None = None, seed: int | None = None,
          backend=None):
    """A grid of designs on the same random numbers, as a DataFrame.

    Parameters
    ----------
    scenario : engine.Scenario
    vary : dict
        ``{path: [values]}``, paths as :func:`with_changes` takes them;
        ``tranches.<id>.balance`` moves the difference to the tranche below (as in sizing).
        Every combination is a design.

    Returns
    -------
    pandas.DataFrame
        One row per design and tranche: the design's values, the ratings on the three
        bases, default probability, expected loss and WAL, and the design's costs
        (``cost_all_in``, ``cost_excess_spread``, ...). The ``ipabs-sweep/v1`` document is
        in ``.attrs["document"]``.
    """
    scenario, backend = checked(scenario), _backend(backend)
    if not isinstance(vary, dict):
        raise TypeError(f"vary: expected a dict of path -> values, got {_shown(vary)}")
    return sweep_frame(sweep_document(scenario, {k: list(v) for k, v in vary.items()}, paths=paths,
                                seed=seed, backend=backend))


def size_tranche(scenario, tranche: str, target: str, *, paths: int | None = None,
                 seed: int | None = None, tolerance: float = 1e-3, backend=None) -> dict:
    """The largest balance of ``tranche`` that earns ``target``
    (:func:`engine.analysis.sizing.size_tranche`)."""
    scenario, backend = checked(scenario), _backend(backend)
    return size_document(scenario, tranche, target, paths=paths, seed=seed, tolerance=tolerance,
                  backend=backend)
