"""One self-contained HTML report of a run, in English or Chinese, for a credit committee.

Sections: the deal summary (tranches with coupons and credit enhancement, excess spread,
supporters and their ratings), the tranche table with the ratings on the three bases
(standalone, the support ladder, joint default) and how the rating was reached (the ladder,
one page), reliance on each support,
the pool default-rate distribution, the default timing, support and trigger statistics,
TDR/BDR (when that is the method), the sensitivities with their base row, the cash flows
with no defaults and under a stress, and the assumptions of the run.

Images are embedded as base64 PNG and the Chinese font as a subset (see
:mod:`engine.report.fonts`), so the file needs nothing else to display.
"""
from __future__ import annotations

import base64
import html

from engine.report.fonts import EMBEDDED_FAMILY, font_face_css, has_cjk
from engine.report.i18n import estimate, grade, grade_range, money, num_pm, pct, pct_pm, tr
from engine.report.plots import distribution_png, sensitivity_png, timing_png
from engine.report.safe_text import no_bidi
from engine.report.summary import (
    assumptions,
    excess_spread,
    pool_balance,
    support_rows,
    tranche_rows,
)
from engine.report.table import (
    cashflow_rows,
    cashflow_summary_lines,
    LADDER_NOTE,
    convention_line,
    ladder_rows,
    rating_by_text,
    quantile_range,
    sampling_lines,
)
from engine.report.i18n import state_heading, warning_text
from engine.report.plots import industry_png, tracking_png
from engine.report.strata import industry_shares, strata_tables, stratification
from engine.report.table import _change

_CSS = """
body{font-family:'%s',Helvetica,Arial,'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',
'PingFang SC',sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em;border-bottom:2px solid #1f4e79}h2{font-size:1.15em;color:#1f4e79;margin-top:1.6em}
h3{font-size:1em;color:#1f4e79}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#eef3f8;white-space:normal;vertical-align:bottom}td:first-child,th:first-child{text-align:left}
td.l,th.l{text-align:left}.note{color:#555;font-size:.85em}
.scroll{overflow-x:auto;max-width:100%%}.flows td:first-child{position:sticky;left:0;background:#fff}
img{max-width:100%%;box-sizing:border-box;border:1px solid #ddd;margin:.5em 0;break-inside:avoid}
@page{size:A4 portrait;margin:12mm 10mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:9pt}
table{font-size:7pt}td,th{padding:1px 3px}.scroll{overflow:visible}
thead{display:table-header-group}tr,img{break-inside:avoid}h2,h3{break-after:avoid}
.flows td:first-child{position:static}}
.grades td:nth-child(3){font-weight:bold}
.newpage{break-before:page}.warn{color:#8a1f11;font-weight:bold}
"""


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _img(alt: str, png: bytes) -> str:
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{_b64(png)}'>"


