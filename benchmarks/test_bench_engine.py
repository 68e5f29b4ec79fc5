"""Speed of the engine (pytest-benchmark): run with `pytest benchmarks/`.

Figures are recorded in benchmarks/README.md. Nothing here asserts a time; the
`extra_info` of each benchmark carries the ratios the README reports.
"""
from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import numba
import pytest
import yaml

import engine
from engine.default.analytic import finite_pool_loss_distribution, tranche_default_probability
from engine.plan import compile_plan
from engine.scenario import load_scenario_text
from engine.simulate import BLOCK_SIZE, simulate
from peers import (
    engine_default_model,
    numpy_default_model,
    raw_uniform_bound,
    simple_numpy_script,
)
from pools import large_pool, simple_pool

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


@pytest.fixture(scope="module")
def shipped():
    return engine.load_scenario(SHIPPED)


@pytest.fixture(scope="module")
def pool_plan():
    plan = compile_plan(large_pool(1000, 12))
    simulate(plan, 2_000, 1)           # compile outside the timing
    raw_uniform_bound(1, 2_000, plan.n_obligors, BLOCK_SIZE)
    return plan


def test_shipped_scenario_200k_paths(benchmark, shipped):
    engine.run(shipped, paths=2_000)
    res = benchmark.pedantic(engine.run, args=(shipped,), kwargs={"paths": 200_000},
                             rounds=3, iterations=1)
    benchmark.extra_info["threads"] = numba.get_num_threads()
    benchmark.extra_info["senior_pd"] = float(res.tranches.loc["A", "default_probability"])


def test_pool_1000_engine_1m_paths(benchmark, pool_plan):
    benchmark.pedantic(simulate, args=(pool_plan, 1_000_000, 1), rounds=2, iterations=1)
    benchmark.extra_info["threads"] = numba.get_num_threads()
    benchmark.extra_info["groups"] = pool_plan.groups.n_groups


def test_pool_1000_raw_uniform_bound_1m_paths(benchmark, pool_plan):
    benchmark.pedantic(raw_uniform_bound, args=(1, 1_000_000, pool_plan.n_obligors, BLOCK_SIZE),
                       rounds=3, iterations=1)


def test_pool_1000_engine_default_model_only_1m_paths(benchmark, pool_plan):
    engine_default_model(pool_plan, 2_000, 1)
    rates = benchmark.pedantic(engine_default_model, args=(pool_plan, 1_000_000, 1), rounds=2,
                               iterations=1)
    benchmark.extra_info["mean_default_rate"] = float(rates.mean())


def test_pool_1000_numpy_default_model_100k_paths(benchmark, pool_plan):
    """The NumPy peer is run on a tenth of the paths (it is linear in paths)."""
    rates = benchmark.pedantic(numpy_default_model, args=(pool_plan, 100_000, 1), rounds=2,
                               iterations=1)
    benchmark.extra_info["mean_default_rate"] = float(rates.mean())


def _tail_pool(method: str, paths: int):
    pds, sub = [0.01] * 25, 7
    doc = {"format": "ipabs/v1", "name": "tail pool", "payment_frequency": "annual",
           "legal_final": 1,
           "obligors": [{"id": f"B{i}", "kind": "borrower", "pd": {"cumulative": [p]}}
                        for i, p in enumerate(pds)],
           "assets": [{"id": f"L{i}", "obligor": f"B{i}", "balance": 1e6, "rate": 0.0,
                       "term": 1} for i in range(len(pds))],
           "correlation": {"uniform": 0.2},
           "tranches": [{"id": "A", "balance": (len(pds) - sub) * 1e6},
                        {"id": "Sub", "balance": sub * 1e6, "subordinated": True}],
           "simulation": {"paths": paths, "seed": 5, "method": method}}
    if method == "importance":
        doc["simulation"]["importance"] = {"twist": True}
    exact = tranche_default_probability(finite_pool_loss_distribution(pds, [1] * len(pds), 0.2),
                                        sub)
    return load_scenario_text(yaml.safe_dump(doc)), exact


def test_importance_sampling_variance_reduction_at_senior_pd_1e4(benchmark):
    paths = 200_000
    plain_sc, exact = _tail_pool("plain", paths)
    imp_sc, _ = _tail_pool("importance", paths)
    engine.run(plain_sc, paths=2_000), engine.run(imp_sc, paths=2_000)
    t0 = time.perf_counter()
    engine.run(plain_sc)
    plain_s = time.perf_counter() - t0
    res = benchmark.pedantic(engine.run, args=(imp_sc,), rounds=3, iterations=1)
    imp_s = benchmark.stats.stats.mean
    se = float(res.tranches.loc["A", "default_probability_se"])
    plain_var = exact * (1 - exact) / paths            # exact binomial variance of plain MC
    ratio = plain_var / se**2
    benchmark.extra_info.update(
        senior_pd_exact=exact, senior_pd_is=float(res.tranches.loc["A", "default_probability"]),
        is_se=se, plain_se=math.sqrt(plain_var), variance_reduction_equal_paths=ratio,
        plain_seconds=plain_s, variance_reduction_per_second=ratio * plain_s / imp_s)


def _peak_rss_mb(paths: int) -> float:
    code = ("import resource, sys; sys.path.insert(0, 'benchmarks');"
            "from pools import large_pool; from engine.plan import compile_plan;"
            "from engine.simulate import simulate;"
            f"simulate(compile_plan(large_pool(1000, 12)), {paths}, 1);"
            "import re; print(int(re.search(r'VmHWM:\\s+(\\d+)', "
            "open('/proc/self/status').read()).group(1)) / 1024)")   # this process's peak
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return float(out.stdout.strip())


