"""Numerical edges behave as the format says; interrupted runs leave complete output or none."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine
from builders import bullet_pool, load

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


def _run(doc, paths=20_000):
    res = engine.run(load(doc), paths=paths)
    assert res.diagnostics["max_cash_error"] < 1e-4
    return res


def test_pd_zero_never_defaults_and_pd_one_always_does():
    zero = _run(bullet_pool([0.0] * 5, [1e6] * 5, 0.3))
    assert zero.pool["expected_default_rate"] == 0.0
    assert zero.tranches.loc["A", "default_probability"] == 0.0
    one = _run(bullet_pool([1.0] * 5, [1e6] * 5, 0.3))
    assert one.pool["expected_default_rate"] == 1.0
    assert one.tranches.loc["A", "default_probability"] == 1.0
    assert one.tranches.loc["A", "expected_loss"] == 1.0


@pytest.mark.parametrize("rho", [0.0, 0.999])
def test_correlation_zero_and_almost_one(rho):
    res = _run(bullet_pool([0.1] * 20, [1e6] * 20, rho, senior_share=0.5), paths=50_000)
    p = res.tranches.loc["A", "default_probability"]
    if rho == 0.0:      # independent: more than 10 of 20 defaults is very rare
        assert p < 1e-4
    else:               # comonotone: all default together with probability 0.1
        assert abs(p - 0.1) < 4 * res.tranches.loc["A", "default_probability_se"] + 1e-3


def test_zero_balance_and_zero_coupon_tranches():
    doc = bullet_pool([0.05] * 5, [1e6] * 5, 0.2, senior_share=1.0, coupon=0.0)
    doc["tranches"] = [doc["tranches"][0], {"id": "Empty", "balance": 0.0, "coupon": 0.05},
                       {"id": "Sub", "balance": 0.0, "subordinated": True}]
    res = _run(doc)
    e = res.tranches.loc["Empty"]
    assert e.default_probability == 0.0 and e.expected_loss == 0.0


def test_a_single_obligor_pool():
    res = _run(bullet_pool([0.2], [5e6], 0.3, senior_share=0.8), paths=50_000)
    a = res.tranches.loc["A"]
    assert abs(a.default_probability - 0.2) < 4 * a.default_probability_se


def test_recoveries_above_exposure_are_capped_at_it():
    doc = bullet_pool([1.0] * 3, [1e6] * 3, 0.2, senior_share=1.0, legal_final=3)
    doc["tranches"] = doc["tranches"][:1]
    for i, a in enumerate(doc["assets"]):
        a["collateral"] = [f"P{i}"]
    doc["collateral"] = [{"id": f"P{i}", "type": "trademark", "appraised_value": 50e6,
                          "haircut": {"mean": 0.1, "sd": 0.0}, "lag": 1} for i in range(3)]
    res = _run(doc)
    # everything defaults in period 1 and is recovered in full (no more) in period 2
    assert res.tranches.loc["A", "expected_loss"] == 0.0
    assert res.pool["expected_loss_rate"] == 0.0
    assert res.tranches.loc["A", "default_probability"] == 0.0


def test_every_default_in_period_one():
    doc = bullet_pool([1.0] * 8, [1e6] * 8, 0.2, legal_final=4, frequency="quarterly",
                      coupon=0.03, rate=0.05)
    res = _run(doc)
    timing = res.pool["default_timing"]
    assert timing[0] == pytest.approx(1.0) and sum(timing[1:]) == 0.0


def test_ten_thousand_assets_run_with_bounded_memory():
    code = ("import resource, sys; sys.path.insert(0, 'tests'); import engine;"
            "from builders import bullet_pool, load;"
            "doc = bullet_pool([0.02] * 10_000, [1e5] * 10_000, 0.2, senior_share=0.9,"
            " legal_final=4, frequency='quarterly', coupon=0.02, rate=0.05);"
            "res = engine.run(load(doc), paths=10_000);"
            "import re;"
            "print(res.tranches.loc['A', 'default_probability'],"   # VmHWM: this process's
            " int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())"
            ".group(1)) / 1024)")                                       # peak (not pytest's)
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    pd_a, rss_mb = map(float, p.stdout.split())
    assert 0.0 <= pd_a <= 1.0
    assert rss_mb < 2048


def test_an_interrupted_write_leaves_the_previous_output(tmp_path, monkeypatch):
    from engine.report import files

    out = tmp_path / "out"
    doc = engine.run(engine.load_scenario(SHIPPED), paths=1000).to_dict()
    files.write_out_dir(out, doc)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(folder):
        (folder / "half.txt").write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.write_out_dir(out, dict(doc, new=True), extra=boom)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]        # no temporary left behind
    target = tmp_path / "r.json"
    monkeypatch.setattr(files.os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        files.write_json_atomic(target, {"a": 1})
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_run_leaves_the_previous_output_or_none(tmp_path, sig):
    out = tmp_path / "out"
    ok = subprocess.run([sys.executable, "-m", "engine", "run", str(SHIPPED), "--paths", "2000",
                         "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run", str(SHIPPED), "--paths",
                             "50000000", "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:            # wait until it is simulating (progress shown)
        line = proc.stderr.readline()
        if "paths" in line:
            break
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, 143)
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
