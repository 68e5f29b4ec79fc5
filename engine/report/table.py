"""The tranche table as a structurer reads it in a terminal."""
from __future__ import annotations


def _pct(x, se=None, digits=4) -> str:
    if x is None:
        return "-"
    s = f"{100 * x:.{digits}f}%"
    return s if se is None else f"{s} ± {100 * se:.{digits}f}%"


CONVENTION_TEXT = {
    "substitution": "credit substitution (market convention): rating = better of standalone "
                    "and support floor",
    "joint_default": "joint default: rating = full simulation with supporters as correlated "
                     "obligors",
}


def convention_line(doc: dict) -> str:
    """Which convention, method and table produced the grades."""
    r = doc.get("rating") or {}
    return (f"ratings: {CONVENTION_TEXT.get(r.get('support'), r.get('support'))}; method "
            f"{r.get('method')}, table {r.get('table')}")


def _grade(x) -> str:
    return "unrated" if x is None else x


def floor_text(floor) -> str:
    """``AA+sf (SC+SCG)`` or ``-``."""
    return "-" if not floor else f"{floor['rating']} ({'+'.join(floor['by'])})"


def _columns(rows: list[tuple]) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def tranche_table(doc: dict) -> str:
    """Fixed-width text of the result document's tranches and pool."""
    head = ("tranche", "balance", "rating", "95% range", "standalone", "support floor",
            "joint default", "default prob ± se", "expected loss ± se", "WAL (y) ± se")
    rows = [head]
    for t in doc["tranches"]:
        wal = "-" if t["wal_years"] is None else (
            f"{t['wal_years']:.3f} ± {t['wal_years_se'] or 0.0:.3f}")
        rated = t.get("rated", True)
        rows.append((
            t["id"], f"{t['balance']:,.0f}", _grade(t["rating"]),
            "..".join(t["rating_range"]) if rated else "-",
            _grade(t.get("rating_standalone")) if rated else "-",
            floor_text(t.get("support_floor")),
            _grade(t.get("rating_joint_default")) if rated else "-",
            _pct(t["default_probability"], t["default_probability_se"]),
            _pct(t["expected_loss"], t["expected_loss_se"]), wal))
    lines = [convention_line(doc)] + _columns(rows)
    if any("bdr" in t for t in doc["tranches"]):
        lines += ["", *bdr_lines(doc)]
    pool = doc["pool"]
    q = pool["default_rate_quantiles"]
    run = doc["run"]
    lines += [
        "",
        f"pool: balance {pool['balance']:,.0f}, expected default rate "
        f"{_pct(pool['expected_default_rate'], digits=3)}, expected loss rate (after collateral, "
        f"before support) {_pct(pool['expected_loss_rate'], digits=3)}",
        "pool default rate quantiles: " + ", ".join(f"{k}: {_pct(v, digits=2)}" for k, v in q.items()),
        f"{run['paths']:,} paths, seed {run['seed']}, method {run['method']}, "
        f"{run['elapsed_s']:.2f} s",
    ]
    return "\n".join(lines)


def bdr_lines(doc: dict) -> list[str]:
    """The TDR of each grade and each tranche's standalone BDR, governing stress, cushion."""
    tdr = doc["pool"].get("tdr", {})
    out = ["target default rates (TDR, pool WAL "
           f"{doc['pool'].get('wal_years', 0.0):.2f} y): "
           + ", ".join(f"{g} {_pct(v, digits=1)}" for g, v in tdr.items())]
    rows = [("tranche", "standalone grade", "BDR (no support)", "governing stress",
             "cushion (BDR - TDR)")]
    for t in doc["tranches"]:
        if "bdr" not in t:
            continue
        cushion = "-" if t.get("bdr_cushion") is None else _pct(t["bdr_cushion"], digits=2)
        rows.append((t["id"], _grade(t.get("rating_standalone")), _pct(t["bdr"], digits=2),
                     t.get("bdr_governing_stress", "-"), cushion))
    return out + _columns(rows)


def reliance_text(doc: dict) -> str:
    """Each tranche's rating without each support entry: what the rating rests on."""
    tranches = [t["id"] for t in doc["tranches"]]
    rows = [("without", "provider", *(f"{tid}: rating / joint default" for tid in tranches))]
    rows.append(("(nothing removed)", "", *(f"{_grade(t['rating'])} / "
                                             f"{_grade(t.get('rating_joint_default'))}"
                                             for t in doc["tranches"])))
    for r in doc.get("reliance") or []:
        rows.append(("+".join(r["removes"]), r["provider"] or "-",
                     *(f"{_grade(t['rating'])} / {_grade(t['rating_joint_default'])}"
                       for t in r["tranches"])))
    return "\n".join(["reliance on each support (same paths):", *_columns(rows)])


def cashflow_text(report) -> str:
    """The deterministic cash-flow table, periods as columns (rounded to whole units)."""
    frame = report.table.T
    lines = [frame.to_string(float_format=lambda x: f"{x:,.0f}")]
    summ = report.summary
    lines.append("")
    lines.append(f"pool default rate {100 * summ['pool_default_rate']:.2f}%, loss rate "
                 f"{100 * summ['pool_loss_rate']:.2f}% (after collateral, before support)"
                 + (f"; accelerated from period {summ['accelerated_from']}"
                    if summ["accelerated_from"] else ""))
    for t in summ["tranches"]:
        wal = "-" if t["wal_years"] is None else f"{t['wal_years']:.3f}"
        lines.append(f"{t['id']}: {'DEFAULTS' if t['defaulted'] else 'paid as promised'}, "
                     f"loss {100 * t['loss']:.4f}%, WAL {wal} y")
    return "\n".join(lines)


def sensitivity_text(doc: dict) -> str:
    """Base case and each sensitivity: rating, default probability and its change."""
    rows = [("case", "tranche", "rating", "standalone", "support floor", "joint default",
             "default prob", "change ± se", "expected loss", "change ± se")]

    def grades(t):
        return (_grade(t["rating"]), _grade(t.get("rating_standalone")),
                floor_text(t.get("support_floor")), _grade(t.get("rating_joint_default")))

    for t in doc["base"]["tranches"]:
        rows.append(("base", t["id"], *grades(t), f"{t['default_probability']:.3g}", "",
                     f"{t['expected_loss']:.3g}", ""))
    for case in doc["cases"]:
        for t in case["tranches"]:
            rows.append((case["name"], t["id"], *grades(t), f"{t['default_probability']:.3g}",
                         f"{t['pd_change']:+.3g} ± {t['pd_change_se']:.2g}",
                         f"{t['expected_loss']:.3g}",
                         f"{t['el_change']:+.3g} ± {t['el_change_se']:.2g}"))
    return "\n".join([convention_line(doc["base"]), *_columns(rows)])


def compare_text(doc: dict) -> str:
    """Designs side by side: each tranche's rating and default probability."""
    blocks = []
    for d in doc["designs"]:
        blocks.append(d["name"])
        blocks.append(tranche_table(d["result"]))
        blocks.append("")
    return "\n".join(blocks).rstrip()
