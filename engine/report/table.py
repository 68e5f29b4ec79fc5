"""The tranche table as a structurer reads it in a terminal."""
from __future__ import annotations


def _pct(x, se=None, digits=4) -> str:
    if x is None:
        return "-"
    s = f"{100 * x:.{digits}f}%"
    return s if se is None else f"{s} ± {100 * se:.{digits}f}%"


def tranche_table(doc: dict) -> str:
    """Fixed-width text of the result document's tranches and pool."""
    head = ("tranche", "balance", "rating", "95% range", "default prob ± se",
            "expected loss ± se", "WAL (y) ± se")
    rows = [head]
    for t in doc["tranches"]:
        wal = "-" if t["wal_years"] is None else (
            f"{t['wal_years']:.3f} ± {t['wal_years_se'] or 0.0:.3f}")
        rows.append((
            t["id"], f"{t['balance']:,.0f}", t["rating"], "..".join(t["rating_range"]),
            _pct(t["default_probability"], t["default_probability_se"]),
            _pct(t["expected_loss"], t["expected_loss_se"]), wal))
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
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
    rows = [("case", "tranche", "rating", "default prob", "change ± se", "expected loss",
             "change ± se")]
    for t in doc["base"]["tranches"]:
        rows.append(("base", t["id"], t["rating"], f"{t['default_probability']:.3g}", "",
                     f"{t['expected_loss']:.3g}", ""))
    for case in doc["cases"]:
        for t in case["tranches"]:
            rows.append((case["name"], t["id"], t["rating"], f"{t['default_probability']:.3g}",
                         f"{t['pd_change']:+.3g} ± {t['pd_change_se']:.2g}",
                         f"{t['expected_loss']:.3g}",
                         f"{t['el_change']:+.3g} ± {t['el_change_se']:.2g}"))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def compare_text(doc: dict) -> str:
    """Designs side by side: each tranche's rating and default probability."""
    blocks = []
    for d in doc["designs"]:
        blocks.append(d["name"])
        blocks.append(tranche_table(d["result"]))
        blocks.append("")
    return "\n".join(blocks).rstrip()
