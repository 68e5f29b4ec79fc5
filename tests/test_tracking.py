"""Tracking ratings (issue 18): deal states (ipabs-state/v1), the tracked Plan, state
snapshots of deterministic runs, `ipabs track`."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from builders import bullet_pool, load

import engine
from engine.cli import main
from engine.deterministic.assumptions import DefaultAssumptions
from engine.deterministic.run import deterministic_cashflows, state_after
from engine.plan import compile_plan
from engine.scenario.state import (
    DealState,
    closing_state,
    load_state_text,
    state_yaml,
    tracked,
)
from engine.tracking import conditional_curve
from engine.waterfall.codes import ASSET_PLAIN, ASSET_SLOT

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"


def _state(doc: dict) -> DealState:
    return load_state_text(state_yaml(doc), "state.yaml")


def _plain(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    doc["run"].pop("elapsed_s", None)
    doc["run"].pop("state", None)
    return doc


# ----------------------------------------------------------------------------- closing


@pytest.mark.parametrize("name", ["wuhan_multi_tranche_triggers", "shenzhen_ip_pledge"])
def test_closing_state_gives_the_closing_result_bit_for_bit(name):
    sc = engine.load_scenario(SCEN / f"{name}.yaml")
    closing = engine.run(sc, paths=3000, seed=11)
    at_zero = engine.run(sc, paths=3000, seed=11, state=_state(closing_state(sc)))
    assert at_zero.run["state"]["as_of"] == 0
    assert _plain(at_zero.to_dict()) == _plain(closing.to_dict())


def test_closing_state_compiles_to_the_closing_plan_array_for_array():
    sc = engine.load_scenario(SCEN / "wuhan_multi_tranche_triggers.yaml")
    a = compile_plan(sc)
    b = compile_plan(tracked(sc, _state(closing_state(sc))))
    for field in ("pd_curves", "thresholds", "sched_prin", "sched_int", "out_start",
                  "pool_sched_int", "pool_sched_prin", "pool_active", "tr_balance",
                  "tr_target_balance", "sup_cap", "exposure"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.horizon == b.horizon and a.res_initial == b.res_initial
    for x, y in zip(a.deal(), b.deal()):
        if isinstance(x, tuple):
            for u, v in zip(x, y):
                assert np.array_equal(np.asarray(u), np.asarray(v))


# ----------------------------------------------------------------------------- conditional PDs

CURVE = [0.02, 0.05, 0.09, 0.14, 0.20, 0.27]


def _pool(n=40, rho=0.0, paths=40_000):
    doc = bullet_pool([0.0] * n, [1e6] * n, rho, legal_final=6, paths=paths, seed=3)
    for o in doc["obligors"]:
        o["pd"] = {"cumulative": CURVE}
    return load(doc)


def _performing(sc, as_of, **extra):
    doc = closing_state(sc)
    doc["as_of"] = as_of
    doc.update(extra)
    return _state(doc)


@pytest.mark.parametrize("as_of", [0, 1, 2, 4, 5])
def test_conditional_pd_curve_is_the_exact_survival_formula(as_of):
    sc = _pool(n=3)
    plan = compile_plan(tracked(sc, _performing(sc, as_of)))
    F = np.array(CURVE)
    f0 = F[as_of - 1] if as_of else 0.0
    want = (F[as_of:] - f0) / (1.0 - f0)
    assert plan.horizon == 6 - as_of
    for row in plan.pd_curves:
        np.testing.assert_allclose(row, want, rtol=0, atol=1e-15)


def test_conditional_curve_of_a_sure_default_defaults_at_once():
    assert np.array_equal(conditional_curve(np.array([0.5, 1.0, 1.0]), 2), [1.0])


def test_simulated_defaults_follow_the_conditional_pd_within_standard_errors():
    """Independent obligors (rho 0) from as_of 2: each period's default share, each
    obligor's default probability to the end and their mean match F_c within 4 standard
    errors (the binomial standard errors of these estimators: the result reports none for
    them; F(T) - F(as_of) without the division is over 30 of them away)."""
    sc = _pool(n=40, rho=0.0, paths=40_000)
    as_of = 2
    res = engine.run(sc, state=_performing(sc, as_of))
    F = np.array(CURVE)
    fc = (F[as_of:] - F[as_of - 1]) / (1.0 - F[as_of - 1])
    n_obl, paths = 40, res.run["paths"]
    for o in res.obligors:
        p = o["default_probability"]
        se = math.sqrt(fc[-1] * (1 - fc[-1]) / paths)
        assert abs(p - fc[-1]) < 4 * se, (o["id"], p, fc[-1])
        assert o["model_default_probability"] == pytest.approx(fc[-1], abs=1e-15)
    mean = np.mean([o["default_probability"] for o in res.obligors])
    assert abs(mean - fc[-1]) < 4 * math.sqrt(fc[-1] * (1 - fc[-1]) / (n_obl * paths))
    pooled_se = math.sqrt(fc[-1] * (1 - fc[-1]) / (n_obl * paths))
    assert abs(mean - (F[-1] - F[as_of - 1])) > 8 * pooled_se
    timing = np.array(res.pool["default_timing"])
    q = np.diff(np.concatenate([[0.0], fc]))
    se = np.sqrt(q * (1 - q) / (n_obl * paths))
    assert len(timing) == len(q)
    assert np.all(np.abs(timing - q) < 4 * se), (timing, q)


def test_a_supporter_with_a_current_rating_defaults_by_that_rating_from_as_of():
    from engine.default.pd_curves import cumulative_pd_curve
    from engine.plan import rating_table

    sc = engine.load_scenario(SCEN / "shenzhen_ip_pledge.yaml")
    st = _state(dict(state_after(sc, DefaultAssumptions(), 2), obligors={"GC": {"rating": "BBB"}}))
    t = tracked(sc, st)
    plan = compile_plan(t)
    j = plan.obligor_ids.index("GC")
    gc = next(o for o in t.obligors if o.id == "GC")
    assert gc.rating == "BBB"
    want = cumulative_pd_curve(gc, plan.horizon, sc.periods_per_year, rating_table(sc))
    np.testing.assert_array_equal(plan.pd_curves[j], want)


# ----------------------------------------------------------------------------- continuation

CASES = [
    ("wuhan_multi_tranche_triggers", {"F01": 2, "F02": 3, "F03": 5, "LESSOR": 8}),
    ("shenzhen_ip_pledge", {"B01": 1, "B03": 3, "GC": 4}),
    ("suzhou_bank_guarantee", {"K01": 1, "K02": 2, "BANK": 4}),
    ("shenzhen_rc_insurance", {"B01": 1, "B02": 2, "GOV": 4}),
    ("hangzhou_entrusted_loan_soe", {"E01": 1, "E02": 2, "E03": 3, "ORIG": 6}),
]


@pytest.mark.parametrize("name,named", CASES)
def test_state_at_k_continued_reproduces_the_full_run_to_the_cent(name, named):
    sc = engine.load_scenario(SCEN / f"{name}.yaml")
    full = deterministic_cashflows(sc, DefaultAssumptions(named=named)).table
    L = sc.legal_final
    for K in sorted({1, L // 2, L - 1}):
        st = _state(state_after(sc, DefaultAssumptions(named=named), K))
        assert st.as_of == K
        later = {o: t for o, t in named.items() if t > K}
        cont = deterministic_cashflows(tracked(sc, st), DefaultAssumptions(named=later)).table
        ref = full.loc[K + 1:]
        assert list(cont.index) == list(ref.index)
        assert list(cont.columns) == list(ref.columns)
        num = ref.select_dtypes("number").columns
        worst = float((cont[num] - ref[num]).abs().max().max())
        assert worst < 0.005, (name, K, worst)
        assert (cont["accelerated"] == ref["accelerated"]).all(), (name, K)


def _wuhan_with_plain_leases(*ids):
    """Wuhan with the leases ``ids`` stripped of their collateral: plain assets, which the
    kernel only counts (no slot), beside the collateralised ones."""
    doc = yaml.safe_load((SCEN / "wuhan_multi_tranche_triggers.yaml").read_text("utf-8"))
    gone = set()
    for a in doc["assets"]:
        if a["id"] in ids:
            gone.update(a.pop("collateral"))
    doc["collateral"] = [c for c in doc["collateral"] if c["id"] not in gone]
    return engine.load_scenario_text(yaml.safe_dump(doc, allow_unicode=True))


def test_state_of_plain_and_collateralised_defaults_continues_to_the_cent():
    sc = _wuhan_with_plain_leases("L02", "L03")
    plan = compile_plan(sc)
    classes = plan.deal().pool.asset_class
    assert list(classes[:4]) == [ASSET_SLOT, ASSET_PLAIN, ASSET_PLAIN, ASSET_SLOT]
    named = {"F01": 2, "F02": 3, "F03": 5, "F04": 4, "LESSOR": 8}
    full = deterministic_cashflows(sc, DefaultAssumptions(named=named)).table
    doc = state_after(sc, DefaultAssumptions(named=named), 6)
    rows = {a["id"]: a for a in doc["assets"]}
    for lid, when in (("L02", 3), ("L03", 5)):           # plain: exposure, nothing back
        i = plan.asset_ids.index(lid)
        assert rows[lid]["defaulted_in"] == when
        assert rows[lid]["principal"] == plan.out_start[i, when]
        assert rows[lid]["exposure"] == pytest.approx(
            plan.out_start[i, when] + plan.sched_int[i, when], abs=1e-6)
        assert rows[lid]["received"] == 0.0 and "support_paid" not in rows[lid]
    assert rows["L01"]["received"] > 0.0                 # its patent sold after the lag
    later = {o: t for o, t in named.items() if t > 6}
    cont = deterministic_cashflows(tracked(sc, _state(doc)),
                                   DefaultAssumptions(named=later)).table
    num = full.select_dtypes("number").columns
    assert float((cont[num] - full.loc[7:, num]).abs().max().max()) < 0.005


def test_a_state_of_a_state_continues_the_same_run():
    sc = engine.load_scenario(SCEN / "wuhan_multi_tranche_triggers.yaml")
    named = {"F01": 2, "F02": 3, "F03": 5, "LESSOR": 8}
    full = deterministic_cashflows(sc, DefaultAssumptions(named=named)).table
    first = _state(state_after(sc, DefaultAssumptions(named=named), 3))
    later = {o: t for o, t in named.items() if t > 3}
    second = _state(state_after(tracked(sc, first), DefaultAssumptions(named=later), 4))
    assert second.as_of == 7
    cont = deterministic_cashflows(tracked(sc, second),
                                   DefaultAssumptions(named={"LESSOR": 8})).table
    num = full.select_dtypes("number").columns
    assert float((cont[num] - full.loc[8:, num]).abs().max().max()) < 0.005


def test_cli_state_at_round_trip_to_the_cent(tmp_path):
    sc = str(SCEN / "wuhan_multi_tranche_triggers.yaml")
    full, cont, st = tmp_path / "full.json", tmp_path / "cont.json", tmp_path / "s5.yaml"
    args = ["--default", "F01:2", "--default", "F02:3", "--default", "LESSOR:8"]
    assert main(["cashflows", sc, *args, "--quiet", "--json", str(full),
                 "--state-at", "5", "--state-out", str(st)]) == 0
    assert main(["cashflows", sc, "--state", str(st), "--default", "LESSOR:8", "--quiet",
                 "--json", str(cont)]) == 0
    a = {r["period"]: r for r in json.loads(full.read_text())["periods"]}
    b = json.loads(cont.read_text())["periods"]
    assert [r["period"] for r in b] == list(range(6, 17))
    for row in b:
        for key, value in row.items():
            if isinstance(value, float):
                assert abs(value - a[row["period"]][key]) < 0.005, (row["period"], key)


def test_state_out_never_replaces_an_existing_file(tmp_path, capsys):
    target = tmp_path / "report.yaml"
    target.write_text("my trustee report\n")
    rc = main(["cashflows", str(SCEN / "shenzhen_ip_pledge.yaml"), "--quiet",
               "--state-at", "2", "--state-out", str(target)])
    assert rc == 2
    assert "never replaces" in capsys.readouterr().err
    assert target.read_text() == "my trustee report\n"


def test_state_at_needs_state_out(capsys):
    rc = main(["cashflows", str(SCEN / "shenzhen_ip_pledge.yaml"), "--state-at", "2"])
    assert rc == 2 and "--state-out" in capsys.readouterr().err


# ----------------------------------------------------------------------------- validation

SHENZHEN = SCEN / "shenzhen_ip_pledge.yaml"


def _bad(mutate):
    sc = engine.load_scenario(SHENZHEN)
    doc = state_after(sc, DefaultAssumptions(named={"B03": 2}), 2)
    mutate(doc)
    return doc


def _asset(doc, aid):
    return next(a for a in doc["assets"] if a["id"] == aid)


BAD = [
    ("unknown asset", lambda d: _asset(d, "L01").update(id="L99"),
     "assets.0.id", "unknown asset 'L99'"),
    ("asset above original", lambda d: _asset(d, "L01").update(balance=9e9),
     "assets.0.balance", "above the asset's original balance"),
    ("as_of at legal final", lambda d: d.update(as_of=8), "as_of", "not before legal final"),
    ("default after as_of", lambda d: _asset(d, "L03").update(defaulted_in=3),
     "assets.2.defaulted_in", "after as_of"),
    ("tranche above original", lambda d: d["tranches"][0].update(balance=5e8),
     "tranches.0.balance", "above the tranche's original balance"),
    ("tranches do not add up", lambda d: [a.update(balance=0.0) for a in d["assets"]
                                          if "balance" in a],
     "tranches", "more than the closing gap"),
    ("unknown tranche", lambda d: d["tranches"].append({"id": "Z", "balance": 1.0}),
     "tranches.2.id", "unknown tranche 'Z'"),
    ("missing tranche", lambda d: d["tranches"].pop(), "tranches", "missing: Sub"),
    ("unknown support", lambda d: d.update(support_used={"XX": 1.0}), "support_used.XX",
     "unknown support 'XX'"),
    ("unknown obligor", lambda d: d.update(obligors={"NOPE": {"rating": "A"}}),
     "obligors.NOPE", "unknown obligor"),
    ("bad rating", lambda d: d.update(obligors={"GC": {"rating": "ZZ"}}),
     "obligors.GC.rating", "unknown rating 'ZZ'; allowed: AAA+"),
    ("unknown key", lambda d: d.update(reserv=1.0), "reserv", "unknown key; allowed:"),
    ("unknown trigger", lambda d: d.update(triggers_fired=["nope"]), "triggers_fired.0",
     "unknown trigger"),
    ("exposure above balance", lambda d: _asset(d, "L03").update(exposure=9e9),
     "assets.2.exposure", "above the original balance"),
    ("received above exposure", lambda d: _asset(d, "L03").update(received=9e7),
     "assets.2.received", "exceed the exposure"),
    ("both kinds", lambda d: _asset(d, "L01").update(defaulted_in=1), "assets.0",
     "not both"),
]


@pytest.mark.parametrize("case,mutate,path,text", BAD, ids=[b[0] for b in BAD])
def test_a_bad_state_is_refused_with_its_field_and_line(tmp_path, capsys, case, mutate, path,
                                                        text):
    p = tmp_path / "state.yaml"
    p.write_text(state_yaml(_bad(mutate)))
    rc = main(["run", str(SHENZHEN), "--state", str(p), "--paths", "100", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    line = next((x for x in err.splitlines() if f": {path}: " in x), None)
    assert line is not None, err
    assert text in line and "(line " in line, line
    assert "Traceback" not in err


def test_a_good_state_passes_the_checks_for_every_date_of_a_bad_run():
    sc = engine.load_scenario(SHENZHEN)
    for K in range(1, sc.legal_final):
        tracked(sc, _state(state_after(sc, DefaultAssumptions(named={"B03": 2, "B05": 3}), K)))


def test_state_assets_file_csv(tmp_path):
    sc = engine.load_scenario(SHENZHEN)
    doc = state_after(sc, DefaultAssumptions(named={"B03": 2}), 2)
    rows = ["id,balance,defaulted_in,exposure,principal,received"]
    for a in doc.pop("assets"):
        rows.append(",".join(str(a.get(k, "")) for k in
                             ("id", "balance", "defaulted_in", "exposure", "principal",
                              "received")))
    (tmp_path / "tape.csv").write_text("\n".join(rows) + "\n")
    doc["assets_file"] = "tape.csv"
    (tmp_path / "s.yaml").write_text(state_yaml(doc))
    st = engine.load_state(tmp_path / "s.yaml")
    assert st.asset("L03").defaulted_in == 2
    tracked(sc, st)
    # the state's tape is an input: no output may replace it (issue #30)
    before = (tmp_path / "tape.csv").read_bytes()
    for args in (["cashflows", str(SHENZHEN), "--state", str(tmp_path / "s.yaml"), "--csv",
                  str(tmp_path / "tape.csv")],
                 ["run", str(SHENZHEN), "--state", str(tmp_path / "s.yaml"), "--paths", "500",
                  "--json", str(tmp_path / "tape.csv")]):
        assert main(args) == 2
        assert (tmp_path / "tape.csv").read_bytes() == before
    (tmp_path / "tape.csv").write_text(rows[0] + "\nL01,lots,,,,\n")
    with pytest.raises(engine.ScenarioError, match="tape.csv row 2, column balance"):
        engine.load_state(tmp_path / "s.yaml")


# ----------------------------------------------------------------------------- track


def test_track_attribution_adds_up_and_writes_its_report(tmp_path, capsys):
    sc = str(SHENZHEN)
    quiet, bad = tmp_path / "quiet.yaml", tmp_path / "bad.yaml"
    assert main(["cashflows", sc, "--quiet", "--state-at", "2", "--state-out", str(quiet)]) == 0
    assert main(["cashflows", sc, "--quiet", "--default", "B03:1", "--default", "B05:2",
                 "--state-at", "2", "--state-out", str(bad)]) == 0
    doc = yaml.safe_load(bad.read_text())
    doc["obligors"] = {"GC": {"rating": "BBB-"}}
    bad.write_text(state_yaml(doc))
    out = tmp_path / "out"
    assert main(["track", sc, str(quiet), str(bad), "--paths", "4000", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "what moved it" in text and "quiet" in text
    doc = json.loads((out / "track.json").read_text())
    assert [s["as_of"] for s in doc["states"]] == [0, 2, 2]
    for s in doc["states"][1:]:
        for tid, m in s["moved_by"].items():
            assert sum(m["notches"].values()) == m["total"]
    bad_a = doc["states"][2]["moved_by"]["A"]
    assert bad_a["default_probability_change"]["supporter_ratings"] >= 0.0
    for name in ("track.csv", "tracking.png", "report.html"):
        assert (out / name).stat().st_size > 0


# ----------------------------------------------------------------------------- shipped reports

REPORTS = SCEN / "trustee_reports"


@pytest.mark.parametrize("report", ["wuhan_year1_quiet", "wuhan_year1_bad"])
def test_shipped_trustee_reports_fit_their_deal_and_conserve_cash(report):
    sc = engine.load_scenario(SCEN / "wuhan_multi_tranche_triggers.yaml")
    st = engine.load_state(REPORTS / f"{report}.yaml")
    res = engine.run(sc, paths=2000, seed=4, state=st)
    assert res.to_dict()["diagnostics"]["max_cash_error"] < 0.01
    assert res.run["state"]["as_of"] == st.as_of == 4


def test_bad_year_report_fires_the_default_rate_trigger_and_cuts_the_supporters():
    st = engine.load_state(REPORTS / "wuhan_year1_bad.yaml")
    assert st.triggers_fired == ["cdr"]
    assert {a.id for a in st.assets if a.defaulted} == {"L03", "L06", "L12"}
    t = tracked(engine.load_scenario(SCEN / "wuhan_multi_tranche_triggers.yaml"), st)
    assert {o.id: o.rating for o in t.obligors if o.id in ("LESSOR", "PARENT")} == \
        {"LESSOR": "A", "PARENT": "AA"}


# ----------------------------------------------------------------------------- commands

@pytest.fixture(scope="module")
def quiet_state(tmp_path_factory):
    p = tmp_path_factory.mktemp("states") / "quiet.yaml"
    sc = engine.load_scenario(SHENZHEN)
    p.write_text(state_yaml(state_after(sc, DefaultAssumptions(named={"B03": 1}), 2)))
    return p


@pytest.mark.parametrize("command", [
    ["run"], ["sensitivity"], ["size", "--tranche", "A", "--target", "AAsf"],
    ["compare", str(SCEN / "shenzhen_ip_pledge_aa_plus.yaml")], ["report", "--out", "REP"],
    ["cashflows"], ["validate"]], ids=lambda c: c[0])
def test_every_simulating_command_takes_a_state(command, quiet_state, tmp_path, capsys):
    args = [command[0], str(SHENZHEN), *[str(tmp_path / "rep") if a == "REP" else a
                                          for a in command[1:]], "--state", str(quiet_state)]
    if command[0] not in ("cashflows", "validate"):
        args += ["--paths", "2000"]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    if command[0] == "cashflows":
        assert "\n3 " in out or " 3 " in out       # the deal's periods go on from as_of 2
    if command[0] == "report":
        assert "Tracking rating" in (tmp_path / "rep" / "report.html").read_text()


def test_sizing_a_tracked_tranche_moves_the_reported_balances(quiet_state):
    sc = engine.with_state(engine.load_scenario(SHENZHEN), engine.load_state(quiet_state))
    doc = engine.size_tranche(sc, "A", "AAAsf", paths=2000)
    st = sc.state
    assert 0.0 <= doc["balance"] <= st.tranche("A").balance + st.tranche("Sub").balance


def test_tdr_bdr_on_a_state_is_refused_with_a_message(quiet_state):
    sc = engine.load_scenario(SHENZHEN).with_changes({"rating.method": "tdr_bdr"})
    with pytest.raises(engine.UnsupportedFeature, match="tdr_bdr"):
        engine.run(sc, paths=100, state=engine.load_state(quiet_state))


def test_validate_checks_a_state_against_each_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(state_yaml(_bad(lambda d: d.update(as_of=8))))
    assert main(["validate", str(SHENZHEN), "--state", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: as_of: 8 is not before legal final (8)" in err and "(line " in err


def test_schema_of_the_state_file(capsys):
    assert main(["schema", "--state"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["format"]["const"] == "ipabs-state/v1"
    assert schema["additionalProperties"] is False


# ----------------------------------------------------------------------------- pending recoveries


def _pledged_pool(sd: float):
    """Two bullet loans; L0's borrower (with a pledged patent, haircut mean 0.6) defaulted
    in period 1; L1's borrower cannot default; nothing else happens."""
    doc = bullet_pool([0.0, 0.0], [10e6, 10e6], 0.0, legal_final=6, paths=20_000, seed=5,
                      senior_share=0.5)
    doc["assets"][0]["collateral"] = ["P0"]
    doc["collateral"] = [{"id": "P0", "type": "invention_patent", "appraised_value": 10e6,
                          "haircut": {"mean": 0.6, "sd": sd}, "lag": 3, "systemic": 0.0}]
    sc = load(doc)
    st = _state({"format": "ipabs-state/v1", "as_of": 2,
                 "assets": [{"id": "L0", "defaulted_in": 1, "exposure": 10e6, "received": 0.0},
                            {"id": "L1", "balance": 10e6}],
                 "tranches": [{"id": "A", "balance": 10e6}, {"id": "Sub", "balance": 10e6}]})
    return sc, st


