"""Outputs never destroy what a user owns (engine/report/files.py, issue #17).

Every output option is pointed at the scenario, its folder, unrelated files, special files
and fresh paths; nothing that existed may change except a regular file a file option was
explicitly given (replaced by a complete result, keeping its mode).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.report import files
from special_files import char_device

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: its kind, mode and (for files) content digest."""
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest = (hashlib.sha256(path.read_bytes()).hexdigest()
                  if stat.S_ISREG(st.st_mode) else os.readlink(path) if path.is_symlink() else "")
        out[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                            digest)
    return out


@pytest.fixture
def deal(tmp_path):
    """A folder holding a scenario, a note, an old result, a FIFO, a device node and a link
    to the scenario."""
    folder = tmp_path / "deal"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "s.yaml")
    (folder / "notes.txt").write_text("the structurer's own notes\n")
    (folder / "old.json").write_text('{"format": "ipabs-result/v1"}\n')   # an earlier --json
    os.chmod(folder / "old.json", 0o640)
    os.mkfifo(folder / "pipe")
    if os.geteuid() == 0:
        char_device(folder / "device")
    (folder / "link.json").symlink_to("s.yaml")
    return folder


TARGETS = ["s.yaml", ".", "notes.txt", "old.json", "pipe", "device", "link.json", "fresh"]
REFUSED_FILE = {"s.yaml", ".", "pipe", "device", "link.json"}     # for --json / --csv
REFUSED_JSON = REFUSED_FILE | {"notes.txt"}       # --json replaces only what ipabs wrote
REFUSED_CSV = REFUSED_JSON | {"old.json"}         # --csv only a table ipabs wrote


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("command,option", [("run", "--json"), ("run", "--out"),
                                            ("cashflows", "--json"), ("cashflows", "--csv")])
def test_no_output_option_changes_anything_it_was_not_given(deal, command, option, name,
                                                            capsys):
    if name == "device" and not (deal / "device").exists():
        pytest.skip("device nodes need root")
    before = snapshot(deal.parent)
    target = str(deal / name)
    args = [command, str(deal / "s.yaml"), option, target]
    args += ["--paths", "2000", "--quiet"] if command == "run" else ["--quiet"]
    status = main(args)
    err = capsys.readouterr().err
    after = snapshot(deal.parent)
    created = {"fresh"} if name == "fresh" else set()
    if option == "--out":
        refused = name != "fresh"
    else:
        refused = name in (REFUSED_JSON if option == "--json" else REFUSED_CSV)
    replaced = {name} if option != "--out" and name in ("notes.txt", "old.json") and \
        not refused else set()
    assert status == (2 if refused else 0), err
    if refused:
        assert option in err and "Traceback" not in err
    for key, value in before.items():
        if key not in {f"deal/{n}" for n in replaced}:
            assert after.get(key) == value, f"{key} changed"
    for n in replaced:            # replaced by a complete result, keeping its mode
        old, new = before[f"deal/{n}"], after[f"deal/{n}"]
        assert new[0] == stat.S_IFREG and new[1] == old[1] and new[2] != old[2]
    new_entries = {k.split("/")[1] for k in after.keys() - before.keys()}
    assert new_entries == created, new_entries


