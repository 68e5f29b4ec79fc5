"""The tables a structurer reads in a terminal, in English or Chinese.

Columns are padded by *display width* (a Chinese character takes two terminal cells), so
rows such as 优先级 / 次级 line up with the header.
"""
from __future__ import annotations

import math

from wcwidth import wcswidth

from engine.notation import rating_by_text  # noqa: F401  (html.py reads it from here)
from engine.report.i18n import (
    estimate,
    grade,
    grade_range,
    money,
    num_pm,
    pct,
    pct_digits,
    pct_pm,
    se_decimals,
    state_heading,
    tr,
    warning_text,
)

CONVENTION_TEXT = {
    "substitution": "counterparty rule (market convention): rating = best of standalone and "
                    "each supporter grade's run, capped at that grade",
    "standalone": "standalone: rating = pool and structure alone, no credit support",
    "joint_default": "joint default: rating = full simulation with supporters as correlated "
                     "obligors",
}


def width(text: str) -> int:
    """Terminal cells ``text`` takes (CJK characters take two)."""
    w = wcswidth(text)
    return len(text) if w < 0 else w


def ljust(text: str, cells: int) -> str:
    """``text`` padded with spaces to ``cells`` terminal cells."""
    return text + " " * max(0, cells - width(text))


def rjust(text: str, cells: int) -> str:
    return " " * max(0, cells - width(text)) + text


def convention_line(doc: dict, lang: str = "en") -> str:
    """Which convention, method and table produced the grades."""
    r = doc.get("rating") or {}
    text = CONVENTION_TEXT.get(r.get("support"), r.get("support"))
    method, table = (tr(str(r.get(k)), lang) for k in ("method", "table"))
    return (f"{tr('ratings', lang)}: {tr(text, lang) if text else '-'}; {tr('method', lang)} "
            f"{method}, {tr('table', lang)} {table}")


