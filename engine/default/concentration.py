"""Agency concentration default multipliers: larger default probabilities for obligors
whose own share, region or industry is a large part of the pool (off unless the
scenario's ``rating.concentration`` gives them)."""
from __future__ import annotations

import numpy as np


def _step(steps, share: float) -> float:
    m = 1.0
    for s in steps:
        if share > s.above:
            m = max(m, s.multiplier)
    return m


def concentration_multipliers(obligors, assets, spec) -> np.ndarray:
    """PD multiplier of each obligor (1 without ``spec``)."""
    out = np.ones(len(obligors))
    if spec is None:
        return out
    pool = sum(a.balance for a in assets)
    share = {o.id: 0.0 for o in obligors}
    for a in assets:
        share[a.obligor] += a.balance / pool
    region, industry = {}, {}
    for o in obligors:
        if o.region is not None:
            region[o.region] = region.get(o.region, 0.0) + share[o.id]
        if o.industry is not None:
            industry[o.industry] = industry.get(o.industry, 0.0) + share[o.id]
    for j, o in enumerate(obligors):
        out[j] = (_step(spec.single_obligor, share[o.id])
                  * _step(spec.region, region.get(o.region, 0.0))
                  * _step(spec.industry, industry.get(o.industry, 0.0)))
    return out
