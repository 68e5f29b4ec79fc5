"""The latent factor structure of obligors: ``X_j = sum_k a_jk Z_k + b_j e_j``.

Factor 0 is always the economy-wide (global) factor; collateral haircuts are coupled
to it through ``systemic``. The loadings are stored sparse (CSR), so the per-path cost
grows with the number of non-zero loadings, not with obligors squared.

- ``uniform: rho``: one factor, ``a_j0 = sqrt(rho)``, ``b_j = sqrt(1 - rho)``.
- ``factors``: global, region and industry factors with the given loadings,
  ``b_j = sqrt(1 - sum of squares)``.
- ``pairwise``: the obligors' correlation matrix ``R`` from the relationship table is
  split as ``R = o 11' + (1 - o) Q`` with ``o`` the ``other`` correlation (the economy-wide
  part, loading ``sqrt(o)`` on the global factor). ``Q`` depends only on the obligors'
  (region, industry) cells, so ``Q = E C E' + (1 - c) I`` exactly, with one factor per
  cell at most (``C = M M'``): the cost grows with cells, not obligors squared. If ``C`` is
  not PSD, ``Q = L L'`` by an eigen-decomposition with one factor per obligor; with
  ``repair: nearest`` a ``Q`` that is not PSD is replaced by its nearest correlation
  matrix (Higham 2002), keeping the economy-wide part; the change is reported.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from engine.default.nearest_correlation import nearest_correlation
from engine.errors import Problem, ScenarioError
from engine.scenario.correlation import factor_names, pairwise_correlation_matrix


@dataclass(frozen=True)
class FactorStructure:
    """Sparse loadings of every obligor on ``n_factors`` systematic factors."""

    n_factors: int
    load_ptr: np.ndarray   # int64 (n_obligors + 1,)
    load_idx: np.ndarray   # int64 (nnz,)
    load_val: np.ndarray   # float64 (nnz,)
    idio: np.ndarray       # float64 (n_obligors,): weight of the idiosyncratic term
    names: tuple[str, ...] = ()  # factor names: global, region:<label>, industry:<label>, ...
    repair: dict | None = None   # what `repair: nearest` changed, if anything

    def dense(self) -> np.ndarray:
        """Dense loading matrix (n_obligors x n_factors); for tests and reports."""
        n = self.idio.shape[0]
        a = np.zeros((n, self.n_factors))
        for j in range(n):
            sl = slice(self.load_ptr[j], self.load_ptr[j + 1])
            a[j, self.load_idx[sl]] = self.load_val[sl]
        return a

    def correlation(self) -> np.ndarray:
        """Implied latent correlation matrix of the obligors."""
        a = self.dense()
        r = a @ a.T
        np.fill_diagonal(r, 1.0)
        return r


def _from_rows(rows: list[list[tuple[int, float]]], names: list[str]) -> FactorStructure:
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    idx, val, idio = [], [], np.empty(len(rows))
    for j, row in enumerate(rows):
        row = [(k, v) for k, v in row if v != 0.0]
        ptr[j + 1] = ptr[j] + len(row)
        idx.extend(k for k, _ in row)
        val.extend(v for _, v in row)
        idio[j] = np.sqrt(max(0.0, 1.0 - sum(v * v for _, v in row)))
    return FactorStructure(len(names), ptr, np.asarray(idx, dtype=np.int64),
                           np.asarray(val, dtype=np.float64), idio, tuple(names))


def build_factor_structure(obligors, correlation, correlation_shift: float = 0.0) -> FactorStructure:
    """Loadings for the scenario's correlation block.

    ``correlation_shift`` adds to every correlation (uniform and pairwise values, and
    for ``factors`` to the global factor's share of variance), clipped to [0, 0.999].
    """
    def shifted(r: float) -> float:
        return float(min(max(r + correlation_shift, 0.0), 0.999))

    if correlation.uniform is not None:
        a = np.sqrt(shifted(correlation.uniform))
        return _from_rows([[(0, a)] for _ in obligors], factor_names(obligors, correlation))
    if correlation.factors is not None:
        fac = correlation.factors
        regions = sorted(fac.region)
        industries = sorted(fac.industry)
        g2 = fac.global_ ** 2
        g = np.sign(fac.global_) * np.sqrt(shifted(g2)) if correlation_shift else fac.global_
        rows = []
        for ob in obligors:
            row = [(0, float(g))]
            if ob.region in fac.region:
                row.append((1 + regions.index(ob.region), fac.region[ob.region]))
            if ob.industry in fac.industry:
                row.append((1 + len(regions) + industries.index(ob.industry),
                            fac.industry[ob.industry]))
            if sum(v * v for _, v in row) > 1.0 + 1e-12:
                raise ScenarioError(Problem(
                    "correlation.factors",
                    f"obligor {ob.id}: loadings give variance "
                    f"{sum(v * v for _, v in row):.4f} > 1 after the correlation shift"))
            rows.append(row)
        return _from_rows(rows, factor_names(obligors, correlation))
    pw = correlation.pairwise
    table = pw.model_copy(update={
        name: shifted(getattr(pw, name))
        for name in ("same_region_same_industry", "same_region", "same_industry", "other")})
    r = pairwise_correlation_matrix(obligors, table)
    o = table.other
    q = (r - o) / (1.0 - o)
    np.fill_diagonal(q, 1.0)
    cells = _cell_loadings(obligors, q)
    if cells is not None:          # low rank: one factor per (region, industry) cell at most
        cell_of, m = cells
        rows = [[(0, float(np.sqrt(o)))] + [(1 + k, float(np.sqrt(1.0 - o) * m[c, k]))
                                            for k in range(m.shape[1]) if m[c, k] != 0.0]
                for c in cell_of]
        return _from_rows(rows, ["global"] + [f"pairwise:{k + 1}" for k in range(m.shape[1])])
    w, v = np.linalg.eigh(q)
    repair = None
    if w.min() < -1e-10:
        if correlation.repair != "nearest":
            raise ScenarioError(Problem(
                "correlation.pairwise",
                f"the correlations above `other` ({o}) do not form a positive semidefinite "
                f"matrix (smallest eigenvalue {w.min():.3g}), so the table cannot be split into "
                "an economy-wide factor and the rest; lower the larger values, raise `other`, "
                "or add `repair: nearest`"))
        q_near = nearest_correlation(q)
        r_near = o + (1.0 - o) * q_near
        np.fill_diagonal(r_near, 1.0)
        repair = {"method": "nearest",
                  "smallest_eigenvalue_before": float(np.linalg.eigvalsh(r).min()),
                  "frobenius_change": float(np.linalg.norm(r_near - r)),
                  "max_abs_change": float(np.abs(r_near - r).max())}
        w, v = np.linalg.eigh(q_near)
    l = v * np.sqrt(np.clip(w, 0.0, None))
    n = len(obligors)
    s = np.sqrt(1.0 - o)
    rows = []
    for j in range(n):
        row = [(0, float(np.sqrt(o)))]
        row += [(1 + m, float(s * l[j, m])) for m in range(n) if abs(l[j, m]) > 1e-15]
        rows.append(row)
    return dataclasses.replace(
        _from_rows(rows, ["global"] + [f"pairwise:{k + 1}" for k in range(n)]), repair=repair)


def _cell_loadings(obligors, q: np.ndarray):
    """Exact low-rank form of a pairwise ``Q``: obligors with both labels equal share a
    cell, ``Q = E C E' + (1 - c) I`` with ``C`` the cells' correlations (``c`` the within-cell
    value on its diagonal; an obligor missing a label is a cell of its own, diagonal 1).

    Returns ``(cell of each obligor, loadings M with C = M M')``, or ``None`` when ``C`` is
    not positive semidefinite (then the obligor-level decomposition is used).
    """
    keys: dict = {}
    cell_of, reps, sizes = [], [], []
    for j, ob in enumerate(obligors):
        key = (ob.region, ob.industry) if ob.region is not None and ob.industry is not None \
            else ("#", j)
        if key not in keys:
            keys[key] = len(keys)
            reps.append(j)
            sizes.append(0)
        cell_of.append(keys[key])
        sizes[keys[key]] += 1
    c = q[np.ix_(reps, reps)].copy()
    for k, j in enumerate(reps):
        if sizes[k] > 1:                   # the within-cell correlation
            c[k, k] = q[j, [i for i in range(len(obligors)) if cell_of[i] == k and i != j][0]]
    w, v = np.linalg.eigh(c)
    if w.min() < -1e-10:
        return None
    keep = w > 1e-12 * max(1.0, w.max())
    m = v[:, keep] * np.sqrt(w[keep])
    m[np.abs(m) < 1e-15] = 0.0
    return np.asarray(cell_of), m
