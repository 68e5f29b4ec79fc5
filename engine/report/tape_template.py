"""Writing a tape workbook: the scenario's lists as headed, documented sheets.

This module owns the workbook ipabs writes for a structurer to fill (``ipabs template``)
and the YAML beside it with the deal-level terms: one sheet per list (``obligors``,
``assets``, ``collateral``; 借款人, 基础资产, 质押物 in Chinese), every column of
:mod:`engine.scenario.tape_columns` in the header with a note saying what it holds and how
to write it. :func:`tape_workbook` also writes rows (a scenario's lists, YAML-shaped), so
a deal written inline converts to YAML + one workbook that loads to the same scenario.
Every text cell is a string cell: an id starting with ``=`` is never a formula.
"""
from __future__ import annotations

import io
from typing import Any

from engine.report.sheets import _append_text_safe
from engine.scenario.tape_columns import TABLES, Column, Table

__all__ = ["tape_workbook", "template_yaml", "sheet_name", "row_cells", "ZH_COLUMNS"]

#: The domestic term of each column, shown in its header note under ``lang="zh"``.
ZH_COLUMNS: dict[str, str] = {
    "id": "编号", "entity": "主体代码(统一社会信用代码, 同一主体跨交易为同一名称)", "kind": "类型(借款人/担保公司/银行/原始权益人/股东/保险公司/被许可方)",
    "rating": "主体信用等级", "pd.annual": "年违约概率", "pd.cumulative": "各期累计违约概率",
    "region": "地区", "industry": "行业", "correlation_with.pool": "与资产池债务人的相关性",
    "correlation_with.obligors": "与指定债务人的相关性", "parent": "母公司(债务人编号)",
    "parent_correlation": "与母公司的相关性", "capacity": "代偿能力上限(金额)",
    "default_on_exhaustion": "代偿能力耗尽即视为违约", "obligor": "借款人编号",
    "type": "类型", "balance": "未偿本金", "rate": "年利率", "term": "期限(期数)",
    "amortization": "还本方式", "collateral": "质押物编号", "support": "增信措施编号",
    "prepayment": "年提前还款率", "appraised_value": "评估值", "haircut.mean": "平均折扣率",
    "haircut.sd": "折扣率标准差", "lag": "处置期(违约后期数)", "systemic": "与经济周期的关联度",
    "pledgee": "质权人(pool 资产池 / guarantor 担保人反担保)",
}

_HOW = {
    "ids": "ids separated by ; (P01;P02)",
    "floats": "numbers separated by ; (0.01;0.02;0.03)",
    "mapping": "id=value pairs separated by ; (GC=0.5;B02=0.3)",
    "bool": "true or false",
    "amortization": "bullet, equal_principal, annuity, or schedule: and the principal per "
                    "period separated by ; (schedule:5000000;5000000)",
}


def sheet_name(table: Table, lang: str) -> str:
    """The sheet a workbook in ``lang`` gives ``table`` (``assets`` or ``基础资产``)."""
    return table.sheets[1] if lang == "zh" else table.sheets[0]


def _note(column: Column, lang: str) -> str:
    parts = [column.name]
    if lang == "zh" and column.name in ZH_COLUMNS:
        parts.append(ZH_COLUMNS[column.name])
    parts.append(column.description)
    if column.kind in _HOW:
        parts.append(f"written as {_HOW[column.kind]}")
    parts.append("required (必填)" if column.required else
                 "optional: an empty cell takes the default (可空)")
    return "\n".join(p for p in parts if p)


def _cell_text(column: Column, value: Any) -> Any:
    """A YAML value of ``column`` as the cell that reads back to it."""
    if value is None:
        return None
    if column.kind == "ids":
        return ";".join(value)
    if column.kind == "floats":
        return ";".join(repr(float(v)) for v in value)
    if column.kind == "mapping":
        return ";".join(f"{k}={float(v)!r}" for k, v in value.items())
    if column.kind == "amortization" and isinstance(value, dict):
        return "schedule:" + ";".join(repr(float(v)) for v in value["schedule"])
    return value


def row_cells(table: Table, item: dict[str, Any]) -> list[Any]:
    """One item of the list (YAML-shaped: nested mappings) as the row of its sheet."""
    cells = []
    for column in table.columns:
        value: Any = item
        for key in column.path:
            value = value.get(key) if isinstance(value, dict) else None
        cells.append(_cell_text(column, value))
    return cells


