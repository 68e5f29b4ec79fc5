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
- correlations obligors state (``correlation_with``, ``parent``) on a ``pairwise`` or
  ``uniform`` base: the other obligors (the *base*) get the loadings above, in cells that
  also tell apart how the stated obligors see them; each stating obligor then gets the
  loadings on those factors that give exactly its stated correlations (the economy loading
  ``sqrt(o)`` of every other obligor if that is enough, else a free one, else also loading
  on the base obligors' own terms, promoted to factors ``obligor:<id>``), plus factors
  ``stated:<k>`` for what the stating obligors share among themselves. Every form is exact;
  the last is always possible when the obligors' correlation matrix is positive
  semidefinite. Otherwise it is an error, or ``repair: nearest`` as above on the whole matrix.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from engine.default.nearest_correlation import nearest_correlation
from engine.errors import Problem, ScenarioError
from engine.scenario.correlation import (
    apply_statements,
    correlation_statements,
    factor_names,
    has_statements,
    obligor_region_loadings,
    pairwise_correlation_matrix,
    resolve_statements,
    stated_obligors,
)

#: Tolerance of the exactness checks when stated correlations are attached to the factors.
STATED_TOLERANCE = 1e-10


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
        for k, v in row:
            idx.append(k)
            val.append(v)
        idio[j] = math.sqrt(max(0.0, 1.0 - sum(v * v for _, v in row)))
    return FactorStructure(len(names), ptr, np.asarray(idx, dtype=np.int64),
                           np.asarray(val, dtype=np.float64), idio, tuple(names))


def build_factor_structure(obligors, correlation, correlation_shift: float = 0.0,
                           pool=None, used=None) -> FactorStructure:
    """Loadings for the scenario's correlation block.

    ``correlation_shift`` adds to every correlation (uniform and pairwise values,
    correlations stated on obligors, and for ``factors`` to the global factor's share of
    variance), clipped to [0, 0.999]. ``pool`` is the ids of the obligors that owe an asset
    (what ``correlation_with: {pool: x}`` refers to); needed only when an obligor says it.
    ``used`` (ids of the obligors an asset, a support or a trigger names; default all): a
    ``pairwise`` table's cells are built from theirs alone, so an obligor nothing uses
    changes nobody's loadings (it loads on the economy factor and, when its cell exists,
    on its cell's factors).
    """
    def shifted(r: float) -> float:
        return float(min(max(r + correlation_shift, 0.0), 0.999))

    if correlation.factors is None and has_statements(obligors):
        return _stated_structure(obligors, correlation, correlation_shift, shifted, pool)
    if correlation.uniform is not None:
        a = np.sqrt(shifted(correlation.uniform))
        return _from_rows([[(0, a)] for _ in obligors], factor_names(obligors, correlation))
    if correlation.factors is not None:
        fac = correlation.factors
        regions = sorted(fac.region)
        industries = sorted(fac.industry)
        g2 = fac.global_ ** 2
        g = np.sign(fac.global_) * np.sqrt(shifted(g2)) if correlation_shift else fac.global_
        if has_statements(obligors):
            j = stated_obligors(obligors)[0]
            field = "correlation_with" if obligors[j].correlation_with is not None else "parent"
            raise ScenarioError(Problem(
                f"obligors.{j}.{field}", "a `factors` model cannot take stated correlations; "
                "use `pairwise` or `uniform`, or give the tie as shared factor loadings"))
        rows = []
        like: dict[tuple, list] = {}          # obligors of the same region and industry
        for ob in obligors:
            if (ob.region, ob.industry) in like:
                rows.append(like[ob.region, ob.industry])
                continue
            row = [(0, float(g))]
            for node, loading in obligor_region_loadings(ob, fac):   # every node of its path
                row.append((1 + regions.index(node), loading))
            if ob.industry in fac.industry:
                row.append((1 + len(regions) + industries.index(ob.industry),
                            fac.industry[ob.industry]))
            if sum(v * v for _, v in row) > 1.0 + 1e-12:
                raise ScenarioError(Problem(
                    "correlation.factors",
                    f"obligor {ob.id}: loadings give variance "
                    f"{sum(v * v for _, v in row):.4f} > 1 after the correlation shift"))
            rows.append(row)
            like[ob.region, ob.industry] = row
        return _from_rows(rows, factor_names(obligors, correlation))
    table = _shifted_table(correlation.pairwise, shifted)
    r = pairwise_correlation_matrix(obligors, table)
    o = table.other
    q = (r - o) / (1.0 - o)
    np.fill_diagonal(q, 1.0)
    cells = _used_cell_loadings(obligors, q, used)
    if cells is not None:          # low rank: one factor per (region, industry) cell at most
        cell_of, m = cells
        rows = [[(0, float(np.sqrt(o)))] + ([] if c < 0 else [
            (1 + k, float(np.sqrt(1.0 - o) * m[c, k])) for k in range(m.shape[1])
            if m[c, k] != 0.0]) for c in cell_of]
        return _from_rows(rows, ["global"] + [f"pairwise:{k + 1}" for k in range(m.shape[1])])
    return _obligor_level(r, q, o, correlation, Problem(
        "correlation.pairwise",
        f"the correlations above `other` ({o}) do not form a positive semidefinite "
        "matrix (smallest eigenvalue {lam:.3g}), so the table cannot be split into "
        "an economy-wide factor and the rest; lower the larger values, raise `other`, "
        "or add `repair: nearest`"))


def _shifted_table(pw, shifted):
    """The pairwise table with ``shifted`` applied to every value it gives."""
    names = ("same_region_same_industry", "same_region", "same_industry", "other",
             "same_parent_region", "same_parent_region_same_industry")
    return pw.model_copy(update={name: shifted(getattr(pw, name)) for name in names
                                 if getattr(pw, name) is not None})


def _obligor_level(r, q, o, correlation, problem: Problem) -> FactorStructure:
    """``R = o 11' + (1 - o) Q`` with ``Q = L L'`` by eigen-decomposition, one factor per
    obligor; a ``Q`` that is not PSD is ``problem`` (its message may use ``{lam}``, the
    smallest eigenvalue), or with ``repair: nearest`` is replaced by its nearest correlation
    matrix, the change reported."""
    w, v = np.linalg.eigh(q)
    repair = None
    if w.min() < -1e-10:
        if correlation.repair != "nearest":
            raise ScenarioError(Problem(problem.path, problem.message.format(lam=w.min())))
        q_near = nearest_correlation(q)
        r_near = o + (1.0 - o) * q_near
        np.fill_diagonal(r_near, 1.0)
        repair = {"method": "nearest",
                  "smallest_eigenvalue_before": float(np.linalg.eigvalsh(r).min()),
                  "frobenius_change": float(np.linalg.norm(r_near - r)),
                  "max_abs_change": float(np.abs(r_near - r).max())}
        w, v = np.linalg.eigh(q_near)
    l = v * np.sqrt(np.clip(w, 0.0, None))
    n = r.shape[0]
    s = np.sqrt(1.0 - o)
    rows = []
    for j in range(n):
        row = [(0, float(np.sqrt(o)))]
        row += [(1 + m, float(s * l[j, m])) for m in range(n) if abs(l[j, m]) > 1e-15]
        rows.append(row)
    return dataclasses.replace(
        _from_rows(rows, ["global"] + [f"pairwise:{k + 1}" for k in range(n)]), repair=repair)


def _used_cell_loadings(obligors, q: np.ndarray, used):
    """:func:`_cell_loadings` of the ``used`` obligors; the others take their cell's row
    when it exists, else none (cell -1: the economy factor only)."""
    if used is None or all(o.id in used for o in obligors):
        return _cell_loadings(obligors, q)
    keep = [j for j, o in enumerate(obligors) if o.id in used]
    if not keep:
        return np.full(len(obligors), -1), np.zeros((0, 0))
    cells = _cell_loadings([obligors[j] for j in keep], q[np.ix_(keep, keep)])
    if cells is None:
        return None
    kept_of, m = cells
    of_key = {_cell_key(obligors[j]): c for j, c in zip(keep, kept_of)}
    return np.array([of_key.get(_cell_key(o), -1) for o in obligors]), m


def _cell_key(ob):
    """An obligor's pairwise cell: its (region, industry), or itself without both."""
    return ((ob.region, ob.industry) if ob.region is not None and ob.industry is not None
            else ("#", ob.id))


def _cell_loadings(obligors, q: np.ndarray):
    """Exact low-rank form of a pairwise ``Q``: obligors with both labels equal share a
    cell, ``Q = E C E' + (1 - c) I`` with ``C`` the cells' correlations (``c`` the within-cell
    value on its diagonal; an obligor missing a label is a cell of its own, diagonal 1).

    Returns ``(cell of each obligor, loadings M with C = M M')``, or ``None`` when ``C`` is
    not positive semidefinite (then the obligor-level decomposition is used).
    """
    return _cells([_cell_key(ob) for ob in obligors], q)


def _cells(cell_keys: list, q: np.ndarray):
    """:func:`_cell_loadings` for given cell keys (one per row of ``q``): rows with equal
    keys share a cell. The caller guarantees that ``q`` is the same for every member of a
    cell (within the cell, and against every row outside it). Cells are taken in the order
    of their keys, not of the rows, so the factors do not depend on the order obligors are
    listed in."""
    distinct = sorted(set(cell_keys), key=repr)
    index = {key: k for k, key in enumerate(distinct)}
    cell_of = [index[key] for key in cell_keys]
    first: dict = {}
    for j, key in enumerate(cell_keys):
        first.setdefault(key, j)
    reps = [first[key] for key in distinct]
    sizes = np.bincount(cell_of, minlength=len(distinct))
    c = q[np.ix_(reps, reps)].copy()
    for k, j in enumerate(reps):
        if sizes[k] > 1:                   # the within-cell correlation
            c[k, k] = q[j, [i for i in range(len(cell_keys)) if cell_of[i] == k and i != j][0]]
    w, v = np.linalg.eigh(c)
    if w.min() < -1e-10:
        return None
    keep = w > 1e-12 * max(1.0, w.max())
    m = v[:, keep] * np.sqrt(w[keep])
    m[np.abs(m) < 1e-15] = 0.0
    return np.asarray(cell_of), m


# ----------------------------------------------------------------------------- stated correlations


def _stated_structure(obligors, correlation, correlation_shift, shifted, pool) -> FactorStructure:
    """Loadings that give a ``pairwise`` or ``uniform`` base with the correlations obligors
    state (``correlation_with``, ``parent``) written over it, exactly."""
    values, conflicts = resolve_statements(correlation_statements(obligors, pool))
    if conflicts:
        first, clash = conflicts[0]
        raise ScenarioError(Problem(clash.path, f"conflicts with {first.path} ({first.value} "
                                                f"against {clash.value}); state the pair once"))
    n = len(obligors)
    if correlation.uniform is not None:
        o = shifted(correlation.uniform)
        base = np.full((n, n), o)
        np.fill_diagonal(base, 1.0)
        labelled, prefix, where = False, "cell", "correlation.uniform"
    else:
        table = _shifted_table(correlation.pairwise, shifted)
        base = pairwise_correlation_matrix(obligors, table)
        o = table.other
        labelled, prefix, where = True, "pairwise", "correlation.pairwise"
    stated_value = (lambda v: v) if correlation_shift == 0.0 else shifted
    r = apply_statements(base, {pair: stated_value(v) for pair, v in values.items()})
    q = (r - o) / (1.0 - o)
    np.fill_diagonal(q, 1.0)
    stated = stated_obligors(obligors)
    base_ix = [j for j in range(n) if j not in set(stated)]
    a_base, names = _base_loadings(obligors, base_ix, stated, r, q, o, labelled, prefix)
    if a_base is None:             # the table itself cannot be split (as without statements)
        return _obligor_level(r, q, o, correlation, Problem(
            where, f"the correlations above the economy-wide {o} do not form a positive "
                   "semidefinite matrix (smallest eigenvalue {lam:.3g}); lower the larger "
                   "values or add `repair: nearest`"))
    r_bs = r[np.ix_(base_ix, stated)]
    r_ss = r[np.ix_(stated, stated)]
    attached = (_attach(a_base, r_bs, r_ss, np.sqrt(o))      # the economy loading of all
                or _attach(a_base, r_bs, r_ss, None))        # a free economy loading
    if attached is None:           # also load on the base obligors' own terms
        idio = np.sqrt(np.clip(1.0 - (a_base ** 2).sum(axis=1), 0.0, None))
        own = [k for k in range(len(base_ix)) if idio[k] > 1e-12]
        promoted = np.zeros((len(base_ix), len(own)))
        promoted[own, range(len(own))] = idio[own]
        a_base = np.hstack([a_base, promoted])
        names = names + [f"obligor:{obligors[base_ix[k]].id}" for k in own]
        attached = _attach(a_base, r_bs, r_ss, None)
    if attached is None:
        lam = float(np.linalg.eigvalsh(r).min())
        return _obligor_level(r, q, o, correlation, Problem(
            "correlation", "with the correlations stated on obligors the obligor correlation "
                           f"matrix is not positive semidefinite (smallest eigenvalue {lam:.3g}); "
                           "lower them or add `repair: nearest`"))
    x, extra = attached
    rows: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    width = a_base.shape[1]
    for k, j in enumerate(base_ix):
        rows[j] = [(c, float(a_base[k, c])) for c in range(width) if a_base[k, c] != 0.0]
    for k, j in enumerate(stated):
        rows[j] = ([(c, float(x[c, k])) for c in range(width) if abs(x[c, k]) > 1e-15]
                   + [(width + e, float(extra[k, e])) for e in range(extra.shape[1])
                      if abs(extra[k, e]) > 1e-15])
    names = names + [f"stated:{e + 1}" for e in range(extra.shape[1])]
    return _from_rows(rows, names)


def _base_loadings(obligors, base_ix, stated, r, q, o, labelled, prefix):
    """Loadings (global first) of the obligors that state nothing, or ``None`` if their
    ``Q`` is not positive semidefinite. Cells also tell apart how the stated obligors see
    their members, so that each stated correlation can be carried by cell factors."""
    keys = []
    for j in base_ix:
        seen_as = tuple(r[j, stated])
        ob = obligors[j]
        if not labelled:
            keys.append(("u", seen_as))
        elif ob.region is not None and ob.industry is not None:
            keys.append((ob.region, ob.industry, seen_as))
        else:
            keys.append(("#", ob.id))
    q_bb = q[np.ix_(base_ix, base_ix)]
    g = np.sqrt(o)
    s = np.sqrt(1.0 - o)
    cells = _cells(keys, q_bb) if base_ix else None
    if cells is not None:
        cell_of, m = cells
        a = np.hstack([np.full((len(base_ix), 1), g), s * m[cell_of]])
        return a, ["global"] + [f"{prefix}:{k + 1}" for k in range(m.shape[1])]
    if not base_ix:
        return np.zeros((0, 1)), ["global"]
    w, v = np.linalg.eigh(q_bb)
    if w.min() < -1e-10:
        return None, None
    keep = w > 1e-12 * max(1.0, w.max())
    l = v[:, keep] * np.sqrt(w[keep])
    l[np.abs(l) < 1e-15] = 0.0
    a = np.hstack([np.full((len(base_ix), 1), g), s * l])
    return a, ["global"] + [f"{prefix}:{k + 1}" for k in range(l.shape[1])]


def _attach(a_base, r_bs, r_ss, economy):
    """Loadings of the stated obligors on the base factors that give their correlations with
    the base exactly (min-norm; with the economy loading fixed to ``economy`` unless
    ``None``), and loadings on new factors for what they share among themselves.

    Returns ``(x, extra)`` (``x`` factors x stated, ``extra`` stated x new factors), or
    ``None`` if no such loadings exist.
    """
    n_b, width = a_base.shape
    n_s = r_ss.shape[0]
    if economy is None:
        target, m, head = r_bs, a_base, np.zeros((0, n_s))
    else:
        target = r_bs - np.outer(a_base[:, 0], np.full(n_s, economy))
        m, head = a_base[:, 1:], np.full((1, n_s), economy)
    if n_b and m.shape[1]:
        y = np.linalg.lstsq(m, target, rcond=None)[0]
    else:
        y = np.zeros((m.shape[1], n_s))
    if n_b and np.abs(m @ y - target).max() > STATED_TOLERANCE:
        return None                # the base factors cannot carry these correlations
    x = np.vstack([head, y])
    p = r_ss - x.T @ x             # what the stated obligors must still share; diag 1 - |x|^2
    if np.diag(p).min() < -STATED_TOLERANCE:
        return None
    off = np.abs(p - np.diag(np.diag(p))) > 1e-14
    linked = [k for k in range(n_s) if off[k].any()]
    extra = np.zeros((n_s, 0))
    if linked:
        w, v = np.linalg.eigh(p[np.ix_(linked, linked)])
        if w.min() < -STATED_TOLERANCE:
            return None
        keep = w > 1e-12 * max(1.0, w.max())
        extra = np.zeros((n_s, int(keep.sum())))
        extra[linked] = v[:, keep] * np.sqrt(w[keep])
    return x, extra
