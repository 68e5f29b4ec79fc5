"""The agencies' large-obligor test (off unless ``rating.large_obligor_test``).

A tranche rated AAAsf must also survive, in the deterministic cash-flow model with 5%
recovery and the supporters performing, the default in period 1 of the largest sub-AAA
borrowers: the largest AA+ one, the largest two AA/AA- ones, the largest three single-A
ones and the largest four rated BBB+ or below (or given by a PD). Otherwise it is capped at
AA+sf. (The rule is in docs/domain.md; this reading of it in docs/model.md.)
"""
from __future__ import annotations

from engine.deterministic.assumptions import DefaultAssumptions
from engine.deterministic.run import deterministic_cashflows

RECOVERY = 0.05
BUCKETS = ((("AA+",), 1), (("AA", "AA-"), 2), (("A+", "A", "A-"), 3))
REST = 4


def largest_sub_aaa(scenario) -> list[str]:
    """The borrowers the test defaults, largest exposures first within each bucket."""
    exposure: dict[str, float] = {}
    for a in scenario.assets:
        exposure[a.obligor] = exposure.get(a.obligor, 0.0) + a.balance
    chosen = []
    by_bucket: dict[int, list] = {}
    for o in scenario.obligors:
        if o.id not in exposure or (o.rating or "").startswith("AAA"):
            continue
        bucket = next((b for b, (names, _) in enumerate(BUCKETS) if o.rating in names),
                      len(BUCKETS))
        by_bucket.setdefault(bucket, []).append(o.id)
    for bucket, ids in by_bucket.items():
        n = BUCKETS[bucket][1] if bucket < len(BUCKETS) else REST
        chosen += sorted(ids, key=lambda i: -exposure[i])[:n]
    return chosen


def apply_large_obligor_test(result, scenario) -> None:
    """Cap AAAsf tranches that fail the test at AA+sf; record the test on every tranche."""
    names = largest_sub_aaa(scenario)
    rep = deterministic_cashflows(scenario, DefaultAssumptions(
        named={i: 1 for i in names}, recovery=RECOVERY))
    for row, outcome in zip(result.tranche_rows, rep.summary["tranches"]):
        survives = not outcome["defaulted"]
        row["large_obligor_test"] = {"defaulted": names, "survives": survives}
        if not survives and row["rating"] == "AAAsf":  # rated as given (supporters paying)
            row["rating"] = "AA+sf"
            row["rating_range"] = [r if r != "AAAsf" else "AA+sf" for r in row["rating_range"]]
