"""Importance sampling: where to shift the systematic factors (and how far to twist).

A AAAsf senior defaults on perhaps one path in ten thousand; plain Monte Carlo needs tens
of millions of paths to see it. Shifting the factors' mean to ``mu`` (and re-weighting
each path by ``exp(-mu.eps - |mu|^2/2)``) puts the paths where the senior is hit, and the
weights keep every estimate, of every tranche, unbiased.

The shift is chosen for the *target* tranche's default event (the most senior by
default), with the deal's real cash flows and supporters: along the direction in which
the pool and the support providers deteriorate together, at the distance ``r`` that
maximises ``P(target defaults | Z = -r d) phi(r)``, each conditional probability
estimated by a short pilot run with the factors held fixed (its own random numbers,
independent of the main run's). An optional Glasserman-Li twist (Management Science,
2005) also raises the conditional default probabilities until the pool's conditional
expected default amount reaches the target's subordination.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from engine.layout import TR_DEFAULT

from engine.errors import Problem, ScenarioError

PILOT_SEED_SALT = 0x5EED_1A9E_0F1C_E5


def shift_vector(plan, shift: dict[str, float]) -> np.ndarray:
    """A named shift (``{"global": -2.5}``) as a vector over the Plan's factors."""
    names = plan.factors.names
    mu = np.zeros(plan.factors.n_factors)
    for name, value in shift.items():
        if name not in names:
            raise ScenarioError(Problem(f"simulation.importance.shift.{name}",
                                        f"no factor {name!r}; factors: {', '.join(names)}"))
        mu[names.index(name)] = value
    return mu


def stress_direction(plan) -> np.ndarray:
    """Unit direction (in factor space) in which the pool and its supporters fall together.

    The exposure-weighted mean loading of the borrowers plus the mean loading of the
    support providers (weighted like the whole pool, since a supported senior needs them
    to fail too); the economy factor alone if that is degenerate.
    """
    a = plan.factors.dense()
    weight = plan.exposure.copy()
    providers = np.unique(plan.sup_provider[plan.sup_provider >= 0])
    if providers.size:
        weight[providers] += 1.0 / providers.size
    d = weight @ a
    norm = np.linalg.norm(d)
    if not np.isfinite(norm) or norm < 1e-12:
        d = np.zeros(a.shape[1])
        d[0] = 1.0
        return d
    return d / norm


def junior_share(plan, k: int) -> float:
    """Balance of the tranches below tranche ``k``, as a share of the pool."""
    return float(plan.tr_balance[k + 1:].sum() / plan.pool_balance)


def aim(plan, simulate, seed: int, target: int, pilot_paths: int,
        radii=np.arange(0.0, 8.01, 0.25)) -> tuple[float, np.ndarray]:
    """Distance ``r`` along :func:`stress_direction` that maximises the pilot estimate of
    ``log P(target defaults | Z = -r d) - r^2 / 2``; returns ``(r, the conditional PDs)``."""
    d = stress_direction(plan)
    pilot_seed = (seed ^ PILOT_SEED_SALT) & (2**63 - 1)
    probs = np.zeros(len(radii))
    for n, r in enumerate(radii):
        pilot = dataclasses.replace(plan, z_shift=-r * d, twist_target=0.0)
        totals = simulate(pilot, pilot_paths, pilot_seed, z_scale=0.0)
        probs[n] = totals.tranche_sums(target)[TR_DEFAULT] / pilot_paths
    with np.errstate(divide="ignore"):
        score = np.where(probs > 0, np.log(np.maximum(probs, 1e-300)) - radii**2 / 2, -np.inf)
    if not np.isfinite(score).any():
        return float(radii[-1]), probs
    return float(radii[int(np.argmax(score))]), probs


def importance_plan(scenario, plan, simulate, seed: int):
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
        r, _ = aim(plan, simulate, seed, target, pilot_paths)
        mu = -r * stress_direction(plan)
        info.update(chosen="pilot", pilot_paths=pilot_paths, distance=r)
    twist = bool(spec is not None and spec.twist)
    x = junior_share(plan, target) if twist else 0.0
    info["shift"] = {name: float(v) for name, v in zip(plan.factors.names, mu) if v != 0.0}
    info["twist"] = twist
    if twist:
        info["twist_target_default_rate"] = x
    return dataclasses.replace(plan, z_shift=mu, twist_target=x), info

