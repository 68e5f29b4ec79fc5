"""Importance sampling with the defensive mixture (issue #15), timed with pytest-benchmark.

Nothing here asserts a time: `extra_info` carries the estimate, its error against the exact
answer, the effective sample size and the split of the time between the pilot (aiming) and
the main run. Figures are recorded in benchmarks/README.md.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import yaml

import engine
from engine.default.analytic import finite_pool_loss_distribution, tranche_default_probability
from engine.plan import compile_plan
from engine.sampling import importance_plan
from engine.scenario import load_scenario_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from builders import bullet_pool  # noqa: E402


def _deep_tail(paths: int, seed: int, importance: dict | None = None):
    """Issue #15: 1,000 equal loans, PD 1% to legal final, uniform correlation 0.2, 40%
    subordination; the senior defaults when more than 400 loans do."""
    doc = bullet_pool([0.01] * 1000, [1e6] * 1000, 0.2, legal_final=1, senior_share=0.6,
                      paths=paths, seed=seed)
    doc["tranches"][0]["principal"] = "pass_through"
    doc["simulation"]["method"] = "importance"
    if importance is not None:
        doc["simulation"]["importance"] = importance
    return load_scenario_text(yaml.safe_dump(doc))


def test_deep_tail_1000_names_200k_paths(benchmark):
    exact = tranche_default_probability(
        finite_pool_loss_distribution([0.01] * 1000, [1] * 1000, 0.2, n_nodes=2048), 400)
    sc = _deep_tail(200_000, 1)
    engine.run(sc, paths=2_048)                       # compile outside the timing
    t0 = time.perf_counter()
    importance_plan(sc, compile_plan(sc), 1)
    pilot_s = time.perf_counter() - t0
    res = benchmark.pedantic(engine.run, args=(sc,), rounds=1, iterations=1)
    a = res.tranches.loc["A"]
    benchmark.extra_info.update(
        exact=exact, estimate=float(a.default_probability),
        se=float(a.default_probability_se),
        error_in_se=float((a.default_probability - exact) / a.default_probability_se),
        relative_error=float(a.default_probability / exact - 1.0),
        tranche_probabilities=[float(p) for p in res.tranches.default_probability],
        effective_sample_size=float(res.diagnostics["weights_effective_sample_size"]),
        pilot_seconds=pilot_s, run_seconds=float(res.run["elapsed_s"]),
        shift=res.run["importance"]["shift"])


def test_deep_tail_mixture_against_pure_shift_on_the_pool(benchmark):
    """What the defensive share buys on what the shift does not aim at: the standard error
    of the pool's expected default rate and the effective sample size, 50,000 paths."""
    out = {}
    for share in (0.0, 0.1, 0.2):
        res = engine.run(_deep_tail(50_000, 2, {"defensive_share": share}))
        out[f"share_{share}"] = {
            "expected_default_rate": float(res.pool["expected_default_rate"]),
            "expected_default_rate_se": float(res.pool["expected_default_rate_se"]),
            "senior_pd": float(res.tranches.loc["A", "default_probability"]),
            "senior_pd_se": float(res.tranches.loc["A", "default_probability_se"]),
            "junior_pd_raw": float(res.tranches.loc["Sub", "default_probability_raw"]),
            "effective_sample_size": float(res.diagnostics["weights_effective_sample_size"]),
            "warnings": len(res.diagnostics["sampling_warnings"])}
    plain = engine.run(_deep_tail(50_000, 2).model_copy(update={
        "simulation": _deep_tail(50_000, 2).simulation.model_copy(
            update={"method": "plain", "importance": None})}))
    out["plain"] = {"expected_default_rate": float(plain.pool["expected_default_rate"]),
                    "expected_default_rate_se": float(plain.pool["expected_default_rate_se"])}
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(out)
    assert math.isfinite(out["share_0.1"]["expected_default_rate"])
