"""Rating a tranche by its default probability, and the Monte Carlo uncertainty of that grade."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.rating import SF_SCALE, domestic_table, pd_interval, rate_by_pd, rating_range_pd

TABLE = domestic_table()
PD_GRID = np.concatenate([[0.0], np.geomspace(1e-7, 1.0, 400)])


@pytest.mark.parametrize("tenor", [1.0, 2.0, 2.7, 5.0, 12.0])
@pytest.mark.parametrize("grade", ["AAAsf", "AA+sf", "AA-sf", "A-sf", "BBBsf", "BB+sf", "Bsf"])
def test_pd_at_threshold_gets_the_grade_and_just_above_the_next(grade, tenor):
    threshold = TABLE.sf_threshold(grade, tenor)
    assert rate_by_pd(threshold, tenor, TABLE) == grade
    next_grade = SF_SCALE[SF_SCALE.index(grade) + 1]
    assert rate_by_pd(math.nextafter(threshold, 1.0), tenor, TABLE) == next_grade


def test_pd_above_b_minus_threshold_is_ccc_and_cc_c_are_never_assigned():
    above = math.nextafter(TABLE.sf_threshold("B-sf", 2.0), 1.0)
    assert rate_by_pd(above, 2.0, TABLE) == "CCCsf"
    assert rate_by_pd(1.0, 2.0, TABLE) == "CCCsf"
    grades = {rate_by_pd(float(p), 2.0, TABLE) for p in PD_GRID}
    assert "CCsf" not in grades and "Csf" not in grades


def test_zero_pd_is_aaa():
    assert rate_by_pd(0.0, 0.5, TABLE) == "AAAsf"
    assert rate_by_pd(0.0, 30.0, TABLE) == "AAAsf"


@pytest.mark.parametrize("short", [0.0, 0.25, 0.5, 0.99])
def test_tenor_below_one_year_is_rated_at_one_year(short):
    for p in PD_GRID:
        assert rate_by_pd(float(p), short, TABLE) == rate_by_pd(float(p), 1.0, TABLE)
    # a pd that is AA-sf at one year would be worse at a true 0.5-year threshold
    pd = TABLE.sf_threshold("AA-sf", 1.0)
    assert TABLE.sf_threshold("AA-sf", 0.5) < pd
    assert rate_by_pd(pd, short, TABLE) == "AA-sf"


def test_grade_worsens_with_pd_and_improves_with_tenor():
    for tenor in (1.0, 3.0, 10.0):
        ranks = [SF_SCALE.index(rate_by_pd(float(p), tenor, TABLE)) for p in PD_GRID]
        assert np.all(np.diff(ranks) >= 0)
    for p in PD_GRID:
        ranks = [SF_SCALE.index(rate_by_pd(float(p), t, TABLE)) for t in (1.0, 2.0, 5.0)]
        assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize(("pd", "tenor"), [(-0.1, 1.0), (1.1, 1.0), (float("nan"), 1.0), (0.1, -1.0)])
def test_rate_by_pd_rejects_bad_input(pd, tenor):
    with pytest.raises(ValueError):
        rate_by_pd(pd, tenor, TABLE)


# --------------------------------------------------------------------------- Wilson interval


def test_wilson_interval_matches_textbook_value():
    # 50 successes in 100 trials: Wilson 95% interval (0.4038, 0.5962)
    low, high = pd_interval(0.5, 0.0, 100)
    assert low == pytest.approx(0.403832, abs=1e-6)
    assert high == pytest.approx(0.596168, abs=1e-6)


@pytest.mark.parametrize("n_paths", [1_000, 100_000, 1_000_000])
@pytest.mark.parametrize("pd", [0.0, 1e-5, 0.003, 0.2, 0.5, 0.97, 1.0])
def test_interval_brackets_the_estimate(pd, n_paths):
    for se in (0.0, math.sqrt(pd * (1 - pd) / n_paths), 3e-4):
        low, high = pd_interval(pd, se, n_paths)
        assert 0.0 <= low <= pd <= high <= 1.0


@pytest.mark.parametrize("n_paths", [1_000, 20_000, 1_000_000])
def test_zero_defaults_give_rule_of_three_upper_bound(n_paths):
    low, high = pd_interval(0.0, 0.0, n_paths)
    assert low == 0.0
    assert high * n_paths == pytest.approx(3.8415, rel=0.05)


def test_binomial_standard_error_reproduces_the_plain_interval():
    pd, n = 0.013, 50_000
    plain = pd_interval(pd, 0.0, n)
    via_se = pd_interval(pd, math.sqrt(pd * (1 - pd) / n), n)
    assert via_se == pytest.approx(plain, rel=1e-9)


def test_smaller_standard_error_narrows_the_interval():
    # importance sampling: same path count, a quarter of the binomial standard error
    pd, n = 1e-4, 100_000
    se = math.sqrt(pd * (1 - pd) / n)
    wide = pd_interval(pd, se, n)
    narrow = pd_interval(pd, se / 4, n)
    assert narrow[0] > wide[0] and narrow[1] < wide[1]


def test_higher_level_widens_the_interval():
    low95, high95 = pd_interval(0.01, 0.001, 10_000)
    low99, high99 = pd_interval(0.01, 0.001, 10_000, level=0.99)
    assert low99 < low95 and high99 > high95


@pytest.mark.parametrize(
    "args", [(-0.1, 0.0, 10), (0.1, -1.0, 10), (0.1, 0.0, 0), (0.1, 0.0, 10, 1.0), (0.1, float("nan"), 10)]
)
def test_pd_interval_rejects_bad_input(args):
    with pytest.raises(ValueError):
        pd_interval(*args)


# --------------------------------------------------------------------------- rating range


@pytest.mark.parametrize("pd", [0.0, 2e-5, 3e-4, 0.002, 0.05, 0.4])
@pytest.mark.parametrize("n_paths", [10_000, 1_000_000])
def test_rating_range_is_best_then_worst_around_the_point_grade(pd, n_paths):
    se = math.sqrt(pd * (1 - pd) / n_paths)
    best, worst = rating_range_pd(pd, se, n_paths, 2.0, TABLE)
    point = rate_by_pd(pd, 2.0, TABLE)
    assert SF_SCALE.index(best) <= SF_SCALE.index(point) <= SF_SCALE.index(worst)


def test_rating_range_of_zero_defaults_depends_on_path_count():
    # 3.83e-3 lies between the 1-year A-sf (3.19e-3) and BBB+sf (5.08e-3) rates
    assert rating_range_pd(0.0, 0.0, 1_000, 1.0, TABLE) == ("AAAsf", "BBB+sf")
    # 3.84e-6 is inside the 1-year AAAsf rate of 1.5e-4
    assert rating_range_pd(0.0, 0.0, 1_000_000, 1.0, TABLE) == ("AAAsf", "AAAsf")
