"""The tables of a run as spreadsheets: CSV files Excel opens as they are, and one ``.xlsx``
workbook.

CSV: UTF-8 with a byte-order mark (so Excel on a Chinese Windows reads 优先级, not mojibake),
amounts rounded to cents, other numbers to ten significant digits (no
``64156.799999999996``), rating ranges as ``AAAsf..AA+sf``, lists as ``a; b; c``.

Workbook (``report.xlsx``): the same tables, one sheet each (tranches, pool, support,
obligors, reliance, sensitivities, cash flows with no defaults and stressed, assumptions),
with fractions formatted as percentages and amounts with thousands separators. Cells hold
the numbers themselves, so the sheet computes with them.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from engine.report.i18n import column_label
from engine.report.safe_text import csv_safe, xlsx_text
from engine.report.table import width

#: Columns holding amounts of money (rounded to cents, shown as ``#,##0.00``).
MONEY_COLUMNS = {"balance", "expected_payment", "expected_payment_se", "expected_reimbursement",
                 "expected_net_cost", "capacity", "appraised_value", "amount"}
#: Column names (or parts) holding fractions, shown as percentages in the workbook.
FRACTION_MARKS = ("probability", "expected_loss", "_rate", "rate_q", "coupon", "share",
                  "bdr", "tdr", "cushion", "pd_change", "el_change", "timing", "loss")
#: Columns that are neither money nor fractions though their names look like one.
PLAIN_COLUMNS = {"wal_years", "wal_years_se", "paths", "seed", "period", "mean_fire_period",
                 "weights_effective_sample_size", "max_cash_error"}

CSV_ENCODING = "utf-8-sig"


def clean_number(x, money: bool = False):
    """``x`` without float noise: money to cents, anything else to 10 significant digits."""
    if isinstance(x, bool) or not isinstance(x, float):
        return x
    if not math.isfinite(x):
        return None
    if money:
        return round(x, 2) + 0.0
    return float(f"{x:.10g}")


def _cell(value, money: bool = False):
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and all(isinstance(v, str) and v.endswith("sf") for v in value):
            return "..".join(value)
        return "; ".join(str(clean_number(v, money)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {clean_number(v, money)}" for k, v in value.items())
    return clean_number(value, money)


def is_money(column: str) -> bool:
    return column in MONEY_COLUMNS or column.split(":")[-1] in MONEY_COLUMNS


def is_fraction(column: str) -> bool:
    if column in PLAIN_COLUMNS or is_money(column) or column.endswith("_ess"):
        return False
    return any(mark in column for mark in FRACTION_MARKS)


def clean_frame(frame: pd.DataFrame, all_money: bool = False) -> pd.DataFrame:
    """Every cell readable: lists and ranges as text, numbers without float noise."""
    out = frame.copy()
    for col in out.columns:
        money = all_money or is_money(str(col))
        out[col] = out[col].map(lambda v, m=money: _cell(v, m)).astype(object)
    return out


def ladder_cell(ladder) -> str:
    """A tranche's support ladder in one cell: ``AAA GC: PD 0.0000% -> AAAsf; ...``."""
    if not isinstance(ladder, (list, tuple)):
        return ""
    return "; ".join(f"{s['grade']} {'+'.join(s['supporters'])}: PD "
                     f"{100 * s['default_probability']:.4f}% -> {s['rating'] or '-'}"
                     for s in ladder)


def tranche_frame(rows: list[dict]) -> pd.DataFrame:
    """Tranche rows as a flat table: ranges as ``best..worst``, the supporters the rating
    rests on as ``GC+SOE``, the support ladder as one cell, each stress's BDR in its own
    column."""
    tranches = pd.DataFrame(rows)
    for col in ("rating_range", "rating_range_standalone", "rating_range_joint_default"):
        if col in tranches:
            tranches[col] = tranches[col].map(
                lambda r: "..".join(r) if isinstance(r, (list, tuple)) else "")
    if "rating_by" in tranches:
        tranches["rating_by"] = tranches["rating_by"].map(
            lambda b: "+".join(b) if isinstance(b, (list, tuple)) else "")
    if "support_ladder" in tranches:
        tranches["support_ladder"] = tranches["support_ladder"].map(ladder_cell)
    if "bdr_by_scenario" in tranches:
        stresses = tranches["bdr_by_scenario"].map(lambda d: d or {})
        for name in (stresses.iloc[0] if len(stresses) else {}):
            tranches[f"bdr:{name}"] = stresses.map(lambda d, n=name: d.get(n))
        tranches = tranches.drop(columns="bdr_by_scenario")
    return clean_frame(tranches)


