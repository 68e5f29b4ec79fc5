"""From a simulated tranche default probability to an ``sf`` grade.

The ``tranche_pd`` method of the scenario format (docs/model.md): a tranche gets the best grade
whose ideal cumulative default rate at the tranche's tenor is at least its
simulated default probability. Because that probability is a Monte Carlo
estimate, :func:`pd_interval` and :func:`rating_range_pd` say which grades the
simulation noise cannot rule out.
"""
from __future__ import annotations

import math

from scipy.special import ndtri

from engine.rating.scale import SF_SCALE
from engine.rating.tables import DefaultTable

#: Worst grade the statistical method assigns from an ideal default rate.
LAST_TABLE_GRADE: str = "B-sf"
#: Grade for a default probability above the ``B-sf`` threshold.
BELOW_TABLE_GRADE: str = "CCCsf"
#: Ratings never use a tenor shorter than this many years.
MIN_TENOR_YEARS: float = 1.0

_TABLE_GRADES: tuple[str, ...] = SF_SCALE[: SF_SCALE.index(LAST_TABLE_GRADE) + 1]


def rate_by_pd(pd: float, tenor_years: float, table: DefaultTable) -> str:
    """The best ``sf`` grade whose ideal default rate covers a default probability.

    Parameters
    ----------
    pd : float
        The tranche's default probability over its life, in ``[0, 1]``.
    tenor_years : float
        The tranche's tenor in years (its WAL); tenors below one year are
        rated at one year.
    table : DefaultTable
        The ideal default table (:func:`~engine.rating.tables.domestic_table`
        or a user table).

    Returns
    -------
    str
        The first grade of :data:`~engine.rating.scale.SF_SCALE` (best first)
        whose ideal cumulative default rate at ``max(tenor_years, 1)`` is
        ``>= pd``; ``"AAAsf"`` for ``pd == 0``. A ``pd`` above the ``B-sf``
        threshold gives ``"CCCsf"``: ``CCsf`` and ``Csf`` describe how close a
        default is and how much is recovered, which a default probability
        alone cannot tell, so the statistical method never assigns them.

    Raises
    ------
    ValueError
        If ``pd`` is outside ``[0, 1]`` or the tenor is negative or not finite.
    """
    _check_probability(pd, "pd")
    if not (math.isfinite(tenor_years) and tenor_years >= 0):
        raise ValueError(f"tenor_years must be finite and >= 0; got {tenor_years!r}")
    tenor = max(float(tenor_years), MIN_TENOR_YEARS)
    for grade in _TABLE_GRADES:
        if table.sf_threshold(grade, tenor) >= pd:
            return grade
    return BELOW_TABLE_GRADE


def pd_interval(pd: float, se: float, n_paths: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score confidence interval for a Monte Carlo default probability.

    With ``z`` the two-sided normal quantile of ``level`` and ``n`` a sample
    size, the interval is::

        (pd + z²/2n ± z sqrt(pd(1-pd)/n + z²/4n²)) / (1 + z²/n)

    The sample size is the *effective* one, ``n = pd (1 - pd) / se²``, when
    ``se > 0``, so the interval also fits weighted (importance-sampling)
    estimators whose standard error is not the binomial one; with ``se == 0``
    (or ``pd`` in ``{0, 1}``, where the effective size is undefined) it is
    ``n_paths``. Zero defaults in ``N`` paths therefore give an upper bound of
    about ``z² / N`` (3.84 / N at 95%), not 0.

    Parameters
    ----------
    pd : float
        Estimated default probability, in ``[0, 1]``.
    se : float
        Its Monte Carlo standard error, ``>= 0``.
    n_paths : int
        Number of simulated paths, ``>= 1``.
    level : float, default 0.95
        Two-sided confidence level, in ``(0, 1)``.

    Returns
    -------
    tuple of float
        ``(lower, upper)``, clipped to ``[0, 1]``.
    """
    _check_probability(pd, "pd")
    if not (math.isfinite(se) and se >= 0):
        raise ValueError(f"se must be finite and >= 0; got {se!r}")
    if n_paths < 1:
        raise ValueError(f"n_paths must be at least 1; got {n_paths!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), e.g. 0.95; got {level!r}")
    n = _effective_sample_size(pd, se, n_paths)
    z = float(ndtri(0.5 + level / 2))
    z2n = z * z / n
    centre = (pd + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(pd * (1 - pd) / n + z2n / (4 * n))
    lower = 0.0 if pd == 0 else max(0.0, centre - half)
    upper = 1.0 if pd == 1 else min(1.0, centre + half)
    return lower, upper


def rating_range_pd(
    pd: float, se: float, n_paths: int, tenor_years: float, table: DefaultTable
) -> tuple[str, str]:
    """The grades at both ends of the 95% :func:`pd_interval` of a default probability.

    Parameters
    ----------
    pd, se, n_paths
        As for :func:`pd_interval`.
    tenor_years : float
        As for :func:`rate_by_pd`.
    table : DefaultTable
        The ideal default table.

    Returns
    -------
    tuple of str
        ``(best, worst)``: the grade of the interval's lower end and of its
        upper end; :func:`rate_by_pd` of ``pd`` lies between them.
    """
    lower, upper = pd_interval(pd, se, n_paths)
    return rate_by_pd(lower, tenor_years, table), rate_by_pd(upper, tenor_years, table)


def _effective_sample_size(pd: float, se: float, n_paths: int) -> float:
    """``pd (1 - pd) / se²`` when defined and ``se > 0``, else ``n_paths``."""
    variance = pd * (1 - pd)
    if se > 0 and variance > 0:
        return variance / (se * se)
    return float(n_paths)


def _check_probability(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a probability."""
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value!r}")
