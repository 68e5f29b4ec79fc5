"""Every number a user writes has a finite bound: 1e308 in a multiplier, a count, a period
or a deal state's amount is a clear exit 2 naming the field and its line, never an internal
error at the end of a run (issue #30)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = yaml.safe_load((ROOT / "tests" / "data" / "format_example.yaml").read_text())
HUGE = 1e308


def _write(folder: Path, doc: dict, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                   default_flow_style=False))
    return path


def _line_of(path: Path, key: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1)
                if line.strip().lstrip("- ").startswith(key + ":"))


#: (where in the scenario, the value, the field refused, words of the message)
SCENARIO_BOUNDS = [
    ("sensitivities", [{"name": "x", "pd_multiplier": HUGE}], "sensitivities.0.pd_multiplier",
     "less than or equal to 1000"),
    ("sensitivities", [{"name": "x", "recovery_multiplier": HUGE}],
     "sensitivities.0.recovery_multiplier", "less than or equal to 1000"),
    ("rating", {"method": "tdr_bdr", "stresses": [{"name": "s", "recovery_multiplier": HUGE}]},
     "rating.stresses.0.recovery_multiplier", "less than or equal to 1000"),
    ("rating", {"method": "tdr_bdr", "stresses": [{"name": "s", "timing": "front:" + "9" * 20}]},
     "rating.stresses.0.timing", "front-loading must be in [-1, 1]"),
    ("correlation", {"copula": "student_t", "dof": HUGE, "uniform": 0.2}, "correlation.dof",
     "less than or equal to 1000"),
    ("report", {"stress": {"period": 10**30}}, "report.stress.period",
     "less than or equal to 1200"),
    ("report", {"stress": {"period": 7}}, "report.stress.period",
     "period 7 is after legal_final 6; use 1..6"),
    ("report", {"stress": {"largest_borrowers": 10**30}}, "report.stress.largest_borrowers",
     "less than or equal to 10000"),
]


@pytest.mark.parametrize("key, value, field, message", SCENARIO_BOUNDS,
                         ids=[b[2] for b in SCENARIO_BOUNDS])
def test_multipliers_counts_and_periods_are_bounded(tmp_path, capsys, key, value, field,
                                                    message):
    doc = copy.deepcopy(EXAMPLE)
    doc[key] = value
    path = _write(tmp_path, doc)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    leaf = field.rsplit(".", 1)[-1]
    assert f"{path}: {field}: " in err and message in err, err
    assert f"(line {_line_of(path, leaf)})" in err and "Traceback" not in err


def test_a_huge_command_line_change_is_refused_before_simulating(capsys):
    argv = ["sensitivity", str(ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"), "--change",
            "pd_multiplier=1e308", "--paths", "100"]
    assert main(argv) == 2
    assert "--change pd_multiplier=1e308" in capsys.readouterr().err


# ----------------------------------------------------------------------------- deal states

WUHAN = ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"
BAD_YEAR = yaml.safe_load((ROOT / "scenarios" / "trustee_reports" / "wuhan_year1_bad.yaml")
                          .read_text())

#: (a change to the state, the field refused)
STATE_AMOUNTS = [
    (lambda d, x: d.update(fee_arrears={"vat": x}), "fee_arrears.vat"),
    (lambda d, x: d.update(cash={"interest": x, "principal": 0.0}), "cash.interest"),
    (lambda d, x: d.update(reserve=x), "reserve"),
    (lambda d, x: d.update(reimbursement_owed={"SCB": x}), "reimbursement_owed.SCB"),
    (lambda d, x: d.update(support_used={"SCB": x}), "support_used.SCB"),
    (lambda d, x: d.update(cumulative_defaults=x), "cumulative_defaults"),
    (lambda d, x: d["tranches"][0].update(interest_arrears=x), "tranches.0.interest_arrears"),
]


def _state(folder: Path, change) -> Path:
    doc = copy.deepcopy(BAD_YEAR)
    change(doc)
    return _write(folder, doc, "state.yaml")


@pytest.mark.parametrize("change, field", STATE_AMOUNTS, ids=[f for _, f in STATE_AMOUNTS])
def test_every_state_amount_is_bounded_by_the_deal(tmp_path, capsys, change, field):
    for x, words in ((HUGE, "more than the largest amount ipabs accepts (1e+15)"),
                     (1e13, "more than th")):
        state = _state(tmp_path, lambda d: change(d, x))
        assert main(["validate", str(WUHAN), "--state", str(state)]) == 2
        err = capsys.readouterr().err
        assert f"{field}: " in err and words in err and "(line " in err, err
        assert "Traceback" not in err


def test_a_huge_state_amount_is_exit_2_before_a_run_not_an_internal_error(tmp_path, capsys):
    state = _state(tmp_path, lambda d: d.update(fee_arrears={"vat": 1e14}))
    assert main(["run", str(WUHAN), "--state", str(state), "--paths", "200", "--quiet"]) == 2
    assert "fee_arrears.vat: 1e+14 is more than this deal can owe" in capsys.readouterr().err


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(obligors={"F01": {"defaulted": True}}),
     "assets.0.balance: obligor F01 is reported defaulted (obligors.F01.defaulted) but its "
     "asset L01 still performs"),
    (lambda d: d.update(triggers_fired=["cdr", "cdr"]),
     "triggers_fired.1: trigger 'cdr' is listed twice"),
], ids=["borrower_defaulted_loan_performs", "trigger_twice"])
def test_a_state_that_contradicts_itself_is_refused(tmp_path, capsys, change, message):
    assert main(["validate", str(WUHAN), "--state", str(_state(tmp_path, change))]) == 2
    err = capsys.readouterr().err
    assert message in err and "(line " in err, err


def test_a_defaulted_provider_without_its_trigger_is_a_warning_that_it_fires_next(tmp_path):
    import engine
    from engine.errors import ScenarioWarning

    scenario = engine.load_scenario(WUHAN)
    waived = _state(tmp_path, lambda d: d.update(obligors={"LESSOR": {"defaulted": True}}))
    message = ("obligor LESSOR is reported defaulted but trigger lessor_default "
               r"\(provider_default: LESSOR\) is not in triggers_fired")
    with pytest.warns(ScenarioWarning, match=message):
        tracked = engine.with_state(scenario, engine.load_state(waived))
    assert any("fires it on the first simulated date" in w for w in tracked.warnings)
    fired = _state(tmp_path, lambda d: d.update(obligors={"LESSOR": {"defaulted": True}},
                                                triggers_fired=["cdr", "lessor_default"]))
    assert not engine.with_state(scenario, engine.load_state(fired)).warnings


def test_capacity_used_is_within_the_capacity(tmp_path, capsys):
    import engine
    from engine.scenario.state import closing_state, state_yaml

    path = ROOT / "scenarios" / "shenzhen_rc_insurance.yaml"
    scenario = engine.load_scenario(path)
    provider = next(o for o in scenario.obligors if o.capacity is not None)
    doc = dict(closing_state(scenario), obligors={provider.id: {
        "capacity_used": 2 * provider.capacity}})
    state = tmp_path / "state.yaml"
    state.write_text(state_yaml(doc))
    assert main(["validate", str(path), "--state", str(state)]) == 2
    assert (f"obligors.{provider.id}.capacity_used: " in (err := capsys.readouterr().err)
            and "is more than its capacity" in err), err
