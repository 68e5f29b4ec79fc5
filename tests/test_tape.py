"""The tape a structurer already has: obligors, assets and collateral from CSV files or one
workbook (``tape``), merged with the YAML; problems named by file, sheet, row and column;
workbooks read within bounds; ``ipabs template``."""
from __future__ import annotations

import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import yaml

import engine
from engine.cli import main
from engine.errors import ScenarioError
from engine.scenario.tape_columns import TABLES
from engine.report.tape_template import ZH_COLUMNS, tape_workbook

ROOT = Path(__file__).resolve().parents[1]
CHENGDU = ROOT / "scenarios" / "chengdu_ip_pledge_zh.yaml"
SHENZHEN = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"
LISTS = ("obligors", "assets", "collateral")


def _as_tape(source: Path, folder: Path, lang: str = "zh", keep: tuple[str, ...] = ()) -> Path:
    """``source`` rewritten as YAML + one workbook (``tape: deal.xlsx``); the lists in
    ``keep`` stay in the YAML."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    lists = {k: doc.pop(k) for k in LISTS if k not in keep}
    (folder / "deal.xlsx").write_bytes(tape_workbook(lists, lang=lang, keys=tuple(lists)))
    doc["tape"] = "deal.xlsx"
    (folder / "deal.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                      encoding="utf-8")
    return folder / "deal.yaml"


def _result(scenario) -> dict:
    doc = engine.run(scenario, paths=3_000, seed=11).to_dict()
    doc["run"].pop("elapsed_s")
    doc["scenario"].pop("sha256")        # the digest of the YAML file's bytes, which differ
    return doc


@pytest.mark.parametrize(("source", "lang", "keep"), [
    (CHENGDU, "zh", ()),                  # Chinese sheet names, Chinese ids
    (SHENZHEN, "en", ("obligors",)),      # English sheet names, obligors kept in the YAML
])
def test_a_deal_inline_and_as_yaml_plus_one_workbook_gives_bit_identical_results(
        tmp_path, source, lang, keep):
    inline = engine.load_scenario(source)
    taped = engine.load_scenario(_as_tape(source, tmp_path, lang, keep))
    for key in LISTS:
        assert getattr(taped, key) == getattr(inline, key)
    assert _result(taped) == _result(inline)


def test_the_shipped_workbook_deal_is_the_inline_deal():
    inline = engine.load_scenario(CHENGDU)
    taped = engine.load_scenario(ROOT / "scenarios" / "chengdu_ip_pledge_tape.yaml")
    assert taped.tape == "chengdu_ip_pledge_tape.xlsx"
    assert _result(taped) == _result(inline)


def _workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    book.save(path)


def _cell(path: Path, sheet: str, row: int, column: str, value) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1).value = value
    book.save(path)


@pytest.mark.parametrize(("sheet", "row", "column", "value", "says"), [
    ("借款人", 4, "rating", "AAAA", "allowed: AAA+, AAA"),
    ("借款人", 2, "pd.annual", "两成", "'两成' is not a number"),
    ("基础资产", 3, "balance", "lots", "'lots' is not a number"),
    ("基础资产", 9, "obligor", "无此公司", "unknown obligor '无此公司'"),
    ("质押物", 5, "haircut.mean", 1.5, "less than or equal to 1"),
    ("质押物", 12, "lag", "4.5", "'4.5' is not an integer"),
])
def test_a_bad_cell_in_each_sheet_is_reported_with_sheet_row_and_column_exit_2(
        tmp_path, capsys, sheet, row, column, value, says):
    path = _as_tape(CHENGDU, tmp_path)
    if column == "pd.annual":              # a rating and a pd would be a second problem
        _cell(tmp_path / "deal.xlsx", sheet, row, "rating", None)
    _cell(tmp_path / "deal.xlsx", sheet, row, column, value)
    before = sorted(os.listdir(tmp_path))
    assert main(["run", str(path), "--paths", "2000", "--json", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert f"deal.xlsx sheet '{sheet}' row {row}, column {column}: " in err, err
    assert says in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == before          # nothing written


def test_yaml_list_and_file_go_together_and_a_repeated_id_names_the_file_row(tmp_path):
    doc = yaml.safe_load(SHENZHEN.read_text(encoding="utf-8"))
    obligors = doc.pop("obligors")
    doc["obligors"] = obligors[-1:]                     # GC stays in the YAML
    rows = ["id,kind,rating,region,industry"] + [
        f"{o['id']},{o['kind']},{o['rating']},{o['region']},{o['industry']}"
        for o in obligors[:-1]]
    (tmp_path / "borrowers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc["obligors_file"] = "borrowers.csv"
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    sc = engine.load_scenario(tmp_path / "deal.yaml")
    assert [o.id for o in sc.obligors] == ["GC"] + [o["id"] for o in obligors[:-1]]
    assert sc.obligors[1:] == engine.load_scenario(SHENZHEN).obligors[:-1]
    (tmp_path / "borrowers.csv").write_text("\n".join(rows + ["GC,borrower,BB,x,y"]) + "\n")
    with pytest.raises(ScenarioError) as info:
        engine.load_scenario(tmp_path / "deal.yaml")
    assert "borrowers.csv line 14, column id: duplicate id 'GC': already used by obligors.0" \
        in str(info.value)                               # GC of the YAML
    (tmp_path / "borrowers.csv").write_text("\n".join(rows + ["B03,borrower,BB,x,y"]) + "\n")
    with pytest.raises(ScenarioError) as info:
        engine.load_scenario(tmp_path / "deal.yaml")
    assert ("borrowers.csv line 14, column id: duplicate id 'B03': already used by "
            "borrowers.csv line 4") in str(info.value)


def test_every_column_of_an_obligor_reads_from_a_csv(tmp_path):
    doc = yaml.safe_load(SHENZHEN.read_text(encoding="utf-8"))
    (tmp_path / "more.csv").write_text(
        "id,kind,pd.cumulative,region,industry,correlation_with.obligors,parent,"
        "parent_correlation,capacity,default_on_exhaustion\n"
        "SOE,shareholder,0.001;0.002;0.003;0.004;0.005;0.006;0.007;0.008,x,state,GC=0.4,,,,\n"
        "GC2,guarantee_company,,x,guarantee,,SOE,0.6,5e7,FALSE\n", encoding="utf-8")
    doc["obligors_file"] = "more.csv"
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(ScenarioError) as info:       # GC2 has neither rating nor pd
        engine.load_scenario(tmp_path / "deal.yaml")
    assert "more.csv line 3" in str(info.value) and "rating" in str(info.value)
    text = (tmp_path / "more.csv").read_text().replace(",,x,guarantee", ",,x,guarantee")
    (tmp_path / "more.csv").write_text(text.replace("GC2,guarantee_company,,", "GC2,"
                                                    "guarantee_company,0.01;0.02;0.03;0.04;"
                                                    "0.05;0.06;0.07;0.08,"))
    sc = engine.load_scenario(tmp_path / "deal.yaml")
    soe, gc2 = sc.obligors[-2:]
    assert soe.pd.cumulative[-1] == 0.008 and soe.correlation_with.obligors == {"GC": 0.4}
    assert gc2.parent == "SOE" and gc2.parent_correlation == 0.6 and gc2.capacity == 5e7
    assert gc2.default_on_exhaustion is False


def test_a_list_file_and_a_tape_sheet_for_the_same_list_are_refused(tmp_path):
    path = _as_tape(SHENZHEN, tmp_path, "en")
    doc = yaml.safe_load(path.read_text())
    doc["collateral_file"] = "deal.xlsx"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(ScenarioError, match="collateral_file and the sheet 'collateral' of "
                                            "tape 'deal.xlsx' both give collateral"):
        engine.load_scenario(path)


def test_a_tape_without_a_named_sheet_says_which_names_it_reads(tmp_path):
    path = _as_tape(SHENZHEN, tmp_path, "en")
    _workbook(tmp_path / "deal.xlsx", {"Sheet1": [["id"]]})
    with pytest.raises(ScenarioError, match="name the sheets obligors or 借款人"):
        engine.load_scenario(path)


def test_tape_files_are_inputs_no_output_may_replace(tmp_path, capsys):
    path = _as_tape(CHENGDU, tmp_path)
    tape = (tmp_path / "deal.xlsx").read_bytes()
    assert main(["run", str(path), "--paths", "2000", "--json",
                 str(tmp_path / "deal.xlsx")]) == 2
    assert "an input of this run" in capsys.readouterr().err
    assert (tmp_path / "deal.xlsx").read_bytes() == tape
    from engine.scenario import scenario_files

    assert scenario_files(engine.load_scenario(path)) == [tmp_path / "deal.xlsx"]


# ----------------------------------------------------------------------------- bounds


def _raw_xlsx(path: Path, sheet_xml, sheets=(("Sheet1", "visible"),)) -> None:
    """A minimal workbook written with zipfile: ``sheet_xml`` (bytes, or an iterable of
    chunks) for every sheet."""
    entries = "".join(f'<sheet name="{n}" sheetId="{i}" state="{s}" r:id="rId{i}"/>'
                      for i, (n, s) in enumerate(sheets, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
                   f'officeDocument/2006/relationships/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="'
                        'application/vnd.openxmlformats-officedocument.spreadsheetml.'
                        'worksheet+xml"/>' for i in range(1, len(sheets) + 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="'
                   'application/vnd.openxmlformats-package.relationships+xml"/><Override '
                   'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sheet.main+xml"/>' + overrides + '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
                   'org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
                   'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
                   f'officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
                   f'org/package/2006/relationships">{rels}</Relationships>')
        for i in range(1, len(sheets) + 1):
            chunks = [sheet_xml] if isinstance(sheet_xml, bytes) else sheet_xml
            with z.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as fh:
                for chunk in chunks:
                    fh.write(chunk)


_NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _far_cell(dimension: bool) -> bytes:
    dim = b'<dimension ref="A1:XFD1048576"/>' if dimension else b""
    return (b'<?xml version="1.0"?>' + _NS + dim + b'<sheetData><row r="1048576">'
            b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
            b'</worksheet>')


def _assets_file_scenario(folder: Path, name: str) -> Path:
    doc = yaml.safe_load(SHENZHEN.read_text(encoding="utf-8"))
    doc.pop("assets")
    doc["assets_file"] = name
    (folder / "deal.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder / "deal.yaml"


@pytest.mark.parametrize(("dimension", "says"), [
    (True, "declares 1,048,576 rows and 16,384 columns"),
    (False, "more than 100,000 rows below the header"),
])
def test_one_cell_at_xfd1048576_is_refused_fast_in_little_memory(tmp_path, dimension, says):
    _raw_xlsx(tmp_path / "pool.xlsx", _far_cell(dimension))
    assert (tmp_path / "pool.xlsx").stat().st_size < 2_000
    path = _assets_file_scenario(tmp_path, "pool.xlsx")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ScenarioError, match=says):
            engine.load_scenario(path)
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert took < 10.0 and peak < 100 * 2**20, (took, peak)


def test_a_workbook_of_two_million_rows_is_refused_before_parsing(tmp_path):
    def rows():
        header = zip((b"A", b"B", b"C", b"D", b"E"), (b"id", b"obligor", b"balance", b"rate",
                                                      b"term"))
        yield (b'<?xml version="1.0"?>' + _NS + b'<sheetData><row r="1">'
               + b"".join(b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % ch
                          for ch in header) + b"</row>")
        block = 50_000
        for start in range(2, 2_000_002, block):
            yield b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>1</v></c>'
                           b'<c r="C%d"><v>1000000</v></c><c r="D%d"><v>0.05</v></c>'
                           b'<c r="E%d"><v>4</v></c></row>' % ((r,) * 7)
                           for r in range(start, start + block))
        yield b"</sheetData></worksheet>"

    _raw_xlsx(tmp_path / "pool.xlsx", rows())
    assert (tmp_path / "pool.xlsx").stat().st_size < 64 * 2**20
    path = _assets_file_scenario(tmp_path, "pool.xlsx")
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"unpacks to [\d,]+ MiB; at most 64 MiB"):
        engine.load_scenario(path)
    assert time.perf_counter() - start < 5.0


def test_a_csv_tape_past_the_row_bound_is_refused(tmp_path):
    from engine.limits import MAX_TAPE_ROWS

    rows = "".join(f"L{i},B01,1000000,0.05,4\n" for i in range(MAX_TAPE_ROWS + 1))
    (tmp_path / "pool.csv").write_text("id,obligor,balance,rate,term\n" + rows)
    with pytest.raises(ScenarioError, match="pool.csv: more than 100,000 rows"):
        engine.load_scenario(_assets_file_scenario(tmp_path, "pool.csv"))


def test_a_tape_full_of_bad_cells_lists_the_first_fifty_problems_then_stops(tmp_path):
    rows = "".join(f"L{i},B01,lots,0.05,4\n" for i in range(500))
    (tmp_path / "pool.csv").write_text("id,obligor,balance,rate,term\n" + rows)
    with pytest.raises(ScenarioError) as info:
        engine.load_scenario(_assets_file_scenario(tmp_path, "pool.csv"))
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 51 and "pool.csv line 2, column balance" in problems[0]
    assert "reading stopped after 50 problems" in problems[-1]


def test_a_hidden_sheet_is_never_read_in_place_of_the_visible_one(tmp_path):
    from engine.report.tape_template import row_cells

    table = TABLES["assets"]
    good = [list(table.names)] + [row_cells(table, a.model_dump())
                                  for a in engine.load_scenario(SHENZHEN).assets]
    bad = [list(table.names), ["X1", "B01", "micro_loan", 1, 0.05, 4]]
    _workbook(tmp_path / "pool.xlsx", {"secret": bad, "visible": good}, hidden=("secret",))
    sc = engine.load_scenario(_assets_file_scenario(tmp_path, "pool.xlsx"))
    assert [a.id for a in sc.assets] == [a.id for a in engine.load_scenario(SHENZHEN).assets]
    _workbook(tmp_path / "pool.xlsx", {"Sheet1": good, "assets": bad}, hidden=("assets",))
    with pytest.raises(ScenarioError, match="sheet 'assets' is hidden"):
        engine.load_scenario(tmp_path / "deal.yaml")


# ----------------------------------------------------------------------------- template


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_writes_a_documented_blank_deal_that_runs_once_filled(tmp_path, capsys, lang):
    from openpyxl import load_workbook

    out = tmp_path / "deal"
    assert main(["template", "--out", str(out), "--lang", lang]) == 0
    book = load_workbook(out / "deal.xlsx")
    names = {"en": ["obligors", "assets", "collateral"], "zh": ["借款人", "基础资产", "质押物"]}
    assert book.sheetnames == names[lang]
    for ws, table in zip(book.worksheets, TABLES.values()):
        assert [c.value for c in ws[1]] == list(table.names)
        for cell, column in zip(ws[1], table.columns):
            note = cell.comment.text
            assert column.description and column.description in note, column.name
            assert ("必填" if column.required else "可空") in note
            assert lang == "en" or ZH_COLUMNS[column.name] in note
    ws_ob, ws_as, ws_co = book.worksheets
    ws_ob.append(["GC", None, "guarantee_company", "AAA", None, None, "sz", "guarantee"])
    for i in range(1, 5):
        ws_ob.append([f"B{i}", f"SME{i}", "borrower", "BBB", None, None, "sz", "ai"])
        ws_as.append([f"L{i}", f"B{i}", "micro_loan", 25_000_000, 0.05, 4, "bullet", f"P{i}"])
        ws_co.append([f"P{i}", "invention_patent", 50_000_000, 0.9, 0.05, 4, 0.3])
    book.save(out / "deal.xlsx")
    assert main(["validate", str(out / "deal.yaml")]) == 0, capsys.readouterr().err
    sc = engine.load_scenario(out / "deal.yaml")
    assert len(sc.assets) == 4 and sc.collateral[0].haircut.sd == 0.05
    assert (sc.report.language == "zh") == (lang == "zh")


def test_template_never_replaces_a_file(tmp_path, capsys):
    (tmp_path / "deal.xlsx").write_bytes(b"the structurer's filled workbook")
    assert main(["template", "--out", str(tmp_path)]) == 2
    assert "deal.xlsx: exists" in capsys.readouterr().err
    assert (tmp_path / "deal.xlsx").read_bytes() == b"the structurer's filled workbook"
    assert sorted(os.listdir(tmp_path)) == ["deal.xlsx"]
    assert main(["template", "--out", str(tmp_path / "no" / "such")]) == 2
    assert not (tmp_path / "no").exists()