def pool_frame(doc: dict) -> pd.DataFrame:
    pool = dict(doc["pool"])
    quantiles = pool.pop("default_rate_quantiles")
    pool.update({f"default_rate_q{k}": v for k, v in quantiles.items()})
    for k, (low, high) in (pool.pop("default_rate_quantiles_range", None) or {}).items():
        pool[f"default_rate_q{k}_low"], pool[f"default_rate_q{k}_high"] = low, high
    for k, ess in (pool.pop("default_rate_quantiles_ess", None) or {}).items():
        pool[f"default_rate_q{k}_ess"] = ess
    for grade, v in (pool.pop("tdr", None) or {}).items():
        pool[f"tdr_{grade}"] = v
    return clean_frame(pd.DataFrame([pool]))


def result_frames(doc: dict) -> dict[str, pd.DataFrame]:
    """The result document's tables, by CSV file name."""
    frames = {"tranches.csv": tranche_frame(doc["tranches"]), "pool.csv": pool_frame(doc),
              "support.csv": clean_frame(pd.DataFrame(doc["support"], columns=[
                  "id", "expected_payment", "expected_payment_se", "call_probability",
                  "expected_reimbursement", "expected_net_cost"])),
              "obligors.csv": clean_frame(pd.DataFrame(doc["obligors"]))}
    if doc.get("reliance"):
        frames["reliance.csv"] = clean_frame(pd.DataFrame([
            {"without": "+".join(r["removes"]), "provider": r["provider"], **t}
            for r in doc["reliance"] for t in r["tranches"]]))
    return frames


def sensitivity_frame(sens: dict) -> pd.DataFrame:
    """The base case (changes 0) and every case, one row per tranche."""
    base = [{"case": "base", **{k: t.get(k) for k in (
        "id", "rated", "rating", "rating_range", "rating_standalone", "rating_by",
        "rating_substitution", "rating_joint_default", "default_probability", "default_probability_se",
        "expected_loss", "expected_loss_se")},
        "pd_change": 0.0, "pd_change_se": 0.0, "el_change": 0.0, "el_change_se": 0.0}
        for t in sens["base"]["tranches"]]
    rows = base + [{"case": c["name"], **t} for c in sens["cases"] for t in c["tranches"]]
    return tranche_frame(rows)


