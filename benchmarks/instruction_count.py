"""Instructions the core's kernels execute on the simple pool, counted by valgrind (issue #29).

    python benchmarks/instruction_count.py [ROOT] [--kernel cash|draw] [--paths N]

Timing on this host moves by 10 - 40% from process to process, more than most changes to a
kernel; an instruction count does not move. The script runs itself under ``valgrind
--tool=callgrind`` with instrumentation off, switches it on (a client request, from a
four-line C helper built with ``gcc``) only around the kernel calls - the draw of every
block, or the waterfall of support set 0 on each block just drawn - and prints one JSON line:
instructions, conditional branches and indirect jumps, and callgrind's simulated
mispredictions (a simple predictor, not the CPU's: read it as a trend), in all and per path.

``ROOT`` (default: this checkout) is the checkout whose ``engine`` is imported, so that two
worktrees can be compared. Needs ``valgrind`` (with its headers) and ``gcc``. Valgrind hides
AVX-512, so numba compiles the kernels inside valgrind (for the CPU valgrind shows): the first
run of a checkout takes minutes, later ones about 20 s (numba's cache of that build is kept in
a folder of the system's temporary directory per checkout). The count is of that build, not
of the one a run uses natively: compare checkouts with each other, not with timings.
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HELPER = """#include <valgrind/callgrind.h>
void count_on(void) { CALLGRIND_START_INSTRUMENTATION; }
void count_off(void) { CALLGRIND_STOP_INSTRUMENTATION; }
void count_dump(void) { CALLGRIND_DUMP_STATS_AT("kernels"); }
"""
EVENTS = ("instructions", "cond_branches", "cond_mispredicted", "indirect_jumps",
          "indirect_mispredicted")


def _work_dir(root: str) -> Path:
    """The per-checkout folder for the helper, numba's cache and callgrind's output."""
    tag = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"ipabs-instruction-count-{tag}"
    path.mkdir(exist_ok=True)
    return path


def _helper(work: Path) -> Path:
    lib = work / "libcount.so"
    if not lib.exists():
        src = work / "count.c"
        src.write_text(HELPER)
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def _outer(args) -> None:
    """Run this script under callgrind and read its one dump."""
    for tool in ("valgrind", "gcc"):
        if shutil.which(tool) is None:
            sys.exit(f"instruction_count needs {tool} on the PATH")
    work = _work_dir(args.root)
    _helper(work)
    dump = work / f"callgrind.{args.kernel}.out"
    for old in work.glob(f"callgrind.{args.kernel}.out*"):
        old.unlink()
    env = dict(os.environ, IPABS_PREBUILT="off", NUMBA_CACHE_DIR=str(work / "numba"),
               IPABS_COUNT_INNER="1")
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--branch-sim=yes",
           f"--callgrind-out-file={dump}", sys.executable, __file__, args.root,
           "--kernel", args.kernel, "--paths", str(args.paths)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dumps = sorted(work.glob(f"callgrind.{args.kernel}.out.*"))
    if run.returncode != 0 or not dumps:
        sys.exit(f"valgrind failed ({run.returncode}):\n{run.stderr[-2000:]}")
    totals = next(line for line in dumps[-1].read_text().splitlines()
                  if line.startswith("totals:"))
    counts = dict(zip(EVENTS, (int(x) for x in totals.split()[1:])))
    per_path = {k: round(v / args.paths, 1) for k, v in counts.items()}
    print(json.dumps({"root": args.root, "kernel": args.kernel, "paths": args.paths, **counts,
                      "per_path": per_path}))


def _inner(args) -> None:
    """Inside valgrind: build the pool, then count only the kernel calls."""
    sys.path[:0] = [args.root + "/benchmarks", args.root]
    import numba
    import numpy as np
    from pools import simple_pool

    import engine
    from engine.plan import compile_plan
    from engine.simulate import BLOCK_SIZE, ChunkRunner, simulate

    if not engine.__file__.startswith(args.root):
        sys.exit(f"imported {engine.__file__}, not the engine of {args.root}")
    numba.set_num_threads(1)
    plan = compile_plan(simple_pool(paths=args.paths))
    simulate(plan, 2048, 1)                      # compiled (or loaded) before counting
    run = ChunkRunner([plan], args.paths, 1, 8, 1.0, False)
    w, deal, lay = run.works[0], run.run_pass.deals[0], run.run_pass.lays[0]
    p, seed = w.path, np.uint64(1)
    count = ctypes.CDLL(str(_work_dir(args.root) / "libcount.so"))
    start = 0
    while start < args.paths:                    # batches as ChunkRunner._block takes them
        stop = min(start - start % BLOCK_SIZE + BLOCK_SIZE, args.paths)
        if args.kernel == "draw":
            count.count_on()
        n = run.draw(seed, start, stop, run.model, run.groups, run.draws, deal, p, w.store,
                     run.block_defaults[0, 0])
        if args.kernel == "cash":
            count.count_on()
            run.cash[0](n, start, 0, w.store, deal, lay, p.tau, p.defaulters, p.haircut,
                        w.cash[0], w.scratch[0], run.sums[0, 0, 0], run.block_hist[0, 0],
                        run.block_hist_sq[0, 0], True, run.empty, w.reuse[0])
        count.count_off()
        start += n
    count.count_dump()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--kernel", choices=("cash", "draw"), default="cash")
    parser.add_argument("--paths", type=int, default=20_000)
    args = parser.parse_args()
    args.root = str(Path(args.root).resolve())
    (_inner if os.environ.get("IPABS_COUNT_INNER") else _outer)(args)


if __name__ == "__main__":
    main()
