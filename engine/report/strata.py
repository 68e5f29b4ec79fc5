"""Pool stratification: what a credit committee reads first. The pool by industry, region,
borrower grade, IP type, appraisal coverage and pledgee, and its largest obligors, as one
flat table (``dimension``, ``group``, counts, balance and share) read straight from the
scenario (a tracked deal's closing pool)."""
from __future__ import annotations

from collections import defaultdict

import pandas as pd

from engine.report.i18n import tr
from engine.report.i18n import column_label, money, pct

#: Appraisal coverage bands: appraised value of the IP pledged to the pool over the loan.
COVERAGE_BANDS = ((0.0, "none"), (0.5, "below 0.5x"), (1.0, "0.5x to 1x"), (2.0, "1x to 2x"),
                  (3.0, "2x to 3x"), (float("inf"), "3x and above"))
LARGEST = 10


def _band(ratio: float) -> str:
    if ratio <= 0.0:
        return "none"
    for upper, label in COVERAGE_BANDS[1:]:
        if ratio < upper:
            return label
    return COVERAGE_BANDS[-1][1]


def _grade(ob) -> str:
    if ob.rating is not None:
        return ob.rating
    if ob.pd.annual is not None:
        return f"PD {100 * ob.pd.annual:.1f}%"
    return "PD curve"


def stratification(scenario, lang: str = "en") -> pd.DataFrame:
    """One row per (dimension, group): ``obligors``, ``loans``, ``balance`` and ``share``
    of the pool balance (IP type and pledgee: ``items`` and ``appraised_value`` with its
    share of all appraised value). Groups are listed by balance, largest first."""
    obligors = {o.id: o for o in scenario.obligors}
    coll = {c.id: c for c in scenario.collateral}
    pool = sum(a.balance for a in scenario.assets) or 1.0
    rows = []

    def by(dimension: str, key) -> None:
        groups: dict = defaultdict(lambda: [set(), 0, 0.0])
        for a in scenario.assets:
            g = groups[key(a)]
            g[0].add(a.obligor)
            g[1] += 1
            g[2] += a.balance
        for name, (obs, loans, bal) in sorted(groups.items(), key=lambda x: -x[1][2]):
            rows.append({"dimension": tr(dimension, lang), "group": name,
                         "obligors": len(obs), "loans": loans, "balance": bal,
                         "share": bal / pool})

    none = tr("not given", lang)
    by("industry", lambda a: obligors[a.obligor].industry or none)
    by("region", lambda a: obligors[a.obligor].region or none)
    by("borrower grade", lambda a: _grade(obligors[a.obligor]))

    def coverage(a) -> str:
        value = sum(coll[c].appraised_value for c in a.collateral if coll[c].pledgee == "pool")
        return tr(_band(value / a.balance), lang)

    by("appraisal coverage (IP pledged to the pool / loan)", coverage)
    total_value = sum(c.appraised_value for c in scenario.collateral) or 1.0
    for dimension, key in (("IP type", lambda c: tr(c.type, lang)),
                           ("pledgee", lambda c: tr(f"pledged to the {c.pledgee}", lang))):
        groups: dict = defaultdict(lambda: [0, 0.0])
        for c in scenario.collateral:
            groups[key(c)][0] += 1
            groups[key(c)][1] += c.appraised_value
        for name, (items, value) in sorted(groups.items(), key=lambda x: -x[1][1]):
            rows.append({"dimension": tr(dimension, lang), "group": name, "items": items,
                         "appraised_value": value, "share": value / total_value})
    per_obligor: dict = defaultdict(float)
    for a in scenario.assets:
        per_obligor[a.obligor] += a.balance
    for oid, bal in sorted(per_obligor.items(), key=lambda x: (-x[1], x[0]))[:LARGEST]:
        ob = obligors[oid]
        rows.append({"dimension": tr("largest obligors", lang), "group": oid,
                     "grade": _grade(ob), "industry": ob.industry or none,
                     "balance": bal, "share": bal / pool})
    columns = ["dimension", "group", "obligors", "loans", "items", "balance",
               "appraised_value", "share", "grade", "industry"]
    frame = pd.DataFrame([[r.get(c) for c in columns] for r in rows], columns=columns,
                         dtype=object)            # counts stay whole numbers
    return frame


def strata_tables(frame: pd.DataFrame, lang: str = "en") -> list[tuple[str, list, list]]:
    """The stratification as ``(dimension, header, rows)`` tables for a page: each
    dimension with the columns it fills, amounts with separators, shares in percent."""
    out = []
    for dim, part in frame.groupby("dimension", sort=False):
        cols = [c for c in frame.columns[1:] if part[c].notna().any()]
        rows = []
        for _, r in part.iterrows():
            cells = []
            for c in cols:
                v = r[c]
                if pd.isna(v):
                    cells.append("-")
                elif c == "share":
                    cells.append(pct(float(v), 1))
                elif c in ("balance", "appraised_value"):
                    cells.append(money(float(v)))
                else:
                    cells.append(str(v))
            rows.append(cells)
        out.append((dim, [column_label(c, lang) for c in cols], rows))
    return out


def industry_shares(scenario) -> list[tuple[str, float]]:
    """``(industry, share of the pool)``, largest first (for the chart)."""
    obligors = {o.id: o for o in scenario.obligors}
    pool = sum(a.balance for a in scenario.assets) or 1.0
    out: dict = defaultdict(float)
    for a in scenario.assets:
        out[obligors[a.obligor].industry or "-"] += a.balance / pool
    return sorted(out.items(), key=lambda x: -x[1])
