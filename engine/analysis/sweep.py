"""A grid of enhancement designs on the same random numbers, with what each costs.

``sweep(scenario, {"tranches.A.balance": [...], "obligors.GC.rating": [...]})`` runs every
combination of the values (a design), each a plain rated run of the changed deal: random
numbers are keyed by id, so every design shares them and a row equals ``engine.run`` of
its design bit for bit. A ``tranches.<id>.balance`` change moves the difference to the
tranche below (as ``size`` does); every other path is a ``with_changes`` path. Each design
reports its tranches as the result document does and a ``cost`` block (:func:`design_cost`).
"""
from __future__ import annotations

import itertools

from engine.analysis.sizing import with_balance
from engine.errors import Problem, ScenarioError
from engine.rating.deal import resolve_paths_seed, run_deal

SWEEP_FORMAT = "ipabs-sweep/v1"
#: Most designs one sweep runs (each is a full rated run).
MAX_DESIGNS = 512


def design_grid(vary: dict) -> list[dict]:
    """Every combination of ``{path: [values]}``, in the order given (the last path
    varying fastest)."""
    if not vary:
        raise ScenarioError(Problem("--vary", "give at least one PATH=V1,V2,..."))
    for path, values in vary.items():
        if not values:
            raise ScenarioError(Problem(f"--vary {path}", "give at least one value"))
    n = 1
    for values in vary.values():
        n *= len(values)
    if n > MAX_DESIGNS:
        raise ScenarioError(Problem("--vary", f"{n:,} designs; at most {MAX_DESIGNS} in one "
                                              "sweep (split the grid)"))
    paths = list(vary)
    return [dict(zip(paths, combo)) for combo in itertools.product(*vary.values())]


def design(scenario, changes: dict):
    """``scenario`` with one design's changes, validated (a bad path or value is a
    ScenarioError naming it)."""
    ids = [t.id for t in scenario.tranches]
    plain = {}
    moves = []
    for path, value in changes.items():
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "tranches" and parts[2] == "balance" \
                and parts[1] in ids:
            moves.append((parts[1], value))
        else:
            plain[path] = value
    out = scenario.with_changes(plain) if plain else scenario
    for tid, value in moves:
        k = ids.index(tid)
        if k == len(ids) - 1:
            raise ScenarioError(Problem(f"tranches.{tid}.balance", "the last tranche has no "
                                        "tranche below to take the difference"))
        total = out.tranches[k].balance + out.tranches[k + 1].balance
        if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= total:
            raise ScenarioError(Problem(f"tranches.{tid}.balance", f"must be a number from 0 "
                                        f"to {total:,.2f} (it and the tranche below)"))
        out = with_balance(out, k, float(value), total)
        out = out.with_changes({})       # checked whole, like a file
    return out


def design_cost(scenario, result_doc: dict) -> dict:
    """What a design costs a year, as shares of the pool balance and in currency.

    ``weighted_coupon``: the rated notes' coupon weighted by balance; ``notes_coupon``,
    ``fees`` and ``support_fees`` (each support's ``fee`` on what it covers: an asset
    support on its share of the covered assets, a commitment on its tranches, a guarantee
    of a commitment on the commitment's tranches, a risk-compensation fund on its size)
    a year over the pool; ``all_in`` their sum; ``pool_rate`` the pool's weighted rate and
    ``excess_spread`` = pool_rate - notes_coupon - fees; ``subordinated_expected_loss``
    the expected loss of each subordinated tranche."""
    ppy = scenario.periods_per_year
    assets = scenario.assets
    pool = sum(a.balance for a in assets)
    pool_interest = sum(a.balance * a.rate for a in assets)
    rated = [t for t in scenario.tranches if t.rated and not t.subordinated]
    rated_balance = sum(t.balance for t in rated)
    notes_coupon = sum(t.balance * t.coupon for t in scenario.tranches if not t.subordinated)
    senior = sum(t.balance for t in scenario.tranches if not t.subordinated)
    fees = 0.0
    for f in scenario.fees:
        if f.amount is not None:
            fees += f.amount * ppy
        elif f.base == "interest_collections":
            fees += f.rate * pool_interest
        elif f.base == "senior_balance":
            fees += f.rate * senior
        else:
            fees += f.rate * pool
    support_fees = {s.id: s.fee * s.covered_amount(scenario)
                    for s in scenario.credit_support if s.fee}
    per_pool = (lambda x: x / pool) if pool > 0 else (lambda x: 0.0)
    subs = {t["id"]: t["expected_loss"] for t, m in zip(result_doc["tranches"],
                                                        scenario.tranches) if m.subordinated}
    return {
        "weighted_coupon": (sum(t.balance * t.coupon for t in rated) / rated_balance
                            if rated_balance > 0 else None),
        "pool_rate": per_pool(pool_interest),
        "notes_coupon": per_pool(notes_coupon),
        "fees": per_pool(fees),
        "support_fees": per_pool(sum(support_fees.values())),
        "support_fees_by_support": support_fees,
        "all_in": per_pool(notes_coupon + fees + sum(support_fees.values())),
        "excess_spread": per_pool(pool_interest - notes_coupon - fees),
        "fees_amount": fees, "support_fees_amount": sum(support_fees.values()),
        "subordinated_expected_loss": subs,
    }


def sweep(scenario, vary: dict, *, paths: int | None = None, seed: int | None = None,
          backend=None, progress=None) -> dict:
    """The ``ipabs-sweep/v1`` document of the grid ``vary`` (``{path: [values]}``)."""
    grid = design_grid(vary)
    designs = [design(scenario, changes) for changes in grid]     # every one checked first
    paths, seed = resolve_paths_seed(scenario, paths, seed)
    rows = []
    for n, (changes, sc) in enumerate(zip(grid, designs)):
        res, _ = run_deal(sc, paths, seed, backend=backend)
        doc = res.to_dict()
        rows.append({"changes": changes, "tranches": doc["tranches"], "pool": doc["pool"],
                     "warnings": doc["warnings"], "cost": design_cost(sc, doc)})
        if progress is not None:
            progress(n + 1, len(grid))
    return {"format": SWEEP_FORMAT, "scenario": {"name": scenario.name,
                                                 "sha256": scenario.sha256},
            "paths": paths, "seed": seed, "vary": {k: list(v) for k, v in vary.items()},
            "rating": {"method": scenario.rating.method, "support": scenario.rating.support,
                       "table": scenario.rating.table},
            "designs": rows}


def sweep_frame(doc: dict):
    """The sweep as a DataFrame: one row per design and tranche, the changes as columns,
    then the ratings, default probability, EL, WAL and the design's costs."""
    import pandas as pd

    rows = []
    for n, d in enumerate(doc["designs"]):
        cost = {f"cost_{k}": v for k, v in d["cost"].items() if not isinstance(v, dict)}
        for t in d["tranches"]:
            rows.append({"design": n + 1, **d["changes"], "tranche": t["id"],
                         **{k: t.get(k) for k in (
                             "balance", "rating", "rating_standalone", "rating_substitution",
                             "rating_joint_default", "default_probability",
                             "default_probability_se", "expected_loss", "expected_loss_se",
                             "wal_years")},
                         "rating_by": "+".join(t.get("rating_by") or []), **cost})
    frame = pd.DataFrame(rows)
    frame.attrs["document"] = doc
    return frame
