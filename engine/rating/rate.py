"""A tranche's grade by the scenario's rating method (``tranche_pd`` or ``expected_loss``).

``tranche_pd``: the default probability against the ideal default table, with the grades
at both ends of its 95% Wilson interval. ``expected_loss``: the expected loss against the
expected-loss table, with the grades at both ends of its 95% normal interval. (``tdr_bdr``
rates from the pool and the cash-flow model: see :mod:`engine.rating.tdr_bdr`.)
"""
from __future__ import annotations

from engine.rating.methods import rate_by_pd, rating_range_pd

Z95 = 1.959963984540054


def rate_tranche(method: str, row: dict, n_paths: int, tenor: float, tables: dict):
    """``(rating, [best, worst])`` of one tranche row of a result."""
    if method == "expected_loss":
        el, se = row["expected_loss"], row["expected_loss_se"] or 0.0
        lo, hi = max(0.0, el - Z95 * se), min(1.0, el + Z95 * se)
        table = tables["el"]
        return (rate_by_pd(min(max(el, 0.0), 1.0), tenor, table),
                [rate_by_pd(lo, tenor, table), rate_by_pd(hi, tenor, table)])
    pd_, se = row["default_probability"], row["default_probability_se"]
    return (rate_by_pd(pd_, tenor, tables["pd"]),
            list(rating_range_pd(pd_, se, n_paths, tenor, tables["pd"])))
