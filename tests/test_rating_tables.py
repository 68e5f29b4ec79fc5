"""Ideal default tables: the built-in data, interpolation rules, monotonicity, user CSVs."""
from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ScenarioError
from engine.rating import (
    OBLIGOR_NOTCHES,
    PD_CAP,
    SF_SCALE,
    DefaultTable,
    domestic_table,
    load_table_csv,
    resolve_table,
)

TABLE_TENORS = (1.0, 2.0, 3.0, 5.0, 10.0)


def _domestic_csv_rows() -> dict[str, list[float]]:
    """The package CSV read independently of the code under test."""
    text = resources.files("engine.rating").joinpath("data", "domestic_ideal_default_rates.csv").read_text()
    rows = [r for r in csv.reader(text.splitlines()) if r and not r[0].startswith("#")]
    assert [float(t) for t in rows[0][1:]] == list(TABLE_TENORS)
    return {r[0]: [float(x) for x in r[1:]] for r in rows[1:]}


def _write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _long_csv(rows: dict[str, list[float]], tenors=TABLE_TENORS) -> str:
    lines = ["rating,tenor,cumulative_default_rate"]
    for rating, rates in rows.items():
        lines += [f"{rating},{t:g},{r!r}" for t, r in zip(tenors, rates)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- built-in table


def test_domestic_table_reproduces_every_csv_entry_exactly():
    table = domestic_table()
    for rating, rates in _domestic_csv_rows().items():
        for tenor, rate in zip(TABLE_TENORS, rates):
            assert table.cumulative_pd(rating, tenor) == rate
        assert list(table.cumulative_pd(rating, np.array(TABLE_TENORS))) == rates


def test_domestic_table_metadata_names_its_origin():
    table = domestic_table()
    assert table.notches == ("AAA+", "AAA", "AAA-", "AA+", "AA", "AA-", "A", "BBB", "BB", "B")
    assert table.tenors == TABLE_TENORS
    assert "agency-style portfolio model" in table.source
    assert "2017" in table.source
    assert domestic_table() is table
    assert not table.rates.flags.writeable


# --------------------------------------------------------------------------- across notches


@pytest.mark.parametrize("tenor", [0.5, 1.0, 2.0, 4.0, 10.0, 15.0])
def test_interpolated_notches_lie_between_neighbours(tenor):
    table = domestic_table()
    values = [table.cumulative_pd(n, tenor) for n in OBLIGOR_NOTCHES]
    for better, middle, worse in zip(values, values[1:], values[2:]):
        assert better <= middle <= worse


@pytest.mark.parametrize("tenor", TABLE_TENORS)
def test_notch_interpolation_is_log_linear_in_notch_index(tenor):
    table = domestic_table()
    pd = lambda n: table.cumulative_pd(n, tenor)  # noqa: E731
    # A+ is halfway from AA- to A; A- one third, BBB+ two thirds of the way from A to BBB.
    assert math.log(pd("A+")) == pytest.approx((math.log(pd("AA-")) + math.log(pd("A"))) / 2, rel=1e-12)
    step = (math.log(pd("BBB")) - math.log(pd("A"))) / 3
    assert math.log(pd("A-")) == pytest.approx(math.log(pd("A")) + step, rel=1e-12)
    assert math.log(pd("BBB+")) == pytest.approx(math.log(pd("A")) + 2 * step, rel=1e-12)


def test_notches_worse_than_table_extrapolate_with_last_slope_and_cap():
    table = domestic_table()
    b, bb = table.cumulative_pd("B", 1.0), table.cumulative_pd("BB", 1.0)
    assert table.cumulative_pd("B-", 1.0) == pytest.approx(b * (b / bb) ** (1 / 3), rel=1e-12)
    assert table.cumulative_pd("C", 1.0) == PD_CAP
    assert table.cumulative_pd("CCC", 2.0) == PD_CAP  # 0.35 * (0.35/0.06)**(2/3) > 1, capped
    assert np.all(table.cumulative_pd("C", np.linspace(0.1, 100, 50)) <= PD_CAP)


def test_notches_better_than_table_extrapolate_with_first_slope(tmp_path):
    rows = {"AA": [0.001, 0.004], "A": [0.004, 0.01]}
    table = load_table_csv(_write(tmp_path, _long_csv(rows, (1.0, 3.0))))
    # AA is 3 notches above A, AAA 3 above AA: one more step of the same log slope.
    assert table.cumulative_pd("AAA", 1.0) == pytest.approx(0.001 / 4, rel=1e-12)
    assert table.cumulative_pd("AAA", 3.0) == pytest.approx(0.004 / 2.5, rel=1e-12)


# --------------------------------------------------------------------------- across tenors


@pytest.mark.parametrize("rating", ["AAA", "AA-", "A+", "BBB", "BB-"])
def test_tenor_interpolation_is_log_linear(rating):
    table = domestic_table()
    f = lambda t: table.cumulative_pd(rating, t)  # noqa: E731
    assert f(4.0) == pytest.approx(math.sqrt(f(3.0) * f(5.0)), rel=1e-12)
    assert f(7.5) == pytest.approx(math.sqrt(f(5.0) * f(10.0)), rel=1e-12)
    assert f(1.25) == pytest.approx(f(1.0) ** 0.75 * f(2.0) ** 0.25, rel=1e-12)


@pytest.mark.parametrize("rating", ["AAA+", "AA", "A-", "BBB", "B"])
@pytest.mark.parametrize("years", [0.1, 0.25, 0.5, 0.999])
def test_constant_hazard_below_first_tenor(rating, years):
    table = domestic_table()
    f1 = table.cumulative_pd(rating, 1.0)
    assert table.cumulative_pd(rating, years) == pytest.approx(1 - (1 - f1) ** years, rel=1e-12)
    assert table.cumulative_pd(rating, 0.0) == 0.0


@pytest.mark.parametrize("rating", ["AAA", "AA+", "A", "BBB-", "BB", "B"])
@pytest.mark.parametrize("years", [10.5, 12.0, 20.0, 30.0])
def test_constant_hazard_beyond_last_tenor(rating, years):
    table = domestic_table()
    s5 = 1 - table.cumulative_pd(rating, 5.0)
    s10 = 1 - table.cumulative_pd(rating, 10.0)
    expected = 1 - s10 * (s10 / s5) ** ((years - 10.0) / 5.0)
    assert table.cumulative_pd(rating, years) == pytest.approx(expected, rel=1e-12)


def test_cumulative_pd_is_vectorised_and_scalar_for_scalars():
    table = domestic_table()
    years = np.array([[0.5, 1.0], [4.0, 20.0]])
    out = table.cumulative_pd("BBB", years)
    assert out.shape == (2, 2)
    assert out[1, 0] == table.cumulative_pd("BBB", 4.0)
    assert isinstance(table.cumulative_pd("BBB", 4), float)


def test_sf_threshold_is_the_notch_rate():
    table = domestic_table()
    for grade in SF_SCALE:
        assert table.sf_threshold(grade, 2.5) == table.cumulative_pd(grade[:-2], 2.5)


@pytest.mark.parametrize("years", [-0.1, float("nan"), float("inf")])
def test_bad_tenor_is_rejected(years):
    with pytest.raises(ValueError, match="tenor"):
        domestic_table().cumulative_pd("AA", years)


def test_unknown_rating_lists_allowed_notches():
    with pytest.raises(ValueError, match="allowed: AAA\\+"):
        domestic_table().cumulative_pd("AAA+sf", 1.0)


# --------------------------------------------------------------------------- monotonicity


def _dense_years() -> np.ndarray:
    grid = np.linspace(0.0, 40.0, 4001)
    near = [t + d for t in TABLE_TENORS for d in (-1e-9, 0.0, 1e-9)]
    return np.unique(np.concatenate([grid, near]))


def _assert_monotone(table: DefaultTable) -> None:
    years = _dense_years()
    surface = np.array([table.cumulative_pd(n, years) for n in OBLIGOR_NOTCHES])
    assert np.all((surface >= 0) & (surface <= PD_CAP))
    assert np.all(np.diff(surface, axis=1) >= 0), "not non-decreasing in tenor"
    assert np.all(np.diff(surface, axis=0) >= 0), "not non-decreasing towards worse notches"


def test_domestic_curves_are_monotone_in_tenor_and_notch():
    _assert_monotone(domestic_table())


@st.composite
def _valid_tables(draw):
    """Random tables that pass validation: increasing along both axes."""
    n_notches = draw(st.integers(2, 6))
    idx = sorted(draw(st.sets(st.integers(0, len(OBLIGOR_NOTCHES) - 1), min_size=n_notches, max_size=n_notches)))
    n_tenors = draw(st.integers(1, 5))
    tenors = np.cumsum(draw(st.lists(st.floats(0.1, 5.0), min_size=n_tenors, max_size=n_tenors)))
    increments = draw(
        st.lists(st.floats(0.0, 1.0), min_size=n_notches * n_tenors, max_size=n_notches * n_tenors)
    )
    base = draw(st.floats(-12.0, -1.0))
    # a 2-D cumulative sum of non-negative increments rises along both axes
    logs = base + np.cumsum(np.cumsum(np.reshape(increments, (n_notches, n_tenors)), axis=0), axis=1)
    rates = np.exp(np.minimum(logs, 0.0))
    return DefaultTable(tuple(OBLIGOR_NOTCHES[i] for i in idx), tuple(tenors), rates, source="random")


@settings(derandomize=True, max_examples=40, deadline=None)
@given(_valid_tables())
def test_any_valid_table_gives_monotone_curves(table):
    _assert_monotone(table)


def test_tail_hazard_guard_keeps_worse_notch_worse(tmp_path):
    # The better row has a much steeper last segment than the worse row.
    rows = {"A": [0.01, 0.30], "BBB": [0.20, 0.31]}
    table = load_table_csv(_write(tmp_path, _long_csv(rows, (1.0, 2.0))))
    years = np.linspace(2.0, 30.0, 200)
    assert np.all(table.cumulative_pd("BBB", years) >= table.cumulative_pd("A", years))


# --------------------------------------------------------------------------- user tables


def test_user_csv_loads_in_any_row_order(tmp_path):
    rows = _domestic_csv_rows()
    lines = _long_csv(rows).splitlines()
    text = "# my agency's table\n" + lines[0] + "\n" + "\n".join(reversed(lines[1:])) + "\n\n"
    table = load_table_csv(_write(tmp_path, text))
    reference = domestic_table()
    assert table.notches == reference.notches and table.tenors == reference.tenors
    assert np.array_equal(table.rates, reference.rates)
    years = _dense_years()[::37]
    for notch in ("AAA", "A-", "BB+", "CCC"):
        assert np.array_equal(table.cumulative_pd(notch, years), reference.cumulative_pd(notch, years))
    assert "table.csv" in table.source


def test_resolve_table_by_name_or_relative_path(tmp_path):
    assert resolve_table("domestic") is domestic_table()
    _write(tmp_path, _long_csv({"AA": [0.001], "BB": [0.02]}, (1.0,)), "t.csv")
    table = resolve_table("t.csv", base_dir=tmp_path)
    assert table.cumulative_pd("BB", 1.0) == 0.02


GOOD_HEADER = "rating,tenor,cumulative_default_rate\n"


@pytest.mark.parametrize(
    ("body", "line", "allowed"),
    [
        ("AA,1,0.001\nAAx,1,0.01\n", 3, "allowed obligor notches: AAA+"),
        ("AA,1,0.001\nBB,1,1.5\n", 3, "(0, 1]"),
        ("AA,1,0.001\nBB,1,0\n", 3, "(0, 1]"),
        ("AA,1,0.001\nBB,-1,0.02\n", 3, "> 0"),
        ("AA,1,0.001\nBB,one,0.02\n", 3, "> 0"),
        ("AA,1,0.001\nBB,1,0.02,x\n", 3, "expected 3"),
        ("AA,1,0.002\nAA,2,0.001\nBB,1,0.02\nBB,2,0.03\n", 3, "must not decrease with tenor"),
        ("AA,1,0.03\nBB,1,0.02\n", 3, "must not decrease towards worse ratings"),
        ("AA,1,0.001\nAA,2,0.002\nBB,1,0.02\n", 4, "every rating needs every tenor"),
        ("AA,1,0.001\nAA,1.0,0.002\nBB,1,0.02\n", 3, "give each rating and tenor once"),
        ("AA,1,0.001\n", None, "at least two"),
    ],
)
def test_bad_user_csv_raises_scenario_error_naming_the_line(tmp_path, body, line, allowed):
    path = _write(tmp_path, GOOD_HEADER + body, "bad.csv")
    with pytest.raises(ScenarioError) as info:
        load_table_csv(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].path == "rating.table"
    message = problems[0].message
    assert "bad.csv" in message
    assert allowed in message
    if line is not None:
        assert f"line {line}" in message or f"lines {line}" in message


def test_bad_header_is_reported(tmp_path):
    path = _write(tmp_path, "grade,years,pd\nAA,1,0.001\n")
    with pytest.raises(ScenarioError, match="line 1: header .* expected 'rating,tenor,cumulative_default_rate'"):
        load_table_csv(path)


def test_every_bad_row_is_reported_at_once(tmp_path):
    path = _write(tmp_path, GOOD_HEADER + "AA,1,0.001\nXX,1,0.01\nBB,1,7\nBBB,1,0.01\n")
    with pytest.raises(ScenarioError) as info:
        load_table_csv(path)
    lines = sorted(int(p.message.split("line ")[1].split(":")[0]) for p in info.value.problems)
    assert lines == [3, 4]


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_table_csv(tmp_path / "nope.csv")


def test_direct_construction_validates():
    with pytest.raises(ValueError, match="non-decreasing"):
        DefaultTable(("AA", "BB"), (1.0, 2.0), np.array([[0.01, 0.005], [0.02, 0.03]]), source="x")
    with pytest.raises(ValueError, match="shape"):
        DefaultTable(("AA", "BB"), (1.0, 2.0), np.array([[0.01, 0.02]]), source="x")
