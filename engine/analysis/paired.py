"""Differences between two runs on the same paths, with their own standard errors."""
from __future__ import annotations

import math

import numpy as np


def paired_difference(w_a, x_a, w_b, x_b) -> tuple[float, float]:
    """Mean of ``w_b x_b - w_a x_a`` over paths and its standard error."""
    d = np.asarray(w_b)[:, None] * x_b - np.asarray(w_a)[:, None] * x_a if x_a.ndim == 2 \
        else w_b * x_b - w_a * x_a
    n = d.shape[0]
    mean = d.mean(axis=0)
    se = d.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    return mean, se


def tranche_differences(base, case) -> list[dict]:
    """Per tranche: change in default probability and expected loss, each with its error."""
    dpd, dpd_se = paired_difference(base.weight, base.default, case.weight, case.default)
    dl, dl_se = paired_difference(base.weight, base.loss, case.weight, case.loss)
    return [{"pd_change": float(dpd[k]), "pd_change_se": float(dpd_se[k]),
             "el_change": float(dl[k]), "el_change_se": float(dl_se[k])}
            for k in range(len(dpd))]
