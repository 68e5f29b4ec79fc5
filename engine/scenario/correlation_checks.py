"""The correlation checks of a scenario: loadings, stated correlations, the pairwise table
and its positive semidefiniteness (with the statements to blame)."""
from __future__ import annotations

from engine.errors import Problem
from engine.limits import MAX_PAIRWISE_OBLIGORS
from engine.scenario.correlation import (
    correlation_statements,
    factor_loadings_sq_sum,
    has_statements,
    obligor_correlation_matrix,
    obligor_region_loadings,
    pairwise_correlation_matrix,
    resolve_statements,
    smallest_eigenvalue,
    stated_obligors,
)
from engine.scenario.messages import Report, _Ids, _path, _unknown
from engine.scenario.parts import ScenarioFields

#: A pairwise matrix is accepted if its smallest eigenvalue is at least ``-PSD_TOLERANCE``.
PSD_TOLERANCE = 1e-10


def _check_correlation(s: ScenarioFields, report: Report) -> None:
    corr = s.correlation
    if corr.pairwise is not None and len(s.obligors) > MAX_PAIRWISE_OBLIGORS:
        n = len(s.obligors)
        report(Problem(
            "correlation.pairwise",
            f"{n:,} obligors would need a {n:,} x {n:,} correlation matrix "
            f"({8 * n * n / 2**30:.1f} GiB); pairwise allows at most {MAX_PAIRWISE_OBLIGORS:,} "
            "obligors: use `factors` (global, region and industry loadings) instead",
        ))
        return
    if corr.factors is not None:
        f = corr.factors
        for i, ob in enumerate(s.obligors):
            total = factor_loadings_sq_sum(ob, f)
            if total > 1.0:
                nodes = obligor_region_loadings(ob, f)
                region = (" + ".join(f"region {node} {v}^2" for node, v in nodes) if nodes
                          else f"region {ob.region} 0.0^2")
                d = f.industry.get(ob.industry, 0.0) if ob.industry is not None else 0.0
                report(Problem(
                    "correlation.factors",
                    f"obligor {ob.id!r} (obligors.{i}): squared loadings sum to {total:.6g} "
                    f"(global {f.global_}^2 + {region} + industry {ob.industry} {d}^2); "
                    "must be at most 1",
                ))
    consistent = _check_stated_correlations(s, report)
    stated = has_statements(s.obligors)
    if corr.factors is None and corr.repair != "nearest" and consistent and (
            corr.pairwise is not None or stated):
        _check_psd(s, report)
    if corr.repair == "nearest" and corr.pairwise is None and not (corr.uniform is not None
                                                                   and stated):
        report(Problem("correlation.repair", "`repair: nearest` applies only to a `pairwise` "
                                             "correlation, or a `uniform` one with correlations "
                                             "stated on obligors"))


def _check_stated_correlations(s: ScenarioFields, report: Report) -> bool:
    """``correlation_with`` and ``parent`` name obligors that exist, no obligor is its own
    parent (directly or through others), and no pair is given two correlations. Returns
    whether the statements are consistent enough to build the correlation matrix."""
    obligor_ids = _Ids(o.id for o in s.obligors)
    factors = s.correlation.factors is not None
    parent_of: dict[str, str] = {}
    for i, ob in enumerate(s.obligors):
        cw = ob.correlation_with
        if factors and cw is not None:
            report(Problem(
                _path("obligors", i, "correlation_with"),
                "a `factors` correlation model cannot take stated correlations (its loadings "
                "give every correlation); use `pairwise` or `uniform`, or give this obligor "
                "region / industry loadings"))
        if factors and ob.parent is not None:
            report(Problem(
                _path("obligors", i, "parent"),
                "a parent tie states a correlation, which a `factors` correlation model cannot "
                "take; use `pairwise` or `uniform`, or give both the same factor loadings"))
        for oid in (cw.obligors if cw is not None else {}):
            where = _path("obligors", i, "correlation_with", "obligors", oid)
            if oid not in obligor_ids:
                report(Problem(where, _unknown("obligor", oid, obligor_ids)))
            elif oid == ob.id:
                report(Problem(where, "an obligor's correlation with itself is 1; remove it"))
        if ob.parent is not None:
            where = _path("obligors", i, "parent")
            if ob.parent not in obligor_ids:
                report(Problem(where, _unknown("obligor", ob.parent, obligor_ids)))
            elif ob.parent == ob.id:
                report(Problem(where, f"{ob.id!r} cannot be its own parent"))
            else:
                parent_of.setdefault(ob.id, ob.parent)
    reported: set[str] = set()
    for i, ob in enumerate(s.obligors):      # parents that lead back to the obligor
        chain, at = [ob.id], parent_of.get(ob.id)
        while at is not None and at not in chain:
            chain.append(at)
            at = parent_of.get(at)
        if at == ob.id and ob.id not in reported:
            reported.update(chain)
            report(Problem(_path("obligors", i, "parent"),
                           "parents form a loop: " + " -> ".join(chain + [ob.id])
                           + "; a parent cannot be its own subsidiary"))
    if factors:
        return False
    pool = {a.obligor for a in s.assets}
    _, conflicts = resolve_statements(correlation_statements(s.obligors, pool))
    for first, clash in conflicts:
        a, b = (s.obligors[k].id for k in clash.pair)
        report(Problem(clash.path,
                       f"the pair {a!r}, {b!r} is given two correlations: {clash.value} here and "
                       f"{first.value} by {first.path}; state it once"))
    return not conflicts


