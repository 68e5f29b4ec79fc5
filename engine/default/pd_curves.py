"""Cumulative default probability curves of obligors, per payment period.

``F_j(t)`` for ``t = 1..legal_final`` from a rating (through the rating table, tenor in
years), from ``pd.annual`` as ``1 - (1 - p)^years``, or given per period by
``pd.cumulative``. The latent thresholds the kernel compares with are the marginal
quantiles of these probabilities.
"""
from __future__ import annotations

import numpy as np
from scipy import special


def cumulative_pd_curve(obligor, horizon: int, periods_per_year: int, table,
                        pd_multiplier: float = 1.0) -> np.ndarray:
    """``F(t)``, ``t = 1..horizon``, of one obligor; non-decreasing, in [0, 1].

    ``pd_multiplier`` scales the curve (capped at 1); it is how sensitivities stress PDs.
    """
    years = np.arange(1, horizon + 1, dtype=np.float64) / periods_per_year
    if obligor.rating is not None:
        curve = np.asarray(table.cumulative_pd(obligor.rating, years), dtype=np.float64)
    elif obligor.pd.annual is not None:
        curve = 1.0 - (1.0 - obligor.pd.annual) ** years
    else:
        curve = np.asarray(obligor.pd.cumulative[:horizon], dtype=np.float64)
    curve = np.minimum(curve * pd_multiplier, 1.0)
    return np.maximum.accumulate(np.clip(curve, 0.0, 1.0))


def cumulative_pd_curves(obligors, multipliers, horizon: int, periods_per_year: int,
                         table) -> np.ndarray:
    """``(n_obligors, horizon)``: :func:`cumulative_pd_curve` of each obligor with its
    multiplier, computed once per distinct (rating or PD, multiplier): a pool of like
    borrowers costs one curve."""
    done: dict[tuple, np.ndarray] = {}
    rows = []
    for o, m in zip(obligors, multipliers):
        pd = o.pd
        key = (o.rating, m, None if pd is None else pd.annual,
               None if pd is None or pd.cumulative is None else tuple(pd.cumulative))
        if key not in done:
            done[key] = cumulative_pd_curve(o, horizon, periods_per_year, table, m)
        rows.append(done[key])
    return np.stack(rows)


def latent_thresholds(curves: np.ndarray, dof: float | None = None) -> np.ndarray:
    """Latent default thresholds: ``Phi^-1(F_j(t))``, or the Student-t quantile
    ``t_dof^-1(F_j(t))`` (``-inf`` for 0, ``+inf`` for 1)."""
    if dof is None:
        return special.ndtri(curves)
    return special.stdtrit(dof, curves)
