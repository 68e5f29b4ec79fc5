"""Throughput of the Dask backend against the number of workers, and its overhead at small
path counts (pytest-benchmark; figures in benchmarks/README.md)."""
from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")

from engine.backends import DaskBackend  # noqa: E402
from engine.plan import compile_plan  # noqa: E402
from engine.simulate import simulate  # noqa: E402
from pools import large_pool  # noqa: E402


@pytest.fixture(scope="module")
def plan():
    p = compile_plan(large_pool(1000, 12))
    simulate(p, 2_000, 1)
    return p


@pytest.mark.parametrize("workers", [1, 2])
def test_dask_throughput_200k_paths(benchmark, plan, workers):
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as client:
        backend = DaskBackend(client=client)
        simulate(plan, 2_000, 1, backend=backend)           # workers load the cached kernels
        benchmark.pedantic(simulate, args=(plan, 200_000, 1), kwargs={"backend": backend},
                           rounds=2, iterations=1)
    cluster.close()
    benchmark.extra_info["workers"] = workers


def test_local_200k_paths(benchmark, plan):
    benchmark.pedantic(simulate, args=(plan, 200_000, 1), rounds=2, iterations=1)


@pytest.mark.parametrize("backend_name", ["local", "dask"])
def test_overhead_at_5k_paths(benchmark, plan, backend_name):
    if backend_name == "local":
        benchmark.pedantic(simulate, args=(plan, 5_000, 1), rounds=5, iterations=1)
        return
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as client:
        backend = DaskBackend(client=client)
        simulate(plan, 2_000, 1, backend=backend)
        benchmark.pedantic(simulate, args=(plan, 5_000, 1), kwargs={"backend": backend},
                           rounds=5, iterations=1)
    cluster.close()
