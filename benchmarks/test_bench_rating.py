"""Speed of the agency method (issue: agency method in seconds): `tdr_bdr` against
`tranche_pd` on the Wuhan four-tranche deal, 50,000 paths, warm caches. Figures in
benchmarks/README.md; nothing here asserts a time."""
from __future__ import annotations

from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
WUHAN = ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"


def _with_method(method: str):
    sc = engine.load_scenario(WUHAN)
    return sc.model_copy(update={"rating": sc.rating.model_copy(update={"method": method})})


@pytest.mark.parametrize("method", ["tranche_pd", "tdr_bdr"])
def test_wuhan_50k_paths_by_method(benchmark, method):
    sc = _with_method(method)
    engine.run(sc, paths=2_000)                       # compile outside the timing
    result = benchmark.pedantic(engine.run, args=(sc,), kwargs={"paths": 50_000},
                                rounds=3, iterations=1)
    benchmark.extra_info["ratings"] = [t["rating"] for t in result.tranche_rows]
    if method == "tdr_bdr":
        benchmark.extra_info["bdr"] = [t["bdr"] for t in result.tranche_rows]
