"""Run the fused kernel over all paths, chunk by chunk, and fold the block sums.

Paths are grouped in blocks of :data:`BLOCK_SIZE` (a constant of the engine, part of what
makes results reproducible): each block is summed serially by one thread, and blocks
are folded in block order, so the thread count and the chunk size (how many blocks one
kernel call takes, which only sets the granularity of progress) never change a bit of
the result. Memory grows with the chunk, never with the number of paths.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

import numba

from engine import layout as L
from engine._jit import python
from engine._kernels import RecordRows, cash_paths, draw_paths
from engine.threads import bound, on_threads, worker_pool
from engine.variants import MAX_PASS, Pass
from engine.errors import InputError
from engine.limits import MAX_PATHS, MAX_RECORD_BYTES, MIN_PATHS
from engine.plan import Plan

BLOCK_SIZE = 1024
DEFAULT_CHUNK_BLOCKS = 32
#: A local run's chunks are at most this many blocks (a Dask task keeps ``chunk_blocks``):
#: the two slots of rows stay small (the default-rate histograms of 2 x 8 blocks, 13 MB,
#: instead of 51 MB at 32), which measured 3 - 5% faster on two cores; any chunking gives
#: the same bits.
LOCAL_CHUNK_BLOCKS = 8
HIST_BINS = 100_001          # pool default rate histogram on [0, 1], resolution 1e-5

Progress = Callable[[int, int], None]


@dataclass
class PathRecord:
    """Per-path outcomes kept for paired comparisons (memory: paths x tranches)."""

    weight: np.ndarray     # (paths,)
    default: np.ndarray    # (paths, tranches) 0/1
    loss: np.ndarray       # (paths, tranches)


@dataclass
class Totals:
    """Mergeable accumulators of a run: weighted sums over paths, read by the names of
    :mod:`engine.layout`."""

    paths: int
    sums: np.ndarray              # one row of the layout, folded over every block
    max_cash_error: float         # largest |cash in - cash out| over all paths
    default_rate_hist: np.ndarray # (HIST_BINS,): weight of paths per default-rate bin
    obligor_defaults: np.ndarray  # (n_obligors,): weight of paths where each defaulted
    layout: L.Layout
    record: PathRecord | None = None
    #: (HIST_BINS,) sum of squared weights per bin; None when every weight is 1 (then it
    #: equals ``default_rate_hist``)
    default_rate_hist_sq: np.ndarray | None = None

    @property
    def weighted(self) -> bool:
        """Do the paths carry likelihood-ratio weights (importance sampling)?"""
        return self.default_rate_hist_sq is not None

    def tranche_sums(self, k: int) -> np.ndarray:
        """Tranche ``k``'s group (``TR_*`` columns)."""
        return self.sums[L.TR_COLS * k: L.TR_COLS * (k + 1)]

    def pool_sums(self) -> np.ndarray:
        """The pool group (``POOL_*`` columns)."""
        return self.sums[self.layout.pool: self.layout.pool + L.POOL_COLS]

    def support_sums(self, s: int) -> np.ndarray:
        """Support ``s``'s group (``SUP_*`` columns)."""
        start = self.layout.support + L.SUP_COLS * s
        return self.sums[start: start + L.SUP_COLS]

    def trigger_sums(self, r: int) -> np.ndarray:
        """Trigger ``r``'s group (``TRIG_*`` columns)."""
        start = self.layout.trigger + L.TRIG_COLS * r
        return self.sums[start: start + L.TRIG_COLS]

    def accelerated(self) -> float:
        """Weight of the paths that switched to the post-acceleration waterfall."""
        return float(self.sums[self.layout.accelerated])

    def default_timing(self) -> np.ndarray:
        """``(horizon + 1,)``: sum over paths of w x share of the pool defaulting at each date."""
        return self.sums[self.layout.timing: self.layout.capacity]

    def capacity_sums(self) -> np.ndarray:
        """Per provider with a capacity: sum over paths of w x it ran out."""
        return self.sums[self.layout.capacity: self.layout.width]


