"""Numba kernels of importance sampling's defensive mixture (Hesterberg 1995; Owen & Zhou,
JASA 2000): each path comes from the plain model with probability ``alpha`` (the
``defensive_share``) or from the aimed one (factors shifted by ``mu``, optionally twisted),
and is weighted by the mixture density

    w = p(x) / (alpha p(x) + (1 - alpha) q(x)) = 1 / (alpha + (1 - alpha) / w_aimed(x)),

``w_aimed = p / q`` the likelihood ratio of the aimed model alone. So ``w <= 1 / alpha``
whatever the shift. The component is a pure function of ``(seed, path)`` (its own stream,
:data:`~engine.default._kernels.STREAM_COMPONENT`), never of scheduling, so results stay
bit-identical for any thread count, chunking or backend.
"""
from __future__ import annotations

import math

import numpy as np
from engine._jit import njit

from engine.default._kernels import (
    STREAM_COMPONENT,
    draw_defaults,
    draw_factors,
    stream_key,
    threshold_scale,
    twist_parameter,
    uniform,
)


@njit(cache=True, inline="always")
def from_aimed_model(seed, path, alpha):
    """Is path ``path`` drawn from the aimed model (else from the plain one)?"""
    if alpha <= 0.0:
        return True
    key = stream_key(seed, path, np.uint64(STREAM_COMPONENT))
    return uniform(key, np.uint64(0)) >= alpha


@njit(cache=True, inline="always")
def shift_log_ratio(shift, z):
    """``log phi(z) / phi(z - shift) = -shift.z + |shift|^2 / 2``, at the drawn factors."""
    out = 0.0
    for k in range(z.shape[0]):
        out += -shift[k] * z[k] + 0.5 * shift[k] * shift[k]
    return out


@njit(cache=True)
def twist_log_ratio(groups, p_by_group, twist_target, count):
    """Log likelihood ratio (plain / twisted) of the twist of a path drawn *without* it.

    ``p_by_group`` are the path's conditional default probabilities by legal final (what
    :func:`~engine.default._kernels.draw_defaults` leaves in its work array); the twisted
    probabilities are those the aimed model would have used for the same factors, and only
    the default indicators' law differs (a defaulter's period has the same conditional law
    in both), so the ratio is ``prod_g (p/q)^d_g ((1-p)/(1-q))^(n_g - d_g)``, ``d_g =
    count[g]`` the group's defaulters on the path.
    """
    theta = twist_parameter(p_by_group, groups.size, groups.expo, twist_target)
    if theta <= 0.0:
        return 0.0
    out = 0.0
    for g in range(p_by_group.shape[0]):
        p = p_by_group[g]
        if not (groups.expo[g] > 0.0 and 0.0 < p < 1.0):
            continue
        e = math.exp(min(theta * groups.expo[g], 700.0))
        q = p * e / (1.0 + p * (e - 1.0))
        if q == p:
            continue
        d = count[g]
        n_g = groups.members_ptr[g + 1] - groups.members_ptr[g]
        out += d * math.log(p / q) + (n_g - d) * math.log((1.0 - p) / (1.0 - q))
    return out


@njit(cache=True, inline="always")
def mixture_weight(alpha, log_w_aimed):
    """``1 / (alpha + (1 - alpha) exp(-log_w_aimed))``: at most ``1 / alpha``, never NaN
    (a path the aimed model makes far likelier than the plain one weighs 0)."""
    x = -log_w_aimed
    if x > 700.0:
        return 0.0
    return 1.0 / (alpha + (1.0 - alpha) * math.exp(x))


@njit(cache=True, inline="always")
def draw_weighted_defaults(seed, path, model, groups, work, z, zero_shift, tau, defaulters,
                           n_previous):
    """Factors (into ``z``) and defaults of one path, and the path's weight.

    ``model`` is a :class:`engine.default.bundles.DefaultModel`; ``work``, ``tau``,
    ``defaulters`` and ``n_previous`` as for :func:`~engine.default._kernels.draw_defaults`;
    ``zero_shift`` a zero vector over the factors. Without a defensive share the path comes
    from the aimed model and weighs its likelihood ratio (1 without a shift or twist, or in a
    conditional run, ``z_scale == 0``); with one, the component is the path's own draw and
    the weight is :func:`mixture_weight`. Returns ``(number of defaulters, weight)``.
    """
    alpha = model.defensive
    aimed = from_aimed_model(seed, path, alpha)
    shift = model.z_shift if aimed else zero_shift
    log_w = draw_factors(seed, path, shift, model.z_scale, model.factor_key, z)
    scale = threshold_scale(seed, path, model.dof)
    n_def, log_w_twist = draw_defaults(seed, path, z, scale, groups,
                                       model.twist_target if aimed else 0.0, work, tau,
                                       defaulters, n_previous)
    if model.z_scale <= 0.0:
        return n_def, 1.0
    if alpha <= 0.0:
        return n_def, math.exp(log_w + log_w_twist)
    if not aimed:
        log_w = shift_log_ratio(model.z_shift, z)
        if model.twist_target > 0.0:
            log_w_twist = twist_log_ratio(groups, work.p_horizon, model.twist_target,
                                          work.count)
    return n_def, mixture_weight(alpha, log_w + log_w_twist)
