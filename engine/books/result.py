"""The book's figures from its paths (``ipabs-book-result/v1``): per deal and tranche the
default probability, expected loss and rating in the book beside the deal rated alone
and its market rating; per entity its claims, exhaustion and the grade that implies,
leverage and concentration against the caps, marginal capital; contagion."""
from __future__ import annotations

import math

import numpy as np

from engine.books.assemble import Assembled
from engine.books.simulate import BookPaths
from engine.plan import rating_tables
from engine.rating.methods import rate_by_pd
from engine.rating.deal import WARN_NOTCHES
from engine.rating.scale import OBLIGOR_NOTCHES, notch_index

BOOK_RESULT_FORMAT = "ipabs-book-result/v1"
QUANTILES = (0.99, 0.999, 0.9999)
#: Financing guarantee companies (融资担保公司监督管理条例, 2017): guarantees outstanding
#: at most 10x net assets (15x for a small and micro book), one obligor at most 10%, one
#: group 15%.
LEVERAGE_CAP, LEVERAGE_CAP_SMALL, SINGLE_OBLIGOR_CAP = 10.0, 15.0, 0.10


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    n = x.shape[0]
    m = float(x.mean())
    return m, float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


def book_document(asm: Assembled, bp: BookPaths, paths: int, seed: int,
                  alone: list | None = None) -> dict:
    """The ``ipabs-book-result/v1`` document; ``alone`` is each deal's own result
    (``engine.run`` on the same paths and seed) for the ratings beside the book's."""
    deals = [_deal_row(asm, n, bp, alone[n] if alone else None) for n in range(len(asm.deals))]
    entities = [_entity_row(asm, k, bp) for k in range(len(asm.entities))]
    warnings = [w for e in entities for w in e.pop("_warnings")]
    return {"format": BOOK_RESULT_FORMAT, "name": asm.book.name,
            "run": {"paths": paths, "seed": seed, "horizon": asm.horizon,
                    "paths_replayed": bp.replayed, "rated_alone": alone is not None},
            "deals": deals, "entities": entities, "contagion": _contagion(asm, bp),
            "warnings": warnings}


def _deal_row(asm, n, bp, alone) -> dict:
    deal, res = asm.deals[n], bp.deals[n]
    tables = rating_tables(deal.scenario)
    by_id = {t["id"]: t for t in (alone or {}).get("tranches", [])}
    rows = []
    for k, tid in enumerate(deal.plan.tranche_ids):
        pd_, pd_se = _mean_se(res.default[:, k].astype(np.float64))
        el, el_se = _mean_se(res.loss[:, k])
        own = by_id.get(tid, {})
        paid = res.wal[:, k] >= 0.0
        wal = float(res.wal[paid, k].mean()) if paid.any() else None   # in the book
        tenor = 1.0 if wal is None else max(wal, 1.0)
        rated = deal.scenario.tranches[k].rated and (not own or own.get("rating") is not None)
        rows.append({"id": tid, "default_probability": pd_, "default_probability_se": pd_se,
                     "expected_loss": el, "expected_loss_se": el_se, "wal_years": wal,
                     "rating_in_book": rate_by_pd(pd_, tenor, tables["pd"]) if rated else None,
                     "rating_alone": own.get("rating_joint_default"),
                     "rating": own.get("rating"),
                     "default_probability_alone": own.get("default_probability")})
    return {"file": deal.file, "name": deal.scenario.name, "tranches": rows}


