"""Rate a deal: the full simulation, the standalone structure and the support ladder on
common random numbers, combined by the scenario's support convention.

Every tranche gets, from the same paths and seed:

- ``rating_joint_default``: the full simulation, supporters as correlated obligors;
- ``rating_standalone``: the pool and the structure alone (every credit support removed);
- ``rating_substitution``: the market's grade, the agencies' counterparty rule
  (:mod:`engine.rating.substitution`): one run per distinct grade of the live supporters,
  those graded at it or better paying as documented and never defaulting, the others
  defaulted from the start; the best of the standalone grade and each run's grade capped at
  its supporters' grade (``support_ladder``, ``rating_by``);

and ``rating`` is the one the convention names (``rating.support``: ``substitution``,
``joint_default`` or ``standalone``). With the ``tdr_bdr`` method the standalone and ladder
grades come from break-even default rates of the structure (with the run's supporters
paying) against the TDR of the simulated pool, and the joint-default grade from the full
simulation's default probability (a BDR with supporters that may default means nothing).
"""
from __future__ import annotations

import numbers

import dataclasses
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from engine.plan import Plan, compile_plan, rating_tables
from engine.rating.substitution import (
    LadderStep,
    ladder_rating,
    ladder_steps,
    notches,
    worse,
)
from engine.result import Result, build_result, sampling_warnings
from engine.sampling import importance_plan
from engine.scenario.edit import standalone, without_support
from engine.scenario.models import SEED_LIMIT
from engine.variants import drawn_like
from engine.simulate import DEFAULT_CHUNK_BLOCKS, Totals, simulate, simulate_set
from engine.analysis.breakeven import break_even_rates
from engine.analysis.large_obligor import apply_large_obligor_test
from engine.rating.tdr_bdr import grade_for, pool_wal_years, target_default_rates


def engine_version() -> str:
    """The installed distribution's version (``0.1.0`` from a source tree)."""
    try:
        return version("ipabs-engine")
    except PackageNotFoundError:
        return "0.1.0"


def _whole(name: str, value) -> int:
    """``value`` as an int if it is a whole number (not a float, text or bool): a TypeError
    naming the argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a whole number (int), got {value!r} "
                        f"({type(value).__name__})")
    return int(value)


def resolve_paths_seed(scenario, paths, seed) -> tuple[int, int]:
    """``paths`` and ``seed``, defaulting to the scenario's ``simulation`` block, checked."""
    paths = scenario.simulation.paths if paths is None else _whole("paths", paths)
    seed = scenario.simulation.seed if seed is None else _whole("seed", seed)
    if paths < 1:
        raise ValueError(f"paths must be at least 1, got {paths}")
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return paths, seed


def sampling_plan(scenario, plan, seed: int):
    """The Plan with importance sampling aimed (when asked), and the run description."""
    run_info = {"method": scenario.simulation.method, "engine_version": engine_version()}
    if scenario.simulation.method == "importance":
        plan, run_info["importance"] = importance_plan(scenario, plan, seed)
    return plan, run_info


def aimed_like(plan: Plan, base: Plan) -> Plan:
    """``plan`` with the importance-sampling shift of ``base`` (same factors), so a changed
    deal runs on the base case's paths and weights."""
    if plan.factors.n_factors != base.factors.n_factors:
        return plan
    return dataclasses.replace(plan, z_shift=base.z_shift, twist_target=base.twist_target,
                               defensive_share=base.defensive_share)


class Stages:
    """Progress of several simulations of equal size as one bar: ``stage()`` hands out the
    next one; ``add(n)`` announces more (the ladder's runs, known once the deal is read)."""

    def __init__(self, progress, n_stages: int, paths: int):
        self.progress, self.n, self.paths = progress, n_stages, paths
        self.next = 0

    def add(self, n: int) -> None:
        self.n += n

    def stage(self):
        return self.stages(1)

    def stages(self, k: int):
        """The next ``k`` stages run as one pass: its progress counts ``k`` times."""
        i = self.next
        self.next += k
        if self.progress is None:
            return None
        return lambda done, total: self.progress(i * self.paths + k * done,
                                                 self.n * self.paths)


