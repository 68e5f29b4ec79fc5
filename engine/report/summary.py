"""What a committee reads before the ratings: the deal in figures.

Coupons, the credit enhancement of each tranche (the subordination below it, as a share of
the pool), the excess spread at closing (the pool's weighted rate, less the notes' coupons
and the fees, each as a share of the pool balance, per year), the supporters with their
ratings, the stressed scenario of the cash-flow section and the assumptions of the run.
"""
from __future__ import annotations

from collections import defaultdict

from engine.report.i18n import money, pct, tr


def pool_balance(scenario) -> float:
    return float(sum(a.balance for a in scenario.assets))


def pool_rate(scenario) -> float:
    """Balance-weighted asset rate (per annum)."""
    total = pool_balance(scenario)
    return sum(a.rate * a.balance for a in scenario.assets) / total if total else 0.0


def fees_per_year(scenario) -> float:
    """The fees at closing as a share of the pool balance, per year."""
    total = pool_balance(scenario)
    senior = sum(t.balance for t in scenario.tranches if not t.subordinated)
    out = 0.0
    for f in scenario.fees:
        if f.amount is not None:
            out += f.amount * scenario.periods_per_year / total
        elif f.base == "interest_collections":
            out += f.rate * pool_rate(scenario)
        elif f.base == "senior_balance":
            out += f.rate * senior / total
        else:
            out += f.rate
    return out


def excess_spread(scenario) -> dict:
    """``{"pool_rate", "weighted_coupon", "coupon_cost", "fees", "excess_spread"}`` per
    annum: ``weighted_coupon`` over the non-subordinated notes, ``coupon_cost`` all
    coupons as a share of the pool, ``excess_spread = pool_rate - coupon_cost - fees``."""
    total = pool_balance(scenario)
    senior = [t for t in scenario.tranches if not t.subordinated]
    sb = sum(t.balance for t in senior)
    weighted = sum(t.coupon * t.balance for t in senior) / sb if sb else 0.0
    cost = sum(t.coupon * t.balance for t in scenario.tranches) / total if total else 0.0
    rate, fees = pool_rate(scenario), fees_per_year(scenario)
    return {"pool_rate": rate, "weighted_coupon": weighted, "coupon_cost": cost,
            "fees": fees, "excess_spread": rate - cost - fees}


def principal_text(tranche, lang: str = "en") -> str:
    spec = tranche.principal
    if spec is None or spec == "pass_through":
        return tr("pass-through", lang)
    if hasattr(spec, "bullet"):
        return tr("bullet, period {n}", lang, n=spec.bullet)
    return tr("schedule", lang)


def tranche_rows(scenario, doc: dict, lang: str = "en") -> list[list[str]]:
    """Per tranche: class, balance, share of the notes, coupon, principal, credit
    enhancement (subordination below it), interest."""
    total = pool_balance(scenario)
    notes = sum(t.balance for t in scenario.tranches)
    out = []
    below = notes
    for t in scenario.tranches:
        below -= t.balance
        kind = tr("subordinated" if t.subordinated else "senior", lang)
        out.append([t.id, kind, money(t.balance), pct(t.balance / notes if notes else 0.0, 2),
                    pct(t.coupon, 2) if not t.subordinated or t.coupon else "-",
                    principal_text(t, lang), pct(below / total if total else 0.0, 2),
                    tr(t.interest, lang)])
    return out


def provider_rating(scenario, provider: str | None) -> str:
    if provider is None:
        return "-"
    ob = next((o for o in scenario.obligors if o.id == provider), None)
    if ob is None:
        return "-"
    if ob.rating is not None:
        return ob.rating
    pd_ = ob.pd
    return f"PD {pct(pd_.annual)} p.a." if pd_.annual is not None else \
        f"PD {pct(pd_.cumulative[-1])} cum."


def support_rows(scenario, lang: str = "en") -> list[list[str]]:
    """Per credit support: id, type (domestic term), provider, its rating, what it covers,
    share and cap."""
    rows = []
    for s in scenario.credit_support:
        covers = getattr(s, "covers", None)
        if s.guaranteed() is not None:
            covers = s.guaranteed()
        elif covers == "all":
            covers = tr("all assets", lang)
        elif isinstance(covers, list):
            covers = ", ".join(covers) if len(covers) <= 6 else \
                f"{', '.join(covers[:6])}, ... ({len(covers)})"
        cap = s.aggregate_cap()
        rows.append([s.id, tr(s.type, lang), s.provider or "-",
                     provider_rating(scenario, s.provider), covers or "-", pct(s.share, 0),
                     money(cap) if cap else "-"])
    return rows


