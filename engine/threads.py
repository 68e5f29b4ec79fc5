"""Run a kernel's parts on threads: the numba kernels release the GIL, so Python threads
give real parallelism without a numba parallel loop (which costs a second compilation of
the whole kernel on a first run). Every part writes only its own rows, so the split
never changes a result."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


def worker_pool(n: int) -> ThreadPoolExecutor:
    """A process-wide pool of at least ``n`` threads (kept: starting threads per chunk
    costs more than a small chunk)."""
    global _POOL, _POOL_SIZE
    if _POOL is None or _POOL_SIZE < n:
        if _POOL is not None:
            _POOL.shutdown(wait=True)
        _POOL, _POOL_SIZE = ThreadPoolExecutor(max_workers=n, thread_name_prefix="ipabs"), n
    return _POOL


def bound(kernel, *args):
    """``kernel``'s compiled function for the types of ``args`` (compiled now if it is new),
    for a kernel called once per block: a call through numba's dispatcher types every
    argument again (about 0.1 ms for bundles of arrays, holding the GIL, so threads queue
    for it); the bound function only converts them. Calls must pass arguments of the same
    types. A plain function (``NUMBA_DISABLE_JIT``) is returned as it is."""
    if not hasattr(kernel, "typeof_pyval"):
        return kernel
    return kernel.compile(tuple(kernel.typeof_pyval(a) for a in args))


def on_threads(part: Callable[[int], None], n: int) -> None:
    """Call ``part(0) .. part(n - 1)``, the first on this thread and the others on the
    pool's, and wait for all; the first exception (in part order) is raised."""
    if n <= 1:
        part(0)
        return
    futures = [worker_pool(n - 1).submit(part, i) for i in range(1, n)]
    first_error = None
    try:
        part(0)
    except BaseException as exc:  # noqa: BLE001 - re-raised once the others are done
        first_error = exc
    for f in futures:
        try:
            f.result()
        except BaseException as exc:  # noqa: BLE001
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