@dataclass
class DealRuns:
    """The full deal, its standalone structure and the ladder's runs, on the same paths."""
    plan: Plan
    totals: Totals
    standalone_scenario: object     # the Scenario with every credit support removed
    standalone_plan: Plan
    standalone_totals: Totals
    ladder: list = dataclasses.field(default_factory=list)  # [(LadderStep, Totals)]


def support_ladder(scenario, plan: Plan) -> list[LadderStep]:
    """The ladder's runs of ``scenario`` compiled as ``plan`` (best supporter grade first)."""
    return ladder_steps(scenario, plan.obligor_ids, plan.horizon, rating_tables(scenario)["pd"])


def simulate_deal(scenario, plan: Plan, paths: int, seed: int, *, compile_kwargs=None,
                  stages: Stages | None = None, record: bool = False, backend=None,
                  chunk_blocks: int = DEFAULT_CHUNK_BLOCKS) -> DealRuns:
    """Simulate the (aimed) ``plan`` of ``scenario``, its standalone structure (a deal
    without credit support is its own: simulated once) and each run of its support ladder
    (the same Plan with the supporters' default dates fixed), in one pass: every path's
    defaults and haircuts are drawn once and paid by each support set's waterfall."""
    steps = support_ladder(scenario, plan)
    stages = stages or Stages(None, 2, paths)
    stages.add(len(steps))
    alone_scenario = standalone(scenario)
    if alone_scenario is scenario:
        # no credit support: the standalone structure is the deal, on the same paths (the
        # same numbers, without simulating them twice)
        totals = simulate(plan, paths, seed, chunk_blocks=chunk_blocks,
                          progress=stages.stage(), record=record, backend=backend)
        done = stages.stage()
        if done is not None:
            done(paths, paths)
        return DealRuns(plan, totals, scenario, plan, totals)
    alone = drawn_like(compile_plan(alone_scenario, **(compile_kwargs or {})), plan)
    runs = [plan, alone] + ladder_plans(plan, steps)
    totals = simulate_set(runs, paths, seed, chunk_blocks=chunk_blocks,
                          progress=stages.stages(len(runs)), record=record, backend=backend)
    return DealRuns(plan, totals[0], alone_scenario, alone, totals[1],
                    list(zip(steps, totals[2:])))


def ladder_plans(plan: Plan, steps: list) -> list[Plan]:
    """Each ladder step's run: the Plan with its supporters' default dates fixed."""
    return [dataclasses.replace(plan, as_supporter=step.as_supporter) for step in steps]


def simulated_method(scenario) -> str:
    """The method that rates a simulation's estimates: the scenario's, or ``tranche_pd``
    under ``tdr_bdr`` (whose grades come from break-even runs instead)."""
    return "tranche_pd" if scenario.rating.method == "tdr_bdr" else scenario.rating.method


def joint_default_result(scenario, plan, totals, tables, info) -> Result:
    """Estimates of the full simulation, rated by default probability (or expected loss)."""
    result = build_result(scenario, plan, totals, tables, info, simulated_method(scenario))
    if scenario.rating.large_obligor_test:
        apply_large_obligor_test(result, scenario)
    return result


def standalone_result(scenario, alone, plan, totals, tables, info) -> Result:
    """Estimates of the standalone structure ``alone`` of ``scenario``, rated by the
    scenario's method."""
    result = build_result(alone, plan, totals, tables, info, simulated_method(scenario))
    if scenario.rating.method == "tdr_bdr":
        rate_tdr_bdr(result, alone, plan, totals, tables["pd"])
    if scenario.rating.large_obligor_test:
        apply_large_obligor_test(result, alone)
    return result


