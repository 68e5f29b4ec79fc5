"""The default model's kernel inputs as typed bundles (``typing.NamedTuple`` of arrays,
passed to numba as one argument and read by name)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Groups(NamedTuple):
    """Obligors grouped by identical loadings, idiosyncratic weight and thresholds."""

    ptr: np.ndarray          # loadings of group g: ptr[g]..ptr[g+1] of idx / val
    idx: np.ndarray          # factor index of each loading
    val: np.ndarray          # loading
    idio: np.ndarray         # idiosyncratic weight per group
    thr: np.ndarray          # (groups, horizon) latent thresholds
    size: np.ndarray         # members per group
    expo: np.ndarray         # exposure of each member, share of the pool
    members_ptr: np.ndarray
    members: np.ndarray      # obligor indices, group by group
    member_step: np.ndarray  # uint64 index_step of each member's draw key (a hash of its
                             # id), same order


class DefaultModel(NamedTuple):
    """How the factors are sampled in one run (the groups travel beside it)."""

    z_shift: np.ndarray      # importance-sampling mean shift of the factors
    z_scale: float           # 1: random factors; 0: fixed at the shift (a conditional run)
    dof: float               # Student-t degrees of freedom; 0 for the Gaussian copula
    twist_target: float      # Glasserman-Li twist target default rate (0: none)
    defensive: float         # share of paths from the unshifted model (0: the pure shift)
    factor_key: np.ndarray   # uint64 draw key of each factor (a hash of its name)


class DefaultWork(NamedTuple):
    """Work arrays of :func:`engine.default._kernels.draw_defaults` (one set per thread)."""

    mean: np.ndarray         # (groups,) conditional mean of the latent variable
    p_horizon: np.ndarray    # (groups,) conditional PD by the horizon
    q: np.ndarray            # (groups,) sampling PD (twisted, or the same)
    found: np.ndarray        # (obligors + 1,) positions of a group's defaulters in
                             # ``members`` (one slack entry: group_defaulters)
    uniform: np.ndarray      # (obligors,) their uniforms given default by the horizon
    period: np.ndarray       # (obligors,) their 0-based default periods
    count: np.ndarray        # (groups,) this path's defaulters in each group
    cut: np.ndarray          # (periods rounded up to whole vectors of 8,) a group's
                             # conditional PD by each period (group_periods)