def largest_borrowers(scenario, n: int) -> list[str]:
    """The ``n`` obligors owing the most to the pool, largest first (ties by id)."""
    owed: dict[str, float] = defaultdict(float)
    state = scenario.state
    for a in scenario.assets:
        if state is None:
            owed[a.obligor] += a.balance
        elif (state.asset(a.id).balance or 0.0) > 0.0:   # a tracked deal: those still paying
            owed[a.obligor] += state.asset(a.id).balance
    return sorted(owed, key=lambda o: (-owed[o], o))[:n]


def stress_defaults(scenario, lang: str = "en") -> tuple[dict[str, int], str] | None:
    """The report's stressed run (``report.stress``): ``({obligor: period}, description)``,
    or ``None`` when it asks for none."""
    spec = scenario.report.stress
    if spec.largest_borrowers <= 0:
        return None
    names = largest_borrowers(scenario, spec.largest_borrowers)
    if not names:
        return None
    as_of = 0 if scenario.state is None else scenario.state.as_of   # periods after a state
    period = min(as_of + spec.period, scenario.legal_final)
    return {o: period for o in names}, stress_text(names, period, lang)


def stress_text(names: list[str], period: int, lang: str = "en") -> str:
    return tr("the {n} largest borrowers ({names}) default in period {period}, collateral "
              "realised at its mean haircut after its lag", lang, n=len(names),
              names=", ".join(names), period=period)


def _correlation_text(scenario) -> str:
    c = scenario.correlation
    head = c.copula + (f" (dof {c.dof:g})" if c.dof else "")
    if c.uniform is not None:
        body = f"uniform {c.uniform:g}"
    elif c.pairwise is not None:
        body = "pairwise " + ", ".join(f"{k} {v:g}" for k, v in
                                        c.pairwise.model_dump(exclude_none=True).items())
    else:
        f = c.factors
        body = f"factors: global {f.global_:g}, {len(f.region)} region, {len(f.industry)} " \
               "industry loadings"
    return f"{head}; {body}"


def _recovery_text(scenario, lang: str = "en") -> str:
    coll = scenario.collateral
    if not coll:
        return tr("no collateral", lang)
    value = sum(c.appraised_value for c in coll)
    haircut = (sum(c.haircut.mean * c.appraised_value for c in coll) / value if value
               else sum(c.haircut.mean for c in coll) / len(coll))
    lags = sorted({c.lag for c in coll})
    unit = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}[scenario.payment_frequency]
    lag = (f"{lags[0]}" if len(lags) == 1 else f"{lags[0]}-{lags[-1]}") + \
        f" {tr('periods', lang)} ({lags[0] * unit}-{lags[-1] * unit} {tr('months', lang)})"
    systemic = sorted({c.systemic for c in coll})
    return tr("collateral: haircut {haircut} of appraised value on average, realised {lag} "
              "after default; systemic share {systemic}", lang, haircut=pct(haircut, 1),
              lag=lag, systemic="/".join(f"{s:g}" for s in systemic))


def assumptions(scenario, doc: dict, lang: str = "en") -> list[tuple[str, str]]:
    """The settings the figures rest on, as (item, value) rows."""
    run, rating = doc["run"], doc.get("rating") or {}
    return [
        (tr("Monte Carlo paths", lang), f"{run['paths']:,}"),
        (tr("random seed", lang), str(run["seed"])),
        (tr("sampling method", lang), run["method"]),
        (tr("rating method", lang), rating.get("method", scenario.rating.method)),
        (tr("support convention", lang), rating.get("support", scenario.rating.support)),
        (tr("rating table", lang), rating.get("table", scenario.rating.table)),
        (tr("correlation", lang), _correlation_text(scenario)),
        (tr("recovery", lang), _recovery_text(scenario, lang)),
        (tr("engine version", lang), run.get("engine_version", "")),
        (tr("scenario file sha256", lang), doc["scenario"].get("sha256") or "-"),
    ]
