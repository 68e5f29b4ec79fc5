"""The pool's parts of an ``ipabs/v1`` scenario: obligors and their PDs, assets, pledged
collateral, and the correlation structure (factors, pairwise cells)."""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from engine.limits import MAX_DOF
from engine.scenario.base import (
    FieldProblem,
    _Model,
    _exactly_one,
    format_amount,
    Id,
    UnitInterval,
    NonNegative,
    Loading,
    Correlation01,
    StatedCorrelation,
    PARENT_CORRELATION_DEFAULT,
    RegionLabel,
    Notch,
    _bad_choice,
)


# ----------------------------------------------------------------------------- obligors


class PD(_Model):
    """An explicit default probability: a flat annual PD or a cumulative curve per period."""

    annual: UnitInterval | None = None
    cumulative: list[UnitInterval] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_and_monotone(self) -> PD:
        _exactly_one(self, ("annual", "cumulative"))
        cum = self.cumulative
        if cum is not None:
            for i in range(1, len(cum)):
                if cum[i] < cum[i - 1]:
                    raise FieldProblem(
                        ("cumulative", i),
                        f"a cumulative PD cannot fall: {cum[i]} at period {i + 1} is below "
                        f"{cum[i - 1]} at period {i}",
                    )
        return self


ObligorKind = Literal[
    "borrower", "guarantee_company", "bank", "originator", "shareholder", "insurer", "licensee"
]


class CorrelationWith(_Model):
    """Latent correlations an obligor states with others, overriding the relationship table.

    ``pool`` applies to every obligor that owes an asset of the pool; ``obligors`` names
    obligors one by one and wins over ``pool`` for those it names.
    """

    pool: StatedCorrelation | None = None
    obligors: dict[str, StatedCorrelation] = {}

    @model_validator(mode="after")
    def _something(self) -> CorrelationWith:
        if self.pool is None and not self.obligors:
            raise ValueError("give `pool` (a correlation) and/or `obligors` "
                             "(obligor id -> correlation)")
        return self


class Obligor(_Model):
    """A name that can default: a borrower or a support provider."""

    id: Id
    entity: Id | None = None
    kind: ObligorKind
    rating: Notch | None = None
    pd: PD | None = None
    region: RegionLabel | None = None
    industry: str | None = None
    correlation_with: CorrelationWith | None = None
    parent: Id | None = None
    parent_correlation: float | None = Field(None, gt=0.0, le=1.0)
    capacity: float | None = Field(None, gt=0.0)
    default_on_exhaustion: bool = True

    @model_validator(mode="after")
    def _rating_or_pd(self) -> Obligor:
        _exactly_one(self, ("rating", "pd"))
        if self.parent_correlation is not None and self.parent is None:
            raise FieldProblem(("parent_correlation",),
                               "`parent_correlation` needs a `parent` (the obligor id it ties to)")
        return self


# ----------------------------------------------------------------------------- assets


class PrincipalSchedule(_Model):
    """Principal paid per period, periods 1, 2, ... (an asset's or a tranche's)."""

    schedule: list[NonNegative] = Field(min_length=1)


AmortizationName = Literal["bullet", "equal_principal", "annuity"]


def _amortization_branch(v: Any) -> str | None:
    if isinstance(v, str):
        return "~name"
    if isinstance(v, dict):
        return "~schedule"
    if isinstance(v, PrincipalSchedule):
        return "~schedule"
    return None


Amortization = Annotated[
    Union[
        Annotated[AmortizationName, Tag("~name")],
        Annotated[PrincipalSchedule, Tag("~schedule")],
    ],
    Discriminator(
        _amortization_branch,
        **_bad_choice(
            "amortization",
            "amortization is bullet, equal_principal, annuity or a mapping `schedule: [...]`",
        ),
    ),
]

AssetType = Literal["micro_loan", "entrusted_loan", "trust_loan", "finance_lease", "licence_fee"]


