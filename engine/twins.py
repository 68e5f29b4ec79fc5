"""Which support sets of a pass may take the main set's outcome of a path, and how.

Two support sets of one deal pay the same cash on a path when what sets them apart never
acts on it. A rating ladder's run is the main deal with some supporters' dates fixed
(:attr:`engine.plan.Plan.as_supporter`): a supporter's date is read only when one of its
supports is asked to pay a positive amount (``provider_up`` then decides who pays) and by
a trigger naming it, so the run's outcome is the main one's on a path where those
supporters fare alike, or where none of their supports is asked to pay and no trigger names
them. The standalone structure is the main deal without its supports: on a path where no
support is asked to pay, every support, its reimbursement step and its capacity are idle,
and the outcome is the main one's without the supports' values.

The kernel side is :class:`engine._kernels.Reuse`; a support set that fits neither rule
runs every path (``TWIN_NONE``). Results are the same bits either way
(``tests/test_support_sets.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine._kernels import TWIN_ALONE, TWIN_LADDER, TWIN_NONE
from engine._jit import python
from engine._path_outcomes import ValueParts, value_parts
from engine.waterfall.codes import (
    OP_REIMBURSE,
    SUP_COMMITMENT_GUARANTEE,
    TRIG_CUMULATIVE_DEFAULT_RATE,
    TRIG_INTEREST_SHORTFALL,
)


def leaves(value, prefix=""):
    """``(name, leaf)`` of a nest of named tuples, arrays and numbers."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        for name, item in zip(value._fields, value):
            yield from leaves(item, f"{prefix}{name}.")
    else:
        yield prefix.rstrip("."), value


def equal(a, b) -> bool:
    """Same dtype, shape and values."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))


def same(x, y, skip: str = "") -> bool:
    """Are two nests equal leaf by leaf (``skip`` a leaf's name left out)?"""
    lx, ly = list(leaves(x)), list(leaves(y))
    return len(lx) == len(ly) and all(
        nx == ny and (nx == skip or equal(vx, vy)) for (nx, vx), (ny, vy) in zip(lx, ly))


@dataclass(frozen=True)
class TwinRule:
    """How a support set takes the main set's outcome (fields of ``Reuse``)."""

    twin: int = TWIN_NONE
    obligors: np.ndarray = field(default_factory=lambda: _none())
    by_claims: bool = False
    touch: np.ndarray = field(default_factory=lambda: _none())
    take: np.ndarray = field(default_factory=lambda: _none())


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _parts(plan) -> ValueParts:
    return python(value_parts)(plan.n_tranches, len(plan.support_ids),
                               len(plan.trigger_ids), plan.horizon, len(plan.cap_obligors))


def _named_by_trigger(deal, obligors) -> bool:
    """Does a provider-default trigger name one of ``obligors``?"""
    wf = deal.waterfall
    plain = (wf.trig_kind == TRIG_CUMULATIVE_DEFAULT_RATE) | (
        wf.trig_kind == TRIG_INTEREST_SHORTFALL)
    return bool(np.isin(wf.trig_arg[~plain], obligors).any())


def _ladder_rule(main, deal) -> TwinRule:
    """The main deal with some supporters' dates fixed otherwise."""
    su = main.support
    apart = np.flatnonzero(deal.support.as_supporter != su.as_supporter).astype(np.int64)
    touched = np.isin(su.provider, apart)
    for g in np.flatnonzero((su.kind == SUP_COMMITMENT_GUARANTEE) & touched):
        touched[su.target[g]] = True      # its commitment's claim is what calls it
    return TwinRule(TWIN_LADDER, apart, not _named_by_trigger(main, apart),
                    np.flatnonzero(touched).astype(np.int64))


def _without_reimbursement(ops) -> np.ndarray:
    return ops[ops[:, 0] != OP_REIMBURSE]


def _alone_fits(main, deal) -> bool:
    """Is ``deal`` the main deal without its supports, and nothing else changed?"""
    caps = deal.support.cap_obligors
    if deal.support.kind.shape[0] or (caps.shape[0] and not equal(caps,
                                                                   main.support.cap_obligors)):
        return False
    mine, theirs = dict(leaves(main)), dict(leaves(deal))
    if mine.keys() != theirs.keys():
        return False
    keep = ("support.as_supporter", "support.ob_default_on_exhaustion")
    for name, value in mine.items():
        other = theirs[name]
        if equal(value, other):
            continue
        if name.startswith("support.") and name not in keep:
            continue
        if name in ("waterfall.ops_int", "waterfall.ops_prin", "waterfall.ops_post"):
            if equal(_without_reimbursement(value), _without_reimbursement(other)):
                continue
        if name in ("waterfall.start_reimb_owed", "pool.past_guar_paid",
                    "pool.past_guar_back") and not np.any(value):
            continue
        return False
    return True


def _alone_rule(main_plan, main, plan) -> TwinRule:
    """The main deal without its supports: the main row less the support values (and the
    capacities, unless the standalone structure keeps its providers': no claim, none
    ran out)."""
    parts, own = _parts(main_plan), _parts(plan)
    end = parts.claims if len(plan.cap_obligors) else parts.capacities
    take = np.concatenate([np.arange(parts.supports),
                           np.arange(parts.triggers, end)]).astype(np.int64)
    if take.shape[0] != own.width:
        return TwinRule()
    return TwinRule(TWIN_ALONE, by_claims=True,
                    touch=np.arange(main.support.kind.shape[0], dtype=np.int64), take=take)


def twin_rule(main_plan, main, plan, deal) -> TwinRule:
    """How the support set (``plan``, its Deal ``deal``) may take the outcome of the main
    set (``main_plan``, ``main``) on a path."""
    if same(deal, main, skip="support.as_supporter"):
        return _ladder_rule(main, deal)
    if _alone_fits(main, deal):
        return _alone_rule(main_plan, main, plan)
    return TwinRule()


def claims_at(plan) -> int:
    """First claim value of a row of ``plan``'s outcomes."""
    return _parts(plan).claims
