"""Speed of the engine (pytest-benchmark): run with `pytest benchmarks/`.

Figures are recorded in benchmarks/README.md. Nothing here asserts a time.
"""
from __future__ import annotations

from pathlib import Path

import numba
import pytest

import engine
from engine.plan import compile_plan
from engine.simulate import BLOCK_SIZE, simulate
from pools import large_pool
from peers import numpy_default_model, raw_uniform_bound

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped():
    return engine.load_scenario(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml")


@pytest.fixture(scope="module")
def pool_plan():
    return compile_plan(large_pool(1000, 12))


def test_shipped_scenario_200k_paths(benchmark, shipped):
    engine.run(shipped, paths=2_000)    # compile outside the timing
    res = benchmark.pedantic(engine.run, args=(shipped,), kwargs={"paths": 200_000},
                             rounds=3, iterations=1)
    benchmark.extra_info["threads"] = numba.get_num_threads()
    benchmark.extra_info["senior_pd"] = float(res.tranches.loc["A", "default_probability"])


def test_large_pool_engine_100k_paths(benchmark, pool_plan):
    simulate(pool_plan, 2_000, 1)
    benchmark.pedantic(simulate, args=(pool_plan, 100_000, 1), rounds=3, iterations=1)
    benchmark.extra_info["threads"] = numba.get_num_threads()


def test_large_pool_raw_uniform_bound_100k_paths(benchmark, pool_plan):
    n = pool_plan.n_obligors
    raw_uniform_bound(1, 2_000, n, BLOCK_SIZE)
    benchmark.pedantic(raw_uniform_bound, args=(1, 100_000, n, BLOCK_SIZE), rounds=3,
                       iterations=1)


def test_large_pool_numpy_default_model_20k_paths(benchmark, pool_plan):
    benchmark.pedantic(numpy_default_model, args=(pool_plan, 20_000, 1), rounds=2, iterations=1)
