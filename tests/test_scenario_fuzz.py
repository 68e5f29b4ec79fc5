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
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3),
    max_leaves=6,
)
new_keys = st.sampled_from(["zz", "global", "type", "assets_file", "schedule", "bullet", "dof", "pd", "rating"]) | st.text(max_size=6)


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
            ".nan", ".inf", "~", "yes", "1e6", "\x00", "\ud800", "\ufeff"]


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
