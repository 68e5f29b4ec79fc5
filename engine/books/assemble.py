"""A book's deals as Plans on one set of random numbers: each deal's scenario (and state),
the book's correlation if it has one, draw keys private to the deal except a shared
entity's (keyed by the entity) and the factors (keyed by label); which obligor and which
supports of each deal are each modelled entity's; the outside books as factor loadings."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from engine.api import load_state, with_state
from engine.books.format import Book
from engine.default.draw_keys import draw_keys
from engine.default.pd_curves import cumulative_pd_curve, latent_thresholds
from engine.errors import ScenarioError
from engine.plan import Plan, compile_plan, rating_table
from engine.scenario import load_scenario
from engine.scenario.checks import check_scenario
from engine.scenario.correlation import factor_names, obligor_region_loadings
from engine.scenario.supports import covered_assets

#: A capacity no claim reaches: puts an entity among the deal's capacity obligors (its
#: payments counted per path) without limiting it until the book fixes its capital.
UNLIMITED = 1e300


@dataclass
class BookDeal:
    """One deal of the book, ready for the kernels."""

    file: str
    scenario: object
    plan: Plan
    ent_obligor: np.ndarray    # (entities,) the deal's obligor index of each entity, -1: none
    ent_sup: np.ndarray        # (supports,) the entity whose capital a support draws on, -1
    guaranteed: np.ndarray     # (entities,) what the entity's supports cover, in currency
    covered_borrowers: list    # per entity: borrower (entity code, else deal/id) -> covered


@dataclass
class Outside:
    """An entity's outside book as the kernel reads it."""

    factor_keys: np.ndarray
    loadings: np.ndarray
    idio: float
    thresholds: np.ndarray     # (horizon,) latent thresholds of its cumulative PD by date
    amount_lgd: float
    amount: float


@dataclass
class Assembled:
    book: Book
    deals: list[BookDeal]
    entities: list[str]
    horizon: int
    periods_per_year: int
    dof: float
    stated: dict               # entity -> its rating (or PD) as the deals state it
    outside: dict              # entity -> Outside


def assemble(book: Book) -> Assembled:
    """Read and check every deal of ``book`` and build their Plans (raises ScenarioError
    naming the deal and what disagrees)."""
    entities = list(book.entities)
    deals = [_book_deal(book, n, ref, entities) for n, ref in enumerate(book.deal_refs)]
    _check_alike(book, deals)
    _check_one_name(book, deals)
    stated = _check_entities(book, deals, entities)
    horizon = max(d.plan.horizon for d in deals)
    ppy = deals[0].plan.periods_per_year
    dof = deals[0].plan.dof
    outside = {e: _outside(book, deals, e, horizon, ppy, dof) for e in entities
               if book.entities[e].outside_book is not None}
    return Assembled(book, deals, entities, horizon, ppy, dof, stated, outside)


def _book_deal(book: Book, n: int, ref, entities: list[str]) -> BookDeal:
    base = book.base_dir
    path = ref.file if base is None else base / ref.file
    try:
        sc = load_scenario(path)
        if ref.state is not None:
            sc = with_state(sc, load_state(ref.state if base is None else base / ref.state))
    except ScenarioError as exc:
        raise book.error([(f"deals.{n}", f"{ref.file}: {p}") for p in exc.problems]) from None
    if book.correlation is not None:
        sc = sc.model_copy(update={"correlation": book.correlation})
        problems = check_scenario(sc)
        if problems:
            raise book.error([(f"deals.{n}", f"{ref.file} with the book's correlation: {p}")
                              for p in problems])
    key_space = f"deal:{os.path.normpath(ref.file)}"
    plan = _private_factors(compile_plan(sc, key_space=key_space), key_space)
    by_entity: dict[str, int] = {}
    for j, o in enumerate(_plan_obligors(sc, plan)):
        if o.entity is None:
            continue
        if o.entity in by_entity:
            raise book.error((f"deals.{n}", f"{ref.file}: obligors "
                                            f"{plan.obligor_ids[by_entity[o.entity]]} and "
                                            f"{o.id} are one entity ({o.entity}): give it one "
                                            "obligor"))
        by_entity[o.entity] = j
    ent_obligor = np.array([by_entity.get(e, -1) for e in entities], dtype=np.int64)
    capacity = plan.ob_capacity.copy()
    for j in ent_obligor[ent_obligor >= 0]:
        if not np.isfinite(capacity[j]):
            capacity[j] = UNLIMITED
    plan = dataclasses.replace(plan, ob_capacity=capacity,
                               cap_obligors=np.flatnonzero(np.isfinite(capacity)).astype(np.int64))
    ent_of = {int(j): e for e, j in enumerate(ent_obligor) if j >= 0}
    ent_sup = np.array([ent_of.get(int(p), -1) for p in plan.sup_provider], dtype=np.int64)
    guaranteed, borrowers = _exposures(sc, entities, key_space)
    return BookDeal(ref.file, sc, plan, ent_obligor, ent_sup, guaranteed, borrowers)


