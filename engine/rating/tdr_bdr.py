"""The agencies' TDR/BDR method (S&P calls the TDR the scenario default rate).

TDR of a grade = the pool default rate exceeded with that grade's ideal default probability
at the pool's WAL, read off the simulated distribution. A tranche's grade is the best one
whose TDR does not exceed the tranche's break-even default rate (the smallest over the
stress grid, from the cash-flow model).
"""
from __future__ import annotations

import math

import numpy as np

from engine.accumulate import TailCurve, histogram_quantile
from engine.rating.methods import _TABLE_GRADES, BELOW_TABLE_GRADE, pd_interval


def pool_wal_years(plan) -> float:
    """Weighted average life of the pool's scheduled principal (no defaults), in years."""
    principal = plan.sched_prin.sum(axis=0)
    t = np.arange(principal.shape[0]) / plan.periods_per_year
    return float((t * principal).sum() / principal.sum())


def target_default_rates(hist, n_paths: int, wal: float, table, hist_sq=None) -> dict:
    """``{grade: (TDR, TDR at the better end, TDR at the worse end of the 95% interval)}``.

    The ends come from the 95% interval of the exceedance probability, which is what the
    finite number of paths leaves uncertain. Under importance sampling (``hist_sq``, the
    squared weights per bin) the TDR is read off the weighted tail and its ends from that
    tail's own standard error (:func:`engine.accumulate.tail_quantile`).
    """
    tenor = max(wal, 1.0)
    out = {}
    curve = TailCurve(hist, n_paths, hist_sq) if hist_sq is not None else None
    for grade in _TABLE_GRADES:
        p = float(table.sf_threshold(grade, tenor))
        if curve is not None:
            t = curve.quantile(1.0 - p)
            out[grade] = (t.value, t.low, t.high)
            continue
        lo, hi = pd_interval(p, math.sqrt(p * (1 - p) / n_paths), n_paths)
        out[grade] = (histogram_quantile(hist, 1.0 - p), histogram_quantile(hist, 1.0 - hi),
                      histogram_quantile(hist, 1.0 - lo))
    return out


def grade_for(bdr: float, tdrs: dict, which: int = 0) -> str:
    """Best grade whose TDR (``which``: 0 central, 1 low end, 2 high end) is <= ``bdr``."""
    for grade in _TABLE_GRADES:
        if tdrs[grade][which] <= bdr + 1e-12:
            return grade
    return BELOW_TABLE_GRADE