def _check_psd(s: ScenarioFields, report: Report) -> None:
    """The obligor correlation matrix (table or uniform, then stated correlations) is
    positive semidefinite, and the table splits into an economy-wide factor and the rest."""
    corr = s.correlation
    if corr.pairwise is not None:
        matrix = pairwise_correlation_matrix(s.obligors, corr.pairwise)
        lam = smallest_eigenvalue(matrix)
        if lam < -PSD_TOLERANCE:
            report(Problem(
                "correlation.pairwise",
                f"the obligor correlation matrix is not positive semidefinite (smallest "
                f"eigenvalue {lam:.6g}); lower the correlations or add `repair: nearest` to use "
                "the nearest correlation matrix",
            ))
            return
    stated = stated_obligors(s.obligors)
    if stated:
        pool = {a.obligor for a in s.assets}
        full = obligor_correlation_matrix(s.obligors, corr, pool)
        lam = smallest_eigenvalue(full)
        if lam < -PSD_TOLERANCE:
            report(_blame_statements(s, pool, lam))
            return
    if corr.pairwise is not None:
        # what the factor construction needs too: the part above `other` of the obligors
        # that state nothing is a correlation matrix itself
        base = [j for j in range(len(s.obligors)) if j not in set(stated)]
        o = corr.pairwise.other
        table = pairwise_correlation_matrix([s.obligors[j] for j in base], corr.pairwise)
        q = (table - o) / (1 - o)
        for j in range(len(base)):
            q[j, j] = 1.0
        lam = smallest_eigenvalue(q)
        if lam < -PSD_TOLERANCE:
            report(Problem(
                "correlation.pairwise",
                f"the correlations above `other` ({o}) do not form a positive semidefinite "
                f"matrix (smallest eigenvalue {lam:.3g}), so the table cannot be split into "
                "an economy-wide factor and the rest; lower the larger values, raise `other`, "
                "or add `repair: nearest`"))


def _blame_statements(s: ScenarioFields, pool: set[str], lam: float) -> Problem:
    """The problem of stated correlations that leave the matrix not positive semidefinite,
    at the first obligor (in file order) whose statements make it so."""
    plain = [o.model_copy(update={"correlation_with": None, "parent": None,
                                  "parent_correlation": None}) for o in s.obligors]
    where = None
    for i in stated_obligors(s.obligors):
        ob = s.obligors[i]
        steps = []
        if ob.parent is not None:             # its parent tie first, then the rest
            field = "parent_correlation" if ob.parent_correlation is not None else "parent"
            steps.append((field, ob.model_copy(update={"correlation_with": None})))
        if ob.correlation_with is not None:
            steps.append(("correlation_with", ob))
        for field, version in steps:
            plain[i] = version
            m = obligor_correlation_matrix(plain, s.correlation, pool)
            if smallest_eigenvalue(m) < -PSD_TOLERANCE:
                where = _path("obligors", i, field)
                break
        if where is not None:
            break
    return Problem(
        where or "correlation",
        f"with the correlations stated on obligors the obligor correlation matrix is not "
        f"positive semidefinite (smallest eigenvalue {lam:.6g}); lower them or add "
        "`repair: nearest` to use the nearest correlation matrix")