def rate_tdr_bdr(result, scenario, plan, totals, table, supporters=None) -> None:
    """Each tranche's TDR/BDR grade (``bdr`` on the scenario as given, with ``supporters``
    ({obligor id: the date it stops paying as a supporter}) fixed as in a ladder run);
    ``pool.tdr``."""
    wal = pool_wal_years(plan)
    tdrs = target_default_rates(totals.default_rate_hist, totals.paths, wal, table,
                                totals.default_rate_hist_sq)
    bdrs = break_even_rates(scenario, supporters)
    for row in result.tranche_rows:
        b = bdrs[row["id"]]
        row["rating"] = grade_for(b["bdr"], tdrs)
        row["rating_range"] = [grade_for(b["bdr"], tdrs, 1), grade_for(b["bdr"], tdrs, 2)]
        by = b["bdr_by_scenario"]
        tdr = tdrs.get(row["rating"])
        row.update(bdr=b["bdr"], bdr_governing_stress=min(by, key=by.get),
                   bdr_cushion=None if tdr is None else b["bdr"] - tdr[0],
                   bdr_by_scenario=by)
    result.pool["wal_years"] = wal
    result.pool["tdr"] = {grade: v[0] for grade, v in tdrs.items()}


def ladder_results(scenario, plan: Plan, ladder: list, tables, info) -> list:
    """``[(LadderStep, Result)]``: each ladder run's estimates, rated by the scenario's
    method (under ``tdr_bdr`` by break-even rates with the run's supporters paying)."""
    out = []
    for step, totals in ladder:
        run_plan = dataclasses.replace(plan, as_supporter=step.as_supporter)
        res = build_result(scenario, run_plan, totals, tables, info, simulated_method(scenario))
        if scenario.rating.method == "tdr_bdr":
            fixed = {oid: int(d) for oid, d in zip(plan.obligor_ids, step.as_supporter)
                     if d >= 0}
            rate_tdr_bdr(res, scenario, run_plan, totals, tables["pd"], fixed)
        out.append((step, res))
    return out


#: Keys of the standalone run copied onto each tranche row (with a ``_standalone`` suffix).
STANDALONE_ESTIMATES = ("default_probability", "default_probability_se", "expected_loss",
                        "expected_loss_se")
#: Keys of the joint-default run's sampling diagnostics kept on each tranche row.
SAMPLING_KEYS = ("default_probability_raw", "default_probability_ess", "expected_loss_ess")
#: Keys of a break-even analysis copied onto each tranche row.
BDR_KEYS = ("bdr", "bdr_governing_stress", "bdr_cushion", "bdr_by_scenario")
#: A warning when ``rating`` is more than this many notches above the joint-default view.
WARN_NOTCHES = 3


def ladder_row(step: LadderStep, row: dict, rated: bool = True) -> dict:
    """One step of a tranche's ``support_ladder``: the supporters' grade and ids, the run's
    estimates, its own grade and the grade it lends (capped at the supporters'); an unrated
    tranche gets the numbers without grades."""
    out = {"grade": step.label, "supporters": list(step.supporters),
           **{k: row[k] for k in STANDALONE_ESTIMATES},
           "run_rating": row["rating"] if rated else None,
           "run_rating_range": list(row["rating_range"]) if rated else None,
           "rating": worse(step.grade, row["rating"]) if rated else None}
    if "bdr" in row:
        out["bdr"] = row["bdr"]
    return out