def _private_factors(plan: Plan, key_space: str) -> Plan:
    """The deal's own statistical factors (a pairwise table's, stated correlations') drawn
    apart from every other deal's; ``global``, ``region:`` and ``industry:`` factors are the
    book's, shared by label."""
    shared = ("region:", "industry:")
    names = tuple(n if n == "global" or n.startswith(shared) else f"{key_space}/{n}"
                  for n in plan.factors.names)
    return dataclasses.replace(plan, factors=dataclasses.replace(plan.factors, names=names))


def _plan_obligors(sc, plan):
    by_id = {o.id: o for o in sc.obligors}
    return [by_id[i] for i in plan.obligor_ids]


def _exposures(sc, entities, key_space):
    """Per entity: what its supports in the deal cover, and what of each borrower (its
    entity code, else the deal's id) its loan-level supports cover."""
    ids = {o.id: o.entity for o in sc.obligors}
    guaranteed = np.zeros(len(entities))
    borrowers: list[dict[str, float]] = [{} for _ in entities]
    for s in sc.credit_support:
        e = ids.get(s.provider)
        if e not in entities:
            continue
        k = entities.index(e)
        guaranteed[k] += s.covered_amount(sc)
        for i in covered_assets(sc, s):
            a = sc.assets[i]
            name = ids.get(a.obligor) or f"{key_space}/{a.obligor}"
            borrowers[k][name] = borrowers[k].get(name, 0.0) + a.balance * s.share
    return guaranteed, borrowers


def _check_alike(book: Book, deals: list[BookDeal]) -> None:
    """One calendar and one copula for the book."""
    first = deals[0]
    for n, d in enumerate(deals[1:], 1):
        if d.plan.periods_per_year != first.plan.periods_per_year:
            raise book.error((f"deals.{n}", f"{d.file} pays {d.scenario.payment_frequency}, "
                                            f"{first.file} {first.scenario.payment_frequency}: "
                                            "deals of other frequencies in one book are not "
                                            "supported yet"))
        if d.plan.dof != first.plan.dof:
            raise book.error((f"deals.{n}", f"{d.file} and {first.file} use other copulas; "
                                            "give the book one `correlation`"))


def _check_one_name(book: Book, deals: list[BookDeal]) -> None:
    """Obligors of the same ``entity`` in several deals are one name: the same default
    model everywhere (else they could not default on the same date)."""
    first: dict[str, tuple[BookDeal, int]] = {}
    for d in deals:
        for j, ob in enumerate(_plan_obligors(d.scenario, d.plan)):
            if ob.entity is None:
                continue
            if ob.entity not in first:
                first[ob.entity] = (d, j)
                continue
            d0, j0 = first[ob.entity]
            h = min(d.plan.horizon, d0.plan.horizon)
            if not (np.array_equal(d.plan.thresholds[j, :h], d0.plan.thresholds[j0, :h])
                    and _loadings(d.plan, j) == _loadings(d0.plan, j0)):
                if any(x.scenario.correlation.pairwise is not None for x in (d, d0)):
                    raise book.error((
                        f"entities.{ob.entity}", f"it is in {d0.file} and {d.file}, whose "
                                                 "pairwise tables are each deal's own: a firm "
                                                 "shared by deals needs one factor model; give "
                                                 "the book a `correlation` of `factors` or "
                                                 "`uniform`"))
                raise book.error((
                    f"entities.{ob.entity}", f"it is modelled differently in {d0.file} "
                                             f"({d0.plan.obligor_ids[j0]}) and {d.file} "
                                             f"({d.plan.obligor_ids[j]}): "
                                             f"{_how_unlike(d0, j0, d, j)}; one name needs one "
                                             "model"))


