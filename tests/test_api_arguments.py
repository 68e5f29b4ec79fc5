"""The Python API refuses a wrong argument with a TypeError or ValueError naming it, never
an error deep inside the engine; a scenario changed in place is checked again before it is
simulated (issue #30)."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import engine
from engine.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"
WUHAN = ROOT / "scenarios" / "wuhan_multi_tranche_triggers.yaml"
QUIET = ROOT / "scenarios" / "trustee_reports" / "wuhan_year1_quiet.yaml"


@pytest.fixture(scope="module")
def sc():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return engine.load_scenario(SHIPPED)


#: (a call, the error, words naming the argument)
CALLS = [
    (lambda sc: engine.run(None), TypeError, "scenario: expected an engine.Scenario"),
    (lambda sc: engine.run("s.yaml"), TypeError, "scenario: expected an engine.Scenario"),
    (lambda sc: engine.run(sc, paths=100, backend="x"), TypeError, "backend: expected None"),
    (lambda sc: engine.run(sc, paths=2000.5), TypeError, "paths: expected a whole number"),
    (lambda sc: engine.run(sc, paths="2000"), TypeError, "paths: expected a whole number"),
    (lambda sc: engine.run(sc, paths=100, seed=True), TypeError, "seed: expected a whole"),
    (lambda sc: engine.run(sc, paths=100, state=3), TypeError, "state: expected an engine"),
    (lambda sc: engine.compare([]), ValueError, "scenarios: expected at least one"),
    (lambda sc: engine.compare(sc), TypeError, "scenarios: expected a list"),
    (lambda sc: engine.compare([sc, None]), TypeError, "scenarios[1]: expected an engine"),
    (lambda sc: engine.sensitivity(None), TypeError, "scenario: expected an engine.Scenario"),
    (lambda sc: engine.cashflows(None), TypeError, "scenario: expected an engine.Scenario"),
    (lambda sc: engine.size_tranche(None, "A", "AAAsf"), TypeError, "scenario: expected"),
    (lambda sc: engine.sweep(sc, None), TypeError, "vary: expected a dict"),
]


@pytest.mark.parametrize("call, error, words", CALLS, ids=[c[2] for c in CALLS])
def test_a_wrong_argument_is_named(sc, call, error, words):
    with pytest.raises(error) as caught:
        call(sc)
    assert words in str(caught.value)


def test_a_state_may_be_given_as_the_path_of_its_file():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = engine.load_scenario(WUHAN)
    by_path = engine.run(sc, paths=500, seed=3, state=str(QUIET))
    by_state = engine.run(sc, paths=500, seed=3, state=engine.load_state(QUIET))
    assert by_path.run["state"] == by_state.run["state"]
    assert by_path.tranches.equals(by_state.tranches)


@pytest.mark.parametrize("change, problem", [
    (lambda sc: sc.assets.append(sc.assets[0]), "duplicate id"),
    (lambda sc: sc.credit_support.pop(0), "unknown guarantee"),
])
def test_a_scenario_changed_in_place_is_checked_again_before_it_runs(change, problem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = engine.load_scenario(SHIPPED)
    change(sc)
    for call in (lambda: engine.run(sc, paths=100), lambda: engine.cashflows(sc),
                 lambda: engine.compare([sc, sc], paths=100)):
        with pytest.raises(ScenarioError, match=problem):
            call()
