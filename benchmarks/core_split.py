"""The core's two kernels timed apart (issue #29): the draw (``ChunkRunner.draw``) and one
support set's waterfall (``ChunkRunner.cash[0]``) over the blocks of the simple pool, on
one thread, best of ``--rounds`` in this process.

    python benchmarks/core_split.py [ROOT]

``ROOT`` (default: this checkout) is the checkout whose ``engine`` is imported, so that two
worktrees can be compared alternately (each with ``IPABS_PREBUILT=off`` and its own
``NUMBA_CACHE_DIR``). The host's speed differs from process to process by more than most
changes: compare the least over several processes. Prints one JSON line of seconds.
"""
from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path

PATHS = 200_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    sys.path[:0] = [args.root + "/benchmarks", args.root]

    import numba
    import numpy as np
    from pools import simple_pool

    import engine
    from engine._kernels import cash_paths
    from engine.plan import compile_plan
    from engine.simulate import BLOCK_SIZE, ChunkRunner, simulate

    if not engine.__file__.startswith(args.root):
        sys.exit(f"imported {engine.__file__}, not the engine of {args.root}")
    numba.set_num_threads(1)
    plan = compile_plan(simple_pool(paths=PATHS))
    simulate(plan, 4096, 1)                          # compiled (or loaded) before timing
    run = ChunkRunner([plan], PATHS, 1, 8, 1.0, False)
    w, deal, lay = run.works[0], run.run_pass.deals[0], run.run_pass.lays[0]
    p, seed = w.path, np.uint64(1)
    # before issue #29 part 8 the waterfall took the whole PathWork
    path_args = ((p,) if "work" in inspect.signature(cash_paths.py_func).parameters
                 else (p.tau, p.defaulters, p.haircut))
    best = {"draw": float("inf"), "cash": float("inf")}
    for _ in range(args.rounds):
        spent = {"draw": 0.0, "cash": 0.0}
        start = 0
        while start < PATHS:                         # batches as ChunkRunner._block takes them
            stop = min(start - start % BLOCK_SIZE + BLOCK_SIZE, PATHS)
            t0 = time.thread_time()
            n = run.draw(seed, start, stop, run.model, run.groups, run.draws, deal, p, w.store,
                         run.block_defaults[0, 0])
            t1 = time.thread_time()
            run.cash[0](n, start, 0, w.store, deal, lay, *path_args, w.cash[0], w.scratch[0],
                        run.sums[0, 0, 0], run.block_hist[0, 0], run.block_hist_sq[0, 0], True,
                        run.empty, w.reuse[0])
            t2 = time.thread_time()
            spent["draw"] += t1 - t0
            spent["cash"] += t2 - t1
            start += n
        best = {k: min(best[k], spent[k]) for k in best}
    print(json.dumps({"root": args.root, **{k: round(v, 4) for k, v in best.items()}}))


if __name__ == "__main__":
    main()
