"""Speed of a supported deal's rating against the same deal without its supports (issue
#29): `engine.run` of each shipped deal with credit support at 100,000 paths, and of its
standalone structure (every support removed), alternately in one process, warm caches.
The full deal, its standalone structure and the rating ladder's runs share one draw of
defaults and haircuts per path (`engine.simulate.simulate_set`). Nothing asserts a time;
the ratios are in each benchmark's `extra_info` and in benchmarks/README.md."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

import engine
from engine.scenario.edit import standalone
from test_bench_engine import _best_of as _best

ROOT = Path(__file__).resolve().parents[1]
#: every shipped deal (each has credit support)
DEALS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
PATHS = 100_000


@pytest.mark.parametrize("deal", DEALS)
def test_supported_run_against_support_free_run(benchmark, deal):
    sc = engine.load_scenario(ROOT / "scenarios" / f"{deal}.yaml")
    bare = standalone(sc)
    engine.run(sc, paths=2_048)                      # compile outside the timing
    engine.run(bare, paths=2_048)
    benchmark.pedantic(engine.run, args=(sc,), kwargs={"paths": PATHS}, rounds=3,
                       iterations=1)
    supported = support_free = math.inf
    for _ in range(3):                               # alternately: drift slows both alike
        supported = min(supported, _best(lambda: engine.run(sc, paths=PATHS), 1))
        support_free = min(support_free, _best(lambda: engine.run(bare, paths=PATHS), 1))
    benchmark.extra_info.update(supported_s=supported, support_free_s=support_free,
                                ratio=supported / support_free)