def columns(rows: list[tuple], right: set[int] | None = None) -> list[str]:
    """Rows of cells as aligned lines (first row the header, a rule under it); columns in
    ``right`` are right-aligned (numbers)."""
    right = right or set()
    n = len(rows[0])
    widths = [max(width(str(r[c])) for r in rows) for c in range(n)]

    def line(r):
        return "  ".join((rjust if c in right else ljust)(str(cell), w)
                         for c, (cell, w) in enumerate(zip(r, widths))).rstrip()

    lines = [line(r) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


_columns = columns   # the old private name


def basis_lines(doc: dict, lang: str = "en") -> list[str]:
    """Under the tranche table of a deal with credit support: what its default probability
    and expected loss columns are (the joint-default run), and the standalone structure's
    (what the standalone grade rests on)."""
    if not doc.get("support"):
        return []
    paths, sep = doc["run"]["paths"], "；" if lang == "zh" else "; "
    shown = [f"{t['id']} "
             + " / ".join(estimate(t[f"{what}_standalone"], t[f"{what}_se_standalone"], paths)
                          for what in ("default_probability", "expected_loss"))
             for t in doc["tranches"]
             if t.get("rated", True) and "default_probability_standalone" in t]
    if not shown:
        return []
    return ["", tr("default prob and expected loss are the joint-default run's (each supporter "
                   "a correlated obligor that pays as documented until it defaults); without any "
                   "support (standalone): {rows}", lang, rows=sep.join(shown))]


def tranche_table(doc: dict, lang: str = "en") -> str:
    """Fixed-width text of the result document's tranches and pool."""
    head = tuple(tr(h, lang) for h in (
        "tranche", "balance", "rating", "95% range", "standalone", "rating by",
        "joint default", "default prob ± se", "expected loss ± se", "WAL (y) ± se"))
    rows = [head]
    paths = doc["run"]["paths"]
    for t in doc["tranches"]:
        rated = t.get("rated", True)
        rows.append((
            t["id"], money(t["balance"]), grade(t["rating"], lang),
            grade_range(t["rating_range"]) if rated else "-",
            grade(t.get("rating_standalone"), lang) if rated else "-",
            rating_by_text(t),
            grade(t.get("rating_joint_default"), lang) if rated else "-",
            estimate(t["default_probability"], t["default_probability_se"], paths),
            estimate(t["expected_loss"], t["expected_loss_se"], paths),
            num_pm(t["wal_years"], t.get("wal_years_se") or 0.0, 3)))
    lines = [convention_line(doc, lang)] + columns(rows, right={1, 7, 8, 9})
    lines += basis_lines(doc, lang)
    dated = [t for t in doc["tranches"] if t.get("legal_final_date")]
    if dated:
        lines.append(tr("expected / legal final dates", lang) + ": " + "; ".join(
            f"{t['id']} {t.get('expected_final_date') or '-'} / {t['legal_final_date']}"
            for t in dated))
    if any("bdr" in t for t in doc["tranches"]):
        lines += ["", *bdr_lines(doc, lang)]
    pool = doc["pool"]
    q = pool["default_rate_quantiles"]
    run = doc["run"]
    sep = "，" if lang == "zh" else ", "
    lines += [
        "",
        f"{tr('pool', lang)}: {tr('balance', lang)} {money(pool['balance'])}{sep}"
        f"{tr('expected default rate', lang)} {pct(pool['expected_default_rate'])}{sep}"
        f"{tr('expected loss rate (after collateral, before support)', lang)} "
        f"{pct(pool['expected_loss_rate'])}",
        f"{tr('pool default rate quantiles', lang)}: "
        + sep.join(f"{k}: {pct(v, 2)}{quantile_range(pool, k)}" for k, v in q.items()),
        f"{tr('paths', lang)} {run['paths']:,}{sep}{tr('seed', lang)} {run['seed']}{sep}"
        f"{tr('method', lang)} {tr(run['method'], lang)}{sep}{run['elapsed_s']:.2f} s",
        *sampling_lines(doc, lang),
    ]
    return "\n".join(lines)


def quantile_range(pool: dict, q: str) -> str:
    """`` [low, high]``: a pool quantile's 95% interval, when the document has one."""
    low_high = (pool.get("default_rate_quantiles_range") or {}).get(q)
    return f" [{pct(low_high[0], 2)}, {pct(low_high[1], 2)}]" if low_high else ""


def sampling_lines(doc: dict, lang: str = "en") -> list[str]:
    """Under importance sampling: the effective sample size of the run and the smallest of
    any estimate, then each sampling warning (nothing for plain Monte Carlo)."""
    run, diag = doc["run"], doc.get("diagnostics") or {}
    if run.get("method") != "importance" or "weights_effective_sample_size" not in diag:
        return []
    imp = run.get("importance") or {}
    ess = diag["weights_effective_sample_size"]
    line = tr("importance sampling: effective sample size {ess} of {paths} paths ({share})",
              lang, ess=f"{ess:,.0f}", paths=f"{run['paths']:,}",
              share=pct(ess / run["paths"], 1))
    if "defensive_share" in imp:
        line += ("，" if lang == "zh" else ", ") + tr("defensive share {share}", lang,
                                                     share=pct(imp["defensive_share"], 0))
    smallest = smallest_estimate_ess(doc)
    if smallest is not None:
        line += ("；" if lang == "zh" else "; ") + tr(
            "smallest per estimate {ess} ({what})", lang, ess=f"{smallest[0]:,.0f}",
            what=smallest[1])
    return [line] + [tr("warning: {message}", lang, message=warning_text(m, lang))
                     for m in diag.get("sampling_warnings") or []]


def smallest_estimate_ess(doc: dict) -> tuple[float, str] | None:
    """The smallest effective sample size of a non-zero tranche or pool estimate, and what it
    belongs to."""
    items = [(t["default_probability_ess"], f"{t['id']} PD") for t in doc["tranches"]
             if t.get("default_probability") and "default_probability_ess" in t]
    pool = doc["pool"]
    items += [(ess, f"q{q}") for q, ess in (pool.get("default_rate_quantiles_ess") or {}).items()
              if pool["default_rate_quantiles"].get(q)]
    return min(items) if items else None


def bdr_lines(doc: dict, lang: str = "en") -> list[str]:
    """The TDR of each grade and each tranche's standalone BDR, governing stress, cushion."""
    tdr = doc["pool"].get("tdr", {})
    out = [tr("target default rates (TDR, pool WAL {wal} y)", lang,
              wal=f"{doc['pool'].get('wal_years', 0.0):.2f}") + ": "
           + ", ".join(f"{g} {pct(v, 1)}" for g, v in tdr.items())]
    rows = [tuple(tr(h, lang) for h in ("tranche", "standalone grade", "BDR (no support)",
                                         "governing stress", "cushion (BDR - TDR)"))]
    for t in doc["tranches"]:
        if "bdr" not in t:
            continue
        cushion = "-" if t.get("bdr_cushion") is None else pct(t["bdr_cushion"], 2)
        rows.append((t["id"], grade(t.get("rating_standalone"), lang), pct(t["bdr"], 2),
                     t.get("bdr_governing_stress", "-"), cushion))
    return out + columns(rows, right={2, 4})


LADDER_NOTE = ("How the rating was reached (the agencies' counterparty rule): at each supporter "
               "grade, the supporters rated at it or better pay exactly as the documents say "
               "(share, cap, lag, capacity) and never default, every other supporter is "
               "defaulted from the start; each run's grade counts up to that grade. The rating "
               "is the best of the standalone grade and those.")


def ladder_rows(doc: dict, lang: str = "en") -> list[tuple]:
    """The support ladder as a table: per tranche the standalone grade, each run's default
    probability and the grade it lends, the rating and what it rests on (header first)."""
    steps = next((t.get("support_ladder") for t in doc["tranches"] if t.get("support_ladder")),
                 None) or []
    head = (tr("tranche", lang), tr("standalone", lang),
            *(f"{s['grade']}: {'+'.join(s['supporters'])}" for s in steps),
            tr("rating", lang), tr("rating by", lang))
    rows = [head]
    paths = doc["run"]["paths"]
    for t in doc["tranches"]:
        rated = t.get("rated", True)
        cells = [f"{estimate(s['default_probability'], s['default_probability_se'], paths)}"
                 + (f" → {grade(s['rating'], lang)}" if rated else "")
                 for s in t.get("support_ladder") or []]
        rows.append((t["id"], grade(t.get("rating_standalone"), lang) if rated else "-",
                     *cells, grade(t["rating"], lang) if rated else "-", rating_by_text(t)))
    return rows


def ladder_text(doc: dict, lang: str = "en") -> str:
    """The support ladder under the tranche table, with the warnings (empty without
    supporters and warnings)."""
    lines = []
    if any(t.get("support_ladder") for t in doc["tranches"]):
        lines += [tr(LADDER_NOTE, lang), *columns(ladder_rows(doc, lang))]
    for message in doc.get("warnings") or []:
        lines.append(f"{tr('warning', lang)}: {warning_text(message, lang)}")
    return "\n".join(lines)


def reliance_text(doc: dict, lang: str = "en") -> str:
    """Each tranche's rating without each support entry: what the rating rests on."""
    tranches = [t["id"] for t in doc["tranches"]]
    rows = [(tr("without", lang), tr("provider", lang),
             *(f"{tid}: {tr('rating / joint default', lang)}" for tid in tranches))]
    rows.append((tr("(nothing removed)", lang), "",
                 *(f"{grade(t['rating'], lang)} / {grade(t.get('rating_joint_default'), lang)}"
                   for t in doc["tranches"])))
    for r in doc.get("reliance") or []:
        rows.append(("+".join(r["removes"]), r["provider"] or "-",
                     *(f"{grade(t['rating'], lang)} / {grade(t['rating_joint_default'], lang)}"
                       + (f" ({'+'.join(t['rating_by'])})" if t.get("rating_by") else "")
                       for t in r["tranches"])))
    return "\n".join([tr("reliance on each support (same paths; rating / joint default, and "
                         "the supporters the rating rests on):", lang), *columns(rows)])


def cashflow_column(name: str, lang: str = "en") -> str:
    """A cash-flow row's label in ``lang``: ``A:interest_paid`` -> ``A: interest paid``
    (``A:实付利息``); ``interest_collections`` -> ``interest collections``."""
    if lang != "zh":
        head, sep, tail = name.partition(":")
        if not sep:
            return name.replace("_", " ")
        if head in ("support", "fee", "reimbursed"):
            return f"{head}: {tail}"
        return f"{head}: {tail.replace('_', ' ')}"
    head, sep, tail = name.partition(":")
    if not sep:
        return tr(name, lang)
    if head in ("support", "fee", "reimbursed"):
        return f"{tr(head, lang)}:{tail}"
    return f"{head}:{tr(tail, lang)}"


def cashflow_rows(table, lang: str = "en") -> list[tuple]:
    """The cash-flow table transposed (one row per item, one column per period), amounts
    rounded to whole units."""
    rows = [(tr("period", lang), *(str(p) for p in table.index))]
    for col in table.columns:
        values = table[col].tolist()
        if col == "accelerated":
            cells = [tr("yes" if v else "no", lang) for v in values]
        elif col == "date":
            cells = [str(v) for v in values]
        else:
            cells = [money(v) for v in values]
        rows.append((cashflow_column(col, lang), *cells))
    return rows


def cashflow_summary_lines(summary: dict, lang: str = "en") -> list[str]:
    """What one deterministic run means for the pool and each tranche."""
    acc = summary.get("accelerated_from")
    lines = [f"{tr('pool default rate', lang)} {pct(summary['pool_default_rate'], 2)}, "
             f"{tr('loss rate', lang)} {pct(summary['pool_loss_rate'], 2)} "
             f"{tr('(after collateral, before support)', lang)}"
             + (f"; {tr('accelerated from period {n}', lang, n=acc)}" if acc else "")]
    for t in summary["tranches"]:
        wal = "-" if t["wal_years"] is None else f"{t['wal_years']:.3f}"
        lines.append(f"{t['id']}: {tr('DEFAULTS' if t['defaulted'] else 'paid as promised', lang)}"
                     f", {tr('loss', lang)} {pct(t['loss'], 4)}, {tr('WAL', lang)} {wal} "
                     f"{tr('y', lang)}")
    return lines


def cashflow_text(report, lang: str = "en") -> str:
    """The deterministic cash-flow table, periods as columns (rounded to whole units)."""
    rows = cashflow_rows(report.table, lang)
    lines = columns(rows, right=set(range(1, len(rows[0]))))
    return "\n".join([*lines, "", *cashflow_summary_lines(report.summary, lang)])


def _change(x, se) -> str:
    """A paired change in percentage points with its standard error."""
    if x is None:
        return "-"
    if se is None or not math.isfinite(se) or se <= 0:
        return f"{100.0 * x:+.{pct_digits(x)}f}%" if x else "0"
    d = se_decimals(se)
    return f"{100.0 * x:+.{d}f}% ± {100.0 * se:.{d}f}%"


def sensitivity_text(doc: dict, lang: str = "en") -> str:
    """Base case and each sensitivity: rating, default probability and its change."""
    rows = [tuple(tr(h, lang) for h in (
        "case", "tranche", "rating", "standalone", "rating by", "joint default",
        "default probability", "change ± se", "expected loss", "EL change ± se"))]

    def grades(t):      # an unrated tranche: its rating says so, the other grades "-"
        if not t.get("rated", True):
            return grade(None, lang), "-", "-", "-"
        return (grade(t["rating"], lang), grade(t.get("rating_standalone"), lang),
                rating_by_text(t), grade(t.get("rating_joint_default"), lang))

    paths = doc["base"]["run"]["paths"]
    for t in doc["base"]["tranches"]:
        rows.append((tr("base", lang), t["id"], *grades(t),
                     estimate(t["default_probability"], None, paths), "",
                     estimate(t["expected_loss"], None, paths), ""))
    for case in doc["cases"]:
        for t in case["tranches"]:
            rows.append((case["name"], t["id"], *grades(t),
                         estimate(t["default_probability"], None, paths),
                         _change(t["pd_change"], t["pd_change_se"]),
                         estimate(t["expected_loss"], None, paths),
                         _change(t["el_change"], t["el_change_se"])))
    return "\n".join([convention_line(doc["base"], lang), *columns(rows, right={6, 7, 8, 9})])


def compare_rows(doc: dict, lang: str = "en") -> tuple[list[str], list[tuple]]:
    """The legend (``[1] name``) and one table: rows per tranche and measure, a column per
    design, with each design's paired difference against the first."""
    designs = doc["designs"]
    legend = [f"[{i + 1}] {d['name']}" for i, d in enumerate(designs)]
    diffs = {d["design"]: {t["id"]: t for t in d["tranches"]}
             for d in doc.get("differences", [])}
    ids: list[str] = []
    for d in designs:
        ids += [t["id"] for t in d["result"]["tranches"] if t["id"] not in ids]
    paths = doc.get("paths")
    head = (tr("tranche", lang), "", *(f"[{i + 1}]" for i in range(len(designs))))
    rows = [head]
    first = "[1]"
    measures = (
        ("balance", lambda t, d: money(t["balance"])),
        ("rating", lambda t, d: grade(t["rating"], lang)),
        ("standalone", lambda t, d: grade(t.get("rating_standalone"), lang)),
        ("rating by", lambda t, d: rating_by_text(t)),
        ("joint default", lambda t, d: grade(t.get("rating_joint_default"), lang)),
        ("default probability", lambda t, d: estimate(t["default_probability"],
                                                       t["default_probability_se"], paths)),
        ("Δ default probability", lambda t, d: "" if d is None
         else _change(d["pd_change"], d["pd_change_se"])),
        ("expected loss", lambda t, d: estimate(t["expected_loss"], t["expected_loss_se"],
                                                 paths)),
        ("Δ expected loss", lambda t, d: "" if d is None
         else _change(d["el_change"], d["el_change_se"])),
        ("WAL (years)", lambda t, d: num_pm(t["wal_years"], t.get("wal_years_se"), 3)),
    )
    for tid in ids:
        for key, cell in measures:
            label = tr(key, lang) if not key.startswith("Δ") else \
                f"Δ {tr(key[2:], lang)} {tr('vs', lang)} {first}"
            out = []
            for i, d in enumerate(designs):
                t = next((x for x in d["result"]["tranches"] if x["id"] == tid), None)
                diff = diffs.get(i, {}).get(tid) if i > 0 else None
                if t is None:
                    out.append("-")
                elif key.startswith("Δ") and i == 0:
                    out.append("")
                else:
                    out.append(cell(t, diff) or "-")
            rows.append((tid, label, *out))
    return legend, rows


def compare_text(doc: dict, lang: str = "en") -> str:
    """Designs side by side on the same paths, with paired differences against the first."""
    legend, rows = compare_rows(doc, lang)
    note = tr("designs on the same {paths} paths, seed {seed}; differences are paired (same "
              "paths), each with its own standard error", lang,
              paths=f"{doc.get('paths', 0):,}", seed=doc.get("seed"))
    return "\n".join([*legend, note, convention_line(doc["designs"][0]["result"], lang),
                      *columns(rows, right=set(range(2, len(rows[0]))))])


def _nice_unit(step: float) -> float:
    """The power of ten at or below ``step`` (at least 1)."""
    return 10.0 ** max(0, math.floor(math.log10(step))) if step > 0 else 1.0


def probability_text(p, se, paths: int | None, lang: str = "en") -> str:
    """``0.0123% ± 0.0021%``, or for a probability estimated as zero, the bound it rests on
    (rule of three: fewer than 3/n at 95% confidence) rather than ``0 ± 0``."""
    if p == 0 and paths:
        return tr("no defaulting path in {paths} paths (below {bound} at 95% confidence)",
                  lang, paths=f"{paths:,}", bound=pct(3.0 / paths))
    return pct_pm(p, se)


def size_text(doc: dict, lang: str = "en") -> str:
    """The sizing answer: the balance found (rounded down to the search's resolution), the
    bracket it was found in, and the tranche's ratings and default probability there."""
    unit = _nice_unit(doc.get("resolution") or 1.0)
    balance = math.floor(doc["balance"] / unit) * unit
    a = doc["achieved"]
    lines = [convention_line(doc, lang),
             tr("{tranche} earns {target} or better up to a balance of {balance} ({share} of "
                "the pool)", lang, tranche=doc["tranche"], target=doc["target"],
                balance=money(balance), share=pct(doc["share_of_pool"], 2))]
    lo, hi = (doc.get("bracket") or [doc["balance"], None])
    if hi is not None:
        lines.append(tr("searched to within {step}: {ok} earns it, {bad} does not", lang,
                        step=money(doc["resolution"]), ok=money(math.floor(lo / unit) * unit),
                        bad=money(math.ceil(hi / unit) * unit)))
    rows = [tuple(tr(h, lang) for h in ("tranche", "balance", "rating", "95% range",
                                         "standalone", "rating by", "joint default",
                                         "default probability", "expected loss"))]
    rows.append((doc["tranche"], money(balance), grade(a["rating"], lang),
                 grade_range(a.get("rating_range")), grade(a.get("rating_standalone"), lang),
                 rating_by_text(a), grade(a.get("rating_joint_default"), lang),
                 estimate(a["default_probability"], a["default_probability_se"],
                          doc.get("paths")),
                 estimate(a["expected_loss"], a["expected_loss_se"], doc.get("paths"))))
    lines += columns(rows, right={1})
    if a["default_probability"] == 0 and doc.get("paths"):
        lines.append(probability_text(0.0, 0.0, doc["paths"], lang))
    lines += standalone_size_lines(doc, lang, unit)
    return "\n".join(lines)


def standalone_size_lines(doc: dict, lang: str, unit: float) -> list[str]:
    """Under substitution: whether the support carries the target at any size, and what
    the pool and structure carry alone (the size a structurer negotiates)."""
    if "standalone" not in doc:
        return []
    lines = []
    if doc.get("support_carries_any_size"):
        lines.append(tr("the support carries {target} at any size of {tranche} (up to the "
                        "whole of it and the tranche below): the size rests on the "
                        "supporters, not on the pool", lang, target=doc["target"],
                        tranche=doc["tranche"]))
    alone = doc["standalone"]
    if alone is None:
        lines.append(tr("without credit support {tranche} does not earn {target} at any size",
                        lang, tranche=doc["tranche"], target=doc["target"]))
    else:
        lines.append(tr("without credit support (the pool and structure alone) {tranche} "
                        "earns {target} up to {balance} ({share} of the pool)", lang,
                        tranche=doc["tranche"], target=doc["target"],
                        balance=money(math.floor(alone["balance"] / unit) * unit),
                        share=pct(alone["share_of_pool"], 2)))
    return lines


def track_text(doc: dict, lang: str = "en") -> str:
    """The ``ipabs-track/v1`` document: each tranche's rating at closing and at each state,
    then what moved it (notches, + an upgrade) by step."""
    states = doc["states"]
    ids = [t["id"] for t in states[0]["tranches"] if t["rated"]]
    steps = [tr(s.replace("_", " "), lang) for s in doc["attribution"]]
    head = (tr("tranche", lang),) + tuple(
        state_heading(s, lang) for s in states)
    rows = [head]
    for tid in ids:
        cells = [tid]
        for s in states:
            t = next(x for x in s["tranches"] if x["id"] == tid)
            cells.append(tr("{rating} (alone {alone})", lang, rating=t["rating"],
                            alone=t["rating_standalone"]))
        rows.append(tuple(cells))
    lines = columns(rows)
    lines += ["", tr("the rating by the scenario's convention (the standalone structure's in "
                     "brackets)", lang)]
    lines += ["", tr("what moved it (notches, + up; each step re-rated on the same paths: "
                     "{steps})", lang, steps=tr(", then ", lang).join(steps))]
    moved = [(tr("state", lang), tr("tranche", lang)) + tuple(steps)
             + (tr("total", lang), tr("standalone by step", lang))]

    def signed(n):
        return "-" if n is None else f"{n:+d}"

    for s in states[1:]:
        for tid, m in s["moved_by"].items():
            alone = "/".join(signed(m["standalone_notches"][k]) for k in doc["attribution"])
            moved.append((s["label"], tid) + tuple(signed(m["notches"][k])
                                                   for k in doc["attribution"])
                         + (signed(m["total"]), alone))
    lines += columns(moved, right=set(range(2, len(moved[0]) - 1)))
    return "\n".join(lines)


def _value_text(value) -> str:
    """A design's value as a structurer reads it: amounts with separators."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1000:
        return money(value)
    return str(value)


def sweep_text(doc: dict, lang: str = "en") -> str:
    """The ``ipabs-sweep/v1`` document: one row per design and rated tranche, the design's
    changes first, its costs last."""
    paths = doc["paths"]
    keys = list(doc["vary"])
    head = (tr("design", lang), *keys, tr("tranche", lang), tr("rating", lang),
            tr("standalone", lang), tr("joint default", lang), tr("rating by", lang),
            tr("default probability", lang), tr("expected loss", lang),
            tr("all-in cost", lang), tr("excess spread", lang),
            tr("subordinated expected loss", lang))
    rows = [head]
    for n, d in enumerate(doc["designs"]):
        cost = d["cost"]
        subs = ", ".join(pct(v, 2) for v in cost["subordinated_expected_loss"].values()) or "-"
        for t in d["tranches"]:
            if not t.get("rated", True):
                continue
            rows.append((str(n + 1), *(_value_text(d["changes"][k]) for k in keys), t["id"],
                         grade(t["rating"], lang), grade(t.get("rating_standalone"), lang),
                         grade(t.get("rating_joint_default"), lang), rating_by_text(t),
                         estimate(t["default_probability"], t["default_probability_se"], paths),
                         estimate(t["expected_loss"], t["expected_loss_se"], paths),
                         pct(cost["all_in"], 2), pct(cost["excess_spread"], 2), subs))
    lines = [convention_line(doc, lang),
             tr("designs on the same {paths} paths, seed {seed}; all-in cost = notes' coupon "
                "+ fees + support fees a year, over the pool", lang,
                paths=f"{paths:,}", seed=doc["seed"])]
    return "\n".join(lines + columns(rows, right=set(range(len(keys) + 6, len(head)))))