def test_run_out_replaces_its_own_previous_output_but_never_a_foreign_file(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["run", str(SHIPPED), "--paths", "2000", "--seed", "1", "--out", str(out),
                 "--quiet"]) == 0
    marker = (out / files.MARKER).read_text()
    assert "result.json" in marker and "report.html" in marker
    assert main(["run", str(SHIPPED), "--paths", "2000", "--seed", "2", "--out", str(out),
                 "--quiet"]) == 0
    assert json.loads((out / "result.json").read_text())["run"]["seed"] == 2
    (out / "mine.xlsx").write_text("a user's workbook")
    before = snapshot(tmp_path)
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(out), "--quiet"]) == 2
    assert "mine.xlsx" in capsys.readouterr().err
    assert snapshot(tmp_path) == before
    (out / "mine.xlsx").unlink()
    with open(out / "tranches.csv", "a", encoding="utf-8") as fh:    # the user's own note
        fh.write("note,checked by the committee\n")
    before = snapshot(tmp_path)
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(out), "--quiet"]) == 2
    assert "tranches.csv, changed since ipabs wrote it" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_a_marker_without_digests_still_lets_ipabs_replace_its_folder(tmp_path):
    """Folders written before the marker kept each file's digest are replaced as before."""
    out = tmp_path / "rep"
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(out), "--quiet"]) == 0
    lines = (out / files.MARKER).read_text().splitlines()
    assert all("\t" in line and len(line.split("\t")[1]) == 64 for line in lines[1:])
    (out / files.MARKER).write_text("\n".join([lines[0]] + [x.split("\t")[0] for x in lines[1:]])
                                    + "\n")
    (out / "result.json").write_text("{}")
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "result.json").read_text())["format"] == "ipabs-result/v1"


def test_out_onto_an_empty_folder_is_fine_and_onto_a_folder_of_files_is_refused(tmp_path,
                                                                               capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(empty), "--quiet"]) == 0
    assert (empty / "result.json").exists()
    full = tmp_path / "full"
    full.mkdir()
    (full / "a.txt").write_text("mine")
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(full), "--quiet"]) == 2
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in full.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("args,message", [
    (["--out", "{d}/rep", "--json", "{d}/rep/r.json"], "is inside --out"),
    (["--json", "{d}/rep/r.json", "--out", "{d}/rep"], "is inside --out"),
    (["--out", "{d}"], "an input of this run"),
    (["--out", "{d}/.."], "an input of this run"),
    (["--json", "{d}/s.yaml"], "an input of this run"),
    (["--json", "{d}/hard.yaml"], "an input of this run"),
])
def test_an_output_that_is_or_holds_an_input_or_another_output_is_refused(tmp_path, args,
                                                                          message, capsys):
    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(SHIPPED, d / "s.yaml")
    os.link(d / "s.yaml", d / "hard.yaml")
    before = snapshot(tmp_path)
    status = main(["run", str(d / "s.yaml"), "--paths", "2000", "--quiet",
                   *[a.format(d=d) for a in args]])
    assert status == 2
    assert message in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_two_options_naming_one_file_are_refused(tmp_path, capsys):
    f = tmp_path / "f"
    assert main(["cashflows", str(SHIPPED), "--csv", str(f), "--json", str(tmp_path / "." / "f"),
                 "--quiet"]) == 2
    assert "same path" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_rating_table_and_assets_file_are_inputs_too(tmp_path, capsys):
    shutil.copytree(ROOT / "tests" / "data" / "scenario", tmp_path / "sc")
    scenario = tmp_path / "sc" / "fixture_base_csv.yaml"
    before = snapshot(tmp_path)
    assert main(["cashflows", str(scenario), "--csv", str(tmp_path / "sc" / "pool.csv"),
                 "--quiet"]) == 2
    assert "an input of this run" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_new_files_follow_the_umask_and_a_replaced_file_keeps_its_mode(tmp_path):
    old = os.umask(0o027)
    try:
        kept = tmp_path / "kept.json"
        kept.write_text('{"format": "ipabs-result/v1"}')
        os.chmod(kept, 0o604)
        assert main(["run", str(SHIPPED), "--paths", "2000", "--json", str(tmp_path / "r.json"),
                     "--out", str(tmp_path / "rep"), "--quiet"]) == 0
        assert main(["run", str(SHIPPED), "--paths", "2000", "--json", str(kept),
                     "--quiet"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "rep").stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "rep").iterdir()} == {0o640}
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604
    assert json.loads(kept.read_text())["format"] == "ipabs-result/v1"


def test_json_and_out_commit_together_even_when_interrupted_between(tmp_path, monkeypatch,
                                                                    capsys):
    real = files._put_in_place

    def slow_rename(t):
        real(t)
        os.kill(os.getpid(), signal.SIGINT)      # Ctrl-C after the first rename

    monkeypatch.setattr(files, "_put_in_place", slow_rename)
    js, out = tmp_path / "r.json", tmp_path / "rep"
    status = main(["run", str(SHIPPED), "--paths", "2000", "--json", str(js), "--out", str(out),
                   "--quiet"])
    err = capsys.readouterr().err
    assert status == 130
    assert js.exists() and (out / "result.json").exists()
    assert f"interrupted; written: --json {js}, --out {out}" in err


