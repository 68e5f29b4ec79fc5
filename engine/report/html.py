"""One self-contained HTML report of a run (images embedded as base64 PNG).

Sections: the deal, the tranche table with errors and rating ranges, the pool default-rate
distribution with each tranche's subordination and the grades' ideal default rates, the
default-timing profile, sensitivities (when run), TDR/BDR (when that is the method), and
the deterministic cash-flow table with no defaults.
"""
from __future__ import annotations

import base64
import html

import numpy as np

from engine.report.table import convention_line, floor_text
from engine.report.plots import distribution_png, sensitivity_png, timing_png
from engine.report.safe_text import no_bidi

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em;border-bottom:2px solid #1f4e79}h2{font-size:1.15em;color:#1f4e79;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#eef3f8}
td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.85em}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
"""


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _pm(x, se, digits=6) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}g}" + ("" if se is None else f" ± {se:.2g}")


def build_report(scenario, result, table, cashflows=None, sens: dict | None = None) -> str:
    """The report as one HTML string."""
    doc = result.to_dict()
    pool = doc["pool"]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
             f"{html.escape(scenario.name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(scenario.name)}</h1>"]
    run = doc["run"]
    parts.append(f"<p class='note'>{run['paths']:,} paths, seed {run['seed']}, method "
                 f"{run['method']}, rating method {scenario.rating.method}, engine "
                 f"{run['engine_version']}; scenario sha256 {doc['scenario']['sha256']}</p>")
    parts.append("<h2>The deal</h2>")
    parts.append(_table(["item", "value"], [
        ("currency", scenario.currency), ("payment frequency", scenario.payment_frequency),
        ("legal final (periods)", scenario.legal_final),
        ("pool balance", f"{pool['balance']:,.0f}"), ("assets", len(scenario.assets)),
        ("obligors", len(scenario.obligors)),
        ("credit support", ", ".join(f"{s.id} ({s.type}, {s.provider})"
                                     for s in scenario.credit_support) or "none"),
        ("triggers", ", ".join(t.id for t in scenario.triggers) or "none")]))
    parts.append("<h2>Tranches</h2>")
    parts.append(f"<p class='note'>{html.escape(convention_line(doc))}</p>")
    header = ["tranche", "balance", "rating", "95% range", "standalone", "support floor",
              "joint default", "default probability", "expected loss", "WAL (years)",
              "standalone default probability"]
    rows = []
    for t in doc["tranches"]:
        rated = t.get("rated", True)
        rows.append([t["id"], f"{t['balance']:,.0f}", t["rating"] or "unrated",
                     " .. ".join(t["rating_range"]) if rated else "-",
                     t.get("rating_standalone") or "-", floor_text(t.get("support_floor")),
                     t.get("rating_joint_default") or "-",
                     _pm(t["default_probability"], t["default_probability_se"]),
                     _pm(t["expected_loss"], t["expected_loss_se"]),
                     _pm(t["wal_years"], t["wal_years_se"], 4),
                     _pm(t.get("default_probability_standalone"),
                         t.get("default_probability_se_standalone"))])
    parts.append(_table(header, rows))
    if doc.get("reliance"):
        parts.append("<h2>Reliance on each support (same random numbers)</h2>")
        parts.append("<p class='note'>Each tranche's rating (by the convention above) and "
                     "joint-default rating with one support arrangement removed: what the "
                     "rating rests on.</p>")
        parts.append(_table(["without", "provider"] + [t["id"] for t in doc["tranches"]], [
            ["+".join(r["removes"]), r["provider"] or "-"]
            + [f"{x['rating'] or 'unrated'} / {x['rating_joint_default'] or '-'}"
               for x in r["tranches"]] for r in doc["reliance"]]))
    parts.append("<h2>Pool</h2>")
    q = pool["default_rate_quantiles"]
    parts.append(_table(["statistic", "value"], [
        ("expected default rate", _pm(pool["expected_default_rate"],
                                      pool["expected_default_rate_se"])),
        ("expected loss rate (after collateral, before support)",
         _pm(pool["expected_loss_rate"], pool["expected_loss_rate_se"])),
        *[(f"default rate quantile {k}", f"{v:.5f}") for k, v in q.items()],
        ("acceleration probability", f"{pool['acceleration_probability']:.5g}")]))
    parts.append(f"<img alt='pool default rate distribution' src='data:image/png;base64,"
                 f"{_b64(distribution_png(result, table))}'>")
    parts.append("<h2>Default timing</h2>")
    parts.append(f"<img alt='default timing' src='data:image/png;base64,{_b64(timing_png(doc))}'>")
    if doc["support"]:
        parts.append("<h2>Support</h2>")
        parts.append(_table(["support", "expected payment", "call probability"], [
            (s["id"], _pm(s["expected_payment"], s["expected_payment_se"]),
             f"{s['call_probability']:.5g}") for s in doc["support"]]))
    if doc.get("triggers"):
        parts.append("<h2>Triggers</h2>")
        parts.append(_table(["trigger", "fire probability", "mean period"], [
            (t["id"], f"{t['fire_probability']:.5g}",
             "-" if t["mean_fire_period"] is None else f"{t['mean_fire_period']:.2f}")
            for t in doc["triggers"]]))
    if "tdr" in pool:
        parts.append("<h2>TDR / BDR</h2>")
        parts.append("<p class='note'>Break-even default rates of the standalone structure "
                     "(no credit support); the grade is combined with the support floor by "
                     "the convention.</p>")
        parts.append(_table(["grade", "TDR"], [(g, f"{v:.5f}") for g, v in pool["tdr"].items()]))
        parts.append(_table(["tranche", "standalone grade", "BDR", "governing stress",
                             "cushion (BDR - TDR)"], [
            (t["id"], t.get("rating_standalone") or "-", f"{t['bdr']:.4f}",
             t["bdr_governing_stress"],
             "-" if t["bdr_cushion"] is None else f"{t['bdr_cushion']:.4f}")
            for t in doc["tranches"]]))
        names = list(doc["tranches"][0]["bdr_by_scenario"])
        parts.append(_table(["stress"] + [t["id"] for t in doc["tranches"]], [
            [n] + [f"{t['bdr_by_scenario'][n]:.4f}" for t in doc["tranches"]] for n in names]))
    if sens is not None and sens["cases"]:
        parts.append("<h2>Sensitivities (same random numbers as the base case)</h2>")
        srows = []
        for c in sens["cases"]:
            for t in c["tranches"]:
                srows.append((c["name"], t["id"], t["rating"] or "unrated",
                              t.get("rating_standalone") or "-",
                              floor_text(t.get("support_floor")),
                              t.get("rating_joint_default") or "-",
                              _pm(t["default_probability"], None),
                              _pm(t["pd_change"], t["pd_change_se"]),
                              _pm(t["el_change"], t["el_change_se"])))
        parts.append(_table(["case", "tranche", "rating", "standalone", "support floor",
                             "joint default", "default probability",
                             "change", "EL change"], srows))
        parts.append(f"<img alt='sensitivities' src='data:image/png;base64,"
                     f"{_b64(sensitivity_png(sens))}'>")
    if cashflows is not None:
        parts.append("<h2>Cash flows with no defaults</h2>")
        frame = cashflows.table
        parts.append(_table(["period"] + list(frame.columns), [
            [i] + [f"{v:,.0f}" if isinstance(v, (float, np.floating)) else str(v)
                   for v in row] for i, row in zip(frame.index, frame.itertuples(index=False))]))
    parts.append("</body></html>")
    return no_bidi("\n".join(parts))      # names cannot reorder what the page shows
