"""Odd inputs end in a clear exit 2, never a hang, a huge allocation or an internal error
(engine/inputs.py, engine/limits.py, issue #17)."""
from __future__ import annotations

import inspect
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import engine
from builders import bullet_pool, load
from engine.cli import main
from engine.errors import InputError, ScenarioError
from engine.limits import MAX_INPUT_BYTES, MAX_PAIRWISE_OBLIGORS, MAX_PATHS
from special_files import char_device

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"
DATA = ROOT / "tests" / "data" / "scenario"
TABLE = "rating,tenor,cumulative_default_rate\nAA,1,0.001\nBB,1,0.02\n"


def _scenario(folder: Path, **changes) -> Path:
    doc = yaml.safe_load(SHIPPED.read_text())
    for key, value in changes.items():
        target = doc
        *parents, last = key.split(".")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[last] = value
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


# ----------------------------------------------------------------------------- reading files


@pytest.mark.parametrize("kind", ["fifo", "chardev", "folder", "too_large"])
@pytest.mark.parametrize("role", ["scenario", "assets_file", "table"])
def test_special_or_huge_files_are_refused_without_reading_them(tmp_path, kind, role, capsys):
    folder = tmp_path / "deal"
    shutil.copytree(DATA, folder)
    scenario = folder / "fixture_base_csv.yaml"
    target = {"scenario": scenario, "assets_file": folder / "pool.csv",
              "table": folder / "t.csv"}[role]
    if role == "table":
        doc = yaml.safe_load(scenario.read_text())
        doc["rating"] = {"table": "t.csv"}
        scenario.write_text(yaml.safe_dump(doc, sort_keys=False))
    target.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "chardev":
        char_device(target)
    elif kind == "folder":
        target.mkdir()
    else:
        with open(target, "wb") as fh:
            fh.truncate(MAX_INPUT_BYTES + 1)       # sparse: costs no disk
    started = time.monotonic()
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert time.monotonic() - started < 30
    expected = {"fifo": "a FIFO", "chardev": "a character device", "folder": "a folder",
                "too_large": "larger than 64 MiB"}[kind]
    assert expected in err and "Traceback" not in err


def test_a_fifo_scenario_never_blocks_the_command_line(tmp_path):
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    p = subprocess.run([sys.executable, "-m", "engine", "run", str(fifo)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2 and "FIFO" in p.stderr


@pytest.mark.parametrize("how", ["file", "folder"])
def test_a_symlink_cannot_lead_the_rating_table_outside_the_folder(tmp_path, how, capsys):
    folder = tmp_path / "deal"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t.csv").write_text(TABLE)
    if how == "file":
        (folder / "t.csv").symlink_to("/etc/passwd")
        name = "t.csv"
    else:
        (folder / "sub").symlink_to(outside)
        name = "sub/t.csv"
    scenario = _scenario(folder, **{"rating.table": name})
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "points outside the scenario's folder" in err
    first_line = Path("/etc/passwd").read_text().splitlines()[0]
    assert first_line not in err                  # never quotes the file


def test_a_symlink_cannot_lead_assets_file_outside_the_folder(tmp_path, capsys):
    folder = tmp_path / "deal"
    shutil.copytree(DATA, folder)
    (tmp_path / "pool.csv").write_text((folder / "pool.csv").read_text())
    (folder / "pool.csv").unlink()
    (folder / "pool.csv").symlink_to(tmp_path / "pool.csv")
    assert main(["validate", str(folder / "fixture_base_csv.yaml")]) == 2
    assert "points outside the scenario's folder" in capsys.readouterr().err


def test_validate_reads_the_rating_table(tmp_path, capsys):
    folder = tmp_path / "deal"
    folder.mkdir()
    scenario = _scenario(folder, **{"rating.table": "t.csv"})
    assert main(["validate", str(scenario)]) == 2
    assert "cannot read the rating table" in capsys.readouterr().err
    (folder / "t.csv").write_text("rating,tenor,cumulative_default_rate\nAA,1,0.001\n")
    assert main(["validate", str(scenario)]) == 2
    assert "at least two" in capsys.readouterr().err
    (folder / "t.csv").write_text(TABLE)
    assert main(["validate", str(scenario)]) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_table_fails_validation(tmp_path, capsys):
    folder = tmp_path / "deal"
    folder.mkdir()
    (folder / "t.csv").write_text(TABLE)
    os.chmod(folder / "t.csv", 0)
    assert main(["validate", str(_scenario(folder, **{"rating.table": "t.csv"}))]) == 2
    assert "Permission denied" in capsys.readouterr().err


# ----------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("content,message", [
    ("{not json", "is not JSON"),
    ("[]", "not an ipabs-golden/v1 document"),
    ("", "is not JSON"),
    ('{"format": "ipabs-golden/v1", "result": {"pool": {}, "tranches": [{"id": "A"}]}}',
     "expected an sf grade"),
    ('{"format": "ipabs-golden/v1", "result": {"pool": {"expected_default_rate": "x"}, '
     '"tranches": []}}', "expected a finite number"),
    (None, "a character device"),
])
def test_a_bad_golden_file_is_a_clear_exit_2_before_any_simulation(tmp_path, content, message,
                                                                   capsys, monkeypatch):
    shutil.copy(ROOT / "scenarios" / "pudong_trust_loan.yaml", tmp_path / "x.yaml")
    gold = tmp_path / "x.golden.json"
    if content is None:
        char_device(gold)
    else:
        gold.write_text(content)
    monkeypatch.setattr("engine.analysis.regression.current_document",
                        lambda *a: pytest.fail("simulated before checking the golden file"))
    assert main(["check", str(tmp_path), "--paths", "2000"]) == 2
    err = capsys.readouterr().err
    assert "x.golden.json" in err and message in err and "Traceback" not in err


