"""Importance sampling, the driver: aim the factor shift with short conditional pilot runs
through the real waterfall (and set the optional twist).

A AAAsf senior defaults on perhaps one path in ten thousand; plain Monte Carlo needs tens
of millions of paths to see it. Shifting the factors' mean to ``mu`` (and re-weighting
each path by ``exp(-mu.eps - |mu|^2/2)``) puts the paths where the senior is hit, and the
weights keep every estimate, of every tranche, unbiased. The shift is chosen for the
*target* tranche's default event, along :func:`engine.default.importance.stress_direction`,
at the distance ``r`` that maximises ``P(target defaults | Z = -r d) phi(r)``, each
conditional probability estimated by a pilot run with the factors held fixed (its own
random numbers). An optional Glasserman-Li twist (Management Science, 2005) also raises the
conditional default probabilities until the pool's conditional expected default amount
reaches the target's subordination.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from engine.default.importance import (
    PILOT_SEED_SALT,
    junior_share,
    shift_vector,
    stress_direction,
)
from engine.layout import TR_DEFAULT
from engine.scenario.models import SEED_LIMIT, Importance
from engine.simulate import simulate

#: Share of paths drawn from the unshifted model when the scenario names none (the
#: ``importance.defensive_share`` default): weights stay below ``1 / DEFENSIVE_SHARE``.
DEFENSIVE_SHARE = Importance.model_fields["defensive_share"].default


def aim(plan, seed: int, target: int, pilot_paths: int,
        radii=np.arange(0.0, 8.01, 0.25)) -> tuple[float, np.ndarray]:
    """Distance ``r`` along :func:`stress_direction` that maximises the pilot estimate of
    ``log P(target defaults | Z = -r d) - r^2 / 2``; returns ``(r, the conditional PDs)``."""
    d = stress_direction(plan)
    pilot_seed = (seed ^ PILOT_SEED_SALT) % SEED_LIMIT
    probs = np.zeros(len(radii))
    best = -np.inf
    for n, r in enumerate(radii):
        if -r * r / 2 < best:
            # log P <= 0, so no farther radius can score above the best: the scan stops
            # (farther pilots are the dearest, every obligor defaulting); probs stay 0 there
            break
        pilot = dataclasses.replace(plan, z_shift=-r * d, twist_target=0.0,
                                    defensive_share=0.0)
        totals = simulate(pilot, pilot_paths, pilot_seed, z_scale=0.0)
        probs[n] = totals.tranche_sums(target)[TR_DEFAULT] / pilot_paths
        if probs[n] > 0:
            best = max(best, math.log(probs[n]) - r * r / 2)
    with np.errstate(divide="ignore"):
        score = np.where(probs > 0, np.log(np.maximum(probs, 1e-300)) - radii**2 / 2, -np.inf)
    if not np.isfinite(score).any():
        return float(radii[-1]), probs
    return float(radii[int(np.argmax(score))]), probs


def importance_plan(scenario, plan, seed: int):
    """The Plan with its importance-sampling shift and twist set, and a description."""
    spec = scenario.simulation.importance
    ids = list(plan.tranche_ids)
    target = ids.index(spec.target) if spec is not None and spec.target else 0
    info: dict = {"target": ids[target]}
    if spec is not None and spec.shift is not None:
        mu = shift_vector(plan, spec.shift)
        info["chosen"] = "given"
    else:
        pilot_paths = spec.pilot_paths if spec is not None else 4_000
        r, _ = aim(plan, seed, target, pilot_paths)
        mu = -r * stress_direction(plan)
        info.update(chosen="pilot", pilot_paths=pilot_paths, distance=r)
    twist = bool(spec is not None and spec.twist)
    x = junior_share(plan, target) if twist else 0.0
    info["shift"] = {name: float(v) for name, v in zip(plan.factors.names, mu) if v != 0.0}
    info["twist"] = twist
    if twist:
        info["twist_target_default_rate"] = x
    alpha = spec.defensive_share if spec is not None else DEFENSIVE_SHARE
    info["defensive_share"] = alpha
    return dataclasses.replace(plan, z_shift=mu, twist_target=x, defensive_share=alpha), info

