"""A book's result as a self-contained HTML page (``ipabs book --out``), for a risk
committee: the tranches in the book beside alone and the market, each entity's claims
against its capital, marginal capital, contagion, and how the book was simulated."""
from __future__ import annotations

import html

from engine.report.book_tables import contagion_rows, entity_rows, marginal_rows, tranche_rows
from engine.report.html import _img, _page, _table
from engine.report.i18n import tr, warning_text
from engine.report.plots import claims_png, contagion_png

METHOD_NOTE = (
    "The deals run on one set of random numbers: the same firm (its entity code) defaults on "
    "the same date in every deal, factors are shared by label. Each modelled entity pays "
    "from one capital: on the first date its claims (every deal's and its outside book's) "
    "exceed it, the capital left is shared pro rata among that date's claims and the entity "
    "pays nothing more anywhere. Ratings in the book are the tranche-PD method's; alone is "
    "the deal's own joint-default rating, rating the market's (the counterparty rule).")


def book_report(doc: dict, lang: str = "en") -> str:
    """The book's report as one HTML string."""
    T = lambda text: tr(text, lang)  # noqa: E731
    paths = doc["run"]["paths"]
    body = [f"<h1>{html.escape(doc['name'])}</h1>",
            f"<p class='note'>{html.escape(T(METHOD_NOTE))} "
            f"{html.escape(T('paths'))}: {paths:,}, {html.escape(T('seed'))}: "
            f"{doc['run']['seed']}.</p>",
            f"<h2>{html.escape(T('Tranches in the book'))}</h2>"]
    rows = tranche_rows(doc, lang)
    body.append(_table(rows[0], rows[1:], cls="grades", left=2))
    for e in doc["entities"]:
        body.append(f"<h2>{html.escape(T('entity'))} {html.escape(e['entity'])}</h2>")
        body.append(_table([T("item"), T("value")], entity_rows(e, paths, lang), left=2))
        m = marginal_rows(e, lang)
        body.append(_table(m[0], m[1:], left=1))
    body.append(_img(T("claims in the book"), claims_png(doc, lang)))
    body.append(f"<h2>{html.escape(T('Contagion'))}</h2>")
    c = contagion_rows(doc, lang)
    body.append(_table(c[0], c[1:]))
    body.append(_img(T("seniors defaulting together"), contagion_png(doc, lang)))
    for w in doc["warnings"]:
        body.append(f"<p class='warn'>{html.escape(T('warning'))}: "
                    f"{html.escape(warning_text(w, lang))}</p>")
    return _page(doc["name"], "\n".join(body), lang)
