"""How a scenario is analysed and dated: simulation, rating, sensitivities, report
settings, payment frequency and calendar dates."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)

from engine.limits import (MAX_MULTIPLIER, MAX_PATHS, MAX_PERIODS, MAX_STRESSED_BORROWERS,
                           MIN_PATHS)
from engine.scenario.base import (
    SEED_LIMIT,
    FieldProblem,
    _Model,
    _exactly_one,
    count_text,
    Id,
    UnitInterval,
    NonNegative,
    Loading,
    Notch,
    front_loading,
)

#: A multiplier of a stress or sensitivity: finite, at most :data:`~engine.limits.MAX_MULTIPLIER`.
Multiplier = Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER)]


# ----------------------------------------------------------------------------- analysis


class Importance(_Model):
    """Importance sampling (``method: importance``): where to aim and how.

    The systematic factors' mean is shifted towards the default of ``target`` (default:
    the most senior tranche), found by a conditional pilot run, or set by ``shift``
    (factor name -> mean: ``global``, ``region:<label>``, ``industry:<label>``,
    ``obligor:<id>`` for pairwise). ``twist`` also tilts the conditional default
    probabilities (Glasserman & Li 2005) towards the target's subordination.

    ``defensive_share`` of the paths (chosen per path from its own random stream) are drawn
    from the unshifted, untwisted model and the rest from the aimed one; every path is
    weighted by the mixture density (Hesterberg 1995, Owen & Zhou 2000), so no weight
    exceeds ``1 / defensive_share`` and estimates the shift does not aim at (junior tranches,
    the pool) keep at least that share of plain Monte Carlo's precision. ``0`` is the pure
    shift, whose weights are unbounded.
    """

    target: Id | None = None
    shift: dict[str, Annotated[float, Field(ge=-10.0, le=10.0)]] | None = None
    twist: bool = False
    pilot_paths: int = Field(4_000, ge=256, le=1_000_000)
    defensive_share: float = Field(0.1, ge=0.0, le=0.9)


def _check_paths(n: int) -> int:
    """One message for both ends of the allowed number of paths."""
    if not MIN_PATHS <= n <= MAX_PATHS:
        raise ValueError(f"must be between {MIN_PATHS} and {MAX_PATHS:,}, got {count_text(n)}")
    return n


class Simulation(_Model):
    """Monte Carlo settings."""

    paths: Annotated[int, AfterValidator(_check_paths)] = Field(
        100_000, json_schema_extra={"minimum": MIN_PATHS, "maximum": MAX_PATHS})
    seed: int = Field(0, ge=0, lt=SEED_LIMIT)
    method: Literal["plain", "importance"] = "plain"
    importance: Importance | None = None

    @model_validator(mode="after")
    def _importance_only_when_asked(self) -> Simulation:
        if self.importance is not None and self.method != "importance":
            raise FieldProblem(("importance",), "the `importance` block needs `method: importance`")
        return self


class RecoveryDelay(_Model):
    """A share of every recovery arriving later than its lag."""

    share: UnitInterval
    months: int = Field(ge=0)


def _check_timing(text: str) -> str:
    if text != "uniform":
        front_loading(text)           # ValueError naming the range
    return text


class Stress(_Model):
    """One cash-flow stress of the ``tdr_bdr`` method's grid."""

    name: str = Field(min_length=1)
    recovery_multiplier: Multiplier = 1.0
    timing: Annotated[str, AfterValidator(_check_timing)] = Field(
        "uniform", pattern=r"^(uniform|front:-?[0-9]*\.?[0-9]+)$")
    spread_shift: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    recovery_delay: RecoveryDelay | None = None


class ConcentrationStep(_Model):
    """Above this share of the pool, obligors' default probabilities are multiplied."""

    above: UnitInterval
    multiplier: float = Field(ge=1.0, le=10.0)


class Concentration(_Model):
    """Agency concentration default multipliers (off unless given): by the share of the pool
    of a single obligor, of its region and of its industry; the largest applicable
    multiplier of each kind applies, and the kinds multiply."""

    single_obligor: list[ConcentrationStep] = []
    region: list[ConcentrationStep] = []
    industry: list[ConcentrationStep] = []


class RatingSpec(_Model):
    """How tranches are rated: the method and the ideal-rate table (``domestic`` or a CSV)."""

    method: Literal["tranche_pd", "expected_loss", "tdr_bdr"] = "tranche_pd"
    support: Literal["substitution", "joint_default", "standalone"] = "substitution"
    table: str = "domestic"
    stresses: list[Stress] | None = None
    concentration: Concentration | None = None
    large_obligor_test: bool = False


#: The changes a sensitivity can make (exactly one each).
SENSITIVITY_CHANGES = (
    "pd_multiplier", "correlation_shift", "recovery_multiplier", "rating_override",
    "remove_support", "haircut_shift", "lag_shift",
)


class Sensitivity(_Model):
    """One change to re-run the scenario with, on the same random numbers."""

    name: str = Field(min_length=1)
    pd_multiplier: Annotated[float, Field(gt=0.0, le=MAX_MULTIPLIER)] | None = None
    correlation_shift: Loading | None = None
    recovery_multiplier: Multiplier | None = None
    rating_override: dict[str, Notch] | None = None
    remove_support: list[Id] | None = None
    haircut_shift: Loading | None = None
    lag_shift: int | None = None

    @model_validator(mode="after")
    def _one_change(self) -> Sensitivity:
        _exactly_one(self, SENSITIVITY_CHANGES, " (one change per sensitivity)")
        return self


class ReportStress(_Model):
    """The stressed deterministic run shown beside the no-default cash flows in the report:
    the largest borrowers default together, collateral realising at its mean haircut after
    its lag, every support paying as documented."""

    largest_borrowers: int = Field(3, ge=0, le=MAX_STRESSED_BORROWERS)
    period: int = Field(1, ge=1, le=MAX_PERIODS)


class ReportSpec(_Model):
    """How reports of the scenario are written (报告): language and the stressed cash flows."""

    language: Literal["en", "zh"] = "en"
    stress: ReportStress = Field(ReportStress())


# ----------------------------------------------------------------------------- the scenario

PaymentFrequency = Literal["monthly", "quarterly", "semiannual", "annual"]

#: Payment dates per year for each payment frequency.
PERIODS_PER_YEAR: dict[str, int] = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}


DayCount = Literal["act/365", "act/360", "30/360", "period"]


class Dates(_Model):
    """Calendar dates (optional): payment date ``t`` is ``first_payment`` plus ``t - 1``
    periods, on the same day of the month (the month's last day where it is shorter)."""

    closing: dt.date
    first_payment: dt.date | None = None
    day_count: DayCount = "act/365"
    asset_day_count: DayCount = "act/360"

    @model_validator(mode="after")
    def _first_after_closing(self) -> Dates:
        if self.first_payment is not None and self.first_payment <= self.closing:
            raise ValueError("`first_payment` must be after `closing`")
        return self
