"""Calendar dates and day counts of a deal with a ``dates`` block (SCENARIO_FORMAT.md,
"Calendar dates"): the payment dates, and each period's year fraction by a day-count
convention. Without ``dates`` nothing here is used and every period is ``1 / f`` of a year.
"""
from __future__ import annotations

import calendar
import datetime as dt

import numpy as np


def add_months(day: dt.date, months: int, anchor: int | None = None) -> dt.date:
    """``day`` moved by ``months`` months, on day ``anchor`` of the month (default its own
    day), or the month's last day where the month is shorter."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(anchor or day.day, last))


def payment_dates(dates, periods_per_year: int, horizon: int) -> list[dt.date]:
    """``[closing, date 1, ..., date horizon]``."""
    step = 12 // periods_per_year
    first = dates.first_payment or add_months(dates.closing, step)
    out = [dates.closing]
    for t in range(1, horizon + 1):
        out.append(add_months(first, (t - 1) * step, anchor=first.day))
    return out


def year_fraction(start: dt.date, end: dt.date, convention: str, periods_per_year: int) -> float:
    """The year fraction from ``start`` to ``end``: ``act/365``, ``act/360``, ``30/360``
    (the US rule: a 31st is the 30th, and the end's 31st only after a start on the 30th or
    31st) or ``period`` (``1 / f`` whatever the days)."""
    if convention == "period":
        return 1.0 / periods_per_year
    if convention == "act/365":
        return (end - start).days / 365.0
    if convention == "act/360":
        return (end - start).days / 360.0
    d1 = min(start.day, 30)
    d2 = 30 if end.day == 31 and d1 == 30 else end.day
    return (360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)) / 360.0


def accruals(scenario, horizon: int, convention: str) -> np.ndarray:
    """``(horizon + 1,)`` year fractions of periods ``1..horizon`` (entry 0 is 0)."""
    ppy = scenario.periods_per_year
    days = payment_dates(scenario.dates, ppy, horizon)
    out = np.zeros(horizon + 1)
    for t in range(1, horizon + 1):
        out[t] = year_fraction(days[t - 1], days[t], convention, ppy)
    return out


def note_accrual(scenario, horizon: int) -> np.ndarray:
    """The tranches' and fees' year fractions by ``dates.day_count`` (empty without dates)."""
    if scenario.dates is None:
        return np.zeros(0)
    return accruals(scenario, horizon, scenario.dates.day_count)


def asset_accrual(scenario, horizon: int) -> np.ndarray | None:
    """The assets' year fractions by ``dates.asset_day_count`` (``None`` without dates)."""
    if scenario.dates is None:
        return None
    return accruals(scenario, horizon, scenario.dates.asset_day_count)


def years_after_closing(scenario, horizon: int) -> np.ndarray:
    """``(horizon + 1,)`` years from closing to each payment date, actual days / 365 (WAL);
    empty without dates."""
    if scenario.dates is None:
        return np.zeros(0)
    days = payment_dates(scenario.dates, scenario.periods_per_year, horizon)
    return np.array([(d - days[0]).days / 365.0 for d in days])


def date_labels(scenario, horizon: int) -> list[str] | None:
    """ISO payment dates ``[closing, 1, ..., horizon]``, or ``None`` without dates."""
    if scenario.dates is None:
        return None
    return [d.isoformat() for d in payment_dates(scenario.dates, scenario.periods_per_year,
                                                 horizon)]