def test_check_update_rewrites_golden_files_only_through_the_same_rules(tmp_path, capsys):
    shutil.copy(ROOT / "scenarios" / "pudong_trust_loan.yaml", tmp_path / "x.yaml")
    (tmp_path / "x.golden.json").mkdir()
    assert main(["check", str(tmp_path), "--update", "--paths", "2000"]) == 2
    err = capsys.readouterr().err
    assert "--update" in err and "is a folder" in err
    (tmp_path / "x.golden.json").rmdir()
    assert main(["check", str(tmp_path), "--update", "--paths", "2000"]) == 0
    assert main(["check", str(tmp_path), "--paths", "2000", "--json",
                 str(tmp_path / "x.golden.json")]) == 2
    assert "an input of this run" in capsys.readouterr().err
    assert main(["check", str(tmp_path), "--paths", "2000"]) == 0


@pytest.mark.parametrize("content", ["my notes on this deal\n", '{"format": "ipabs-result/v1"}'])
def test_check_update_replaces_only_a_golden_result(tmp_path, capsys, content):
    shutil.copy(ROOT / "scenarios" / "pudong_trust_loan.yaml", tmp_path / "x.yaml")
    gold = tmp_path / "x.golden.json"
    gold.write_text(content)
    assert main(["check", str(tmp_path), "--update", "--paths", "2000"]) == 2
    err = capsys.readouterr().err
    assert f"--update {gold}: holds" in err and "move the file away" in err
    assert gold.read_text() == content


# ----------------------------------------------------------------------------- resource guards


def test_pairwise_with_too_many_obligors_suggests_factors_without_building_the_matrix():
    n = MAX_PAIRWISE_OBLIGORS + 1
    doc = bullet_pool([0.02] * n, [1e5] * n, 0.1)
    doc["correlation"] = {"pairwise": {"same_region_same_industry": 0.3, "same_region": 0.2,
                                       "same_industry": 0.2, "other": 0.1}}
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="use `factors`"):
        load(doc)
    assert time.monotonic() - started < 60


def test_per_period_tables_are_bounded(monkeypatch):
    monkeypatch.setattr("engine.scenario.checks.MAX_GRID_CELLS", 100)
    with pytest.raises(ScenarioError, match="per-period tables of 183 cells, more than 100"):
        load(bullet_pool([0.02] * 3, [1e6] * 3, 0.1, legal_final=60))
    monkeypatch.undo()
    doc = bullet_pool([0.02] * 3, [1e6] * 3, 0.1)
    doc["legal_final"] = 10**30
    with pytest.raises(ScenarioError, match=r"legal_final: about 10\^30 periods is more") as info:
        load(doc)
    assert len(str(info.value)) < 1000


def test_paths_are_bounded_and_chunks_are_made_lazily():
    from engine.simulate import chunks

    lazy = chunks(10**12, 32)
    assert inspect.isgenerator(lazy) and next(lazy) == (0, 32)
    sc = engine.load_scenario(SHIPPED)
    with pytest.raises(InputError, match="paths must be between"):
        engine.run(sc, paths=10**12)
    from engine.analysis.sensitivity import sensitivity
    with pytest.raises(InputError, match="GiB"):
        sensitivity(sc, paths=MAX_PATHS)