def _pd_text(pd) -> str:
    if pd is None:
        return "none (by rating)"
    return f"{pd.annual:.2%} a year" if pd.annual is not None else "a cumulative curve"


def _how_unlike(d0: BookDeal, j0: int, d: BookDeal, j: int) -> str:
    """What differs between obligor ``j0`` of ``d0`` and ``j`` of ``d`` (one entity)."""
    a, b = _plan_obligors(d0.scenario, d0.plan)[j0], _plan_obligors(d.scenario, d.plan)[j]
    said = [f"{what} {x} against {y}" for what, x, y in (
        ("rating", a.rating, b.rating), ("PD", _pd_text(a.pd), _pd_text(b.pd)),
        ("region", a.region, b.region), ("industry", a.industry, b.industry)) if x != y]
    if not said and _loadings(d0.plan, j0) != _loadings(d.plan, j):
        said = ["the correlation (factor loadings "
                f"{_loadings(d0.plan, j0)} against {_loadings(d.plan, j)})"]
    return ", ".join(said) or "the default thresholds (a state's conditional PDs)"


def _check_entities(book: Book, deals: list[BookDeal], entities: list[str]) -> dict:
    """Each modelled entity is in some deal; its stated rating."""
    stated = {}
    for k, e in enumerate(entities):
        seen = [(d, int(d.ent_obligor[k])) for d in deals if d.ent_obligor[k] >= 0]
        if not seen:
            raise book.error((f"entities.{e}", f"no obligor of the book's deals has "
                                               f"`entity: {e}`"))
        d0, j0 = seen[0]
        ob0 = _plan_obligors(d0.scenario, d0.plan)[j0]
        stated[e] = ob0.rating or (f"PD {ob0.pd.annual:.2%}" if ob0.pd.annual is not None
                                   else "PD curve")
    return stated


def _loadings(plan: Plan, j: int) -> dict:
    fs = plan.factors
    lo, hi = fs.load_ptr[j], fs.load_ptr[j + 1]
    return {fs.names[int(q)]: float(v) for q, v in zip(fs.load_idx[lo:hi], fs.load_val[lo:hi])}


def _outside(book: Book, deals, e: str, horizon: int, ppy: int, dof: float) -> Outside:
    """The outside book's loadings: those an obligor of its region and industry has in the
    book's correlation (else in the first deal that models the entity)."""
    ob = book.entities[e].outside_book
    k = list(book.entities).index(e)
    d = next(d for d in deals if d.ent_obligor[k] >= 0)
    corr = book.correlation or d.scenario.correlation
    names, loads = ["global"], [0.0]
    if corr.uniform is not None:
        loads = [float(np.sqrt(corr.uniform))]
    elif corr.pairwise is not None:       # the table's economy-wide part (its `other`)
        loads = [float(np.sqrt(corr.pairwise.other))]
    elif corr.factors is not None:
        fac = corr.factors
        names = factor_names([], corr)
        loads = [0.0] * len(names)
        loads[0] = fac.global_
        pseudo = SimpleNamespace(region=ob.region, industry=ob.industry)
        for node, v in obligor_region_loadings(pseudo, fac):
            loads[names.index(f"region:{node}")] = v
        if ob.industry in fac.industry:
            loads[names.index(f"industry:{ob.industry}")] = fac.industry[ob.industry]
    idio2 = 1.0 - sum(v * v for v in loads)
    if idio2 < 0.0:
        raise book.error((f"entities.{e}.outside_book",
                          "its factor loadings square to more than 1"))
    curve = cumulative_pd_curve(SimpleNamespace(rating=None, pd=ob.pd), horizon, ppy,
                                rating_table(d.scenario))
    thresholds = latent_thresholds(curve[None, :], dof if dof > 0 else None)[0]
    return Outside(draw_keys("factor", names), np.asarray(loads, dtype=np.float64),
                   float(np.sqrt(idio2)), np.ascontiguousarray(thresholds, dtype=np.float64),
                   ob.amount * ob.lgd, ob.amount)
