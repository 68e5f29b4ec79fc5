"""The ipabs command line: exit codes, messages, output files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


def ipabs(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_run_prints_the_tranche_table_and_writes_the_result_document(tmp_path):
    out = tmp_path / "r.json"
    p = ipabs("run", SHIPPED, "--paths", "20000", "--seed", "7", "--json", out)
    assert p.returncode == 0, p.stderr
    assert "AAAsf" in p.stdout and "A " in p.stdout and "Sub" in p.stdout
    doc = json.loads(out.read_text())
    assert doc["format"] == "ipabs-result/v1"
    assert doc["run"]["paths"] == 20000 and doc["run"]["seed"] == 7
    assert doc["run"]["method"] == "plain"
    assert len(doc["scenario"]["sha256"]) == 64
    a = doc["tranches"][0]
    for key in ("id", "balance", "default_probability", "default_probability_se", "expected_loss",
                "expected_loss_se", "wal_years", "rating", "rating_range"):
        assert key in a
    assert set(doc["pool"]["default_rate_quantiles"]) == {"0.99", "0.999", "0.9999"}


def test_the_table_says_its_pd_is_the_joint_default_view_and_gives_the_standalone_one(
        tmp_path):
    """A Bsf standalone rating beside a zero default probability must not read as a
    contradiction: the table names the columns' basis and prints the standalone figures."""
    from engine.report.i18n import estimate

    out = tmp_path / "r.json"
    p = ipabs("run", ROOT / "scenarios" / "suzhou_bank_guarantee.yaml", "--paths", "4000",
              "--support", "standalone", "--json", out)
    assert p.returncode == 0, p.stderr
    a = json.loads(out.read_text())["tranches"][0]
    assert a["rating"] == a["rating_standalone"] and a["default_probability_standalone"] > 0.01
    shown = (estimate(a["default_probability_standalone"],
                      a["default_probability_se_standalone"], 4000) + " / "
             + estimate(a["expected_loss_standalone"], a["expected_loss_se_standalone"], 4000))
    assert ("default prob and expected loss are the joint-default run's" in p.stdout
            and f"without any support (standalone): A {shown}" in p.stdout)
    bare = tmp_path / "bare.yaml"          # no support: the columns need no note
    doc = yaml.safe_load((ROOT / "scenarios" / "suzhou_bank_guarantee.yaml").read_text())
    doc["credit_support"], doc["sensitivities"] = [], []
    for asset in doc["assets"]:
        asset.pop("support", None)
    bare.write_text(yaml.safe_dump(doc, allow_unicode=True))
    p = ipabs("run", bare, "--paths", "2000")
    assert p.returncode == 0, p.stderr
    assert "joint-default run's" not in p.stdout


def test_run_out_writes_result_and_csv_tables(tmp_path):
    out = tmp_path / "out"
    p = ipabs("run", SHIPPED, "--paths", "5000", "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert {f.name for f in out.iterdir()} >= {"result.json", "tranches.csv", "pool.csv",
                                             "pool_default_rate.png"}
    assert (out / "pool_default_rate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]


def test_validate_accepts_the_shipped_scenario():
    p = ipabs("validate", SHIPPED)
    assert p.returncode == 0 and "ok" in p.stdout


def _bad_scenario(tmp_path):
    doc = yaml.safe_load(SHIPPED.read_text())
    doc["tranches"][0]["coupon"] = "high"
    doc["assets"][0]["obligor"] = "NOBODY"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_invalid_scenario_exits_2_with_every_problem_and_writes_nothing(tmp_path):
    bad = _bad_scenario(tmp_path)
    out = tmp_path / "r.json"
    p = ipabs("run", bad, "--json", out)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "tranches.0.coupon" in p.stderr and "(line " in p.stderr
    assert not out.exists()
    v = ipabs("validate", bad)
    assert v.returncode == 2 and "tranches.0.coupon" in v.stderr


def test_unsupported_feature_is_rejected_clearly(tmp_path):
    doc = yaml.safe_load(SHIPPED.read_text())
    doc["credit_support"][1]["lag"] = 1
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert ipabs("validate", path).returncode == 0
    p = ipabs("run", path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "not supported yet" in p.stderr
    assert "credit_support.1.lag" in p.stderr


@pytest.mark.parametrize("args", [
    ["run", "no/such/file.yaml"],
    ["run", str(SHIPPED), "--paths", "0"],
    ["run", str(SHIPPED), "--paths", "many"],
    ["run", str(SHIPPED), "--seed", "-1"],
    ["frobnicate"],
    ["size", str(SHIPPED), "--tranche", "A"],
    ["size", str(SHIPPED), "--tranche", "A", "--target", "AAA"],
    ["sensitivity", str(SHIPPED), "--change", "pd_multiplier"],
    ["check", "no/such/folder"],
    ["report", str(SHIPPED)],
])
def test_bad_usage_and_missing_features_exit_2_without_traceback(args):
    p = ipabs(*args)
    assert p.returncode == 2, p.stdout
    assert "Traceback" not in p.stderr and p.stderr.strip()


def test_unwritable_json_target_exits_2_and_leaves_nothing(tmp_path):
    target = tmp_path / "missing-dir" / "r.json"
    p = ipabs("run", SHIPPED, "--paths", "2000", "--json", target, "--quiet")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert not target.parent.exists()


def test_schema_is_json_schema_of_the_format():
    p = ipabs("schema")
    assert p.returncode == 0
    schema = json.loads(p.stdout)
    assert "obligors" in schema["properties"] and "tranches" in schema["properties"]


def test_python_m_engine_and_console_script_agree():
    import shutil
    exe = shutil.which("ipabs")
    if exe is None:
        pytest.skip("console script not on PATH (package not installed)")
    p = subprocess.run([exe, "validate", str(SHIPPED)], capture_output=True, text=True)
    assert p.returncode == 0


def test_first_run_says_it_is_compiling(monkeypatch, capsys):
    from engine.cli import progress

    monkeypatch.setattr(progress, "kernels_cached", lambda: False)
    show, finish = progress._progress_printer(quiet=False)
    finish()
    assert "compiling the simulation kernels" in capsys.readouterr().err
    monkeypatch.setattr(progress, "kernels_cached", lambda: True)
    progress._progress_printer(quiet=False)
    assert "compiling" not in capsys.readouterr().err


def test_compiling_prints_a_heartbeat_until_the_first_progress():
    import io
    import time

    from engine.cli import progress

    stream = io.StringIO()
    stop = progress._compile_heartbeat(stream, every=0.05)
    time.sleep(0.3)
    stop()
    beats = stream.getvalue().count("still compiling")
    assert beats >= 2
    time.sleep(0.2)
    assert stream.getvalue().count("still compiling") <= beats + 1     # stopped


def test_warmup_compiles_every_entry_point(capsys):
    from engine import cli

    assert cli.main(["warmup"]) == 0
    out = capsys.readouterr().out
    assert "simulation kernel" in out and "importance sampling" in out
    assert "one-path cash flows" in out and "book" in out and "ready in" in out