def cashflow_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The cash-flow table with ``period`` as a column, amounts to cents."""
    frame = table.reset_index()
    out = clean_frame(frame.drop(columns=["period", "date", "accelerated"], errors="ignore"),
                      all_money=True)
    if "date" in frame:
        out.insert(0, "date", frame["date"])
    out.insert(0, "period", frame["period"])
    if "accelerated" in frame:
        out["accelerated"] = frame["accelerated"]
    return out


def assumptions_frame(items: list[tuple[str, object]]) -> pd.DataFrame:
    return clean_frame(pd.DataFrame(items, columns=["item", "value"]))


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False,
              lang: str = "en") -> None:
    """``frame`` as CSV in UTF-8 with a byte-order mark, every text cell spreadsheet-safe,
    headers in ``lang``."""
    Path(path).write_text(csv_text(frame, index=index, lang=lang), encoding="utf-8")


def csv_text(frame: pd.DataFrame, index: bool = False, lang: str = "en") -> str:
    """``frame`` as CSV text, starting with the byte-order mark (write it as UTF-8), with
    every text cell safe to open in a spreadsheet (no formula prefixes) and the headers in
    ``lang`` (:func:`engine.report.i18n.column_label`)."""
    labelled = frame.copy()
    labelled.columns = [column_label(c, lang) for c in frame.columns]
    return "\ufeff" + csv_safe(labelled).to_csv(index=index)


SHEET_NAMES = {"tranches.csv": "tranches", "pool.csv": "pool", "support.csv": "support",
               "obligors.csv": "obligors", "reliance.csv": "reliance",
               "sensitivities.csv": "sensitivities", "cashflows.csv": "cash flows",
               "cashflows_stressed.csv": "cash flows (stressed)",
               "stratification.csv": "stratification",
               "assumptions.csv": "assumptions"}


ZH_SHEET_NAMES = {"tranches": "证券档次", "pool": "资产池", "support": "增信", "obligors": "债务人",
                  "reliance": "增信依赖", "sensitivities": "敏感性分析", "cash flows": "现金流",
                  "cash flows (stressed)": "压力现金流", "assumptions": "假设", "sweep": "方案网格", "stratification": "资产池分布",
                  "tracking": "跟踪评级"}


def _append_text_safe(ws, values: list) -> None:
    """Append a row whose text is always a string cell (a name starting with ``=`` is never
    a formula) with no character a workbook cannot hold."""
    texts = {j: xlsx_text(v) for j, v in enumerate(values) if isinstance(v, str)}
    ws.append([None if j in texts else v for j, v in enumerate(values)])
    row = ws.max_row
    for j, text in texts.items():
        cell = ws.cell(row=row, column=j + 1)
        cell.value = text
        cell.data_type = "s"


def write_xlsx(frames: dict[str, pd.DataFrame], path: str | Path, lang: str = "en") -> None:
    """One sheet per table: percentages as ``0.00%``, amounts as ``#,##0.00``, a frozen
    header row and columns wide enough to read; sheet names and headers in ``lang``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in frames.items():
        sheet = SHEET_NAMES.get(name, Path(name).stem)
        ws = wb.create_sheet((ZH_SHEET_NAMES.get(sheet, sheet) if lang == "zh" else sheet)[:31])
        cash = name.startswith("cashflows")
        _append_text_safe(ws, [column_label(c, lang) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            _append_text_safe(ws, [None if v is pd.NA or (isinstance(v, float) and math.isnan(v))
                                   else v for v in row])
        for j, col in enumerate(frame.columns, start=1):
            col = str(col)
            if cash and col not in ("period", "accelerated"):
                fmt = "#,##0.00"
            elif is_money(col):
                fmt = "#,##0.00"
            elif is_fraction(col):
                fmt = "0.0000%"
            elif col in ("wal_years", "wal_years_se"):
                fmt = "0.000"
            else:
                fmt = None
            if name == "assumptions.csv":
                fmt = None
            letter = get_column_letter(j)
            if fmt:
                for cell in ws[letter][1:]:
                    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        cell.number_format = fmt
            cells = [col] + [str(v) for v in frame.iloc[:, j - 1].tolist()[:200]]
            ws.column_dimensions[letter].width = min(60, max(8, max(width(c) for c in cells) + 2))
        ws.freeze_panes = "B2"
    wb.save(path)


def track_frame(doc: dict) -> pd.DataFrame:
    """The ``ipabs-track/v1`` document flat: one row per state and tranche, with what moved
    it (notches by step, + an upgrade)."""
    import pandas as pd

    rows = []
    for s in doc["states"]:
        for t in s["tranches"]:
            m = s.get("moved_by", {}).get(t["id"], {})
            row = {"state": s["label"], "as_of": s["as_of"], "tranche": t["id"],
                   "rating": t["rating"], "default_probability": t["default_probability"],
                   "default_probability_se": t["default_probability_se"],
                   "expected_loss": t["expected_loss"], "balance": t["balance"]}
            for step in doc["attribution"]:
                row[f"notches_{step}"] = m.get("notches", {}).get(step)
            row["notches_total"] = m.get("total")
            rows.append(row)
    return pd.DataFrame(rows)
