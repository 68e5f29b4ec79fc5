"""The market's support convention: the agencies' counterparty rule, as a ladder of runs.

At a rating level ``g`` a supporter rated ``g`` or better is assumed to perform exactly as
the documents say (share, cap, lag, capacity shared across all it supports, reimbursement,
what a state says is used) and one rated below ``g`` is assumed not to (docs/model.md,
"Support convention"). So for each distinct grade ``g_k`` of the deal's live supporters the
deal is run once on the same random numbers with the supporters graded ``g_k`` or better
never defaulting and every other supporter defaulted from the start (a guarantee of its
obligations then steps in); and

    rating = max(grade(standalone), max_k min(g_k, grade(run_k))).

Full cover gives the supporter's grade (substitution); partial, late or capped support
gives what its cash earns. This module owns the steps (:func:`ladder_steps`) and the
combination (:func:`ladder_rating`); :mod:`engine.rating.deal` runs them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.rating.methods import rate_by_pd
from engine.rating.scale import SF_SCALE

#: The grade a riskless sponsor (a support with no ``provider``, e.g. a government fund
#: set aside in cash) lends: it pays in every run.
RISKLESS_GRADE = "AAAsf"


def better(a: str | None, b: str | None) -> str | None:
    """The better of two ``sf`` grades (``None`` is no grade)."""
    if a is None or b is None:
        return a if b is None else b
    return a if SF_SCALE.index(a) <= SF_SCALE.index(b) else b


def worse(a: str | None, b: str | None) -> str | None:
    """The worse of two ``sf`` grades (``None``: no grade, so none)."""
    if a is None or b is None:
        return None
    return a if SF_SCALE.index(a) >= SF_SCALE.index(b) else b


def notches(a: str, b: str) -> int:
    """How many notches ``a`` is above ``b`` (negative: below)."""
    return SF_SCALE.index(b) - SF_SCALE.index(a)


def provider_grade(obligor, scenario, table) -> str:
    """The ``sf`` grade a supporter lends: its own rating on the ``sf`` scale (``AA+`` ->
    ``AA+sf``; ``AAA-`` -> ``AA+sf``, the best grade not above it), or for one given by
    ``pd`` the grade of its cumulative PD at the deal's legal final (at least one year)."""
    years = max(scenario.legal_final / scenario.periods_per_year, 1.0)
    if obligor.rating is not None:
        p = table.cumulative_pd(obligor.rating, years)
    elif obligor.pd.annual is not None:
        p = 1.0 - (1.0 - obligor.pd.annual) ** years
    else:
        curve = obligor.pd.cumulative
        per_year = scenario.periods_per_year
        p = curve[min(len(curve), max(scenario.legal_final, per_year)) - 1]
    return rate_by_pd(min(max(float(p), 0.0), 1.0), years, table)


@dataclass(frozen=True)
class LadderStep:
    """One run of the ladder: the supporters that pay (graded ``grade`` or better, and any
    riskless sponsor's support by its id) and, per obligor of the Plan, the date it stops
    paying as a supporter (0: defaulted from the start; past the horizon: never; -1: not a
    supporter, as simulated)."""

    grade: str                      # on the sf scale, e.g. "AA+sf"
    supporters: tuple[str, ...]
    as_supporter: np.ndarray

    @property
    def label(self) -> str:
        """The supporters' grade as the documents state it: ``AA+``."""
        return self.grade[:-2] if self.grade.endswith("sf") else self.grade


def supporter_grades(scenario, table) -> dict[str, str]:
    """``{obligor id: sf grade}`` of the deal's live supporters (providers of a credit
    support that a tracked state does not report defaulted), in listed order."""
    state = getattr(scenario, "state", None)
    down = {oid for oid, o in (state.obligors.items() if state is not None else ())
            if o.defaulted}
    providers = {s.provider for s in scenario.credit_support if s.provider is not None}
    return {o.id: provider_grade(o, scenario, table) for o in scenario.obligors
            if o.id in providers and o.id not in down}


def ladder_steps(scenario, obligor_ids, horizon: int, table) -> list[LadderStep]:
    """The ladder's runs, best grade first: one per distinct grade of the live supporters
    (and ``AAAsf`` for a riskless sponsor's support); each step's supporters in id order."""
    grades = supporter_grades(scenario, table)
    riskless = tuple(s.id for s in scenario.credit_support if s.provider is None)
    distinct = set(grades.values()) | ({RISKLESS_GRADE} if riskless else set())
    providers = {s.provider for s in scenario.credit_support if s.provider is not None}
    steps = []
    for g in sorted(distinct, key=SF_SCALE.index):
        up = sorted(oid for oid, og in grades.items()
                    if SF_SCALE.index(og) <= SF_SCALE.index(g))
        dates = np.array([horizon + 1 if oid in up else 0 if oid in providers else -1
                          for oid in obligor_ids], dtype=np.int64)
        steps.append(LadderStep(g, tuple(up) + riskless, dates))
    return steps


def ladder_rating(standalone: dict, runs: list[tuple[LadderStep, dict]]) -> dict:
    """A tranche's ``rating``, ``rating_range`` and ``rating_by`` from its standalone row and
    each ladder run's row (``rating``, ``rating_range``): the best of the standalone grade
    and each run's grade capped at the run's supporters' grade. Ties go to the standalone
    grade, then to the step with the best supporters (the fewest needed)."""
    rating, by = standalone["rating"], []
    rng = list(standalone["rating_range"])
    for step, row in runs:
        capped = worse(step.grade, row["rating"])
        if capped is not None and better(capped, rating) != rating:
            rating, by = capped, list(step.supporters)
        rng = [better(r, worse(step.grade, x)) for r, x in zip(rng, row["rating_range"])]
    return {"rating": rating, "rating_range": rng, "rating_by": by}
