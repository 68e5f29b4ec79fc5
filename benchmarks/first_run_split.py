"""Where a first run's compiling goes (issue #29): ``ipabs run`` of a scenario in this
process with numba's LLVM steps timed per kernel, beside numba's own pipeline timers.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/first_run_split.py scenarios/shenzhen_ip_pledge.yaml

Needs an empty cache (else nothing compiles). Prints seconds: the whole run; LLVM's
function passes, final-module passes and machine code, in all and per kernel; and each
kernel's numba pipeline (type inference, lowering ...) with its callees' compiling inside,
so a caller's figure includes its callees'.
"""
from __future__ import annotations

import collections
import gc
import sys
import time

from numba.core import codegen
from numba.core.registry import CPUDispatcher

import engine._jit  # noqa: F401 - installs the engine's hooks before the wrappers below
from engine.cli import main

STEPS = {"_optimize_functions": "LLVM function passes",
         "_optimize_final_module": "LLVM final-module passes",
         "_finalize_specific": "machine code"}


def timed(cls, name, per_kernel):
    """Wrap method ``name`` of ``cls`` to add its seconds to ``per_kernel[(kernel, name)]``."""
    original = getattr(cls, name)

    def wrapper(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            per_kernel[(self.name.rsplit(".", 1)[-1], name)] += time.perf_counter() - t0

    wrapper.__dict__.update(original.__dict__)       # keeps the engine hook's marker
    setattr(cls, name, wrapper)


def pipeline_seconds():
    """Each compiled kernel's numba pipeline seconds (callees' inside their callers')."""
    out = collections.Counter()
    for d in (o for o in gc.get_objects() if isinstance(o, CPUDispatcher)):
        for cres in d.overloads.values():
            for passes in (getattr(cres, "metadata", None) or {}).get("pipeline_times",
                                                                      {}).values():
                out[d.py_func.__name__] += sum(t.init + t.run + t.finalize
                                               for t in passes.values())
    return out


def split(argv: list[str]) -> None:
    per_kernel: collections.Counter = collections.Counter()
    for name in STEPS:
        timed(codegen.JITCodeLibrary, name, per_kernel)
    t0 = time.perf_counter()
    main(["run", *argv, "--quiet"])
    total = time.perf_counter() - t0
    print(f"whole run: {total:.1f} s")
    for name, label in STEPS.items():
        seconds = sum(v for (_, step), v in per_kernel.items() if step == name)
        print(f"{label}: {seconds:.1f} s")
    print("LLVM by kernel (s):")
    kernels = collections.Counter()
    for (kernel, _), v in per_kernel.items():
        kernels[kernel] += v
    for kernel, v in kernels.most_common(8):
        steps = ", ".join(f"{per_kernel[(kernel, n)]:.1f}" for n in STEPS)
        print(f"  {kernel}: {v:.1f} ({steps})")
    print("numba pipeline by kernel, callees inside (s):")
    for kernel, v in pipeline_seconds().most_common(8):
        print(f"  {kernel}: {v:.1f}")


if __name__ == "__main__":
    split(sys.argv[1:] or ["scenarios/shenzhen_ip_pledge.yaml"])
