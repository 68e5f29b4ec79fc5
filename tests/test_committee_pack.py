"""A committee pack in Chinese and in Excel (#16): Chinese names through plots, report and
terminal; CSV and xlsx files Excel opens as they are; the exceedance curve; compare on common
random numbers; the Python API for notebooks."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from wcwidth import wcswidth

import engine
from engine.errors import ScenarioError, ScenarioWarning

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "scenarios" / "chengdu_ip_pledge_zh.yaml"
SHENZHEN = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"
NAMES = ("优先级", "次级", "蓉芯微电子", "天府科创担保", "成都高新知识产权质押融资资产支持专项计划")
TERMS = ("差额支付承诺", "违约概率", "预期损失", "加权平均期限", "信用增级", "独立评级", "评级依据", "评级如何得出",
         "联合违约评级", "连带责任保证担保")


def ipabs(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", cwd=cwd)


@pytest.fixture(scope="module")
def zh_scenario():
    return engine.load_scenario(ZH)


@pytest.fixture(scope="module")
def zh_result(zh_scenario):
    return engine.run(zh_scenario, paths=4000)


@pytest.fixture(scope="module")
def zh_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh") / "out"
    p = ipabs("report", ZH, "--out", out, "--paths", "4000")
    assert p.returncode == 0, p.stderr
    return out


# ----------------------------------------------------------------------------- Chinese


def test_chinese_scenario_loads_with_chinese_ids(zh_scenario):
    assert [t.id for t in zh_scenario.tranches] == ["优先级", "次级"]
    assert zh_scenario.report.language == "zh"


def test_plots_of_a_chinese_deal_draw_every_glyph(zh_scenario, zh_result):
    from engine.plan import rating_table
    from engine.report.plots import distribution_png, sensitivity_png, timing_png

    sens = engine.sensitivity(zh_scenario, paths=2000).attrs["document"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pngs = [distribution_png(zh_result, rating_table(zh_scenario), "zh"),
                timing_png(zh_result.to_dict(), "zh"), sensitivity_png(sens, "zh")]
    assert not [w for w in caught if "missing" in str(w.message).lower()], \
        [str(w.message) for w in caught]
    assert all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_cjk_font_is_found_without_system_fonts():
    from engine.report.fonts import cjk_family, packaged_font_path

    assert packaged_font_path() is not None          # the declared dependency
    assert cjk_family() is not None


def test_chinese_report_holds_the_names_and_the_domestic_terms(zh_report):
    page = (zh_report / "report.html").read_text(encoding="utf-8")
    for text in NAMES + TERMS:
        assert text in page, text
    assert "@font-face" in page and "data:font/woff;base64," in page   # carries its font
    assert "lang='zh-CN'" in page


def test_english_report_of_the_same_deal_uses_english_headings(tmp_path):
    out = tmp_path / "en"
    p = ipabs("report", ZH, "--out", out, "--paths", "2000", "--lang", "en")
    assert p.returncode == 0, p.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Deal summary" in page and "优先级" in page and "交易结构摘要" not in page


def _gaps(rule: str) -> list[int]:
    """Display columns of the two-space gaps between the dash runs of a rule line."""
    return [i for i, ch in enumerate(rule) if ch == " "]


def _cells(line: str) -> str:
    """The line with every wide character doubled, so index = display column."""
    return "".join(ch * (wcswidth(ch) if wcswidth(ch) > 0 else 1) for ch in line)


def _assert_aligned(text: str) -> int:
    lines = text.splitlines()
    checked = 0
    for k, rule in enumerate(lines):
        if not rule.startswith("--") or set(rule) - {"-", " "}:
            continue
        gaps = _gaps(rule)
        body = []
        for line in lines[k + 1:]:
            if not line.strip() or line.startswith("--"):
                break
            body.append(line)
        for line in [lines[k - 1], *body]:
            cells = _cells(line).ljust(len(rule))
            bad = [g for g in gaps if g < len(cells) and cells[g] != " "]
            assert not bad, f"column gap not blank at {bad} in:\n{line}\n{rule}"
            assert wcswidth(line) <= len(rule), line
        checked += 1 + len(body)
    return checked


@pytest.mark.parametrize("args", [
    ["run", ZH, "--paths", "2000"],
    ["cashflows", ZH],
    ["sensitivity", ZH, "--paths", "2000"],
    ["compare", ZH, ZH, "--paths", "2000"],
    ["run", SHENZHEN, "--paths", "2000", "--lang", "zh"],
])
def test_terminal_columns_line_up_by_display_width(args):
    p = ipabs(*args)
    assert p.returncode == 0, p.stderr
    assert _assert_aligned(p.stdout) >= 3
    assert "优先级" in p.stdout or "证券档次" in p.stdout


# ----------------------------------------------------------------------------- Excel


def test_csv_files_are_utf8_with_bom_and_clean_numbers(zh_report):
    files = sorted(zh_report.glob("*.csv"))
    assert {f.name for f in files} >= {"tranches.csv", "pool.csv", "support.csv",
                                       "sensitivities.csv", "cashflows.csv",
                                       "cashflows_stressed.csv", "assumptions.csv"}
    for f in files:
        raw = f.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f.name
        text = raw.decode("utf-8-sig")
        assert "['" not in text and "[" not in text.split("\n", 1)[1], f.name   # no lists
        for cell in (c for line in text.splitlines() for c in line.split(",")):
            if cell.replace(".", "", 1).replace("-", "", 1).replace("e", "", 1).isdigit():
                digits = cell.lstrip("-").replace(".", "").split("e")[0].lstrip("0")
                assert len(digits) <= 10, f"{f.name}: {cell}"
    # a Chinese report: Chinese headers (engine.report.i18n.column_label)
    tranches = pd.read_csv(zh_report / "tranches.csv", encoding="utf-8-sig")
    assert list(tranches["编号"]) == ["优先级", "次级"]
    assert tranches.loc[0, "评级95%区间"].count("..") == 1
    sens = pd.read_csv(zh_report / "sensitivities.csv", encoding="utf-8-sig")
    assert sens["情景"].iloc[0] == "base"
    assert all(".." in r for r in sens["评级95%区间"].dropna())
    flows = pd.read_csv(zh_report / "cashflows.csv", encoding="utf-8-sig")
    money = flows.drop(columns=["期数", "是否加速清偿"])
    assert np.allclose(money.to_numpy(), np.round(money.to_numpy(), 2))


def test_xlsx_opens_and_matches_the_json(zh_report):
    from openpyxl import load_workbook

    doc = json.loads((zh_report / "result.json").read_text(encoding="utf-8"))
    from engine.report.i18n import column_label

    wb = load_workbook(zh_report / "report.xlsx")
    assert {"证券档次", "资产池", "增信", "敏感性分析", "现金流", "压力现金流",
            "假设"} <= set(wb.sheetnames)
    ws = wb["证券档次"]
    back = {column_label(k, "zh"): k for k in ("id", "balance", "default_probability",
                                               "expected_loss", "rating")}
    header = [back.get(c.value, c.value) for c in ws[1]]
    for row, t in zip(ws.iter_rows(min_row=2, values_only=True), doc["tranches"]):
        cells = dict(zip(header, row))
        assert cells["id"] == t["id"]
        assert cells["balance"] == pytest.approx(t["balance"])
        assert cells["default_probability"] == pytest.approx(t["default_probability"],
                                                             rel=1e-9, abs=1e-15)
        assert cells["expected_loss"] == pytest.approx(t["expected_loss"], rel=1e-9, abs=1e-15)
        assert (cells["rating"] or None) == t["rating"]
    col = header.index("default_probability") + 1
    assert ws.cell(row=2, column=col).number_format.endswith("%")
    pool = dict(zip([c.value for c in wb["资产池"][1]], next(wb["资产池"].iter_rows(
        min_row=2, values_only=True))))
    assert pool["预期违约率"] == pytest.approx(doc["pool"]["expected_default_rate"], rel=1e-9)


def _tape_scenario(tmp_path, rows, sheet="assets"):
    from openpyxl import Workbook

    doc = yaml.safe_load(SHENZHEN.read_text(encoding="utf-8"))
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(tmp_path / "tape.xlsx")
    doc.pop("assets")
    doc["assets_file"] = "tape.xlsx"
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                                        encoding="utf-8")
    return tmp_path / "deal.yaml"


def test_loan_tape_reads_from_xlsx_like_the_yaml(tmp_path):
    base = engine.load_scenario(SHENZHEN)
    cols = ["id", "obligor", "type", "balance", "rate", "term", "amortization", "collateral",
            "support"]
    rows = [cols] + [[a.id, a.obligor, a.type, a.balance, a.rate, a.term, a.amortization,
                      ";".join(a.collateral), ";".join(a.support)] for a in base.assets]
    sc = engine.load_scenario(_tape_scenario(tmp_path, rows))
    assert [a.model_dump() for a in sc.assets] == [a.model_dump() for a in base.assets]


def test_loan_tape_errors_name_the_sheet_row_and_column(tmp_path):
    rows = [["id", "obligor", "balance", "rate", "term"],
            ["L01", "B01", 20_000_000, 0.052, 4],
            ["L02", "B02", "lots", 0.052, 4]]
    with pytest.raises(ScenarioError) as err:
        engine.load_scenario(_tape_scenario(tmp_path, rows, sheet="贷款清单"))
    text = str(err.value)
    assert "tape.xlsx sheet '贷款清单' row 3, column balance" in text and "'lots'" in text


# ----------------------------------------------------------------------------- the report


def test_exceedance_curve_just_above_zero_is_the_chance_of_any_default():
    from engine.report.plots import exceedance_at, exceedance_curve

    res = engine.run(engine.load_scenario(SHENZHEN), paths=20_000)
    rates, probs = (np.asarray(a) for a in res.default_rate_distribution)
    p_any = float(probs[rates > 0].sum())
    assert 0.0 < p_any < 0.5
    assert exceedance_at(res, 1e-9) == pytest.approx(p_any, abs=1e-12)
    assert exceedance_at(res, 0.0) == pytest.approx(p_any, abs=1e-12)
    smallest = min(a.balance for a in engine.load_scenario(SHENZHEN).assets) / 206e6
    assert exceedance_at(res, smallest * 0.99) == pytest.approx(p_any, abs=1e-12)
    x, y = exceedance_curve(res)
    assert np.all(np.diff(y) <= 1e-15) and y[-1] == 0.0


def test_exceedance_at_zero_matches_independent_obligors_exactly_computed():
    text = """
