"""Run the fused kernel over all paths, chunk by chunk, and fold the block sums.

Paths are grouped in blocks of :data:`BLOCK_SIZE` (a constant of the engine, part of what
makes results reproducible): each block is summed serially by one thread, and blocks
are folded in block order, so the thread count and the chunk size (how many blocks one
kernel call takes, which only sets the granularity of progress) never change a bit of
the result. Memory grows with the chunk, never with the number of paths.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine._kernels import POOL_COLS, SUP_COLS, TR_COLS, TRIG_COLS, simulate_blocks
from engine.plan import Plan

BLOCK_SIZE = 1024
DEFAULT_CHUNK_BLOCKS = 32
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
    """Mergeable accumulators of a run: weighted sums over paths (see engine._kernels)."""

    paths: int
    sums: np.ndarray              # tranche, pool and support sums
    max_cash_error: float         # largest |cash in - cash out| over all paths
    default_rate_hist: np.ndarray # (HIST_BINS,): weight of paths per default-rate bin
    obligor_defaults: np.ndarray  # (n_obligors,): weight of paths where each defaulted
    record: PathRecord | None = None

    def tranche_sums(self, k: int) -> np.ndarray:
        return self.sums[TR_COLS * k: TR_COLS * (k + 1)]

    def pool_sums(self, n_tranches: int) -> np.ndarray:
        start = TR_COLS * n_tranches
        return self.sums[start: start + POOL_COLS]

    def support_sums(self, n_tranches: int, s: int) -> np.ndarray:
        start = TR_COLS * n_tranches + POOL_COLS + SUP_COLS * s
        return self.sums[start: start + SUP_COLS]

    def trigger_sums(self, n_tranches: int, n_supports: int, n_triggers: int) -> np.ndarray:
        """Per trigger ``(w.fired, w.fired.period)`` rows, then ``w.accelerated``."""
        start = TR_COLS * n_tranches + POOL_COLS + SUP_COLS * n_supports
        return self.sums[start: start + TRIG_COLS * n_triggers + 1]

    def default_timing(self, horizon: int) -> np.ndarray:
        """``(horizon + 1,)``: sum over paths of w x share of the pool defaulting at each date."""
        return self.sums[len(self.sums) - horizon - 1:]


def n_columns(plan: Plan) -> int:
    return (TR_COLS * plan.n_tranches + POOL_COLS + SUP_COLS * len(plan.support_ids)
            + TRIG_COLS * len(plan.trigger_ids) + 1 + plan.horizon + 1)


def simulate(plan: Plan, paths: int, seed: int, *, chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
             progress: Progress | None = None, z_scale: float = 1.0,
             record: bool = False) -> Totals:
    """Simulate ``paths`` paths of the Plan with ``seed``; return the folded accumulators.

    ``z_scale = 0`` fixes the systematic factors at the Plan's shift (a conditional run,
    used to aim importance sampling); weights are then 1. ``record`` also keeps each
    path's weight, tranche defaults and losses (for paired comparisons on common random
    numbers).
    """
    if paths < 1:
        raise ValueError("paths must be at least 1")
    if chunk_blocks < 1:
        raise ValueError("chunk_blocks must be at least 1")
    n_blocks = -(-paths // BLOCK_SIZE)
    cols = n_columns(plan)
    err_col = TR_COLS * plan.n_tranches + POOL_COLS - 1
    acc = np.zeros(cols)
    hist = np.zeros(HIST_BINS)
    defaults = np.zeros(plan.n_obligors)
    max_err = 0.0
    default_args = plan.default_args(z_scale)
    cash_args = plan.cash_args()
    width = min(chunk_blocks, n_blocks)
    sums = np.empty((width, cols))
    block_hist = np.zeros((width, HIST_BINS))       # zero once; the fold re-zeroes
    block_defaults = np.zeros((width, plan.n_obligors))
    hist_range = np.empty((width, 2), dtype=np.int64)
    n_tr = plan.n_tranches
    rec = (PathRecord(np.empty(paths), np.empty((paths, n_tr)), np.empty((paths, n_tr)))
           if record else None)
    empty = (np.empty(0), np.empty((0, n_tr)), np.empty((0, n_tr)))
    for first in range(0, n_blocks, chunk_blocks):
        nb = min(chunk_blocks, n_blocks - first)
        lo_path, hi_path = first * BLOCK_SIZE, min((first + nb) * BLOCK_SIZE, paths)
        rows = ((rec.weight[lo_path:hi_path], rec.default[lo_path:hi_path],
                 rec.loss[lo_path:hi_path]) if record else empty)
        simulate_blocks(np.uint64(seed), first, nb, BLOCK_SIZE, paths, *default_args,
                        *cash_args, sums, block_hist, block_defaults, hist_range, *rows)
        for b in range(nb):              # fold in block order: chunk-size independent
            max_err = max(max_err, sums[b, err_col])
            sums[b, err_col] = 0.0
            acc += sums[b]
            lo, hi = hist_range[b]
            if hi >= lo:
                hist[lo:hi + 1] += block_hist[b, lo:hi + 1]
                block_hist[b, lo:hi + 1] = 0.0
            defaults += block_defaults[b]
            block_defaults[b] = 0.0
        if progress is not None:
            progress(min((first + nb) * BLOCK_SIZE, paths), paths)
    return Totals(paths, acc, max_err, hist, defaults, rec)

