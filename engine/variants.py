"""The support sets of one pass: several Plans of one deal (the full deal, its standalone
structure, the rating ladder's runs) simulated on the same draw of defaults and haircuts,
each through its own waterfall. Plans may share a pass when they draw the same paths: the
same obligors, default model, pool and collateral draws."""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from engine import layout as L
from engine._jit import python
from engine._kernels import PathStore, PathWork, Reuse
from engine._path_outcomes import value_parts
from engine.twins import TwinRule, claims_at, equal, same, twin_rule
from engine.default._kernels import make_default_work
from engine.waterfall._outcome_kernels import make_cash_outputs, make_cash_scratch


#: The fields of a Plan that decide its paths' draws (the default side and its aim).
DRAW_FIELDS = ("factors", "pd_curves", "thresholds", "dof", "groups", "exposure", "ob_key",
               "z_shift", "twist_target", "defensive_share")


def drawn_like(plan, base):
    """``plan`` (a support set of ``base``'s deal with the same obligors: its standalone
    structure, a deal without one support) drawing ``base``'s paths: ``base``'s default
    model, factor structure and aim. Without it a support set whose providers name no other
    deal would fit its own factor structure to fewer obligors, and its paths would differ.
    """
    if plan.obligor_ids != base.obligor_ids:
        raise ValueError("a support set must keep its deal's obligors to share its paths")
    return dataclasses.replace(plan, **{f: getattr(base, f) for f in DRAW_FIELDS})


def check_same_paths(main, other) -> None:
    """Refuse a Plan that would not draw ``main``'s paths (ValueError naming what differs)."""
    if other.obligor_ids != main.obligor_ids:
        raise ValueError("a pass's Plans must have the same obligors")
    if not same(other.default_model(1.0), main.default_model(1.0)) or not same(
            other.groups.bundle(), main.groups.bundle()):
        raise ValueError("a pass's Plans must have the same default model")
    if not same(other.haircut_draws(), main.haircut_draws()):
        raise ValueError("a pass's Plans must draw the same haircuts")
    for name in ("coll_ptr", "asset_term", "ob_asset_ptr", "ob_asset_idx"):
        if not equal(getattr(other, name), getattr(main, name)):
            raise ValueError(f"a pass's Plans must have the same pool ({name})")


#: Most support sets in one pass (each keeps its own cash arrays per thread).
MAX_PASS = 16
#: Most defaulters a path store holds (paths x obligors up to this; one path always fits).
STORE_CAPACITY = 1 << 20


class Pass:
    """The support sets of one pass: each Plan's Deal and row layout (the first Plan draws
    the paths; the others are checked to draw the same)."""

    def __init__(self, plans):
        self.plans = tuple(plans)
        if not self.plans:
            raise ValueError("a pass needs at least one Plan")
        for other in self.plans[1:]:
            check_same_paths(self.plans[0], other)
        self.deals = [p.deal() for p in self.plans]
        self.lays = [python(L.row_layout)(p.n_tranches, len(p.support_ids), len(p.trigger_ids),
                                  p.horizon, len(p.cap_obligors)) for p in self.plans]
        self.widths = [python(value_parts)(p.n_tranches, len(p.support_ids),
                                           len(p.trigger_ids), p.horizon,
                                           len(p.cap_obligors)).width for p in self.plans]
        self.rules = [TwinRule()] + [twin_rule(self.plans[0], self.deals[0], p, d)
                                     for p, d in zip(self.plans[1:], self.deals[1:])]

    def work(self, groups, batch: int) -> "ThreadWork":
        """One thread's work arrays for batches of ``batch`` paths."""
        plan = self.plans[0]
        n_f = plan.default_model(1.0).z_shift.shape[0]
        n_obl, n_coll = plan.n_obligors, plan.coll_value.shape[0]
        path = PathWork(np.zeros(n_f), np.zeros(n_f),
                        np.full(n_obl, plan.horizon + 1, dtype=np.int64),
                        np.zeros(n_obl, dtype=np.int64), python(make_default_work)(groups),
                        np.zeros(n_coll))
        cap = max(n_obl, min(batch * n_obl, STORE_CAPACITY))
        store = PathStore(np.zeros(batch), np.zeros(batch + 1, dtype=np.int64),
                          np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int64),
                          np.zeros((batch, n_coll)))
        rows = np.zeros((batch, self.widths[0]))
        main = self.deals[0].support.as_supporter
        at = claims_at(self.plans[0])
        reuse = [Reuse(rows, np.zeros((1, width)), np.zeros((1, width)),
                       np.zeros(1, dtype=np.int64), rule.twin, rule.obligors, main,
                       d.support.as_supporter, rule.by_claims, rule.touch, at, rule.take,
                       np.zeros(2, dtype=np.int64))
                 for d, width, rule in zip(self.deals, self.widths, self.rules)]
        return ThreadWork(path, store, [python(make_cash_outputs)(d) for d in self.deals],
                          [python(make_cash_scratch)(d, n_obl) for d in self.deals], reuse)


class ThreadWork(NamedTuple):
    """A thread's arrays: the path work, the path store, each support set's cash and what
    it may reuse."""

    path: PathWork
    store: PathStore
    cash: list
    scratch: list
    reuse: list              # each support set's :class:`engine._kernels.Reuse`
