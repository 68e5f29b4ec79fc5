"""A book's result as rows, terminal tables and data frames (``ipabs book``): the tranches
in the book beside alone and the market, each entity's claims and capital, marginal
capital and contagion. The terminal, the HTML report and the workbook read the same rows."""
from __future__ import annotations

import pandas as pd

from engine.report.i18n import estimate, grade, money, pct, tr, warning_text
from engine.report.table import columns


def tranche_rows(doc: dict, lang: str = "en") -> list[tuple]:
    """Header and one row per deal and tranche."""
    T = lambda text: tr(text, lang)  # noqa: E731
    paths = doc["run"]["paths"]
    alone = doc["run"].get("rated_alone", True)
    rows = [(T("deal"), T("tranche"), T("PD in the book"), T("rating in the book"),
             T("rating alone (joint default)"), T("rating"))]
    for d in doc["deals"]:
        for t in d["tranches"]:
            rows.append((d["file"], t["id"], estimate(t["default_probability"],
                                                      t["default_probability_se"], paths),
                         grade(t["rating_in_book"], lang),
                         grade(t["rating_alone"], lang) if alone else "-",
                         grade(t["rating"], lang) if alone else "-"))
    return rows


def entity_rows(e: dict, paths: int, lang: str = "en") -> list[tuple]:
    """Item and value rows of one modelled entity."""
    T = lambda text: tr(text, lang)  # noqa: E731
    q = e["claims_quantiles"]
    rows = [(T("capital"), money(e["capital"])),
            (T("stated rating"), e["stated_rating"]),
            (T("implied grade"), e["implied_grade"]),
            (T("claims: mean"), money(e["claims_mean"])),
            (T("claims: 99% / 99.9% / 99.99%"),
             f"{money(q['0.99'])} / {money(q['0.999'])} / {money(q['0.9999'])}"),
            (T("of which the outside book (mean)"), money(e["outside_claims_mean"])),
            (T("exhaustion probability"), estimate(e["exhaustion_probability"],
                                                   e["exhaustion_probability_se"], paths)),
            (T("exhaustion by year"), ", ".join(f"{y}: {pct(p)}"
                                                for y, p in e["exhaustion_by_year"].items())),
            (T("failure (exhaustion or own default)"), pct(e["failure_probability"])),
            (T("claims at the rating stresses"), ", ".join(
                f"{g} {money(v)}" for g, v in e["claims_at_stress"].items()))]
    if e["leverage"] is not None:
        rows += [(T("leverage (guarantees / net assets)"), f"{e['leverage']:.1f}x"),
                 (T("largest borrower / net assets"), pct(e["largest_obligor_share"]))]
    return rows


def marginal_rows(e: dict, lang: str = "en") -> list[tuple]:
    """Header and one row per deal: its marginal capital."""
    T = lambda text: tr(text, lang)  # noqa: E731
    rows = [(T("deal"), T("ES share of 99.9% claims"), T("exhaustion probability without it"))]
    rows += [(x["file"], money(x["es_contribution"]), pct(x["exhaustion_probability_without"]))
             for x in e["marginal"]]
    return rows


def contagion_rows(doc: dict, lang: str = "en") -> list[tuple]:
    """Header and one row per number of seniors defaulting together."""
    rows = [(tr("seniors defaulting together", lang), tr("probability", lang))]
    rows += [(n, pct(p)) for n, p in doc["contagion"]["senior_defaults"].items()]
    return rows


def book_text(doc: dict, lang: str = "en") -> str:
    """The book's tables, as printed by ``ipabs book``."""
    paths = doc["run"]["paths"]
    out = [doc["name"], ""] + columns(tranche_rows(doc, lang), right={2})
    for e in doc["entities"]:
        out += ["", f"{tr('entity', lang)} {e['entity']}"]
        out += ["  " + line for line in columns([("", "")] + entity_rows(e, paths, lang))[2:]]
        out += ["  " + line for line in columns(marginal_rows(e, lang), right={1, 2})]
    out += [""] + columns(contagion_rows(doc, lang), right={1})
    out += [f"{tr('warning', lang)}: {warning_text(w, lang)}" for w in doc["warnings"]]
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
