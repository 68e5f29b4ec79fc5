"""Plausibility checks: what a structurer likely mistyped is warned about (or refused where
the documents cannot mean it), naming the field and its line; `--strict` refuses."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

import engine
from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"


def _doc() -> dict:
    return yaml.safe_load(BASE.read_text(encoding="utf-8"))


def _write(tmp_path, doc) -> Path:
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _warnings(tmp_path, doc) -> list[str]:
    return list(engine.load_scenario(_write(tmp_path, doc)).warnings)


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml")))
def test_the_shipped_scenarios_give_no_warning(name):
    assert engine.load_scenario(ROOT / "scenarios" / f"{name}.yaml").warnings == ()


def test_a_counter_pledge_without_a_guarantee_is_refused(tmp_path, capsys):
    doc = _doc()
    doc["credit_support"] = [s for s in doc["credit_support"] if s["type"] != "loan_guarantee"]
    for a in doc["assets"]:
        a["support"] = []
    first = doc["assets"][0]["collateral"][0]
    n = next(k for k, c in enumerate(doc["collateral"]) if c["id"] == first)
    doc["collateral"][n]["pledgee"] = "guarantor"
    assert main(["validate", str(_write(tmp_path, doc))]) == 2
    err = capsys.readouterr().err
    assert f"collateral.{n}.pledgee" in err and "(line " in err and "reach nobody" in err


def test_legal_final_typed_in_months(tmp_path):
    doc = _doc()
    last = max(a["term"] for a in doc["assets"])
    doc["legal_final"] = 3 * (last + 8)                 # quarterly: months, not periods
    found = _warnings(tmp_path, doc)
    assert any("legal_final" in w and f"did you mean {last + 8}?" in w for w in found)
    assert any("more than 3 years after the last asset's term" in w for w in found)
    assert all("(line " in w for w in found if "legal_final" in w)


def test_sensitivity_shifts_that_measure_something_else(tmp_path):
    doc = _doc()
    doc["sensitivities"] = [{"name": "haircut up", "haircut_shift": 0.5},
                            {"name": "late", "lag_shift": doc["legal_final"] + 5}]
    found = _warnings(tmp_path, doc)
    assert any("sensitivities.0.haircut_shift" in w and "clipped" in w for w in found)
    assert any("sensitivities.1.lag_shift" in w and "no recovery" in w for w in found)


@pytest.mark.parametrize("factor", [0.05, 30.0])
def test_an_appraised_value_in_the_wrong_unit(tmp_path, factor):
    doc = _doc()
    a = doc["assets"][0]
    for c in doc["collateral"]:
        if c["id"] in a["collateral"]:
            c["appraised_value"] = a["balance"] * factor / len(a["collateral"])
    found = _warnings(tmp_path, doc)
    assert any("assets.0.collateral" in w and "wrong unit" in w for w in found)


def test_a_coupon_above_the_pool_rate_without_support(tmp_path):
    doc = _doc()
    doc["credit_support"] = []
    for a in doc["assets"]:
        a["support"] = []
    for c in doc["collateral"]:
        c["pledgee"] = "pool"
    doc["tranches"][0]["coupon"] = 0.20
    doc.pop("sensitivities", None)
    found = _warnings(tmp_path, doc)
    assert any("tranches.0.coupon" in w and "above the pool's weighted rate" in w
               for w in found)


def test_obligors_that_nothing_uses(tmp_path):
    doc = _doc()
    doc["obligors"].append({"id": "IDLE_GC", "kind": "guarantee_company", "rating": "AA"})
    doc["obligors"].append({"id": "IDLE_B", "kind": "borrower", "rating": "BB"})
    found = _warnings(tmp_path, doc)
    assert any("IDLE_GC: a supporter that supports nothing" in w for w in found)
    assert any("IDLE_B: no asset, support or trigger names it" in w for w in found)


def test_warnings_reach_the_terminal_the_json_and_strict_refuses(tmp_path, capsys):
    doc = _doc()
    doc["obligors"].append({"id": "IDLE_GC", "kind": "guarantee_company", "rating": "AA"})
    path = _write(tmp_path, doc)
    out = tmp_path / "r.json"
    assert main(["run", str(path), "--paths", "1000", "--json", str(out)]) == 0
    shown = capsys.readouterr()
    assert "IDLE_GC: a supporter that supports nothing" in shown.out + shown.err
    warnings = json.loads(out.read_text(encoding="utf-8"))["warnings"]
    assert any("IDLE_GC" in w for w in warnings)
    assert main(["run", str(path), "--paths", "1000", "--strict"]) == 2
    assert "--strict" in capsys.readouterr().err
    assert main(["validate", "--strict", str(path)]) == 2
    assert main(["validate", str(path)]) == 0
    assert main(["validate", "--strict", str(BASE)]) == 0


def test_a_clean_copy_stays_clean(tmp_path):
    assert _warnings(tmp_path, copy.deepcopy(_doc())) == []
