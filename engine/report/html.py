"""One self-contained HTML report of a run (images embedded as base64 PNG).

Sections: the deal, the tranche table with errors and rating ranges, the pool default-rate
distribution with each tranche's subordination and the grades' ideal default rates, the
default-timing profile, sensitivities (when run), TDR/BDR (when that is the method), and
the deterministic cash-flow table with no defaults.
"""
from __future__ import annotations

import base64
import html
import io

import numpy as np

GRADES_SHOWN = ("AAAsf", "AA+sf", "AAsf", "Asf", "BBBsf")

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em;border-bottom:2px solid #1f4e79}h2{font-size:1.15em;color:#1f4e79;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#eef3f8}
td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.85em}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def distribution_figure(result, table) -> str:
    """Exceedance curve of the pool default rate, subordinations and grades' ideal PDs."""
    plt = _plt()
    rates, probs = (np.asarray(a, dtype=float) for a in result.default_rate_distribution)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if len(rates):
        ax.step(rates * 100, 1.0 - np.cumsum(probs) + probs, where="post", color="#1f4e79",
                label="P(pool default rate ≥ x)")
    ax.set_yscale("log")
    for tid, attach in result.attachment.items():
        if attach > 0:
            ax.axvline(attach * 100, color="#c00000", ls="--", lw=1)
            ax.annotate(f"{tid} attaches", (attach * 100, 0.55), rotation=90, fontsize=8,
                        xycoords=("data", "axes fraction"), ha="right", color="#c00000")
    for grade in GRADES_SHOWN:
        p = float(table.sf_threshold(grade, 1.0))
        ax.axhline(p, color="#888", lw=0.8, ls=":")
        ax.annotate(f"{grade} 1y ideal PD", (0.99, p), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=7, color="#555")
    ax.set_xlabel("cumulative pool default rate (% of balance)")
    ax.set_ylabel("probability of exceeding")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return _png(fig)


def timing_figure(doc: dict) -> str:
    """Expected share of the pool defaulting in each period."""
    plt = _plt()
    timing = doc["pool"].get("default_timing", [])
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(np.arange(1, len(timing) + 1), np.asarray(timing) * 100, color="#5b8fbf")
    ax.set_xlabel("period")
    ax.set_ylabel("expected default (% of pool)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return _png(fig)


def sensitivity_figure(sens: dict) -> str:
    """Default probability of the most senior tranche, base case and each sensitivity."""
    plt = _plt()
    names = ["base"] + [c["name"] for c in sens["cases"]]
    rows = [sens["base"]["tranches"][0]] + [c["tranches"][0] for c in sens["cases"]]
    pds = np.array([max(r["default_probability"], 1e-7) for r in rows])
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(names) + 1.2))
    ax.barh(names[::-1], pds[::-1], color="#5b8fbf")
    ax.set_xscale("log")
    for y, r in enumerate(rows[::-1]):
        ax.annotate(f" {r['rating']}", (pds[::-1][y], y), va="center", fontsize=8)
    ax.set_xlabel(f"default probability of {rows[0]['id']} (log scale)")
    fig.tight_layout()
    return _png(fig)


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
    header = ["tranche", "balance", "rating", "95% range", "default probability",
              "expected loss", "WAL (years)"]
    has_bdr = any("bdr" in t for t in doc["tranches"])
    if has_bdr:
        header.append("BDR")
    rows = []
    for t in doc["tranches"]:
        row = [t["id"], f"{t['balance']:,.0f}", t["rating"], " .. ".join(t["rating_range"]),
               _pm(t["default_probability"], t["default_probability_se"]),
               _pm(t["expected_loss"], t["expected_loss_se"]),
               _pm(t["wal_years"], t["wal_years_se"], 4)]
        if has_bdr:
            row.append(f"{t['bdr']:.4f}")
        rows.append(row)
    parts.append(_table(header, rows))
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
                 f"{distribution_figure(result, table)}'>")
    parts.append("<h2>Default timing</h2>")
    parts.append(f"<img alt='default timing' src='data:image/png;base64,{timing_figure(doc)}'>")
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
        parts.append(_table(["grade", "TDR"], [(g, f"{v:.5f}") for g, v in pool["tdr"].items()]))
        names = list(doc["tranches"][0]["bdr_by_scenario"])
        parts.append(_table(["stress"] + [t["id"] for t in doc["tranches"]], [
            [n] + [f"{t['bdr_by_scenario'][n]:.4f}" for t in doc["tranches"]] for n in names]))
    if sens is not None and sens["cases"]:
        parts.append("<h2>Sensitivities (same random numbers as the base case)</h2>")
        srows = []
        for c in sens["cases"]:
            for t in c["tranches"]:
                srows.append((c["name"], t["id"], t["rating"], _pm(t["default_probability"], None),
                              _pm(t["pd_change"], t["pd_change_se"]),
                              _pm(t["el_change"], t["el_change_se"])))
        parts.append(_table(["case", "tranche", "rating", "default probability",
                             "change", "EL change"], srows))
        parts.append(f"<img alt='sensitivities' src='data:image/png;base64,"
                     f"{sensitivity_figure(sens)}'>")
    if cashflows is not None:
        parts.append("<h2>Cash flows with no defaults</h2>")
        frame = cashflows.table
        parts.append(_table(["period"] + list(frame.columns), [
            [i] + [f"{v:,.0f}" if isinstance(v, (float, np.floating)) else str(v)
                   for v in row] for i, row in zip(frame.index, frame.itertuples(index=False))]))
    parts.append("</body></html>")
    return "\n".join(parts)