def test_pending_collateral_of_a_past_default_realises_at_its_drawn_haircut():
    """L0's patent is sold in period 4 (default 1 + lag 3), after as_of 2: the pool's loss
    on it is 10m x haircut; a fixed haircut gives it exactly, a Beta one on average (within
    4 standard errors of the reported loss rate), never the appraised value."""
    sc, st = _pledged_pool(sd=0.0)
    res = engine.run(sc, state=st)
    assert res.pool["expected_loss_rate"] == pytest.approx(0.6 * 10e6 / 20e6, rel=1e-9)
    sc, st = _pledged_pool(sd=0.15)
    res = engine.run(sc, state=st)
    se = res.pool["expected_loss_rate_se"]
    assert 0 < se and abs(res.pool["expected_loss_rate"] - 0.3) < 4 * se


def test_an_obligor_whose_loan_defaulted_does_not_pay_as_a_provider():
    sc, st = _pledged_pool(sd=0.0)
    plan = compile_plan(tracked(sc, st))
    assert plan.pd_curves[0, 0] == 1.0 and plan.pd_curves[1, -1] == 0.0
    assert plan.pool_active[1] == 1


def test_state_at_of_a_tracked_run_counts_the_deals_dates(tmp_path, capsys):
    sc, st = str(SCEN / "wuhan_multi_tranche_triggers.yaml"), str(REPORTS / "wuhan_year1_bad.yaml")
    out = tmp_path / "s9.yaml"
    assert main(["cashflows", sc, "--state", st, "--state-at", "3", "--state-out", str(out),
                 "--quiet"]) == 2
    assert "after the state (4)" in capsys.readouterr().err and not out.exists()
    assert main(["cashflows", sc, "--state", st, "--state-at", "9", "--state-out", str(out),
                 "--quiet"]) == 0
    assert engine.load_state(out).as_of == 9