def combine(scenario, joint: Result, alone: Result, ladder: list) -> Result:
    """The joint-default result with every tranche's ratings on the three bases, its support
    ladder and the convention's ``rating``."""
    convention = scenario.rating.support
    rows = []
    for k, (tranche, row, sa) in enumerate(zip(scenario.tranches, joint.tranche_rows,
                                               alone.tranche_rows)):
        out = {k_: row[k_] for k_ in ("id", "balance", "default_probability",
                                      "default_probability_se", "expected_loss",
                                      "expected_loss_se", "wal_years", "wal_years_se")}
        out.update({k_: row[k_] for k_ in SAMPLING_KEYS if k_ in row})
        out["rated"] = tranche.rated
        steps = [(step, res.tranche_rows[k]) for step, res in ladder]
        ratings = convention_ratings(convention, row, sa, steps)
        if not tranche.rated:
            ratings = {k_: ([] if k_ == "rating_by" else None) for k_ in ratings}
        out.update(ratings)
        out["support_ladder"] = [ladder_row(step, r, tranche.rated) for step, r in steps]
        out.update({f"{k_}_standalone": sa[k_] for k_ in STANDALONE_ESTIMATES})
        out.update({k_: sa[k_] for k_ in BDR_KEYS if k_ in sa})
        if "large_obligor_test" in sa:
            out["large_obligor_test"] = sa["large_obligor_test"]
        rows.append(out)
    joint.tranche_rows = rows
    # the standalone run shares the paths (so the weights and the pool), not the tranches'
    # events: its tranches' thin estimates join the list
    diag = joint.diagnostics
    if "low_effective_estimates" in diag:
        seen = {(x["estimate"], x["effective_sample_size"])
                for x in diag["low_effective_estimates"]}
        diag["low_effective_estimates"] = diag["low_effective_estimates"] + [
            dict(x, estimate=f"standalone {x['estimate']}")
            for x in alone.diagnostics.get("low_effective_estimates") or []
            if x["estimate"].startswith("tranche ")
            and (x["estimate"], x["effective_sample_size"]) not in seen]
        diag["sampling_warnings"] = sampling_warnings(
            diag["weights_effective_sample_size"] if joint.run.get("method") == "importance"
            else None, joint.run["paths"], diag["low_effective_estimates"])
    joint.pool.update({k: alone.pool[k] for k in ("tdr", "wal_years") if k in alone.pool})
    joint.rating = {"method": scenario.rating.method, "support": convention,
                    "table": scenario.rating.table}
    joint.warnings = list(scenario.warnings) + joint.warnings + rating_warnings(rows)
    return joint


def rating_warnings(rows: list[dict]) -> list[str]:
    """Where ``rating`` is more than :data:`WARN_NOTCHES` above the joint-default view (the
    grade rests on a supporter the joint view does not trust: wrong-way risk)."""
    out = []
    for t in rows:
        r, j = t.get("rating"), t.get("rating_joint_default")
        if r is None or j is None or notches(r, j) <= WARN_NOTCHES:
            continue
        on = "+".join(t.get("rating_by") or []) or "the standalone structure"
        out.append(f"{t['id']}: {r} rests on {on}; the joint-default view gives {j} "
                   f"({notches(r, j)} notches lower)")
    return out


def convention_ratings(convention: str, joint_row: dict, standalone_row: dict,
                       ladder: list) -> dict:
    """``rating``, ``rating_range``, ``rating_by`` and the ratings on the three bases of one
    tranche; ``ladder`` is ``[(LadderStep, run row)]``."""
    sub = ladder_rating(standalone_row, ladder)
    if convention == "substitution":
        rating, rng, by = sub["rating"], sub["rating_range"], sub["rating_by"]
    elif convention == "standalone":
        rating, rng, by = standalone_row["rating"], list(standalone_row["rating_range"]), []
    else:
        rating, rng, by = joint_row["rating"], list(joint_row["rating_range"]), []
    return {"rating": rating, "rating_range": rng, "rating_by": by,
            "rating_standalone": standalone_row["rating"],
            "rating_substitution": sub["rating"],
            "rating_joint_default": joint_row["rating"],
            "rating_range_standalone": list(standalone_row["rating_range"]),
            "rating_range_substitution": sub["rating_range"],
            "rating_range_joint_default": list(joint_row["rating_range"])}