def _entity_row(asm, k, bp) -> dict:
    e = asm.entities[k]
    spec = asm.book.entities[e]
    T, ppy = asm.horizon, asm.periods_per_year
    claims = bp.demand[:, k]
    exhausted = bp.exhausted[:, k] <= T
    p_ex, se_ex = _mean_se(exhausted.astype(np.float64))
    failed = exhausted | (bp.own_default[:, k] <= T)
    p_fail, _ = _mean_se(failed.astype(np.float64))
    years = T / ppy
    table = rating_tables(asm.deals[0].scenario)["pd"]
    by_year = {}
    for y in range(1, math.ceil(years) + 1):
        by_year[str(y)] = float((bp.exhausted[:, k] <= min(y * ppy, T)).mean())
    q = {f"{p:g}": float(np.quantile(claims, p)) for p in QUANTILES}
    guaranteed = float(sum(d.guaranteed[k] for d in asm.deals))
    outside = spec.outside_book.amount if spec.outside_book is not None else 0.0
    by_borrower: dict[str, float] = {}         # a firm borrowing in several deals is one
    for d in asm.deals:
        for name, amount in d.covered_borrowers[k].items():
            by_borrower[name] = by_borrower.get(name, 0.0) + amount
    largest = max(by_borrower.values(), default=0.0)
    row = {"entity": e, "capital": spec.capital, "stated_rating": asm.stated[e],
           "claims_mean": float(claims.mean()), "claims_quantiles": q,
           "exhaustion_probability": p_ex, "exhaustion_probability_se": se_ex,
           "exhaustion_by_year": by_year, "failure_probability": p_fail,
           "implied_grade": _implied_grade(p_fail, years, table),
           "claims_at_stress": _claims_at_stress(claims, years, table),
           "guaranteed_in_book": guaranteed, "outside_book": outside,
           "outside_claims_mean": float(bp.outside[:, k].mean()),
           "net_assets": spec.net_assets, "leverage": None, "largest_obligor_share": None,
           "marginal": _marginal(asm, k, bp, claims),
           "es_outside_book": _es_outside(bp, k, claims),
           "claims_histogram": _histogram(claims)}
    warnings = []
    stated = asm.stated[e]
    if stated in OBLIGOR_NOTCHES and (
            notch_index(row["implied_grade"]) - notch_index(stated) > WARN_NOTCHES):
        warnings.append(f"{e}: stated {stated}, but its failure probability in this book "
                        f"({p_fail:.2%}: capital exhausted or its own default) supports "
                        f"{row['implied_grade']}; the deals' market ratings rest on {stated}")
    if spec.net_assets:
        row["leverage"] = (guaranteed + outside) / spec.net_assets
        row["largest_obligor_share"] = largest / spec.net_assets
        if row["leverage"] > LEVERAGE_CAP:
            warnings.append(f"{e}: guarantees of {row['leverage']:.1f}x net assets, above the "
                            f"{LEVERAGE_CAP:g}x cap ({LEVERAGE_CAP_SMALL:g}x for a small and "
                            "micro book)")
        if row["largest_obligor_share"] > SINGLE_OBLIGOR_CAP:
            warnings.append(f"{e}: its largest borrower is {row['largest_obligor_share']:.0%} "
                            f"of net assets, above the {SINGLE_OBLIGOR_CAP:.0%} cap")
    row["_warnings"] = warnings
    return row


def _histogram(claims: np.ndarray, bins: int = 40) -> dict:
    """The claims' distribution: ``bins`` equal bins from 0 to the largest claim."""
    top = float(claims.max()) if claims.size and claims.max() > 0 else 1.0
    counts, edges = np.histogram(claims, bins=bins, range=(0.0, top))
    return {"edges": edges.tolist(), "probability": (counts / claims.size).tolist()}


def _implied_grade(p: float, years: float, table) -> str:
    """The best obligor notch whose cumulative default rate over ``years`` is at least
    ``p`` (the rating the entity's failure probability in the book supports)."""
    for notch in OBLIGOR_NOTCHES:
        if notch in table.notches and p <= float(table.cumulative_pd(notch, years)):
            return notch
    return OBLIGOR_NOTCHES[-1]


def _claims_at_stress(claims: np.ndarray, years: float, table) -> dict:
    """Claims exceeded with the ideal default rate of AAA, AA and A over the book's
    horizon (the stress a capital that grade needs must survive)."""
    out = {}
    for grade in ("AAA", "AA", "A"):
        p = float(table.sf_threshold(grade + "sf", years))
        out[grade] = float(np.quantile(claims, 1.0 - p)) if 0.0 < p < 1.0 else None
    return out


def _tail(claims: np.ndarray) -> np.ndarray:
    return claims >= np.quantile(claims, 0.999)


def _es_outside(bp, k, claims) -> float:
    """The outside book's share of the 99.9% expected shortfall of the claims."""
    tail = _tail(claims)
    return float(bp.outside[tail, k].mean()) if tail.any() else 0.0


def _marginal(asm, k, bp, claims) -> list:
    """Each deal's expected-shortfall share of the 99.9% claims (its mean claims on the
    paths at or above the quantile; with ``es_outside_book`` they add up to the expected
    shortfall) and the exhaustion probability without it: the same paths, its claims
    removed (claims as first simulated), the capital running out before the entity's own
    default."""
    tail = _tail(claims)
    paths = claims.shape[0]
    out = []
    for n, deal in enumerate(asm.deals):
        if deal.ent_obligor[k] < 0:
            continue
        mine = bp.deals[n].demand[:, k]
        out.append({"file": deal.file,
                    "es_contribution": float(mine[tail].mean()) if tail.any() else 0.0,
                    "exhaustion_probability_without": float(bp.exhausted_without[n, k]) / paths})
    return out


def _contagion(asm, bp) -> dict:
    """How many deals' senior tranches default together, and the pairwise default
    correlation of the deals' seniors."""
    seniors = np.stack([r.default[:, 0] for r in bp.deals], axis=1).astype(np.float64)
    count = seniors.sum(axis=1).astype(np.int64)
    dist = {str(c): float((count == c).mean()) for c in range(seniors.shape[1] + 1)
            if (count == c).any()}
    corr = []
    for a in range(seniors.shape[1]):
        row = []
        for b in range(seniors.shape[1]):
            x, y = seniors[:, a], seniors[:, b]
            sx, sy = x.std(), y.std()
            row.append(float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))
                       if sx > 0 and sy > 0 else None)
        corr.append(row)
    return {"senior_defaults": dist, "senior_default_correlation": corr,
            "deals": [d.file for d in asm.deals]}
