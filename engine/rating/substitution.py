"""Credit substitution, the market's support convention (docs/model.md, docs/domain.md).

A support arrangement that covers a tranche's timely interest and ultimate principal in
full lends the tranche its provider's rating: the *support floor*. Under
``rating.support: substitution`` a tranche's rating is the better of its standalone rating
(pool and structure alone) and its floor. The arrangements that give a floor:

- a shortfall commitment covering the tranche at share 1 with no cap below what the
  covered tranches can be owed (principal plus every coupon to legal final): the better of
  its provider's grade and that of any commitment guarantee on it that is itself share 1
  and uncapped in that sense;
- loan / bank guarantees covering every asset of the pool at share 1 with no cap below the
  covered assets' largest exposures: the worst, over assets, of the best such guarantor of
  each asset.

A provider with a ``capacity`` below everything it can be asked to pay on the deal gives no
floor (the cap binds), and a tranche the deal does not pay in full even when no asset
defaults gets no floor from anybody. Partial support (share below 1, binding caps, IP
insurance, risk-compensation funds) gives none.
"""
from __future__ import annotations

from engine.rating.methods import rate_by_pd
from engine.rating.scale import SF_SCALE
from engine.scenario.models import covered_assets

FULL_GUARANTEE_TYPES = ("loan_guarantee", "bank_guarantee")


def better(a: str | None, b: str | None) -> str | None:
    """The better of two ``sf`` grades (``None`` is no grade)."""
    if a is None or b is None:
        return a if b is None else b
    return a if SF_SCALE.index(a) <= SF_SCALE.index(b) else b


def provider_grade(obligor, scenario, table) -> str:
    """The ``sf`` grade a provider lends by substitution: its own rating on the ``sf``
    scale (``AA+`` -> ``AA+sf``; ``AAA+`` -> ``AAAsf``; ``AAA-`` -> ``AA+sf``, the best grade
    not above it), or for a provider given by ``pd`` the grade of its cumulative PD at the
    deal's legal final (at least one year)."""
    years = max(scenario.legal_final / scenario.periods_per_year, 1.0)
    if obligor.rating is not None:
        p = table.cumulative_pd(obligor.rating, years)
    elif obligor.pd.annual is not None:
        p = 1.0 - (1.0 - obligor.pd.annual) ** years
    else:
        curve = obligor.pd.cumulative
        per_year = scenario.periods_per_year
        p = curve[min(len(curve), max(scenario.legal_final, per_year)) - 1]
    return rate_by_pd(min(max(float(p), 0.0), 1.0), years, table)


def tranche_owed(scenario, tranche) -> float:
    """Most a tranche can be owed: its balance plus its coupon on it to legal final."""
    return tranche.balance * (1.0 + tranche.coupon * scenario.legal_final
                              / scenario.periods_per_year)


def asset_exposure(scenario, asset) -> float:
    """Largest exposure at default of an asset: its balance plus one period's interest."""
    return asset.balance * (1.0 + asset.rate / scenario.periods_per_year)


def _max_claims(scenario) -> dict[str, float]:
    """Most each support can be asked to pay, before its cap."""
    out = {}
    by_id = {s.id: s for s in scenario.credit_support}
    for s in scenario.credit_support:
        if s.type == "shortfall_commitment":
            out[s.id] = sum(tranche_owed(scenario, t) for t in scenario.tranches
                            if t.id in s.covers)
    for s in scenario.credit_support:
        if s.type == "commitment_guarantee":
            out[s.id] = out.get(s.guarantees, 0.0) if s.guarantees in by_id else 0.0
        elif s.type != "shortfall_commitment":
            out[s.id] = s.share * sum(asset_exposure(scenario, scenario.assets[i])
                                      for i in covered_assets(scenario, s))
    return out


def _full(support, claims: dict, provider_load: dict, capacity: dict) -> bool:
    """Share 1, no binding cap, and a provider whose capacity does not bind."""
    if support.share < 1.0:
        return False
    if support.cap is not None and support.cap < claims[support.id]:
        return False
    cap = capacity.get(support.provider)
    return cap is None or cap >= provider_load[support.provider]


def arrangement_floors(scenario, table) -> list[dict]:
    """Every arrangement that gives a floor: ``{"rating", "by", "tranches"}`` (tranche ids)."""
    obligors = {o.id: o for o in scenario.obligors}
    claims = _max_claims(scenario)
    load: dict[str, float] = {}
    for s in scenario.credit_support:
        if s.provider is not None:
            load[s.provider] = load.get(s.provider, 0.0) + claims[s.id]
    capacity = {o.id: o.capacity for o in scenario.obligors if o.capacity is not None}
    grade = {s.id: provider_grade(obligors[s.provider], scenario, table)
             for s in scenario.credit_support if s.provider is not None}
    full = {s.id for s in scenario.credit_support
            if s.provider is not None and _full(s, claims, load, capacity)}
    out = []
    for s in scenario.credit_support:
        if s.type != "shortfall_commitment" or s.id not in full:
            continue
        by, best = [s.id], grade[s.id]
        for g in scenario.credit_support:
            if g.type == "commitment_guarantee" and g.guarantees == s.id and g.id in full:
                by.append(g.id)
                best = better(best, grade[g.id])
        out.append({"rating": best, "by": by, "tranches": list(s.covers)})
    pool = _pool_guarantee_floor(scenario, full, grade)
    if pool is not None:
        out.append({**pool, "tranches": [t.id for t in scenario.tranches]})
    return out


def _pool_guarantee_floor(scenario, full: set, grade: dict) -> dict | None:
    """The floor of full loan / bank guarantees on every asset, or ``None``."""
    best: list[tuple[str, str] | None] = [None] * len(scenario.assets)
    for s in scenario.credit_support:
        if s.type not in FULL_GUARANTEE_TYPES or s.id not in full:
            continue
        for i in covered_assets(scenario, s):
            if best[i] is None or better(grade[s.id], best[i][0]) != best[i][0]:
                best[i] = (grade[s.id], s.id)
    if not best or any(b is None for b in best):
        return None
    worst = max((b[0] for b in best), key=SF_SCALE.index)
    return {"rating": worst, "by": sorted({b[1] for b in best}, key=_support_order(scenario))}


def _support_order(scenario):
    order = {s.id: n for n, s in enumerate(scenario.credit_support)}
    return lambda sid: order[sid]


def support_floors(scenario, table, paid_when_no_default: list[bool]) -> list[dict | None]:
    """Per tranche: the best floor, ``{"rating", "by"}``, or ``None``.

    ``paid_when_no_default[k]``: tranche ``k`` is paid in full when no asset defaults (a
    tranche the deal cannot pay even then gets no floor).
    """
    floors = arrangement_floors(scenario, table)
    out = []
    for k, t in enumerate(scenario.tranches):
        mine = [f for f in floors if t.id in f["tranches"]] if paid_when_no_default[k] else []
        if not mine:
            out.append(None)
            continue
        top = min(mine, key=lambda f: SF_SCALE.index(f["rating"]))
        out.append({"rating": top["rating"], "by": list(top["by"])})
    return out