def test_peak_memory_is_flat_in_paths(benchmark):
    small = _peak_rss_mb(50_000)
    large = benchmark.pedantic(_peak_rss_mb, args=(1_000_000,), rounds=1, iterations=1)
    benchmark.extra_info.update(peak_rss_mb_50k_paths=small, peak_rss_mb_1m_paths=large)


def test_cold_start_of_the_shipped_scenario(benchmark):
    cmd = [sys.executable, "-m", "engine", "run", str(SHIPPED), "--quiet"]
    subprocess.run(cmd, check=True)    # the first ever run fills the numba cache
    benchmark.pedantic(subprocess.run, args=(cmd,), kwargs={"check": True}, rounds=3,
                       iterations=1)


# The speed issue's pool: 1,000 equal loans x 12 quarters, one factor, PD 2% a year,
# 200,000 paths, against the simple NumPy script a user would write instead.
SIMPLE_PATHS = 200_000


@pytest.fixture(scope="module")
def simple():
    scenario = simple_pool(paths=SIMPLE_PATHS)
    engine.run(scenario, paths=2_048)            # compile outside the timing
    simple_numpy_script(2_000)
    return scenario


def _best_of(fn, rounds=3):
    best = math.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


#: Seconds to wait before each timed call of :func:`_paired`. NumPy's OpenBLAS leaves its
#: worker threads spinning for about 2**28 cycles (~0.1 s of a core) after a threaded call
#: such as the NumPy script's ``@``: timed at once, the engine shared its two cores with
#: them (0.246 s least after the script, 0.229 s after a pause, 8 pairs).
SETTLE_S = 0.3


def _paired(fn, peer, rounds=3):
    """Best seconds of ``fn`` and of ``peer``, run alternately (a host whose speed drifts
    over minutes slows both alike), each after :data:`SETTLE_S` of quiet (neither is timed
    with the other's leftover threads still running)."""
    best_fn = best_peer = math.inf
    for _ in range(rounds):
        time.sleep(SETTLE_S)
        best_fn = min(best_fn, _best_of(fn, rounds=1))
        time.sleep(SETTLE_S)
        best_peer = min(best_peer, _best_of(peer, rounds=1))
    return best_fn, best_peer


def test_simple_pool_engine_run_200k(benchmark, simple):
    """``engine.run``: defaults with timing, cash flows, waterfall, both ratings, the result."""
    benchmark.pedantic(engine.run, args=(simple,), rounds=3, iterations=1)
    engine_s, numpy_s = _paired(lambda: engine.run(simple),
                                lambda: simple_numpy_script(SIMPLE_PATHS))
    benchmark.extra_info.update(threads=numba.get_num_threads(), numpy_script_s=numpy_s,
                                paired_engine_s=engine_s,
                                faster_than_numpy_script=numpy_s / engine_s)


def test_simple_pool_core_simulation_200k(benchmark, simple):
    """The Monte Carlo core alone (``simulate``: no rating, no result document)."""
    plan = compile_plan(simple)
    benchmark.pedantic(simulate, args=(plan, SIMPLE_PATHS, 1), rounds=3, iterations=1)
    core_s, numpy_s = _paired(lambda: simulate(plan, SIMPLE_PATHS, 1),
                              lambda: simple_numpy_script(SIMPLE_PATHS))
    time.sleep(SETTLE_S)
    raw_s = _best_of(lambda: raw_uniform_bound(1, SIMPLE_PATHS, 1000, BLOCK_SIZE))
    benchmark.extra_info.update(numpy_script_s=numpy_s, raw_bound_s=raw_s, paired_core_s=core_s,
                                faster_than_numpy_script=numpy_s / core_s,
                                times_raw_bound=core_s / raw_s)


def test_simple_pool_numpy_script_200k(benchmark, simple):
    benchmark.pedantic(simple_numpy_script, args=(SIMPLE_PATHS,), rounds=2, iterations=1)


def test_simple_pool_raw_uniform_bound_200k(benchmark, simple):
    benchmark.pedantic(raw_uniform_bound, args=(1, SIMPLE_PATHS, 1000, BLOCK_SIZE), rounds=3,
                       iterations=1)


def _first_run(cache_dir: Path, prebuilt: bool = True) -> dict:
    """``ipabs run`` of the shipped scenario with an empty numba cache: seconds to the first
    line on the terminal and in total. ``prebuilt=False``: without the kernels compiled at
    install (``IPABS_PREBUILT=off``), so that everything compiles."""
    import os

    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    if not prebuilt:
        env["IPABS_PREBUILT"] = "off"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run", str(SHIPPED)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    first_s = time.perf_counter() - t0
    proc.communicate()
    return {"first_output_s": first_s, "total_s": time.perf_counter() - t0,
            "first_line": first.strip(), "exit": proc.returncode}


def test_first_run_on_an_empty_cache(benchmark, tmp_path):
    """The first run after installing, and the runs after it (issue #29: at most 8x). The
    install compiled the kernels (``engine.prebuilt``; ``prebuilt_current`` says whether
    they are there and current); ``nothing_compiled_s`` is a first run without them."""
    from engine._jit import prebuilt_in_use

    info = benchmark.pedantic(_first_run, args=(tmp_path / "numba",), rounds=1, iterations=1)
    assert info["exit"] == 0
    warm = min(_first_run(tmp_path / "numba")["total_s"] for _ in range(2))
    bare = _first_run(tmp_path / "bare", prebuilt=False)
    assert bare["exit"] == 0
    benchmark.extra_info.update(info, warm_s=warm, cold_over_warm=info["total_s"] / warm,
                                prebuilt_current=prebuilt_in_use(),
                                nothing_compiled_s=bare["total_s"],
                                nothing_compiled_over_warm=bare["total_s"] / warm)
