"""What a scenario's correlation section *means*, as numbers the checks (and the plan) can use.

This module owns two small translations from the scenario's vocabulary to arithmetic:
the obligor correlation matrix a ``pairwise`` table describes, and the loadings an
obligor gets from a ``factors`` model. It validates nothing itself; see
:mod:`engine.scenario.checks`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.scenario.models import Factors, Obligor, Pairwise

__all__ = [
    "pairwise_correlation_matrix",
    "obligor_factor_loadings",
    "factor_loadings_sq_sum",
    "smallest_eigenvalue",
]


def _same(a: str | None, b: str | None) -> bool:
    """Two labels match only if both are given and equal (a missing label never matches)."""
    return a is not None and a == b


def pairwise_correlation_matrix(obligors: Sequence[Obligor], pairwise: Pairwise) -> np.ndarray:
    """The obligors' latent-variable correlation matrix from a relationship table.

    Parameters
    ----------
    obligors
        All obligors of the scenario, in scenario order.
    pairwise
        Correlation by relationship of two obligors.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float64, symmetric, unit diagonal. Entry ``(i, j)``, ``i != j``, is
        ``same_region_same_industry`` if both region and industry are equal,
        ``same_region`` if only the region is, ``same_industry`` if only the industry
        is, else ``other``. A missing (``None``) label never matches.
    """
    n = len(obligors)
    table = np.array(
        [[pairwise.other, pairwise.same_industry],
         [pairwise.same_region, pairwise.same_region_same_industry]],
        dtype=np.float64,
    )
    # Encode labels as integers; None gets a unique negative code so it never matches.
    def codes(labels: list[str | None]) -> np.ndarray:
        lookup: dict[str, int] = {}
        out = np.empty(n, dtype=np.int64)
        for k, lab in enumerate(labels):
            out[k] = -1 - k if lab is None else lookup.setdefault(lab, len(lookup))
        return out

    region = codes([o.region for o in obligors])
    industry = codes([o.industry for o in obligors])
    same_region = (region[:, None] == region[None, :]).astype(np.int64)
    same_industry = (industry[:, None] == industry[None, :]).astype(np.int64)
    matrix = table[same_region, same_industry]
    np.fill_diagonal(matrix, 1.0)
    return matrix


def obligor_factor_loadings(obligor: Obligor, factors: Factors) -> tuple[float, float, float]:
    """An obligor's (global, region, industry) loadings; a label absent from ``factors`` loads 0."""
    region = factors.region.get(obligor.region, 0.0) if obligor.region is not None else 0.0
    industry = factors.industry.get(obligor.industry, 0.0) if obligor.industry is not None else 0.0
    return factors.global_, region, industry


def factor_loadings_sq_sum(obligor: Obligor, factors: Factors) -> float:
    """Sum of an obligor's squared factor loadings; at most 1 for a valid factor model.

    The idiosyncratic weight is ``sqrt(1 - sum)``, so a sum above 1 has no valid model.
    """
    return float(sum(x * x for x in obligor_factor_loadings(obligor, factors)))


def smallest_eigenvalue(matrix: np.ndarray) -> float:
    """Smallest eigenvalue of a symmetric matrix (``+inf`` for an empty one)."""
    if matrix.size == 0:
        return float("inf")
    return float(np.linalg.eigvalsh(matrix)[0])


def factor_names(obligors, correlation) -> list[str]:
    """Names of the systematic factors a scenario can refer to (e.g. to shift them).

    ``global`` (the economy-wide factor) for every form; then ``region:<label>`` and
    ``industry:<label>`` (sorted) for explicit ``factors``. The further factors a
    ``pairwise`` table needs are statistical (``pairwise:<k>``) and not named here.
    """
    if correlation.factors is not None:
        fac = correlation.factors
        return (["global"] + [f"region:{r}" for r in sorted(fac.region)]
                + [f"industry:{i}" for i in sorted(fac.industry)])
    return ["global"]
