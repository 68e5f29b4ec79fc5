"""Importance sampling, the geometry: the factor shift named in a scenario, the direction
in which the pool and its supporters deteriorate together, a tranche's subordination. The
driver that aims the shift with pilot runs is :mod:`engine.sampling`.

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

import numpy as np

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
