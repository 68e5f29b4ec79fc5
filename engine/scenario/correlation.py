"""What a scenario's correlation section *means*, as numbers the checks (and the plan) can use.

This module owns the small translations from the scenario's vocabulary to arithmetic:
how two region labels relate (hierarchical paths), the obligor correlation matrix a
``pairwise`` table describes, the correlations obligors state themselves
(``correlation_with``, ``parent``) and how they override the table, and the loadings an
obligor gets from a ``factors`` model. It validates nothing itself; see
:mod:`engine.scenario.checks`.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from engine.scenario.parts import (
    PARENT_CORRELATION_DEFAULT,
    Factors,
    Obligor,
    Pairwise,
    region_nodes,
)

__all__ = [
    "REGION_NONE", "REGION_SHARED_PARENT", "REGION_SAME",
    "region_relation",
    "pairwise_correlation_matrix",
    "Statement",
    "correlation_statements",
    "resolve_statements",
    "has_statements",
    "stated_obligors",
    "apply_statements",
    "obligor_correlation_matrix",
    "obligor_region_loadings",
    "obligor_factor_loadings",
    "factor_loadings_sq_sum",
    "smallest_eigenvalue",
]

#: How two region labels relate: not at all, through a shared leading segment, or the same
#: region (equal, or one path contains the other).
REGION_NONE, REGION_SHARED_PARENT, REGION_SAME = 0, 1, 2


def region_relation(a: str | None, b: str | None) -> int:
    """How two region labels relate (a missing label relates to nothing).

    Labels are paths of segments, outermost first. ``REGION_SAME`` if one path is a prefix
    of the other by whole segments (``guangdong/shenzhen`` contains
    ``guangdong/shenzhen/nanshan``, not ``guangdong/shenzhen2``); ``REGION_SHARED_PARENT``
    if they share at least one leading segment otherwise; else ``REGION_NONE``. Flat labels
    (no ``/``) are the same region exactly when equal, as before paths existed.
    """
    if a is None or b is None:
        return REGION_NONE
    if a == b:
        return REGION_SAME
    pa, pb = a.split("/"), b.split("/")
    k = min(len(pa), len(pb))
    if pa[:k] == pb[:k]:
        return REGION_SAME
    return REGION_SHARED_PARENT if pa[0] == pb[0] else REGION_NONE


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
        ``same_region_same_industry`` if they share a region (equal labels, or one path
        containing the other) and the industry, ``same_region`` if only the region,
        ``same_industry`` if only the industry, else ``other``. Labels that share a
        leading segment but neither contains the other use ``same_parent_region`` (and
        ``same_parent_region_same_industry``, default the larger of ``same_parent_region``
        and ``same_industry``) when given, else count as different regions. A missing
        (``None``) label never matches. Correlations stated on obligors are not applied
        here (see :func:`apply_statements`).
    """
    n = len(obligors)
    spr = pairwise.same_parent_region
    if spr is None:
        parent_row = [pairwise.other, pairwise.same_industry]
    else:
        spr_si = pairwise.same_parent_region_same_industry
        parent_row = [spr, max(spr, pairwise.same_industry) if spr_si is None else spr_si]
    table = np.array(
        [[pairwise.other, pairwise.same_industry],
         parent_row,
         [pairwise.same_region, pairwise.same_region_same_industry]],
        dtype=np.float64,
    )

    # Encode labels as integers; None gets a unique negative code so it never matches.
    def codes(labels: list[str | None]) -> tuple[np.ndarray, list[str]]:
        lookup: dict[str, int] = {}
        out = np.empty(n, dtype=np.int64)
        for k, lab in enumerate(labels):
            out[k] = -1 - k if lab is None else lookup.setdefault(lab, len(lookup))
        return out, list(lookup)

    region, region_labels = codes([o.region for o in obligors])
    industry, _ = codes([o.industry for o in obligors])
    # relation between distinct labels (small: one row per label), then per obligor pair
    m = len(region_labels)
    rel = np.array([[region_relation(a, b) for b in region_labels] for a in region_labels],
                   dtype=np.int64).reshape(m, m)
    known = region >= 0
    relation = np.zeros((n, n), dtype=np.int64)
    if m:
        idx = np.where(known, region, 0)
        relation = np.where(known[:, None] & known[None, :], rel[idx[:, None], idx[None, :]],
                            REGION_NONE)
    same_industry = (industry[:, None] == industry[None, :]).astype(np.int64)
    matrix = table[relation, same_industry]
    np.fill_diagonal(matrix, 1.0)
    return matrix


# ----------------------------------------------------------------------------- stated correlations


@dataclass(frozen=True)
class Statement:
    """One latent correlation an obligor states: between obligors ``i`` and ``j``.

    ``path`` is the field that states it (``obligors.3.correlation_with.pool``);
    ``specific`` is true for a named obligor or a parent tie, false for the blanket
    ``pool`` statement, which named ones override.
    """

    i: int
    j: int
    value: float
    path: str
    specific: bool

    @property
    def pair(self) -> tuple[int, int]:
        return (min(self.i, self.j), max(self.i, self.j))


def has_statements(obligors: Sequence[Obligor]) -> bool:
    """Whether any obligor states a correlation (``correlation_with`` or ``parent``)."""
    return any(o.correlation_with is not None or o.parent is not None for o in obligors)


def stated_obligors(obligors: Sequence[Obligor]) -> list[int]:
    """Indices of the obligors that state correlations themselves, in scenario order."""
    return [i for i, o in enumerate(obligors)
            if o.correlation_with is not None or o.parent is not None]