def _table(header, rows, cls: str = "", left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are left-aligned (labels)."""
    def cell(tag, c, j):
        align = " class='l'" if 0 < j < left else ""
        return f"<{tag}{align}>{html.escape(str(c))}</{tag}>"

    head = "".join(cell("th", h, j) for j, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", c, j) for j, c in enumerate(r)) + "</tr>"
                   for r in rows)
    klass = f" class='{cls}'" if cls else ""
    return (f"<div class='scroll'><table{klass}><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>")


def _active_periods(table):
    """The table up to its last period with any cash or balance (later rows are all 0)."""
    numeric = table.drop(columns=["accelerated"], errors="ignore")
    live = (numeric.abs() > 0.005).any(axis=1)
    last = live[live].index.max() if live.any() else table.index.min()
    return table.loc[:last]


#: Periods in one cash-flow table: a longer deal is split into several, so that each
#: fits a 1,280-pixel screen and an A4 page without scrolling or being cut.
PERIODS_PER_TABLE = 8


def _cashflow_block(title: str, report, lang: str) -> list[str]:
    rows = cashflow_rows(_active_periods(report.table), lang)
    n = len(rows[0]) - 1
    tables = [_table([r[0] for r in [rows[0]]] + list(rows[0][1 + a:1 + a + PERIODS_PER_TABLE]),
                     [[r[0], *r[1 + a:1 + a + PERIODS_PER_TABLE]] for r in rows[1:]],
                     cls="flows")
              for a in range(0, max(n, 1), PERIODS_PER_TABLE)]
    return [f"<h3>{html.escape(title)}</h3>", *tables,
            "<p class='note'>" + "<br>".join(html.escape(s) for s in
                                              cashflow_summary_lines(report.summary, lang))
            + "</p>"]


def build_report(scenario, result, table, cashflows=None, sens: dict | None = None, *,
                 stressed=None, stress_label: str | None = None, lang: str = "en") -> str:
    """The report as one HTML string.

    Parameters
    ----------
    scenario, result
        The scenario and the :class:`engine.Result` of its run.
    table
        The rating table (ideal default rates) the grades were read from.
    cashflows, stressed
        Deterministic cash-flow reports (:func:`engine.cashflows`): no defaults, and a
        stress described by ``stress_label``.
    sens
        The ``ipabs-sensitivity/v1`` document, if sensitivities were run.
    lang
        ``en`` or ``zh``.
    """
    doc = result.to_dict()
    body = (_title(scenario, doc, lang) + _deal_section(scenario, doc, lang)
            + _strata_section(scenario, lang) + _rating_section(doc, lang)
            + _pool_section(result, table, doc, lang) + _tdr_section(doc, lang)
            + _sensitivity_section(sens, doc, lang)
            + _cashflow_section(cashflows, stressed, stress_label, lang)
            + _assumption_section(scenario, doc, lang))
    return _page(scenario.name, "\n".join(body), lang)


def _translator(lang: str):
    """``T(text, **kw)``: ``text`` in ``lang``."""
    return lambda text, **kw: tr(text, lang, **kw)


def _title(scenario, doc, lang) -> list[str]:
    """The title, what the page is and a tracked deal's state."""
    T = _translator(lang)
    run = doc["run"]
    body = [f"<h1>{html.escape(scenario.name)}</h1>",
            f"<p class='note'>{html.escape(T('report for the committee'))}; "
            f"{html.escape(T('generated by ipabs'))} {run['engine_version']}. "
            + html.escape(T("Rates and probabilities are in percent; amounts in "
                            "{currency}. Each estimate is shown ± its Monte Carlo "
                            "standard error.", currency=scenario.currency))
            + "</p>"]
    if scenario.state is not None:
        st = scenario.state
        body.append("<p><b>" + html.escape(no_bidi(T(
            "Tracking rating from the deal's state after {n} payment dates ({name}): the "
            "dates after it are simulated; the deal summary shows the closing terms.",
            n=st.as_of, name=st.name or st.source or "state"))) + "</b></p>")
    return body


def _deal_section(scenario, doc, lang) -> list[str]:
    """Deal summary, tranches and credit support."""
    T = _translator(lang)
    body: list[str] = []
    body.append(f"<h2>{T('Deal summary')}</h2>")
    spread = excess_spread(scenario)
    owed: dict[str, float] = {}
    for a in scenario.assets:
        owed[a.obligor] = owed.get(a.obligor, 0.0) + a.balance
    big = max(owed, key=owed.get)
    total = pool_balance(scenario)
    body.append(_table([T("item"), T("value")], [
        (T("currency"), scenario.currency),
        (T("payment frequency"), T(scenario.payment_frequency)),
        (T("legal final"), f"{scenario.legal_final} {T('periods')}"),
        (T("pool balance"), money(total)), (T("assets"), len(scenario.assets)),
        (T("obligors"), len(scenario.obligors)),
        (T("largest obligor"), f"{big}: {money(owed[big])} ({pct(owed[big] / total, 2)})"),
        (T("pool rate (weighted)"), pct(spread["pool_rate"], 2)),
        (T("weighted coupon"), pct(spread["weighted_coupon"], 2)),
        (T("coupons (per year, of the pool)"), pct(spread["coupon_cost"], 2)),
        (T("fees (per year, of the pool)"), pct(spread["fees"], 2)),
        (T("excess spread"), f"{pct(spread['excess_spread'], 2)} = "
                             f"{pct(spread['pool_rate'], 2)} - {pct(spread['coupon_cost'], 2)}"
                             f" - {pct(spread['fees'], 2)}"),
        (T("triggers"), ", ".join(t.id for t in scenario.triggers) or T("none"))]))
    body.append(_table([T("tranche"), "", T("balance"), T("share of notes"), T("coupon"),
                        T("principal"), T("credit enhancement"), T("interest")],
                       tranche_rows(scenario, doc, lang), left=2))
    body.append(f"<p class='note'>{html.escape(T('credit enhancement'))} = "
                f"{html.escape(T('subordination below'))} / {html.escape(T('pool balance'))}; "
                f"{html.escape(T('excess spread'))} = {html.escape(T('pool rate (weighted)'))} "
                f"- {html.escape(T('coupons (per year, of the pool)'))} - "
                f"{html.escape(T('fees (per year, of the pool)'))}; "
                f"{html.escape(T('the weighted coupon is over the notes, the rest over the pool'))}"
                "</p>")
    if scenario.credit_support:
        body.append(f"<h2>{T('Credit support and providers')}</h2>")
        body.append(_table([T("credit support id"), T("type"), T("provider"),
                            T("rating of provider"),
                            T("covers"), T("share"), T("cap")], support_rows(scenario, lang),
                           left=5))
    return body


def _strata_section(scenario, lang) -> list[str]:
    """The pool stratified (tables and the industry chart)."""
    T = _translator(lang)
    body: list[str] = []
    body.append(f"<h2>{T('Pool stratification')}</h2>")
    for dim, head, rows in strata_tables(stratification(scenario, lang), lang):
        body.append(f"<h3>{html.escape(dim)}</h3>")
        body.append(_table(head, rows, left=2))
    body.append(_img(T("share of the pool by industry"),
                     industry_png(industry_shares(scenario), lang)))
    return body


def _rating_section(doc, lang) -> list[str]:
    """Each tranche's grades, warnings, the support ladder and reliance."""
    T = _translator(lang)
    body: list[str] = []
    run = doc["run"]
    body.append(f"<h2>{T('Tranches')}</h2>")
    body.append(f"<p class='note'>{html.escape(convention_line(doc, lang))}</p>")
    header = [T("tranche"), T("balance"), T("rating"), T("95% range"), T("standalone"),
              T("rating by"), T("joint default"), T("default probability"),
              T("expected loss"), T("WAL (years)"), T("standalone default probability")]
    rows = []
    for t in doc["tranches"]:
        rated = t.get("rated", True)
        rows.append([t["id"], money(t["balance"]), grade(t["rating"], lang),
                     grade_range(t["rating_range"]) if rated else "-",
                     grade(t.get("rating_standalone"), lang) if rated else "-",
                     rating_by_text(t),
                     grade(t.get("rating_joint_default"), lang) if rated else "-",
                     estimate(t["default_probability"], t["default_probability_se"],
                              run["paths"]),
                     estimate(t["expected_loss"], t["expected_loss_se"], run["paths"]),
                     num_pm(t["wal_years"], t["wal_years_se"], 3),
                     estimate(t.get("default_probability_standalone"),
                              t.get("default_probability_se_standalone"), run["paths"])])
    body.append(_table(header, rows, cls="grades"))
    for message in doc.get("warnings") or []:
        body.append(f"<p class='warn'>{html.escape(T('warning'))}: "
                    f"{html.escape(warning_text(message, lang))}</p>")
    if any(t.get("support_ladder") for t in doc["tranches"]):
        body.append(f"<h2 class='newpage'>{html.escape(T('How the rating was reached'))}</h2>")
        body.append(f"<p class='note'>{html.escape(T(LADDER_NOTE))}</p>")
        ladder = ladder_rows(doc, lang)
        body.append(_table(ladder[0], ladder[1:], cls="grades", left=1))
        body.append("<p class='note'>" + html.escape(T(
            "Each cell: the run's default probability ± its standard error, and the grade it "
            "lends (the run's own grade, at most the supporters' grade).")) + "</p>")
    if doc.get("reliance"):
        body.append(f"<h2>{T('Reliance on each support (same random numbers)')}</h2>")
        body.append("<p class='note'>" + html.escape(T("Each tranche's rating (by the convention above) and "
                                    "joint-default rating with one support arrangement "
                                    "removed: what the rating rests on.")) + "</p>")
        body.append(_table([T("without"), T("provider")] + [t["id"] for t in doc["tranches"]], [
            ["+".join(r["removes"]), r["provider"] or "-"]
            + [f"{grade(x['rating'], lang)} / {grade(x['rating_joint_default'], lang)}"
               for x in r["tranches"]] for r in doc["reliance"]], left=2))
    return body


def _pool_section(result, table, doc, lang) -> list[str]:
    """The pool's default statistics and charts, support and triggers."""
    T = _translator(lang)
    body: list[str] = []
    pool = doc["pool"]
    body.append(f"<h2>{T('Pool')}</h2>")
    q = pool["default_rate_quantiles"]
    body.append(_table([T("statistic"), T("value")], [
        (T("expected default rate"), pct_pm(pool["expected_default_rate"],
                                            pool["expected_default_rate_se"])),
        (T("expected loss rate (after collateral, before support)"),
         pct_pm(pool["expected_loss_rate"], pool["expected_loss_rate_se"])),
        *[(f"{T('pool default rate')} {T('quantile')} {k}", pct(v, 2) + quantile_range(pool, k))
          for k, v in q.items()],
        (T("acceleration probability"), pct(pool["acceleration_probability"]))]))
    sampling = sampling_lines(doc, lang)
    if sampling:
        body.append("<p class='note'>" + "<br>".join(html.escape(s) for s in sampling) + "</p>")
    body.append(_img(T("pool default rate distribution"), distribution_png(result, table, lang)))
    body.append(f"<h2>{T('Default timing')}</h2>")
    body.append(_img(T("Default timing"), timing_png(doc, lang)))
    if doc["support"]:
        body.append(f"<h2>{T('Support')}</h2>")
        body.append(_table([T("Support"), T("expected payment"), T("call probability"),
                            T("expected reimbursement"), T("expected net cost")], [
            (s["id"], f"{money(s['expected_payment'])} ± {money(s['expected_payment_se'])}",
             pct(s["call_probability"]), money(s.get("expected_reimbursement")),
             money(s.get("expected_net_cost"))) for s in doc["support"]]))
    if doc.get("triggers"):
        body.append(f"<h2>{T('Triggers')}</h2>")
        body.append(_table([T("triggers"), T("fire probability"), T("mean period")], [
            (t["id"], pct(t["fire_probability"]),
             "-" if t["mean_fire_period"] is None else f"{t['mean_fire_period']:.2f}")
            for t in doc["triggers"]]))
    return body


def _tdr_section(doc, lang) -> list[str]:
    """Break-even default rates (the TDR/BDR method), if rated so."""
    T = _translator(lang)
    body: list[str] = []
    pool = doc["pool"]
    if "tdr" in pool:
        body.append(f"<h2>{T('TDR / BDR')}</h2>")
        body.append("<p class='note'>" + html.escape(T(
            "Break-even default rates of the standalone structure (no credit support); each "
            "run of the support ladder has its own, with its supporters paying.")) + "</p>")
        body.append(_table([T("grade"), T("TDR")], [(g, pct(v, 2))
                                                    for g, v in pool["tdr"].items()]))
        body.append(_table([T("tranche"), T("standalone grade"), T("BDR"),
                            T("governing stress"), T("cushion (BDR - TDR)")], [
            (t["id"], grade(t.get("rating_standalone"), lang), pct(t["bdr"], 2),
             t["bdr_governing_stress"],
             "-" if t["bdr_cushion"] is None else pct(t["bdr_cushion"], 2))
            for t in doc["tranches"]]))
        names = list(doc["tranches"][0]["bdr_by_scenario"])
        body.append(_table([T("stress")] + [t["id"] for t in doc["tranches"]], [
            [n] + [pct(t["bdr_by_scenario"][n], 2) for t in doc["tranches"]] for n in names]))
    return body


def _sensitivity_section(sens, doc, lang) -> list[str]:
    """Sensitivities on the base case's random numbers, the base row first."""
    T = _translator(lang)
    body: list[str] = []
    run = doc["run"]
    if sens is not None and sens["cases"]:
        body.append(f"<h2>{T('Sensitivities (same random numbers as the base case)')}</h2>")
        srows = []
        for t in sens["base"]["tranches"]:
            srows.append((T("base"), t["id"], grade(t["rating"], lang),
                          grade(t.get("rating_standalone"), lang),
                          rating_by_text(t),
                          grade(t.get("rating_joint_default"), lang),
                          estimate(t["default_probability"], t["default_probability_se"],
                                   run["paths"]), "",
                          estimate(t["expected_loss"], t["expected_loss_se"], run["paths"]),
                          ""))
        for c in sens["cases"]:
            for t in c["tranches"]:
                srows.append((c["name"], t["id"], grade(t["rating"], lang),
                              grade(t.get("rating_standalone"), lang),
                              rating_by_text(t),
                              grade(t.get("rating_joint_default"), lang),
                              estimate(t["default_probability"], t["default_probability_se"],
                                       run["paths"]),
                              _change(t["pd_change"], t["pd_change_se"]),
                              estimate(t["expected_loss"], t["expected_loss_se"],
                                       run["paths"]),
                              _change(t["el_change"], t["el_change_se"])))
        body.append(_table([T("case"), T("tranche"), T("rating"), T("standalone"),
                            T("rating by"), T("joint default"), T("default probability"),
                            T("change ± se"), T("expected loss"), T("EL change ± se")],
                           srows, left=2))
        body.append(_img(T("Sensitivities (same random numbers as the base case)"),
                         sensitivity_png(sens, lang)))
    return body


def _cashflow_section(cashflows, stressed, stress_label, lang) -> list[str]:
    """Cash flows with no defaults and under the stress."""
    T = _translator(lang)
    body: list[str] = []
    if cashflows is not None:
        body.append(f"<h2>{T('Cash flows')}</h2>")
        body.append("<p class='note'>" + html.escape(T(
            "Cash flows with no defaults and under a stress, period by period (in tables of "
            "eight periods).")) + "</p>")
        body += _cashflow_block(T("No defaults"), cashflows, lang)
        if stressed is not None:
            body += _cashflow_block(T("Stressed: {what}", what=stress_label or ""), stressed,
                                    lang)
    return body


def _assumption_section(scenario, doc, lang) -> list[str]:
    """The assumptions behind the numbers."""
    T = _translator(lang)
    body: list[str] = []
    body.append(f"<h2>{T('Assumptions')}</h2>")
    body.append(_table([T("item"), T("value")], assumptions(scenario, doc, lang), left=2))
    return body


def _page(name: str, text: str, lang: str) -> str:
    """The body ``text`` as a whole page titled ``name``: its font (CJK glyphs embedded)
    and print CSS; no name can reorder the page (bidi controls removed)."""
    text = no_bidi(text)
    font = font_face_css(text) if has_cjk(text) else ""
    head = (f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head>"
            f"<meta charset='utf-8'><title>{html.escape(name)}</title>"
            f"<style>{font}{_CSS % EMBEDDED_FAMILY}</style></head><body>")
    return no_bidi(head) + "\n" + text + "\n</body></html>"


def track_report(doc: dict, lang: str = "en") -> str:
    """A self-contained HTML page of tracking ratings, in tables drawn in the page's
    embedded font: each tranche's rating at closing and at each state side by side, where
    the deal stands at each (pool, tranches, reserve, support used and left), what moved
    each rating, and the plot."""
    def T(text, **kw):
        return tr(text, lang, **kw)

    states = doc["states"]
    heads = [state_heading(s, lang) for s in states]
    ids = [t["id"] for t in states[0]["tranches"] if t["rated"]]
    body = [f"<h1>{html.escape(doc['scenario'])}: {html.escape(T('tracking ratings'))}</h1>",
            "<p class='note'>" + html.escape(T(
                "{paths} paths, seed {seed}; rating by {method}, support convention "
                "{support}; every state on the same paths", paths=f"{doc['paths']:,}",
                seed=doc["seed"], method=doc["rating"]["method"],
                support=doc["rating"]["support"])) + "</p>",
            f"<h2>{html.escape(T('Ratings'))}</h2>"]
    rows = []
    for tid in ids:
        cells = [tid]
        for s in states:
            t = next(x for x in s["tranches"] if x["id"] == tid)
            cells.append(f"{grade(t['rating'], lang)} ({T('alone')} "
                         f"{grade(t.get('rating_standalone'), lang)})")
        rows.append(cells)
    body.append(_table([T("tranche"), *heads], rows))
    if all("position" in s for s in states):
        body.append(f"<h2>{html.escape(T('Where the deal stands'))}</h2>")
        body.append(_table([T("item"), *heads], _position_rows(states, lang), left=1))
    moved = [(s, tid, s["moved_by"][tid]) for s in states[1:] for tid in ids
             if tid in s.get("moved_by", {})]
    if moved:
        body.append(f"<h2>{html.escape(T('What moved each rating (notches, + up)'))}</h2>")
        body.append(_table([T("state"), T("tranche"), *(T(x.replace("_", " "))
                                                        for x in doc["attribution"]),
                            T("total")],
                           [[state_heading(s, lang), tid,
                             *(_signed(m["notches"][x]) for x in doc["attribution"]),
                             _signed(m["total"])] for s, tid, m in moved], left=2))
    body.append(_img(T("tracking ratings"), tracking_png(doc, lang)))
    return _page(f"{doc['scenario']}: {T('tracking ratings')}", "\n".join(body), lang)


def _signed(n) -> str:
    return "-" if n is None else f"{n:+d}"


def _position_rows(states, lang: str) -> list[list[str]]:
    """Rows of the position table: the pool, each tranche, the reserve and cash, each
    support's amount used and left."""
    def T(text, **kw):
        return tr(text, lang, **kw)

    pos = [s["position"] for s in states]
    rows = [[T("performing pool")] + [money(p["performing"]) for p in pos],
            [T("defaulted (exposure)")] + [money(p["defaulted"]) for p in pos],
            [T("recovered on defaults")] + [money(p["recovered"]) for p in pos]]
    for tid in pos[0]["tranches"]:
        rows.append([T("{tranche} balance", tranche=tid)]
                    + [money(p["tranches"][tid]["balance"]) for p in pos])
        if any(p["tranches"][tid]["arrears"] for p in pos):
            rows.append([T("{tranche} interest owed", tranche=tid)]
                        + [money(p["tranches"][tid]["arrears"]) for p in pos])
    rows.append([T("reserve")] + [money(p["reserve"]) for p in pos])
    rows.append([T("cash in the accounts")] + [money(p["cash"]) for p in pos])
    for sid in pos[0]["support"]:
        rows.append([T("{support} used / left", support=sid)]
                    + [f"{money(p['support'][sid]['used'])} / "
                       + ("-" if p["support"][sid]["left"] is None
                          else money(p["support"][sid]["left"])) for p in pos])
    return rows