def test_track_table_speaks_chinese():
    from engine.report.table import track_text

    def state(label, as_of, rating, alone):
        return {"label": label, "as_of": as_of,
                "tranches": [{"id": "A", "rated": True, "rating": rating,
                              "rating_standalone": alone}]}

    steps = ["time_elapsed", "pool_performance", "supporter_ratings"]
    bad = state("year 1", 4, "AAsf", "A+sf")
    bad["moved_by"] = {"A": {"notches": {"time_elapsed": 0, "pool_performance": 0,
                                         "supporter_ratings": -2}, "total": -2,
                             "standalone_notches": {"time_elapsed": 1, "pool_performance": -4,
                                                    "supporter_ratings": 0}}}
    doc = {"states": [state("closing", 0, "AAAsf", "AA+sf"), bad], "attribution": steps}
    zh = track_text(doc, "zh")
    for word in ("证券档次", "发行时(第0期后)", "第4期后", "独立 A+sf", "时间推移", "资产池表现",
                 "增信方评级", "合计"):
        assert word in zh
    assert "what moved it" not in zh and "alone" not in zh and "closing" not in zh
    en = track_text(doc)
    assert "time elapsed" in en and "(alone A+sf)" in en and "+1/-4/+0" in en
    assert "closing (as_of 0)" in en
