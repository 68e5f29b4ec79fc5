"""Property: any mutation of a valid scenario either loads or raises ScenarioError, nothing else."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ScenarioError
from engine.scenario import Scenario, load_scenario_text

DATA = Path(__file__).parent / "data" / "scenario"  # base_dir: holds pool.csv
BASE_TEXT = (Path(__file__).parent / "data" / "format_example.yaml").read_text()
BASE: dict[str, Any] = yaml.safe_load(BASE_TEXT)

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats() | st.text(max_size=8)
    | st.sampled_from(["all", "fees", "rest", "A", "Sub", "GC", "L01", "P01", "SC", "BB+", "pool.csv",
                       "../x.csv", "student_t", "loan_guarantee", "schedule", "global", "1e6"])
    # issue #30: huge numbers, ids that do not show or look like others
    | st.sampled_from([1e308, -1e308, 10**30, 1e15, "A\u200b", "\u0410", "A ", "\uff21"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3),
    max_leaves=6,
)
new_keys = (st.sampled_from(["zz", "global", "type", "assets_file", "schedule", "bullet", "dof", "pd",
                             "rating", "pd_multiplier", "recovery_multiplier", "stress"])
            | st.text(max_size=6)
            # keys that are not names (issue #30): a number, null, a boolean, a date
            | st.integers(-3, 3) | st.none() | st.booleans() | st.floats(allow_nan=False)
            | st.dates())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)[1:]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["drop", "replace", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(values)
        elif isinstance(parent, dict):
            parent[draw(new_keys)] = draw(values)
        else:
            parent.append(draw(values))
    return doc


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated_scenarios())
def test_mutated_scenario_loads_or_raises_scenario_error(doc):
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    try:
        scenario = load_scenario_text(text, source="mutated.yaml", base_dir=DATA)
    except ScenarioError as exc:
        assert exc.problems
        assert all(isinstance(p.path, str) and isinstance(p.message, str) and p.message for p in exc.problems)
        assert all(p.line is None or 1 <= p.line <= text.count("\n") + 1 for p in exc.problems)
    else:
        assert isinstance(scenario, Scenario)


SNIPPETS = ["{", "}", "[", "]", ":", ",", "- ", "&a ", "*a", "<<: *a\n", "!!str ", "!!set ", "!!binary ",
            "!!timestamp ", "!!python/object:os.system ", "? ", "---\n", "\t", "\n  ", "'", '"', "#",
            ".nan", ".inf", "~", "yes", "1e6", "\x00", "\ud800", "\ufeff",
            # issue #30: keys that are not names, YAML 1.1 numbers, huge numbers, deep nests
            "\n1: x\n", "\nnull: x\n", "\nyes: 1\n", "\n2020-01-01: 1\n", "1.5: ", "1:00", "017",
            "1e308", "\u200b", "\u0410", "[" * 150, "{a: " * 120]


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_text_loads_or_raises_scenario_error(data):
    text = BASE_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        snippet = data.draw(st.sampled_from(SNIPPETS) | st.text(max_size=3))
        cut = data.draw(st.integers(0, 3))
        text = text[:pos] + snippet + text[pos + cut:]
    try:
        load_scenario_text(text, base_dir=DATA)
    except ScenarioError as exc:
        assert exc.problems


# ----------------------------------------------------------------------------- deal states

WUHAN = Path(__file__).resolve().parents[1] / "scenarios" / "wuhan_multi_tranche_triggers.yaml"
STATE: dict[str, Any] = yaml.safe_load((WUHAN.parent / "trustee_reports" / "wuhan_year1_bad.yaml")
                                       .read_text())
amounts = st.sampled_from([0.0, 1.0, 1e6, 1e9, 1e12, 1e15, 1e16, 1e308])
state_changes = st.sampled_from([
    lambda d, x: d.update(fee_arrears={"vat": x}),
    lambda d, x: d.update(cash={"interest": x, "principal": x}),
    lambda d, x: d.update(reserve=x),
    lambda d, x: d.update(reimbursement_owed={"SCB": x}),
    lambda d, x: d.update(support_used={"SC": x}),
    lambda d, x: d.update(cumulative_defaults=x),
    lambda d, x: d["tranches"][1].update(interest_arrears=x),
    lambda d, x: d["assets"][2].update(received=x),
    lambda d, x: d.update(triggers_fired=["cdr", "cdr"]),
    lambda d, x: d.update(obligors={"F01": {"defaulted": True}, "LESSOR": {"defaulted": True}}),
    lambda d, x: d.update({x: 1}) if x < 1e300 else None,           # a key that is a number
])


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(state_changes, amounts), min_size=1, max_size=3))
def test_a_mutated_state_is_refused_or_its_cash_flows_are_finite(changes):
    import warnings

    import numpy as np

    import engine
    from engine.scenario.state import load_state_text

    doc = copy.deepcopy(STATE)
    for change, x in changes:
        change(doc, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario = engine.load_scenario(WUHAN)
        try:
            state = load_state_text(yaml.safe_dump(doc, sort_keys=False), "state.yaml")
            report = engine.cashflows(scenario, state=state)
        except ScenarioError as exc:
            assert exc.problems and all(p.message for p in exc.problems)
            return
    numbers = report.table.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(numbers).all() and np.abs(numbers).max() < 1e16