@pytest.mark.parametrize("args,message", [
    (["run", "{s}", "--paths", "1000000000000"], "must be between 2 and 1,000,000,000"),
    (["run", "{s}", "--paths", "1"], "must be between 2"),
    (["cashflows", "{s}", "--recovery-lag", "100000000000000000000"], "must be between 0"),
    (["cashflows", "{s}", "--cdr", "0.1", "--timing", "nan,1"], "must be finite"),
    (["cashflows", "{s}", "--cdr", "0.1", "--timing", "front:abc"], "front:x needs a number"),
    (["sensitivity", "{s}", "--change", "pd_multiplier=nan"], "must be a finite number"),
    (["sensitivity", "{s}", "--change", "pd_multiplier=-1"], "greater than 0"),
    (["sensitivity", "{s}", "--change", "lag_shift=100000000000000000000"], "1,200 periods"),
    (["run", "{s}", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --backend dask"),
])
def test_odd_command_line_values_are_clear_exits_2(args, message, capsys):
    assert status_of([a.format(s=SHIPPED) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err and "pydantic" not in err and "https://" not in err


def status_of(argv) -> int:
    """The exit status of ``ipabs ARGV`` run in this process (usage errors exit via argparse)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_a_tiny_haircut_sd_is_a_fixed_haircut():
    from engine.plan import compile_plan

    doc = yaml.safe_load(SHIPPED.read_text())
    doc["collateral"][0]["haircut"] = {"mean": 0.9, "sd": 1e-300}
    plan = compile_plan(engine.load_scenario_text(yaml.safe_dump(doc)))
    assert np.all(np.isfinite(plan.haircut_tables))
    assert any(np.all(row == 0.9) for row in plan.haircut_tables)


def test_rates_above_100pct_need_allow_high_rates_and_stay_bounded():
    doc = bullet_pool([0.02] * 3, [1e6] * 3, 0.1, coupon=2.0)
    with pytest.raises(ScenarioError, match="allow_high_rates"):
        load(doc)
    doc["allow_high_rates"] = True
    assert load(doc).tranches[0].coupon == 2.0
    doc["tranches"][0]["coupon"] = 1e300
    with pytest.raises(ScenarioError, match="even with `allow_high_rates: true`"):
        load(doc)


def test_a_nan_is_never_a_silent_zero():
    from engine.accumulate import mean_and_se, ratio_and_se

    assert math.isnan(mean_and_se(10, math.inf, math.inf)[1])
    assert math.isnan(ratio_and_se(10, math.inf, math.inf, 1.0, 1.0, math.inf)[1])
    assert mean_and_se(3, 3.0, 3.0 - 1e-15) == (1.0, 0.0)      # rounding below 0 is still 0


def test_a_non_finite_result_is_an_internal_error_and_writes_nothing(tmp_path, monkeypatch,
                                                                     capsys):
    from engine.result import Result

    real = Result.to_dict
    monkeypatch.setattr(Result, "to_dict", lambda self: {**real(self), "x": [float("nan")]})
    assert main(["run", str(SHIPPED), "--paths", "2000", "--json", str(tmp_path / "r.json"),
                 "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "internal error: NonFiniteResult: the result holds nan at x.0" in err
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- Dask scheduler


def _server(reply: bytes | None):
    """A TCP server on a free port that sends ``reply`` (or nothing) and never closes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    conns = []

    def serve():
        while True:
            try:
                c, _ = sock.accept()
            except OSError:
                return
            conns.append(c)
            if reply:
                c.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return sock, f"tcp://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("reply,message", [
    (None, "no Dask scheduler answered within 1 s"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" * 3, "not a Dask scheduler"),
])
def test_a_scheduler_that_is_not_dask_is_an_input_error_naming_it(reply, message):
    from engine.backends import probe_scheduler

    sock, address = _server(reply)
    try:
        started = time.monotonic()
        with pytest.raises(InputError, match=message) as info:
            probe_scheduler(address, timeout=1.0)
        assert address in str(info.value) and time.monotonic() - started < 10
    finally:
        sock.close()


def test_an_unreachable_scheduler_is_exit_2_naming_the_address(capsys):
    assert main(["run", str(SHIPPED), "--paths", "2000", "--backend", "dask", "--scheduler",
                 "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "tcp://127.0.0.1:1" in err and "cannot reach a Dask scheduler" in err


def test_bad_input_is_reported_before_a_dask_cluster_starts(tmp_path, capsys):
    started = time.monotonic()
    assert main(["run", str(tmp_path / "missing.yaml"), "--backend", "dask"]) == 2
    assert time.monotonic() - started < 5
    assert "No such file" in capsys.readouterr().err


# ----------------------------------------------------------------------------- injection


def test_names_cannot_drive_the_terminal_a_spreadsheet_or_the_report(tmp_path, capsys):
    scenario = _scenario(tmp_path, name="deal\u202eevil\u200b",
                         **{"tranches.0.id": "=1+2", "tranches.1.id": "@SUM(A1)",
                            "credit_support.1.covers": ["=1+2"],
                            "sensitivities": []})
    out = tmp_path / "rep"
    assert main(["run", str(scenario), "--paths", "2000", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for bad in ("\u202e", "\u200b"):
        assert bad not in printed
    assert "deal\\u202eevil\\u200b" in printed
    tranches = (out / "tranches.csv").read_text().splitlines()
    assert tranches[1].startswith("'=1+2,") and tranches[2].startswith("'@SUM(A1),")
    assert "'=1+2:interest_paid" in (out / "cashflows.csv").read_text().splitlines()[0]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "\u202e" not in page and "\\u202e" in page
    csv = tmp_path / "c.csv"
    assert main(["cashflows", str(scenario), "--csv", str(csv), "--quiet"]) == 0
    header = csv.read_text().splitlines()[0].split(",")
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in header)


@pytest.mark.parametrize("field,value", [
    ("name", "deal\x1b]0;owned\x07\x1b[2J"), ("name", "Deal\nipabs: all tranches AAAsf"),
    ("obligors.0.industry", "elec\x1b[2Jtronics"), ("sensitivities.0.name", "s\x9bred"),
    ("tranches.0.id", "A\x1b[31m")])
def test_a_control_character_in_any_text_is_an_exit_2_naming_field_and_line(tmp_path, capsys,
                                                                           field, value):
    """A name, a label or an id holds characters that show: a control character (an escape
    sequence, a line feed that would fake a line of output) is refused before anything runs,
    so no terminal, CSV, page or plot ever receives one."""
    scenario = _scenario(tmp_path, **{field: value})
    out = tmp_path / "rep"
    assert main(["report", str(scenario), "--paths", "2000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"s.yaml: {field}: " in err and "(line " in err and "Traceback" not in err
    assert "a control character" in err or "does not show" in err
    assert "\x1b" not in err and "\x9b" not in err and not out.exists()


def test_a_control_character_in_a_tape_cell_is_refused(tmp_path, capsys):
    """Text read from a tape (here an obligor's industry in ``obligors_file``) is held to the
    same rule as text in the YAML."""
    doc = yaml.safe_load((DATA / "fixture_base.yaml").read_text())
    rows = ["id,kind,rating,region,industry"]
    for o in doc.pop("obligors"):
        rows.append(f"{o['id']},{o['kind']},{o.get('rating', 'BB')},{o.get('region', '')},"
                    f"{o.get('industry', '')}")
    rows[1] = rows[1].replace(",ai", ",elec\x1b[2Jtronics")
    (tmp_path / "obligors.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc["obligors_file"] = "obligors.csv"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(doc, sort_keys=False))
    (tmp_path / "obligors.csv").write_text("\n".join(rows).replace("elec\x1b[2Jtronics", "ai")
                                           + "\n", encoding="utf-8")
    assert main(["validate", str(scenario)]) == 0            # the same tape, clean: valid
    capsys.readouterr()
    (tmp_path / "obligors.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "obligors.csv" in err and "industry" in err and "a control character" in err
    assert "\x1b" not in err and "Traceback" not in err


def test_control_characters_in_error_messages_are_neutralised(tmp_path, capsys):
    assert main(["run", str(tmp_path / "bad\x1b[2J.yaml")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "bad\\x1b[2J.yaml" in err


def test_csv_safe_leaves_numbers_alone():
    import pandas as pd

    from engine.report.safe_text import csv_safe

    frame = pd.DataFrame({"id": ["-1", "+x", "\tx", "ok"], "v": [-1.5, 2.0, 3.0, 4.0]})
    safe = csv_safe(frame)
    assert list(safe["id"]) == ["'-1", "'+x", "'\tx", "ok"]
    assert list(safe["v"]) == [-1.5, 2.0, 3.0, 4.0]
    assert json.loads(json.dumps(list(safe["v"]))) == [-1.5, 2.0, 3.0, 4.0]


def test_no_formula_cell_and_no_refused_character_in_any_workbook(tmp_path):
    """Text starting with `=` is a string cell, never a formula; control characters are
    shown escaped instead of crashing the writer (issue #30, classes 2 and 4)."""
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook

    from engine.report.sheets import write_xlsx

    frame = pd.DataFrame({"id": ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")",
                                 "\x1b[31mred\x07", "ok"], "balance": [1.0, 2.0, 3.0, 4.0]})
    path = tmp_path / "x.xlsx"
    write_xlsx({"tranches.csv": frame}, path)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and all("<f>" not in z.read(n).decode() for n in sheets)
    ws = load_workbook(path).worksheets[0]
    values = [c.value for c in ws["A"]]
    assert values[1] == "=cmd|' /C calc'!A0" and values[3] == "\\x1b[31mred\\x07"
    assert all(c.data_type == "s" for c in ws["A"])


def test_no_csv_cell_a_reader_splits_or_runs():
    """A bare CR would start a new row in a CSV reader; a formula may hide behind leading
    whitespace or control characters (issue #30, class 3)."""
    import csv
    import io

    import pandas as pd

    from engine.report.sheets import csv_text

    frame = pd.DataFrame({"id": ["\r=1+1", " \t=SUM(A1)", "\x00@cmd", "a\nb", "ok"],
                          "x": [1, 2, 3, 4, 5]})
    rows = list(csv.reader(io.StringIO(csv_text(frame).lstrip("\ufeff"))))
    assert len(rows) == 6                               # header + five, none split
    for row in rows[1:]:
        text = row[0].lstrip(" \t\x00")
        assert not text.startswith(("=", "+", "-", "@")), row
    assert rows[1][0] == "\\r=1+1" and rows[4][0] == "a\nb"


# ----------------------------------------------------------------------------- ids that look alike

EXAMPLE = (ROOT / "tests" / "data" / "format_example.yaml").read_text()


@pytest.mark.parametrize("written, shown, character", [
    ("A\u200b", "A\\u200b", "U+200B ZERO WIDTH SPACE"),
    ("A\u00a0", "A\\xa0", "U+00A0 NO-BREAK SPACE"),
    ("\ufeffA", "\\ufeffA", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("A\u2028", "A\\u2028", "U+2028 LINE SEPARATOR"),
    ("A\u3000", "A\\u3000", "U+3000 IDEOGRAPHIC SPACE"),
])
def test_an_id_with_a_character_that_does_not_show_is_refused_escaped(tmp_path, capsys, written,
                                                                      shown, character):
    path = tmp_path / "s.yaml"
    path.write_text(EXAMPLE.replace("{id: A, balance: 190_000_000",
                                    f"{{id: {json.dumps(written)}, balance: 190_000_000"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"tranches.0.id: id '{shown}' holds {character}, which does not show" in err, err
    assert written not in err and "(line " in err


def test_ids_that_look_alike_are_told_apart_by_their_characters(tmp_path, capsys):
    cyrillic = "\u0410"                   # CYRILLIC CAPITAL LETTER A
    path = tmp_path / "s.yaml"
    path.write_text(EXAMPLE.replace("{id: A, balance: 190_000_000",
                                    f"{{id: {cyrillic}, balance: 190_000_000"))
    assert main(["validate", str(path)]) == 2
    assert ("unknown tranche 'A' ('\u0410' looks the same: it has CYRILLIC CAPITAL LETTER A "
            "(U+0410) where 'A' has LATIN CAPITAL LETTER A (U+0041))") in capsys.readouterr().err
    both = EXAMPLE.replace("  - {id: Sub, balance: 16_000_000, subordinated: true}",
                           "  - {id: Sub, balance: 16_000_000, subordinated: true}\n"
                           "  - {id: \uff21, balance: 1_000, subordinated: true}")
    path.write_text(both)
    assert main(["validate", str(path)]) == 2
    assert ("tranches.2.id: id '\uff21' looks the same as 'A' (tranches.0): it has FULLWIDTH "
            "LATIN CAPITAL LETTER A (U+FF21)") in capsys.readouterr().err


def test_every_invisible_character_is_escaped_on_the_terminal():
    import unicodedata

    from engine.report.safe_text import terminal_safe

    hidden = [chr(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp")]
    shown = terminal_safe("".join(hidden))
    assert not any(c in shown for c in hidden)
    assert terminal_safe("\U000e0041") == "\\U000e0041" and terminal_safe("深圳 A-1") == "深圳 A-1"
