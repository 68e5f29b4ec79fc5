"""The domestic rating scale: obligor notches and the structured-finance (``sf``) grades.

Obligor ratings (borrowers, guarantors) use the fine domestic notches, which include
``AAA+`` and ``AAA-`` as they appear in the agencies' model data. Tranche ratings use
the ``sf`` scale of the scenario format (docs/model.md).
"""
from __future__ import annotations

#: Obligor notches, best first. Their position is the interpolation coordinate.
OBLIGOR_NOTCHES: tuple[str, ...] = (
    "AAA+", "AAA", "AAA-", "AA+", "AA", "AA-", "A+", "A", "A-",
    "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-", "CCC", "CC", "C",
)

#: Structured-finance grades, best first.
SF_SCALE: tuple[str, ...] = (
    "AAAsf", "AA+sf", "AAsf", "AA-sf", "A+sf", "Asf", "A-sf", "BBB+sf", "BBBsf",
    "BBB-sf", "BB+sf", "BBsf", "BB-sf", "B+sf", "Bsf", "B-sf", "CCCsf", "CCsf", "Csf",
)


def notch_index(rating: str) -> int:
    """Position of an obligor rating on :data:`OBLIGOR_NOTCHES` (0 = best)."""
    try:
        return OBLIGOR_NOTCHES.index(rating)
    except ValueError:
        raise ValueError(
            f"unknown rating {rating!r}; allowed: {', '.join(OBLIGOR_NOTCHES)}"
        ) from None


def sf_to_notch(grade: str) -> str:
    """The obligor notch whose ideal default rates define an ``sf`` grade (``AA+sf`` -> ``AA+``)."""
    if grade not in SF_SCALE:
        raise ValueError(f"unknown sf grade {grade!r}; allowed: {', '.join(SF_SCALE)}")
    return grade[:-2]