def correlation_statements(obligors: Sequence[Obligor],
                           pool: Collection[str] | None) -> list[Statement]:
    """Every correlation the obligors state, pair by pair, in scenario order.

    Parameters
    ----------
    obligors
        All obligors of the scenario.
    pool
        Ids of the obligors that owe an asset of the pool (what ``correlation_with.pool``
        refers to); may be ``None`` only if no obligor states a ``pool`` correlation.

    Statements that name an unknown obligor, or the obligor itself, are left out (the
    checks report them).
    """
    index: dict[str, int] = {}
    for k, o in enumerate(obligors):
        index.setdefault(o.id, k)
    out: list[Statement] = []
    for i, ob in enumerate(obligors):
        if ob.parent is not None:
            j = index.get(ob.parent)
            if j is not None and j != i:
                given = ob.parent_correlation is not None
                value = ob.parent_correlation if given else PARENT_CORRELATION_DEFAULT
                field = "parent_correlation" if given else "parent"
                out.append(Statement(i, j, float(value), f"obligors.{i}.{field}", True))
        cw = ob.correlation_with
        if cw is None:
            continue
        for oid, value in cw.obligors.items():
            j = index.get(oid)
            if j is not None and j != i:
                out.append(Statement(i, j, float(value),
                                     f"obligors.{i}.correlation_with.obligors.{oid}", True))
        if cw.pool is not None:
            if pool is None:
                raise ValueError("correlation_with.pool needs the pool's obligor ids")
            members = sorted({index[oid] for oid in pool if oid in index} - {i})
            out.extend(Statement(i, j, float(cw.pool), f"obligors.{i}.correlation_with.pool", False)
                       for j in members)
    return out


def resolve_statements(statements: Sequence[Statement]
                       ) -> tuple[dict[tuple[int, int], float], list[tuple[Statement, Statement]]]:
    """The correlation each stated pair gets, and the pairs stated inconsistently.

    For a pair, statements naming it (a named obligor, a parent tie) override ``pool``
    statements; the remaining ones must agree. Neither the answer nor the conflicts found
    depend on the order of the obligors.

    Returns
    -------
    (values, conflicts)
        ``values[(i, j)]`` with ``i < j``; ``conflicts`` pairs of statements on the same
        obligor pair with different values (the first of each pair as stated first).
    """
    by_pair: dict[tuple[int, int], list[Statement]] = {}
    for st in statements:
        by_pair.setdefault(st.pair, []).append(st)
    values: dict[tuple[int, int], float] = {}
    conflicts: list[tuple[Statement, Statement]] = []
    for pair, group in by_pair.items():
        chosen = [st for st in group if st.specific] or group
        first = chosen[0]
        clash = next((st for st in chosen[1:] if st.value != first.value), None)
        if clash is not None:
            conflicts.append((first, clash))
        values[pair] = first.value
    return values, conflicts


def apply_statements(matrix: np.ndarray, values: dict[tuple[int, int], float]) -> np.ndarray:
    """A copy of ``matrix`` with the stated correlations written in (symmetrically)."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    for (i, j), v in values.items():
        out[i, j] = out[j, i] = v
    return out


def obligor_correlation_matrix(obligors: Sequence[Obligor], correlation,
                               pool: Collection[str] | None) -> np.ndarray | None:
    """The obligors' latent correlation matrix a ``uniform`` or ``pairwise`` block means,
    with the correlations obligors state written over it (``None`` for ``factors``).

    Conflicting statements resolve as :func:`resolve_statements` says (the checks
    report them).
    """
    n = len(obligors)
    if correlation.uniform is not None:
        base = np.full((n, n), float(correlation.uniform))
        np.fill_diagonal(base, 1.0)
    elif correlation.pairwise is not None:
        base = pairwise_correlation_matrix(obligors, correlation.pairwise)
    else:
        return None
    if not has_statements(obligors):
        return base
    values, _ = resolve_statements(correlation_statements(obligors, pool))
    return apply_statements(base, values)


# ----------------------------------------------------------------------------- factors


def obligor_region_loadings(obligor: Obligor, factors: Factors) -> list[tuple[str, float]]:
    """The region nodes an obligor loads on in a ``factors`` model, outermost first.

    Every node of its region path (``guangdong``, ``guangdong/shenzhen``, ...) that has a
    loading in ``factors.region``; a flat label is its own single node.
    """
    if obligor.region is None:
        return []
    return [(node, factors.region[node]) for node in region_nodes(obligor.region)
            if node in factors.region]


def obligor_factor_loadings(obligor: Obligor, factors: Factors) -> tuple[float, float, float]:
    """An obligor's (global, region, industry) loadings; a label absent from ``factors`` loads 0.

    ``region`` is the root of the sum of squares over the nodes of its region path.
    """
    nodes = obligor_region_loadings(obligor, factors)
    if len(nodes) == 1:
        region = nodes[0][1]
    else:
        region = float(np.sqrt(sum(v * v for _, v in nodes)))
    industry = factors.industry.get(obligor.industry, 0.0) if obligor.industry is not None else 0.0
    return factors.global_, region, industry


def factor_loadings_sq_sum(obligor: Obligor, factors: Factors) -> float:
    """Sum of an obligor's squared factor loadings; at most 1 for a valid factor model.

    The idiosyncratic weight is ``sqrt(1 - sum)``, so a sum above 1 has no valid model.
    """
    industry = factors.industry.get(obligor.industry, 0.0) if obligor.industry is not None else 0.0
    regions = [v for _, v in obligor_region_loadings(obligor, factors)]
    terms = [factors.global_] + regions + [industry]
    return float(sum(x * x for x in terms))


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
