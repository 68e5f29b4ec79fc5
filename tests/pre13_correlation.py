"""The obligor correlation and factor construction as they were before issue #13, frozen.

A naive reference for one property only: scenarios that use none of #13's additions
(region paths, ``same_parent_region``, ``correlation_with``, ``parent``) keep exactly the
factor structure, and so exactly the results, they had. Not used by the engine.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from engine.default.factors import FactorStructure, _from_rows
from engine.default.nearest_correlation import nearest_correlation
from engine.scenario.correlation import factor_names


def pairwise_correlation_matrix(obligors, pairwise) -> np.ndarray:
    n = len(obligors)
    table = np.array(
        [[pairwise.other, pairwise.same_industry],
         [pairwise.same_region, pairwise.same_region_same_industry]],
        dtype=np.float64,
    )

    def codes(labels):
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


def build_factor_structure(obligors, correlation, correlation_shift: float = 0.0) -> FactorStructure:
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
    if cells is not None:
        cell_of, m = cells
        rows = [[(0, float(np.sqrt(o)))] + [(1 + k, float(np.sqrt(1.0 - o) * m[c, k]))
                                            for k in range(m.shape[1]) if m[c, k] != 0.0]
                for c in cell_of]
        return _from_rows(rows, ["global"] + [f"pairwise:{k + 1}" for k in range(m.shape[1])])
    w, v = np.linalg.eigh(q)
    repair = None
    if w.min() < -1e-10:
        assert correlation.repair == "nearest"
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
        if sizes[k] > 1:
            c[k, k] = q[j, [i for i in range(len(obligors)) if cell_of[i] == k and i != j][0]]
    w, v = np.linalg.eigh(c)
    if w.min() < -1e-10:
        return None
    keep = w > 1e-12 * max(1.0, w.max())
    m = v[:, keep] * np.sqrt(w[keep])
    m[np.abs(m) < 1e-15] = 0.0
    return np.asarray(cell_of), m