def rate_deal(scenario, runs: DealRuns, paths: int, seed: int, run_info: dict,
              started: float) -> Result:
    """The Result of a deal's simulations: estimates, the ratings on the three bases and
    the ladder, the convention's rating."""
    tables = rating_tables(scenario)
    info = {"paths": paths, "seed": seed, **run_info}
    joint = joint_default_result(scenario, runs.plan, runs.totals, tables, info)
    if runs.standalone_scenario is scenario and scenario.rating.method != "tdr_bdr":
        alone = joint        # no credit support: the same estimates, rated the same way
    else:
        alone = standalone_result(scenario, runs.standalone_scenario, runs.standalone_plan,
                                  runs.standalone_totals, tables, info)
    ladder = ladder_results(scenario, runs.plan, runs.ladder, tables, info)
    result = combine(scenario, joint, alone, ladder)
    add_final_dates(scenario, runs.plan, result)
    result.run["elapsed_s"] = round(time.perf_counter() - started, 3)
    return result


def add_final_dates(scenario, plan: Plan, result: Result) -> None:
    """A deal with calendar dates: each tranche's expected and legal final dates."""
    if not plan.dates:
        return
    for tranche, row in zip(scenario.tranches, result.tranche_rows):
        due = tranche.expected_maturity()
        expected = 0 if due is None else min(max(due - plan.as_of, 0), plan.horizon)
        row["expected_final_date"] = plan.dates[expected] if expected > 0 else None
        row["legal_final_date"] = plan.dates[plan.horizon]


def run_deal(scenario, paths: int, seed: int, *, base: Plan | None = None, run_info=None,
             compile_kwargs=None, stages=None, record=False, backend=None,
             chunk_blocks: int = DEFAULT_CHUNK_BLOCKS) -> tuple[Result, DealRuns]:
    """Compile, aim (or take ``base``'s aim), simulate and rate one deal."""
    started = time.perf_counter()
    plan = compile_plan(scenario, **(compile_kwargs or {}))
    if base is None:
        plan, run_info = sampling_plan(scenario, plan, seed)
    else:
        plan = aimed_like(plan, base)
    runs = simulate_deal(scenario, plan, paths, seed, compile_kwargs=compile_kwargs,
                         stages=stages, record=record, backend=backend,
                         chunk_blocks=chunk_blocks)
    return rate_deal(scenario, runs, paths, seed, run_info, started), runs


def reliance(scenario, result: Result, base: Plan, paths: int, seed: int, *, stages=None,
             backend=None) -> list[dict]:
    """For each credit support entry, each tranche's ratings without it (same paths; the
    standalone structure does not change): which supporter the rating actually rests on."""
    tables = rating_tables(scenario)
    info = {"paths": paths, "seed": seed, **result.run}
    stages = stages or Stages(None, len(scenario.credit_support), paths)
    out = []
    for sup in scenario.credit_support:
        changed = without_support(scenario, [sup.id])
        plan = drawn_like(compile_plan(changed), base)
        steps = support_ladder(changed, plan)
        stages.add(len(steps))
        totals = simulate_set([plan] + ladder_plans(plan, steps), paths, seed,
                              progress=stages.stages(1 + len(steps)), backend=backend)
        joint = joint_default_result(changed, plan, totals[0], tables, info)
        ladder = ladder_results(changed, plan, list(zip(steps, totals[1:])), tables, info)
        rows = []
        for k, (tranche, row, jrow) in enumerate(zip(scenario.tranches, result.tranche_rows,
                                                     joint.tranche_rows)):
            sa = {"rating": row["rating_standalone"],
                  "rating_range": row["rating_range_standalone"]}
            r = (convention_ratings(scenario.rating.support, jrow, sa,
                                    [(step, res.tranche_rows[k]) for step, res in ladder])
                 if tranche.rated else {"rating": None, "rating_joint_default": None,
                                        "rating_by": []})
            rows.append({"id": tranche.id, "rating": r["rating"], "rating_by": r["rating_by"],
                         "rating_joint_default": r["rating_joint_default"],
                         "default_probability": jrow["default_probability"],
                         "default_probability_se": jrow["default_probability_se"]})
        out.append({"support": sup.id, "type": sup.type, "provider": sup.provider,
                    "removes": [s.id for s in scenario.credit_support
                                if s.id not in {x.id for x in changed.credit_support}],
                    "tranches": rows})
    return out