def test_an_interrupt_before_the_commit_writes_nothing_and_says_so(tmp_path, monkeypatch,
                                                                   capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("engine.report.plots.plot_pool_default_rate", interrupted)
    status = main(["run", str(SHIPPED), "--paths", "2000", "--json", str(tmp_path / "r.json"),
                   "--out", str(tmp_path / "rep"), "--quiet"])
    assert status == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failing_write_names_the_option_the_file_and_what_was_written(tmp_path, monkeypatch,
                                                                        capsys):
    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    js = tmp_path / "r.json"
    assert main(["run", str(SHIPPED), "--paths", "2000", "--json", str(js), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--json {js}: cannot write (No space left on device); nothing was written" in err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()

    def full_plot(result, path, *args):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("engine.report.plots.plot_pool_default_rate", full_plot)
    out = tmp_path / "rep"
    assert main(["run", str(SHIPPED), "--paths", "2000", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: cannot write pool_default_rate.png (No space left on device)" in err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()

    calls = []

    def second_fails(t):
        if calls:
            raise OSError(13, "Permission denied")
        calls.append(t)
        real(t)

    real = files._put_in_place
    monkeypatch.setattr(files, "_put_in_place", second_fails)
    assert main(["run", str(SHIPPED), "--paths", "2000", "--json", str(js), "--out", str(out),
                 "--quiet"]) == 2
    assert f"written: --json {js}" in capsys.readouterr().err
    assert js.exists() and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_second_writer_waits_for_the_first_to_finish_its_commit(tmp_path):
    """Concurrent runs onto one --out never interleave: the commit takes the folder's lock."""
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)               # as if another run were committing
    out = tmp_path / "rep"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run", str(SHIPPED), "--paths",
                             "2000", "--json", str(tmp_path / "r.json"), "--out", str(out),
                             "--quiet"], stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(8)                            # long enough to have simulated
        assert proc.poll() is None and not out.exists() and not (tmp_path / "r.json").exists()
    finally:
        os.close(fd)                             # releases the lock
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert (out / "result.json").exists() and (tmp_path / "r.json").exists()


def test_concurrent_runs_onto_one_out_leave_one_complete_folder(tmp_path):
    out = tmp_path / "rep"
    procs = [subprocess.Popen([sys.executable, "-m", "engine", "run", str(SHIPPED), "--paths",
                               "2000", "--seed", str(seed), "--out", str(out), "--json",
                               str(tmp_path / f"r{seed}.json"), "--quiet"],
                              stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    seed = json.loads((out / "result.json").read_text())["run"]["seed"]
    assert (out / "result.json").read_text() == (tmp_path / f"r{seed}.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1.json", "r2.json", "rep"]


def test_the_python_helpers_apply_the_same_rules(tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    with pytest.raises(files.OutputError, match="did not write"):
        files.write_out_dir(tmp_path, {"a": 1})
    with pytest.raises(files.OutputError, match="is a folder"):
        files.write_json_atomic(tmp_path, {"a": 1})
    assert (tmp_path / "mine.txt").read_text() == "x"


def test_a_closed_stdout_is_not_an_error_and_the_outputs_are_complete(tmp_path):
    js = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run", str(SHIPPED), "--paths",
                             "2000", "--json", str(js)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()                          # like `| head` that has read enough
    err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 0, err
    assert err == ""
    assert json.loads(js.read_text())["format"] == "ipabs-result/v1"
    p = subprocess.run(f"'{sys.executable}' -m engine schema | head -1", shell=True,
                       capture_output=True, text=True)
    assert p.stdout == "{\n" and p.stderr == ""


#: What a file holds before ``--json`` names it, and whether ipabs may replace it.
JSON_TARGETS = [("the structurer's own notes\n", False), ('{"mine": 1}\n', False),
                ("[1, 2]\n", False), ('{"format": "not-ipabs"}\n', False), ("", True),
                ('{"format": "ipabs-cashflows/v1"}\n', True)]


#: What a file holds before ``--csv`` names it, and whether ipabs may replace it.
CSV_TARGETS = [("format: ipabs/v1\nname: my deal\n", False), ("period,amount\n1,2\n", False),
               ("\ufeffid,amount\n", False), ("", True), ("\ufeffperiod,x\n1,2\n", True),
               ("\ufeff期数,利息回收\r\n1,2\r\n", True)]


@pytest.mark.parametrize("option,targets,refusal,written", [
    ("--json", JSON_TARGETS, "holds something ipabs did not write",
     lambda text: json.loads(text)["format"] == "ipabs-cashflows/v1"),
    ("--csv", CSV_TARGETS, "holds something other than a table ipabs wrote",
     lambda text: text.startswith("\ufeffperiod,"))])
def test_a_file_output_replaces_only_an_empty_file_or_what_ipabs_wrote(tmp_path, capsys, option,
                                                                       targets, refusal,
                                                                       written):
    target = tmp_path / "out"
    for content, replaced in targets:
        target.write_text(content, encoding="utf-8")
        status = main(["cashflows", str(SHIPPED), option, str(target), "--quiet"])
        err = capsys.readouterr().err
        if replaced:
            assert status == 0, err
            assert written(target.read_text(encoding="utf-8"))
        else:
            assert status == 2 and target.read_text(encoding="utf-8") == content, content
            assert f"{option} {target}: {refusal}" in err
    assert main(["cashflows", str(SHIPPED), option, str(target), "--quiet"]) == 0  # again


@pytest.mark.parametrize("kept", ["ipabs-golden/v1", "ipabs-state/v1", "ipabs-book/v1"])
def test_json_never_replaces_a_document_a_user_keeps(tmp_path, capsys, kept):
    """A golden result, a deal state or a book (JSON is YAML) is marked ``ipabs-`` too, but
    is the user's: only ``check --update`` rewrites a golden file."""
    target = tmp_path / "kept.json"
    content = json.dumps({"format": kept, "mine": 1})
    target.write_text(content)
    assert main(["cashflows", str(SHIPPED), "--json", str(target), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--json {target}: holds an {kept} document, which --json never replaces" in err
    assert target.read_text() == content


def test_the_output_formats_are_every_output_document_and_no_kept_one():
    from engine.analysis.compare import COMPARE_FORMAT
    from engine.analysis.regression import GOLDEN_FORMAT
    from engine.analysis.sensitivity import SENSITIVITY_FORMAT
    from engine.analysis.sweep import SWEEP_FORMAT
    from engine.books.format import BOOK_FORMAT
    from engine.books.result import BOOK_RESULT_FORMAT
    from engine.report.files import OUTPUT_FORMATS
    from engine.result import RESULT_FORMAT
    from engine.scenario.state import STATE_FORMAT

    assert {RESULT_FORMAT, COMPARE_FORMAT, SENSITIVITY_FORMAT, SWEEP_FORMAT,
            BOOK_RESULT_FORMAT} <= OUTPUT_FORMATS
    assert not {GOLDEN_FORMAT, STATE_FORMAT, BOOK_FORMAT} & OUTPUT_FORMATS



def test_json_naming_a_folder_is_refused_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "old").mkdir()
    before = snapshot(tmp_path)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for given in ("newdir/", "old/", "old"):
            assert main(["cashflows", str(SHIPPED), "--json", given, "--quiet"]) == 2
            assert f"--json {given}: " in capsys.readouterr().err
    finally:
        os.chdir(cwd)
    assert snapshot(tmp_path) == before


def test_every_json_document_names_its_ipabs_format(tmp_path):
    import engine

    doc = engine.size_tranche(engine.load_scenario(SHIPPED), "A", "AAAsf", paths=2000)
    assert doc["format"] == "ipabs-size/v1"