def tape_workbook(lists: dict[str, list[dict[str, Any]]] | None = None, lang: str = "en",
                  keys: tuple[str, ...] = tuple(TABLES)) -> bytes:
    """The workbook (``.xlsx`` bytes) with a sheet per list of ``keys``: a bold, frozen
    header row with a note per column, then the rows of ``lists`` (none: a blank tape)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for key in keys:
        table = TABLES[key]
        ws = book.create_sheet(sheet_name(table, lang))
        _append_text_safe(ws, list(table.names))
        for j, column in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=True)
            cell.comment = Comment(_note(column, lang), "ipabs", width=320, height=160)
            ws.column_dimensions[get_column_letter(j)].width = max(12, len(column.name) + 4)
        for item in (lists or {}).get(key, []):
            _append_text_safe(ws, row_cells(table, item))
        ws.freeze_panes = "B2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_YAML_EN = """\
# A deal written by `ipabs template`: the deal-level terms here, its lists in {tape}, one
# row per item: the sheets obligors (every name that can default: borrowers AND support
# providers), assets (the loans) and collateral (the pledged IP). Each column's header has
# a note saying what it holds. Fill the workbook, replace the illustrative terms below with
# the term sheet's, then:
#     ipabs validate {yaml}
#     ipabs run {yaml}
# Any list may also stay in this file (obligors: [...]; ids must not repeat).
format: ipabs/v1
name: New IP-ABS deal (replace)
currency: CNY
payment_frequency: quarterly      # monthly | quarterly | semiannual | annual
legal_final: 8                    # legal final maturity, in periods

tape: {tape}

credit_support: []                # e.g.
#  - {{id: LG, type: loan_guarantee, provider: GC, covers: all, share: 1.0, lag: 1}}
#  - {{id: SC, type: shortfall_commitment, provider: GC, covers: [A]}}
# (GC a row of the obligors sheet; an asset's support column names LG)

correlation:
  copula: gaussian
  pairwise: {{same_region_same_industry: 0.40, same_region: 0.25, same_industry: 0.35, other: 0.10}}

tranches:                         # most senior first; together at most the pool's balance
  - {{id: A, balance: 95_000_000, coupon: 0.0217, principal: {{bullet: 4}}}}
  - {{id: Sub, balance: 5_000_000, subordinated: true, rated: false}}

fees:
  - {{id: vat, rate: 0.0326, base: interest_collections}}
  - {{id: trustee, rate: 0.0005, base: senior_balance}}

simulation: {{paths: 100_000, seed: 1, method: plain}}
rating: {{method: tranche_pd, table: domestic, support: substitution}}
"""

_YAML_ZH = """\
# 由 `ipabs template` 生成的交易: 本文件为交易层面的条款, 各清单在 {tape} 中, 每行一项:
# 工作表 借款人(所有可能违约的主体: 借款企业及增信方)、基础资产(贷款)、质押物(质押的
# 知识产权)。每列表头的批注说明该列内容。填好工作簿, 将下列示例条款换成交易条款, 然后:
#     ipabs validate {yaml}
#     ipabs run {yaml}
# 任一清单也可写在本文件中(如 obligors: [...]; 编号不得重复)。
format: ipabs/v1
name: 新知识产权资产支持专项计划(请替换)
currency: CNY
payment_frequency: quarterly      # 兑付频率: monthly | quarterly | semiannual | annual
legal_final: 8                    # 法定到期, 以期数计

tape: {tape}

credit_support: []                # 增信措施, 例如:
#  - {{id: 保证担保, type: loan_guarantee, provider: 担保公司, covers: all, share: 1.0, lag: 1}}
#  - {{id: 差额支付, type: shortfall_commitment, provider: 担保公司, covers: [优先级]}}
# (担保公司为借款人工作表中的一行; 基础资产的 support 列写 保证担保)

correlation:                      # 相关性: 同区域同行业、同区域、同行业、其他
  copula: gaussian
  pairwise: {{same_region_same_industry: 0.40, same_region: 0.25, same_industry: 0.35, other: 0.10}}

tranches:                         # 由高到低: 优先级在前; 合计不超过资产池余额
  - {{id: 优先级, balance: 95_000_000, coupon: 0.0217, principal: {{bullet: 4}}}}
  - {{id: 次级, balance: 5_000_000, subordinated: true, rated: false}}

fees:
  - {{id: 增值税, rate: 0.0326, base: interest_collections}}
  - {{id: 托管费, rate: 0.0005, base: senior_balance}}

simulation: {{paths: 100_000, seed: 1, method: plain}}
rating: {{method: tranche_pd, table: domestic, support: substitution}}
report: {{language: zh}}          # 报告与终端输出使用中文
"""


def template_yaml(tape: str, yaml_name: str, lang: str = "en") -> str:
    """The scenario of a blank deal whose lists are in the workbook ``tape``."""
    return (_YAML_ZH if lang == "zh" else _YAML_EN).format(tape=tape, yaml=yaml_name)