class Asset(_Model):
    """A receivable in the pool (a loan, lease or licence-fee claim on one obligor)."""

    id: Id
    obligor: Id
    type: AssetType = "micro_loan"
    balance: float = Field(gt=0.0)
    rate: NonNegative
    term: int = Field(ge=1)
    amortization: Amortization = "bullet"
    collateral: list[Id] = []
    support: list[Id] = []
    prepayment: float = Field(0.0, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _schedule_fits(self) -> Asset:
        am = self.amortization
        if isinstance(am, PrincipalSchedule):
            n = len(am.schedule)
            if n != self.term:
                raise FieldProblem(
                    ("amortization", "schedule"),
                    f"the schedule has {n} entries but term is {self.term}; give one per period",
                )
            try:
                total = math.fsum(am.schedule)
            except OverflowError:
                total = math.inf
            if not math.isclose(total, self.balance, rel_tol=1e-9, abs_tol=0.0):
                raise FieldProblem(
                    ("amortization", "schedule"),
                    f"the schedule sums to {format_amount(total)} but balance is {format_amount(self.balance)}",
                )
        return self


# ----------------------------------------------------------------------------- collateral

CollateralType = Literal[
    "invention_patent", "utility_model", "design_patent", "trademark", "copyright",
    "software_copyright", "data_ip", "plant_variety",
]


class Haircut(_Model):
    """Haircut on the appraised value, ``~ Beta(mean, sd)``; ``sd: 0`` is a fixed haircut."""

    mean: UnitInterval
    sd: NonNegative = 0.0

    @model_validator(mode="after")
    def _beta_exists(self) -> Haircut:
        if self.sd > 0.0:
            var_max = self.mean * (1.0 - self.mean)
            if not self.sd * self.sd < var_max:
                sd_max = math.sqrt(var_max)
                raise FieldProblem(
                    ("sd",),
                    f"sd {self.sd} is too large for mean {self.mean}: a Beta distribution "
                    f"needs sd < sqrt(mean * (1 - mean)) = {sd_max:.6g}",
                )
        return self


class Collateral(_Model):
    """An IP right pledged to one asset (质押的知识产权)."""

    id: Id
    type: CollateralType
    appraised_value: NonNegative
    haircut: Haircut
    lag: int = Field(0, ge=0)
    systemic: UnitInterval = 0.0
    pledgee: Literal["pool", "guarantor"] = "pool"


# ----------------------------------------------------------------------------- correlation


class Pairwise(_Model):
    """Asset correlation of two obligors by their relationship.

    Two obligors share a region when their labels are equal or, for path labels
    (``guangdong/shenzhen/nanshan``), one contains the other segment by segment.
    ``same_parent_region`` (optional) is used for labels that share a leading segment but
    neither contains the other (``.../nanshan`` and ``.../futian``); without it such a pair
    is not in the same region.
    """

    same_region_same_industry: Correlation01
    same_region: Correlation01
    same_industry: Correlation01
    other: Correlation01
    same_parent_region: Correlation01 | None = None
    same_parent_region_same_industry: Correlation01 | None = None

    @model_validator(mode="after")
    def _parent_pair(self) -> Pairwise:
        if self.same_parent_region_same_industry is not None and self.same_parent_region is None:
            raise FieldProblem(("same_parent_region_same_industry",),
                               "`same_parent_region_same_industry` needs `same_parent_region`")
        return self


class Factors(_Model):
    """Explicit factor loadings: a global factor, one per region node, one per industry.

    An obligor loads on the factor of every node of its region path that has a loading
    (``guangdong``, ``guangdong/shenzhen``, ... for ``guangdong/shenzhen/nanshan``).
    """

    global_: Loading = Field(0.0, alias="global")
    region: dict[RegionLabel, Loading] = {}
    industry: dict[str, Loading] = {}


class Correlation(_Model):
    """The copula and the dependence structure of the obligors' latent variables."""

    copula: Literal["gaussian", "student_t"] = "gaussian"
    dof: float | None = Field(None, gt=2.0, le=MAX_DOF)
    uniform: Correlation01 | None = None
    pairwise: Pairwise | None = None
    factors: Factors | None = None
    repair: Literal["none", "nearest"] = "none"

    @model_validator(mode="after")
    def _consistent(self) -> Correlation:
        _exactly_one(self, ("uniform", "pairwise", "factors"))
        if self.copula == "student_t" and self.dof is None:
            raise FieldProblem(("dof",), "copula student_t needs `dof` (degrees of freedom > 2)")
        if self.copula != "student_t" and self.dof is not None:
            raise FieldProblem(("dof",), "`dof` is only used with copula: student_t")
        return self
