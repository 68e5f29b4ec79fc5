"""Deterministic default and recovery assumptions, as a scenario the kernel can run once.

A structurer's question "what if 15% of the pool defaults, evenly over the first year, and
recovers 10% after a year?" is answered by the same cash kernel as the simulation: each
asset is cut into slices, one per period in which a share of it defaults (the share the
timing curve gives that period) plus the slice that never defaults. Slices keep the asset's
terms, support and (scaled) collateral; a slice defaulting in period ``t`` belongs to a
synthetic obligor ``"<obligor>@<t>"``. Named obligors (borrowers or support providers) can
default too. With a recovery rate the collateral is replaced by cash worth that share of the
principal outstanding at default, arriving ``recovery_lag`` periods later; without one,
collateral realises at its mean haircut.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from engine.errors import Problem, ScenarioError
from engine.limits import MAX_PERIODS
from engine.scenario.base import front_loading
from engine.scenario.edit import canonical
from engine.scenario.models import ASSET_SUPPORT_TYPES
from engine.waterfall.schedules import asset_schedules
from engine.scenario import Scenario


@dataclass(frozen=True)
class DefaultAssumptions:
    """What defaults, when, and what comes back.

    Parameters
    ----------
    named : dict obligor id -> period
        Obligors (borrowers or providers) that default, and when (1-based period).
    cdr : float
        Cumulative default rate of the pool: the share of every asset's original balance
        that defaults, spread over the periods by ``timing`` (0 for none).
    timing : str or sequence of float
        ``"uniform"`` over the periods up to the longest asset term, ``"front:x"`` a
        linear tilt putting ``1 + x`` times the average share in the first period and
        ``1 - x`` in the last, or explicit shares per period (normalised to 1).
    recovery : float, optional
        Recovery as a share of the principal outstanding at default, replacing collateral.
    recovery_lag : int
        Periods from default to that recovery.
    """

    named: dict[str, int] = field(default_factory=dict)
    cdr: float = 0.0
    timing: str | tuple[float, ...] = "uniform"
    recovery: float | None = None
    recovery_lag: int = 0


def timing_curve(timing, periods: int) -> np.ndarray:
    """Shares of the defaults in periods ``1..periods`` (sum 1)."""
    if isinstance(timing, str):
        if timing == "uniform":
            return np.full(periods, 1.0 / periods)
        if timing.startswith("front:"):
            x = front_loading(timing)
            if periods == 1:
                return np.ones(1)
            tilt = 1.0 + x * (periods + 1 - 2 * np.arange(1, periods + 1)) / (periods - 1)
            return tilt / tilt.sum()
        raise ValueError(f"timing {timing!r}: use 'uniform', 'front:x' or a list of shares")
    w = np.asarray(timing, dtype=float)
    if w.ndim != 1 or len(w) == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("timing shares must be finite, non-negative numbers with a positive "
                         f"sum, got {', '.join(f'{x:g}' for x in w.ravel()[:12])}")
    if len(w) > periods:
        raise ValueError(f"timing has {len(w)} shares but the assets run {periods} periods")
    out = np.zeros(periods)
    out[:len(w)] = w / w.sum()
    return out


def _check(scenario, a: DefaultAssumptions) -> None:
    ids = {o.id for o in scenario.obligors}
    problems = []
    for oid, t in a.named.items():
        if oid not in ids:
            problems.append(Problem("defaults", f"unknown obligor {oid!r}"))
        elif not 1 <= t <= scenario.legal_final:
            problems.append(Problem("defaults", f"{oid}: period {t} is outside 1..legal_final "
                                                f"({scenario.legal_final})"))
    if not 0.0 <= a.cdr <= 1.0:
        problems.append(Problem("cdr", f"must be in [0, 1], got {a.cdr}"))
    if a.recovery is not None and not 0.0 <= a.recovery <= 1.0:
        problems.append(Problem("recovery", f"must be in [0, 1], got {a.recovery}"))
    if not 0 <= a.recovery_lag <= MAX_PERIODS:
        problems.append(Problem("recovery_lag", f"must be between 0 and {MAX_PERIODS} periods, "
                                                f"got {a.recovery_lag}"))
    if problems:
        raise ScenarioError(problems)


def slice_shares(scenario, sliced) -> np.ndarray:
    """Each asset of ``sliced`` (in order) as a share of the original asset it was cut from
    (``L01@3`` from ``L01``; a survivor keeps the id)."""
    original = {x.id: x.balance for x in scenario.assets}
    return np.array([x.balance / original[x.id.rsplit("@", 1)[0] if x.id not in original
                                          else x.id]
                     for x in canonical(sliced).assets])      # the Plan's order


def with_slice_terms(plan, shares: np.ndarray):
    """``plan`` of a sliced deal with the per-asset terms of loan-level support (IP
    insurance's deductible and limit) scaled to each slice's share of its loan, so that the
    slices of one loan together have the loan's deductible and limit (not one each)."""
    per_cov = np.repeat(np.asarray(shares, dtype=np.float64), np.diff(plan.cov_ptr))
    limit = plan.cov_limit.copy()            # inf (no limit) stays inf, even at share 0
    finite = np.isfinite(limit)
    limit[finite] *= per_cov[finite]
    return dataclasses.replace(plan, cov_deductible=plan.cov_deductible * per_cov,
                               cov_limit=limit)


def sliced_scenario(scenario, a: DefaultAssumptions):
    """The scenario with assets sliced by default period, and each obligor's default period.

    Returns ``(scenario, {obligor id: period})`` (obligors missing from the dict never
    default) and the mean haircut to use for each collateral item, in the new order.
    """
    _check(scenario, a)
    horizon = scenario.legal_final
    ppy = scenario.periods_per_year
    doc = scenario.model_dump(by_alias=True, exclude_none=True)
    assets = scenario.assets
    longest = max(x.term for x in assets)
    shares = a.cdr * timing_curve(a.timing, longest)
    _, _, out_start = asset_schedules(assets, horizon, ppy)
    coll = {c.id: c for c in scenario.collateral}
    new_obligors = list(doc["obligors"])
    new_assets, new_coll = [], []
    named = dict(a.named)
    slice_ids: dict[str, list[str]] = {}
    for i, asset in enumerate(assets):
        base = doc["assets"][i]
        survivor = 1.0 - shares[:asset.term].sum()
        parts = [(t + 1, shares[t]) for t in range(asset.term) if shares[t] > 0]
        pieces = [(None, survivor)] + parts if survivor > 1e-15 else parts
        slice_ids[asset.id] = []
        for t, frac in pieces:
            sid = asset.id if t is None else f"{asset.id}@{t}"
            slice_ids[asset.id].append(sid)
            piece = dict(base, id=sid, balance=asset.balance * frac)
            if not isinstance(asset.amortization, str):
                piece["amortization"] = {"schedule": [x * frac for x in asset.amortization.schedule]}
            if t is not None:
                oid = f"{asset.obligor}@{t}"
                if oid not in named:
                    ob = dict(next(o for o in doc["obligors"] if o["id"] == asset.obligor), id=oid)
                    new_obligors.append(ob)
                    named[oid] = t
                piece["obligor"] = oid
            items = []
            if a.recovery is not None:
                if t is not None and a.recovery > 0:
                    cid = f"recovery:{sid}"
                    new_coll.append({"id": cid, "type": "invention_patent",
                                     "appraised_value": a.recovery * frac * out_start[i, t],
                                     "haircut": {"mean": 0.0, "sd": 0.0},
                                     "lag": a.recovery_lag, "systemic": 0.0})
                    items.append(cid)
            else:
                for cid in asset.collateral:
                    c = coll[cid]
                    new_id = cid if t is None else f"{cid}@{t}"
                    new_coll.append(dict(c.model_dump(exclude_none=True), id=new_id,
                                         appraised_value=c.appraised_value * frac,
                                         haircut={"mean": c.haircut.mean, "sd": 0.0}))
                    items.append(new_id)
            piece["collateral"] = items
            new_assets.append(piece)
    for s in doc.get("credit_support", []):
        if s["type"] in ASSET_SUPPORT_TYPES and isinstance(s.get("covers"), list):
            s["covers"] = [x for aid in s["covers"] for x in slice_ids[aid]]
    doc.update(obligors=new_obligors, assets=new_assets, collateral=new_coll)
    doc.pop("assets_file", None)
    doc.pop("sensitivities", None)
    # Derived from a checked scenario, so its cross-reference checks (a correlation matrix
    # over every slice among them) are not run again for every probe; the test suite runs
    # them on the slices of every shipped deal (tests/test_rating_engine.py).
    return Scenario.model_validate(doc, context={"cross_checks": False}), named