def weighted(plan: Plan, z_scale: float = 1.0) -> bool:
    """Do a run's paths carry likelihood-ratio weights (a factor shift or a twist, with
    random factors)?"""
    return z_scale > 0.0 and (bool(np.any(plan.z_shift != 0.0)) or plan.twist_target > 0.0)


def plan_layout(plan: Plan) -> L.Layout:
    """The accumulator layout of a Plan."""
    return python(L.row_layout)(plan.n_tranches, len(plan.support_ids),
                                len(plan.trigger_ids), plan.horizon, len(plan.cap_obligors))


@dataclass
class ChunkResult:
    """What one chunk of blocks contributes: per-block rows, folded later in block order."""

    first: int                    # first block
    sums: np.ndarray              # (blocks, variants, columns)
    hist: list                    # per block: (lo, hi, weights of bins lo..hi, their
                                  # squared weights or None)
    defaults: np.ndarray          # (blocks, obligors)
    record: tuple | None          # (weights, defaults, losses) of the chunk's paths


class ChunkRunner:
    """Runs chunks of a pass of Plans on one draw per path (one runner per process): the
    first Plan draws each batch of paths, every Plan's waterfall pays it
    (:class:`engine.variants.Pass`). Blocks are spread over :func:`numba.get_num_threads`
    threads, each with its own work arrays; every block writes only its own rows.

    The rows of a chunk live in one of :data:`SLOTS` slots, so that :meth:`run_all` lets
    the threads go on with the next chunk while the one before is read and folded (no
    thread waits at a chunk's end)."""

    SLOTS = 2

    def __init__(self, plans, paths: int, seed: int, chunk_blocks: int, z_scale: float,
                 record: bool):
        self.run_pass = Pass(plans)
        plan = self.run_pass.plans[0]
        self.plan, self.paths, self.seed, self.record = plan, paths, seed, record
        self.model = plan.default_model(z_scale)
        self.groups = plan.groups.bundle()
        self.draws = plan.haircut_draws()
        width = min(chunk_blocks, -(-paths // BLOCK_SIZE))
        slots = self.SLOTS
        self.cols = max(lay.width for lay in self.run_pass.lays)
        self.sums = np.empty((slots, width, len(self.run_pass.plans), self.cols))
        self.block_hist = np.zeros((slots, width, HIST_BINS))  # zero once; reading re-zeroes
        self.block_defaults = np.zeros((slots, width, plan.n_obligors))
        self.hist_range = np.empty((slots, width, 2), dtype=np.int64)
        self.block_hist_sq = np.zeros((slots, width,
                                       HIST_BINS if weighted(plan, z_scale) else 0))
        n_tr = plan.n_tranches
        self.empty = RecordRows(np.empty(0), np.empty((0, n_tr)), np.empty((0, n_tr)))
        self.threads = max(1, min(numba.get_num_threads(), width))
        self.works = [self.run_pass.work(self.groups, BLOCK_SIZE) for _ in range(self.threads)]
        w, deals, lays = self.works[0], self.run_pass.deals, self.run_pass.lays
        self.draw = bound(draw_paths, np.uint64(seed), 0, 0, self.model, self.groups, self.draws,
                          deals[0], w.path, w.store, self.block_defaults[0, 0])
        p = w.path
        self.cash = [bound(cash_paths, 0, 0, 0, w.store, deals[v], lays[v], p.tau, p.defaulters,
                           p.haircut, w.cash[v], w.scratch[v], self.sums[0, 0, v],
                           self.block_hist[0, 0], self.block_hist_sq[0, 0], v == 0, self.empty,
                           w.reuse[v])
                     for v in range(len(deals))]

    def _block(self, first: int, b: int, slot: int, work, record: RecordRows) -> None:
        """Block ``first + b`` into row ``b`` of ``slot``: batches of paths drawn once, paid
        by every support set."""
        seed = np.uint64(self.seed)
        start = (first + b) * BLOCK_SIZE
        stop = min(start + BLOCK_SIZE, self.paths)
        offset = first * BLOCK_SIZE
        sums, hist, hist_sq = self.sums[slot, b], self.block_hist[slot, b], \
            self.block_hist_sq[slot, b]
        defaults = self.block_defaults[slot, b]
        sums[:] = 0.0
        lo, hi = HIST_BINS, -1
        deals, lays = self.run_pass.deals, self.run_pass.lays
        while start < stop:
            n = self.draw(seed, start, stop, self.model, self.groups, self.draws, deals[0],
                          work.path, work.store, defaults)
            p = work.path
            for v in range(len(deals)):
                lo_v, hi_v = self.cash[v](n, start, offset, work.store, deals[v], lays[v], p.tau,
                                        p.defaulters, p.haircut, work.cash[v], work.scratch[v],
                                        sums[v], hist, hist_sq, v == 0, record, work.reuse[v])
                if v == 0:
                    lo, hi = min(lo, lo_v), max(hi, hi_v)
            start += n
        self.hist_range[slot, b] = lo, hi

    def _record_rows(self, first: int, nb: int) -> RecordRows:
        """The per-path rows of the chunk of ``nb`` blocks from ``first`` (empty unless
        recording)."""
        if not self.record:
            return self.empty
        lo_path, hi_path = first * BLOCK_SIZE, min((first + nb) * BLOCK_SIZE, self.paths)
        n_tr = self.plan.n_tranches
        return RecordRows(np.empty(hi_path - lo_path), np.empty((hi_path - lo_path, n_tr)),
                          np.empty((hi_path - lo_path, n_tr)))

    def _result(self, first: int, nb: int, slot: int, record: RecordRows) -> ChunkResult:
        """The chunk's rows read out of ``slot``, which is zeroed for the next chunk."""
        hist = []
        keep_sq = self.block_hist_sq.shape[2] > 0
        for b in range(nb):
            lo, hi = self.hist_range[slot, b]
            row, row_sq = self.block_hist[slot, b], self.block_hist_sq[slot, b]
            sq = row_sq[lo:hi + 1].copy() if keep_sq else None
            hist.append((int(lo), int(hi), row[lo:hi + 1].copy(), sq))
            row[lo:hi + 1] = 0.0
            if keep_sq:
                row_sq[lo:hi + 1] = 0.0
        result = ChunkResult(first, self.sums[slot, :nb].copy(), hist,
                             self.block_defaults[slot, :nb].copy(),
                             tuple(record) if self.record else None)
        self.block_defaults[slot, :nb] = 0.0
        return result

    def run(self, first: int, nb: int) -> ChunkResult:
        """One chunk of ``nb`` blocks from block ``first``, on this process's threads."""
        record = self._record_rows(first, nb)
        blocks = itertools.count()         # each thread takes the next block (one step
                                           # under the GIL): no thread idles on a slow one

        def part(i: int) -> None:
            for b in iter(blocks.__next__, None):
                if b >= nb:
                    return
                self._block(first, b, 0, self.works[i], record)

        on_threads(part, min(self.threads, nb))
        return self._result(first, nb, 0, record)

    def run_all(self, todo: list[tuple[int, int]], fold: Callable[[ChunkResult], None]) -> None:
        """Every chunk of ``todo`` (``(first block, blocks)``, in order), each passed to
        ``fold`` in order as soon as it is done. With several threads they take blocks
        one after the other across chunks (a chunk's rows in slot ``chunk % SLOTS``, taken
        once the chunk before in that slot is read), while this thread reads and folds:
        no thread waits at a chunk's end. The same numbers as :meth:`run` chunk by chunk."""
        if self.threads <= 1 or len(todo) <= 1:
            for first, nb in todo:
                fold(self.run(first, nb))
            return
        cond = threading.Condition()
        done = [0] * len(todo)
        host = list(range(self.SLOTS))     # the chunk each slot holds (or is free for)
        records = [self._record_rows(*todo[c]) if c < len(todo) else self.empty
                   for c in range(self.SLOTS)]
        claims = ((c, b) for c, (_, nb) in enumerate(todo) for b in range(nb))
        failed: list[BaseException] = []

        def worker(i: int) -> None:
            try:
                while True:
                    with cond:
                        claim = next(claims, None)
                        if claim is None or failed:
                            return
                        c, b = claim
                        slot = c % self.SLOTS
                        while host[slot] != c and not failed:
                            cond.wait()
                        if failed:
                            return
                        record = records[slot]
                    self._block(todo[c][0], b, slot, self.works[i], record)
                    with cond:
                        done[c] += 1
                        if done[c] == todo[c][1]:
                            cond.notify_all()
            except BaseException as exc:  # noqa: BLE001 - handed to the folding thread
                with cond:
                    failed.append(exc)
                    cond.notify_all()

        futures = [worker_pool(self.threads).submit(worker, i) for i in range(self.threads)]
        try:
            for c, (first, nb) in enumerate(todo):
                slot = c % self.SLOTS
                with cond:
                    while done[c] < nb and not failed:
                        cond.wait()
                    if failed:
                        break
                result = self._result(first, nb, slot, records[slot])
                with cond:                 # the slot is free for the chunk after next
                    nxt = c + self.SLOTS
                    records[slot] = self._record_rows(*todo[nxt]) if nxt < len(todo) \
                        else self.empty
                    host[slot] = nxt
                    cond.notify_all()
                fold(result)
        except BaseException as exc:  # noqa: BLE001 - stop the threads, then re-raise
            with cond:
                failed.append(exc)
                cond.notify_all()
        for f in futures:
            f.result()
        if failed:
            raise failed[0]


class Folder:
    """Folds chunk results strictly in block order, so any backend gives the same bits;
    one accumulator row per Plan of the set (the histogram and the obligors' defaults are
    the shared draw's)."""

    def __init__(self, plans, paths: int, record: bool, z_scale: float = 1.0):
        plans = tuple(plans)
        plan = plans[0]
        self.paths = paths
        self.layouts = [plan_layout(p) for p in plans]
        self.err_cols = [lay.pool + L.POOL_CASH_ERROR for lay in self.layouts]
        self.acc = np.zeros((len(plans), max(lay.width for lay in self.layouts)))
        self.hist = np.zeros(HIST_BINS)
        self.hist_sq = np.zeros(HIST_BINS) if weighted(plan, z_scale) else None
        self.defaults = np.zeros(plan.n_obligors)
        self.max_err = np.zeros(len(plans))
        n_tr = plan.n_tranches
        self.rec = (PathRecord(np.empty(paths), np.empty((paths, n_tr)), np.empty((paths, n_tr)))
                    if record else None)
        self.next_block = 0

    def add(self, chunk: ChunkResult) -> None:
        if chunk.first != self.next_block:
            raise RuntimeError("chunks must be folded in block order")
        for b in range(chunk.sums.shape[0]):
            for v, col in enumerate(self.err_cols):
                self.max_err[v] = max(self.max_err[v], chunk.sums[b, v, col])
                chunk.sums[b, v, col] = 0.0
            self.acc += chunk.sums[b]
            lo, hi, weights, squares = chunk.hist[b]
            if hi >= lo:
                self.hist[lo:hi + 1] += weights
                if self.hist_sq is not None:
                    self.hist_sq[lo:hi + 1] += squares
            self.defaults += chunk.defaults[b]
        if self.rec is not None:
            lo_path = chunk.first * BLOCK_SIZE
            n = chunk.record[0].shape[0]
            self.rec.weight[lo_path:lo_path + n] = chunk.record[0]
            self.rec.default[lo_path:lo_path + n] = chunk.record[1]
            self.rec.loss[lo_path:lo_path + n] = chunk.record[2]
        self.next_block += chunk.sums.shape[0]

    def all_totals(self) -> list[Totals]:
        """One :class:`Totals` per Plan of the set (the record is the first's)."""
        return [Totals(self.paths, self.acc[v, :lay.width].copy(), float(self.max_err[v]),
                       self.hist, self.defaults, lay, self.rec if v == 0 else None,
                       self.hist_sq) for v, lay in enumerate(self.layouts)]

    def totals(self) -> Totals:
        return self.all_totals()[0]


def chunks(paths: int, chunk_blocks: int) -> Iterator[tuple[int, int]]:
    """``(first block, number of blocks)`` of every chunk, one at a time (lazily, so that
    nothing grows with the number of paths)."""
    n_blocks = -(-paths // BLOCK_SIZE)
    for first in range(0, n_blocks, chunk_blocks):
        yield first, min(chunk_blocks, n_blocks - first)


def check_paths(plan: Plan, paths: int, record: bool) -> None:
    """Refuse a number of paths outside :mod:`engine.limits` (and, with ``record``, one whose
    per-path outcomes would not fit in :data:`~engine.limits.MAX_RECORD_BYTES`)."""
    if not MIN_PATHS <= paths <= MAX_PATHS:
        raise InputError(f"paths must be between {MIN_PATHS} and {MAX_PATHS:,}, got {paths:,}")
    need = paths * 8 * (1 + 2 * plan.n_tranches)
    if record and need > MAX_RECORD_BYTES:
        most = MAX_RECORD_BYTES // (8 * (1 + 2 * plan.n_tranches))
        raise InputError(f"paired runs (sensitivities, golden checks, reports) keep every "
                         f"path's outcome: {paths:,} paths need {need / 2**30:.1f} GiB; use at "
                         f"most {most:,} paths")


def simulate(plan: Plan, paths: int, seed: int, *, chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
             progress: Progress | None = None, z_scale: float = 1.0,
             record: bool = False, backend=None) -> Totals:
    """Simulate ``paths`` paths of the Plan with ``seed``; return the folded accumulators.

    ``z_scale = 0`` fixes the systematic factors at the Plan's shift (a conditional run,
    used to aim importance sampling); weights are then 1. ``record`` also keeps each
    path's weight, tranche defaults and losses (for paired comparisons on common random
    numbers). ``backend`` (see :mod:`engine.backends`) runs the chunks elsewhere, e.g. on
    a Dask cluster; results are bit-identical to the local run.
    """
    return simulate_set([plan], paths, seed, chunk_blocks=chunk_blocks, progress=progress,
                        z_scale=z_scale, record=record, backend=backend)[0]


def simulate_set(plans, paths: int, seed: int, *, chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
                 progress: Progress | None = None, z_scale: float = 1.0,
                 record: bool = False, backend=None) -> list[Totals]:
    """Simulate several support sets of one deal on the same paths in one pass: every path's
    defaults and haircuts are drawn once (by the first Plan) and each Plan's waterfall runs
    on them. Returns one :class:`Totals` per Plan, bit-identical to simulating each alone
    with the same seed (``record`` keeps the first Plan's per-path outcomes). Sets larger
    than :data:`engine.variants.MAX_PASS` run in several passes."""
    plans = list(plans)
    if not plans:
        raise ValueError("simulate_set needs at least one Plan")
    for plan in plans:
        check_paths(plan, paths, record)
    if chunk_blocks < 1:
        raise ValueError("chunk_blocks must be at least 1")
    out = []
    for lo in range(0, len(plans), MAX_PASS):
        part = tuple(plans[lo:lo + MAX_PASS])
        keep = record and lo == 0
        folder = Folder(part, paths, keep, z_scale)
        if backend is not None:
            out += backend.simulate(part, paths, seed, chunk_blocks, z_scale, keep, folder,
                                    progress)
            continue
        local_blocks = min(chunk_blocks, LOCAL_CHUNK_BLOCKS)
        runner = ChunkRunner(part, paths, seed, local_blocks, z_scale, keep)

        def fold(chunk: ChunkResult) -> None:
            folder.add(chunk)
            if progress is not None:
                progress(min((chunk.first + chunk.sums.shape[0]) * BLOCK_SIZE, paths), paths)

        runner.run_all(list(chunks(paths, local_blocks)), fold)
        out += folder.all_totals()
    return out
