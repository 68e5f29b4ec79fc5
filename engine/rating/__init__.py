"""Ratings: the domestic scale, ideal default tables and the rating methods.

* :mod:`engine.rating.scale` -- obligor notches and ``sf`` grades;
* :mod:`engine.rating.tables` -- ideal cumulative default rate tables and their
  interpolation (a rating -> a cumulative PD curve);
* :mod:`engine.rating.methods` -- a simulated tranche default probability -> a
  grade, with the range of grades its Monte Carlo error allows.
"""
from engine.rating.methods import pd_interval, rate_by_pd, rating_range_pd
from engine.rating.scale import OBLIGOR_NOTCHES, SF_SCALE, notch_index, sf_to_notch
from engine.rating.tables import (
    PD_CAP,
    DefaultTable,
    domestic_table,
    load_table_csv,
    resolve_table,
)

__all__ = [
    "OBLIGOR_NOTCHES",
    "PD_CAP",
    "SF_SCALE",
    "DefaultTable",
    "domestic_table",
    "load_table_csv",
    "notch_index",
    "pd_interval",
    "rate_by_pd",
    "rating_range_pd",
    "resolve_table",
    "sf_to_notch",
]