format: ipabs/v1
name: independent
payment_frequency: annual
legal_final: 2
obligors: [{id: a, kind: borrower, pd: {annual: 0.05}}, {id: b, kind: borrower, pd: {annual: 0.10}},
           {id: c, kind: borrower, pd: {annual: 0.02}}]
assets: [{id: x, obligor: a, balance: 1.0e+6, rate: 0.05, term: 2},
         {id: y, obligor: b, balance: 2.0e+6, rate: 0.05, term: 2},
         {id: z, obligor: c, balance: 3.0e+6, rate: 0.05, term: 2}]
correlation: {uniform: 0.0}
tranches: [{id: A, balance: 5.0e+6, coupon: 0.02, principal: pass_through},
           {id: S, balance: 1.0e+6, subordinated: true}]
"""
    from engine.report.plots import exceedance_at

    res = engine.run(engine.load_scenario_text(text), paths=40_000, seed=3)
    pds = [o["model_default_probability"] for o in res.obligors]
    exact = 1.0 - np.prod([1.0 - p for p in pds])
    se = math.sqrt(exact * (1 - exact) / 40_000)
    assert abs(exceedance_at(res, 1e-9) - exact) < 4 * se


def test_grade_labels_are_spread_apart():
    from engine.report.plots import spread_labels

    placed = spread_labels([0.30, 0.31, 0.315, 0.7], 0.05)
    ordered = sorted(placed)
    assert all(b - a >= 0.05 - 1e-12 for a, b in zip(ordered, ordered[1:]))
    assert placed[3] == pytest.approx(0.7)


def test_report_shows_percentages_summary_base_row_stress_and_assumptions(zh_report):
    page = (zh_report / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"data:[a-z/]+;base64,[A-Za-z0-9+/=]+", "", page)   # images and font
    assert not re.search(r"\de[+-]\d", text)                          # no raw floats
    for text in ("交易结构摘要", "超额利差", "票面利率", "压力情景", "模型假设", "基准",
                 "随机种子", "相关性", "回收假设", "class='scroll'"):
        assert text in page, text
    assert "2.35%" in page                                    # the senior's coupon


# ----------------------------------------------------------------------------- compare, size


def test_compare_of_a_design_with_itself_shows_zero_differences(tmp_path):
    sc = engine.load_scenario(SHENZHEN)
    doc = engine.compare([sc, sc], paths=4000)
    assert doc["paths"] == 4000 and doc["seed"] == sc.simulation.seed
    for t in doc["differences"][0]["tranches"]:
        assert t["pd_change"] == 0.0 and t["pd_change_se"] == 0.0
        assert t["el_change"] == 0.0 and t["el_change_se"] == 0.0
    p = ipabs("compare", SHENZHEN, SHENZHEN, "--paths", "4000")
    assert p.returncode == 0, p.stderr
    deltas = [line for line in p.stdout.splitlines() if "Δ" in line]
    assert deltas and all(line.split()[-1] == "0" for line in deltas)


def test_compare_differences_are_paired_on_the_same_paths():
    a = engine.load_scenario(SHENZHEN)
    b = a.with_changes({"obligors.GC.rating": "AA"})
    doc = engine.compare([a, b], paths=20_000)
    (d,) = [t for t in doc["differences"][0]["tranches"] if t["id"] == "Sub"]
    ra, rb = (x["result"]["tranches"][1] for x in doc["designs"])
    assert d["pd_change"] == pytest.approx(rb["default_probability"] - ra["default_probability"])
    assert d["pd_change_se"] < math.hypot(ra["default_probability_se"],
                                          rb["default_probability_se"])


def test_size_prints_its_range_and_rounded_balances_never_zero_plus_minus_zero():
    from engine.report.table import size_text

    doc = {"tranche": "A", "target": "AAAsf", "balance": 181_234_567.89,
           "share_of_pool": 0.879, "resolution": 201_000.0, "bracket": [181_234_567.89,
                                                                        181_435_567.89],
           "paths": 20_000, "rating": {"method": "tranche_pd", "support": "substitution",
                                       "table": "domestic"},
           "achieved": {"rating": "AAAsf", "rating_range": ["AAAsf", "AA+sf"],
                        "rating_standalone": "BBsf", "support_floor": None,
                        "rating_joint_default": "AAAsf", "default_probability": 0.0,
                        "default_probability_se": 0.0, "expected_loss": 0.0,
                        "expected_loss_se": 0.0}}
    text = size_text(doc)
    assert "181,200,000" in text and "181,500,000" in text and "AAAsf..AA+sf" in text
    assert "0 ± 0" not in text and "< 0.0150%" in text


# ----------------------------------------------------------------------------- Python API


def test_with_changes_validates_like_a_file():
    sc = engine.load_scenario(SHENZHEN)
    bigger = engine.with_changes(sc, {"tranches.A.balance": 190e6, "tranches.Sub.balance": 16e6})
    assert bigger.tranches[0].balance == 190e6 and bigger.base_dir == sc.base_dir
    with pytest.raises(ScenarioError, match="more than the pool balance"):
        sc.with_changes({"tranches.A.balance": 509e6})
    with pytest.raises(ScenarioError, match="tranches.0.coupon"):
        sc.with_changes({"tranches.A.coupon": "high"})
    with pytest.raises(ScenarioError, match="unknown obligor"):
        sc.with_changes({"assets.L01.obligor": "NOBODY"})
    assert sc.with_changes(legal_final=9).legal_final == 9


def test_model_validate_checks_cross_references_before_run():
    sc = engine.load_scenario(SHENZHEN)
    data = sc.model_dump(by_alias=True)
    data["assets"][0]["obligor"] = "NOBODY"
    with pytest.raises(ScenarioError, match="assets.0.obligor"):
        engine.Scenario.model_validate(data)
    with pytest.raises(ScenarioError, match="assets.0.obligor"):
        engine.Scenario(**data)
    broken = sc.model_copy(update={"assets": [sc.assets[0].model_copy(
        update={"obligor": "NOBODY"}), *sc.assets[1:]]})
    with pytest.raises(ScenarioError, match="unknown obligor"):
        engine.run(broken, paths=100)


def test_sensitivity_returns_a_dataframe_with_the_base_case_first():
    sc = engine.load_scenario(SHENZHEN)
    table = engine.sensitivity(sc, {"PD x2": {"pd_multiplier": 2.0}}, paths=4000)
    assert isinstance(table, pd.DataFrame)
    assert list(table.index.get_level_values(0).unique()) == ["base", "PD x2"]
    assert (table.loc["base", "pd_change"] == 0).all()
    assert table.loc[("PD x2", "Sub"), "pd_change"] >= 0
    assert table.attrs["document"]["format"] == "ipabs-sensitivity/v1"


def test_result_has_a_short_repr_and_an_html_table():
    res = engine.run(engine.load_scenario(SHENZHEN), paths=2000)
    text = repr(res)
    assert text.startswith("Result(") and len(text.splitlines()) == 1 + len(res.tranche_rows)
    assert "<table>" in res._repr_html_() and "AAAsf" in res._repr_html_()


# ----------------------------------------------------------------------------- schema


def test_every_schema_key_has_a_description():
    from engine.scenario import scenario_json_schema
    from engine.scenario.descriptions import apply_descriptions
    from engine.scenario.models import _all_models

    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$defs":
                    for name, d in v.items():
                        walk(d, name)
                elif k == "properties":
                    for key, prop in v.items():
                        if not prop.get("description"):
                            missing.append(f"{path}.{key}")
                        walk(prop, f"{path}.{key}")
                else:
                    walk(v, path)
        elif isinstance(node, list):
            for x in node:
                walk(x, path)

    schema = scenario_json_schema()
    walk(schema, "Scenario")
    assert not missing, missing
    assert apply_descriptions(_all_models()) == []        # no description names no field
    systemic = schema["$defs"]["Collateral"]["properties"]["systemic"]["description"]
    assert "economy" in systemic
    assert "10%" in schema["$defs"]["Collateral"]["properties"]["haircut"]["description"]
    assert "period" in schema["$defs"]["Collateral"]["properties"]["lag"]["description"]


def test_a_senior_without_principal_warns_what_was_assumed(tmp_path):
    doc = yaml.safe_load(SHENZHEN.read_text(encoding="utf-8"))
    del doc["tranches"][0]["principal"]
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.warns(ScenarioWarning, match="tranches.0.principal.*pass-through"):
        engine.load_scenario(path)
    p = ipabs("validate", path)
    assert p.returncode == 0 and "warning" in p.stderr and "pass_through" in p.stderr


def test_a_chinese_run_writes_chinese_headers_and_stratifies_the_pool(tmp_path):
    out = tmp_path / "zh"
    p = subprocess.run([sys.executable, "-m", "engine", "report",
                        str(ROOT / "scenarios" / "chengdu_ip_pledge_zh.yaml"), "--out", str(out),
                        "--paths", "2000"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    head = (out / "tranches.csv").read_text(encoding="utf-8").splitlines()[0]
    assert head.lstrip("\ufeff").startswith("编号,金额,违约概率,违约概率标准误")
    flows = (out / "cashflows.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "利息回收" in flows and "优先级:应付利息" in flows and "interest_due" not in flows
    strata = (out / "stratification.csv").read_text(encoding="utf-8")
    assert "行业" in strata and "知识产权类型" in strata and "发明专利" in strata
    page = (out / "report.html").read_text(encoding="utf-8")
    for text in ("资产池分布", "行业", "知识产权类型", "评估覆盖倍数", "最大借款人"):
        assert text in page, text
    from openpyxl import load_workbook

    wb = load_workbook(out / "report.xlsx", read_only=True)
    assert {"证券档次", "资产池分布", "现金流"} <= set(wb.sheetnames)


def test_the_tracking_report_is_tables_of_where_the_deal_stands(tmp_path):
    out = tmp_path / "trk"
    p = subprocess.run([sys.executable, "-m", "engine", "track",
                        str(ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"),
                        str(ROOT / "scenarios" / "trustee_reports" / "wuhan_year1_bad.yaml"),
                        "--paths", "2000", "--lang", "zh", "--out", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<pre" not in page and "<table" in page and "@font-face" in page
    for text in ("交易现状", "正常资产余额", "违约资产(违约敞口)", "储备金", "评级变动归因"):
        assert text in page, text
    doc = json.loads((out / "track.json").read_text(encoding="utf-8"))
    closing, bad = doc["states"][0]["position"], doc["states"][1]["position"]
    assert closing["defaulted"] == 0.0 and bad["defaulted"] > 0.0
    assert bad["performing"] < closing["performing"]
