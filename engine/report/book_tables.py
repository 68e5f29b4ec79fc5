"""A book's result as terminal tables and data frames (``ipabs book``): the tranches in the
book beside alone and the market, each entity's claims and capital, marginal capital and
contagion."""
from __future__ import annotations

import pandas as pd

from engine.report.i18n import estimate, grade, money, pct, tr
from engine.report.table import columns


def book_text(doc: dict, lang: str = "en") -> str:
    """The book's tables, as printed by ``ipabs book``."""
    T = lambda text: tr(text, lang)  # noqa: E731
    paths = doc["run"]["paths"]
    rows = [(T("deal"), T("tranche"), T("PD in the book"), T("rating in the book"),
             T("rating alone (joint default)"), T("rating"))]
    for d in doc["deals"]:
        for t in d["tranches"]:
            rows.append((d["file"], t["id"], estimate(t["default_probability"],
                                                      t["default_probability_se"], paths),
                         grade(t["rating_in_book"], lang), grade(t["rating_alone"], lang),
                         grade(t["rating"], lang)))
    out = [doc["name"], ""] + columns(rows, right={2})
    for e in doc["entities"]:
        q = e["claims_quantiles"]
        out += ["", f"{T('entity')} {e['entity']}: {T('capital')} {money(e['capital'])}, "
                    f"{T('stated rating')} {e['stated_rating']}, "
                    f"{T('implied grade')} {e['implied_grade']}",
                f"  {T('claims')}: {T('mean')} {money(e['claims_mean'])}, 99% {money(q['0.99'])}"
                f", 99.9% {money(q['0.999'])}, 99.99% {money(q['0.9999'])}",
                f"  {T('exhaustion probability')} "
                f"{estimate(e['exhaustion_probability'], e['exhaustion_probability_se'], paths)}"
                f" ({', '.join(f'{y}y {pct(p)}' for y, p in e['exhaustion_by_year'].items())})"
                f"; {T('failure (exhaustion or own default)')} {pct(e['failure_probability'])}"]
        if e["leverage"] is not None:
            out.append(f"  {T('leverage')} {e['leverage']:.1f}x, {T('largest borrower')} "
                       f"{pct(e['largest_obligor_share'])} {T('of net assets')}")
        stress = e["claims_at_stress"]
        out.append("  " + T("claims at the rating stresses") + ": " + ", ".join(
            f"{g} {money(v)}" for g, v in stress.items()))
        m = [(T("deal"), T("ES share of 99.9% claims"), T("claims above capital without it"))]
        m += [(x["file"], money(x["es_contribution"]),
               pct(x["exhaustion_probability_without"])) for x in e["marginal"]]
        out += ["  " + line for line in columns(m, right={1, 2})]
    dist = doc["contagion"]["senior_defaults"]
    out += ["", T("seniors defaulting together") + ": " + ", ".join(
        f"{n}: {pct(p)}" for n, p in dist.items())]
    out += [f"{T('warning')}: {w}" for w in doc["warnings"]]
    return "\n".join(out)


def book_frames(doc: dict) -> dict[str, pd.DataFrame]:
    """The book's tables as data frames: tranches, entities, marginal capital."""
    tranches = pd.DataFrame([dict(deal=d["file"], **t) for d in doc["deals"]
                             for t in d["tranches"]])
    entities = pd.DataFrame([{k: v for k, v in e.items()
                              if not isinstance(v, (dict, list))} for e in doc["entities"]])
    marginal = pd.DataFrame([dict(entity=e["entity"], **m) for e in doc["entities"]
                             for m in e["marginal"]])
    return {"book_tranches.csv": tranches, "book_entities.csv": entities,
            "book_marginal.csv": marginal}
