"""Screening small groups by an upper bound of their PD (issue #29): the bound is above every
computed normal CDF, and a screened draw gives exactly the defaulters of the full one."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.default._kernels import (
    PD_BOUND_FROM,
    PD_BOUND_PER_UNIT,
    draw_defaults,
    make_default_work,
    norm_cdf,
    pd_bound,
    pd_bound_table,
)
from engine.plan import compile_plan
from engine.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_the_bound_is_above_the_cdf_everywhere_and_one_past_the_grid():
    table = pd_bound_table()
    rng = np.random.default_rng(4)
    grid = PD_BOUND_FROM + np.arange(table.shape[0]) / PD_BOUND_PER_UNIT
    xs = np.concatenate([rng.uniform(-45.0, 1.0, 20_000), grid, np.nextafter(grid, -np.inf),
                         np.nextafter(grid, np.inf), [-1e300, -40.0, -0.0, 0.0, 0.5, 8.0]])
    for x in xs:
        bound = pd_bound(x, table)
        assert bound >= norm_cdf(x), x
        if x >= 0.0:
            assert bound == 1.0
    assert pd_bound(float("nan"), table) == 1.0
    # and it is a bound worth having: within one grid step of the CDF below the mean
    for x in rng.uniform(-6.0, -0.2, 2_000):
        assert pd_bound(x, table) <= norm_cdf(x + 3.0 / PD_BOUND_PER_UNIT) * (1 + 1e-9)


@pytest.mark.parametrize("scale", [1.0, 0.7])
def test_screening_small_groups_leaves_every_default_date_unchanged(scale):
    plan = compile_plan(load_scenario(ROOT / "scenarios" / "cross_region_pool.yaml"))
    groups = plan.groups.bundle()
    assert (np.diff(groups.members_ptr) <= 8).mean() > 0.5    # most groups are screened
    n_obl, horizon = groups.members.shape[0], groups.thr.shape[1]
    n_f = plan.default_model(1.0).z_shift.shape[0]
    rng = np.random.default_rng(11)
    runs = {}
    for all_pds in (True, False):
        work = make_default_work(groups)
        tau = np.full(n_obl, horizon + 1, dtype=np.int64)
        defaulters = np.zeros(n_obl, dtype=np.int64)
        rng = np.random.default_rng(11)
        seen, n_def = [], 0
        for path in range(3_000):
            z = rng.standard_normal(n_f) * 2.5 - 1.0        # stressed factors: many defaults
            n_def, _ = draw_defaults(np.uint64(5), np.uint64(path), z, scale, groups, 0.0,
                                     work, tau, defaulters, n_def, all_pds)
            seen.append(tau.copy())
        runs[all_pds] = np.array(seen)
    assert (runs[False] <= horizon).sum() > 3_000             # defaults to compare
    np.testing.assert_array_equal(runs[False], runs[True])
