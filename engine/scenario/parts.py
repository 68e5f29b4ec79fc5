"""The ``ipabs/v1`` scenario's parts: every model of the format but the validated
:class:`~engine.scenario.models.Scenario` itself (the executable definition of the format,
documented key by key in ``ipabs schema`` and in ``docs/model.md``).

This module owns the *shape* of a scenario: which keys exist, their types, ranges and
defaults, and the rules that involve one object only (exactly one of two keys, a
principal schedule that sums to its asset's balance, a haircut spread a Beta
distribution can have). :class:`ScenarioFields` holds a whole scenario's fields; the rules
that relate objects to each other (every id named exists, the correlation matrix is
valid, ...) live in :mod:`engine.scenario.checks`, which reads these models, and
:mod:`engine.scenario.models` defines ``Scenario`` (these fields, validated with those
checks) above both. Reading YAML with line numbers lives in :mod:`engine.scenario.loader`.

Every model is strict and closed: unknown keys are errors, a string is not a number,
a boolean is not an integer (an integer is a fine float), and NaN / infinity are
rejected. Field names are the YAML keys.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    WithJsonSchema,
    model_validator,
)

from engine.rating.scale import OBLIGOR_NOTCHES

__all__ = [
    "FieldProblem",
    "Obligor", "PD", "PrincipalSchedule", "Asset", "Haircut", "Collateral",
    "LoanGuarantee", "BankGuarantee", "ShortfallCommitment", "CommitmentGuarantee",
    "Support", "Pairwise", "Factors", "Correlation", "CorrelationWith", "BulletPrincipal",
    "Tranche", "Fee",
    "InterestStep", "PrincipalStep", "ToPrincipalStep", "ResidualStep", "Step", "Waterfall",
    "Reserve", "ReserveTarget",
    "TriggerCondition", "Trigger", "Importance", "Simulation", "RatingSpec", "Stress",
    "RecoveryDelay", "Concentration", "ConcentrationStep", "Sensitivity", "ScenarioFields",
    "SUPPORT_TYPES", "PERIODS_PER_YEAR", "RiskCompensation", "IPInsurance",
    "LOSS_ORDER_DEFAULT", "ASSET_SUPPORT_TYPES", "covered_assets",
    "PARENT_CORRELATION_DEFAULT", "region_nodes", "ReportSpec", "ReportStress",
    "SEED_LIMIT", "SENSITIVITY_CHANGES", "format_amount",
]


#: Seeds are 63-bit: ``0 <= seed < SEED_LIMIT``.
SEED_LIMIT = 2**63


class FieldProblem(ValueError):
    """A model-level rule broken by one field: raised inside validators.

    Pydantic reports a model validator's error at the model's own location; the loader
    appends :attr:`loc` (read back from the error's context) so the problem points at
    the key that is actually wrong, and its line.

    Parameters
    ----------
    loc
        Path of the offending key relative to the model, e.g. ``("amortization", "schedule")``.
    message
        What is wrong and what to do instead.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


class _Model(BaseModel):
    """Base of every scenario model: closed, immutable, strict, finite numbers only."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, populate_by_name=True
    )


def _exactly_one(model: BaseModel, names: tuple[str, ...], what: str = "") -> None:
    """Raise unless exactly one of the optional fields ``names`` is set on ``model``."""
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        keys = ", ".join(f"`{n}`" for n in names)
        got = ", ".join(given) if given else "none"
        raise ValueError(f"give exactly one of {keys}{what} (got {got})")


def format_amount(x: float) -> str:
    """A number as a structurer would write it (thousands separators, no float noise)."""
    return f"{x:,.10g}" if abs(x) < 1e15 else repr(x)


# ----------------------------------------------------------------------------- basic types

#: A non-empty identifier (obligor, asset, collateral, support, tranche, fee or trigger id).
Id = Annotated[str, Field(min_length=1)]
UnitInterval = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Share = Annotated[float, Field(gt=0.0, le=1.0)]
Loading = Annotated[float, Field(ge=-1.0, le=1.0)]
Correlation01 = Annotated[float, Field(ge=0.0, lt=1.0)]
#: A correlation an obligor states with others: any value a correlation can take.
StatedCorrelation = Annotated[float, Field(ge=-1.0, le=1.0)]

#: The latent correlation of a subsidiary with its ``parent`` when ``parent_correlation`` is
#: not given: a closely tied group member (a guarantee company and its SOE parent,
#: ``docs/domain.md``).
PARENT_CORRELATION_DEFAULT = 0.8


def region_nodes(label: str) -> list[str]:
    """The nodes of a region label, outermost first: ``a/b/c`` -> ``[a, a/b, a/b/c]``.

    A flat label (no ``/``) is its own single node.
    """
    parts = label.split("/")
    return ["/".join(parts[: k + 1]) for k in range(len(parts))]


def _region_problem(label: str) -> str | None:
    """Why a region label is not a valid path of segments, or ``None`` if it is."""
    if any(part == "" for part in label.split("/")):
        return (f"region {label!r} has an empty segment; write a path of names separated by "
                "single slashes, outermost first, e.g. guangdong/shenzhen/nanshan")
    return None


def _check_region_label(value: str) -> str:
    problem = _region_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A region label: a free name, or a path ``province/city/district`` (outermost first).
RegionLabel = Annotated[str, AfterValidator(_check_region_label)]


def _check_notch(value: str) -> str:
    if value not in OBLIGOR_NOTCHES:
        raise ValueError(f"unknown rating {value!r}; allowed: {', '.join(OBLIGOR_NOTCHES)}")
    return value


#: An obligor rating on the domestic notch scale (``AAA+`` .. ``C``).
Notch = Annotated[
    str,
    AfterValidator(_check_notch),
    WithJsonSchema({"type": "string", "enum": list(OBLIGOR_NOTCHES)}),
]


def _bad_choice(name: str, message: str) -> dict[str, Any]:
    """Keyword arguments for a callable :class:`Discriminator` whose input matched no branch."""
    return {"custom_error_type": f"bad_{name}", "custom_error_message": message}


# ----------------------------------------------------------------------------- obligors


class PD(_Model):
    """An explicit default probability: a flat annual PD or a cumulative curve per period."""

    annual: UnitInterval | None = None
    cumulative: list[UnitInterval] | None = Field(
        None, min_length=1, description="cumulative PD at the end of periods 1, 2, ..."
    )

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

    pool: StatedCorrelation | None = Field(
        None, description="latent correlation with every obligor that owes an asset of the "
                          "pool (other than itself)")
    obligors: dict[str, StatedCorrelation] = Field(
        {}, description="obligor id -> latent correlation with that obligor")

    @model_validator(mode="after")
    def _something(self) -> CorrelationWith:
        if self.pool is None and not self.obligors:
            raise ValueError("give `pool` (a correlation) and/or `obligors` "
                             "(obligor id -> correlation)")
        return self


class Obligor(_Model):
    """A name that can default: a borrower or a support provider."""

    id: Id
    kind: ObligorKind
    rating: Notch | None = None
    pd: PD | None = None
    region: RegionLabel | None = Field(
        None, description="a free label, or a path outermost first (guangdong/shenzhen/nanshan): "
                          "in a pairwise table two obligors share a region when one path "
                          "contains the other, segment by segment")
    industry: str | None = Field(None, description="a free label, compared whole")
    correlation_with: CorrelationWith | None = Field(
        None, description="latent correlations this obligor states with the pool's obligors "
                          "(`pool: x`) or named obligors (`obligors: {id: x}`), overriding the "
                          "pairwise / uniform correlation for those pairs")
    parent: Id | None = Field(
        None, description="obligor id of this obligor's parent (e.g. the SOE shareholder of a "
                          "guarantee company): ties the two with parent_correlation")
    parent_correlation: float | None = Field(
        None, gt=0.0, le=1.0,
        description=f"latent correlation with `parent` (default {PARENT_CORRELATION_DEFAULT})")
    capacity: float | None = Field(
        None, gt=0.0, description="capital a provider can lose on this deal; it stops paying "
                                  "(and defaults, unless default_on_exhaustion is false) once "
                                  "its payments reach it")
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
    term: int = Field(ge=1, description="periods to final payment")
    amortization: Amortization = "bullet"
    collateral: list[Id] = []
    support: list[Id] = Field([], description="ids of loan_guarantee / bank_guarantee supports")
    prepayment: float = Field(0.0, ge=0.0, lt=1.0,
                              description="constant annual prepayment rate (CPR), 0 for none")

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
    lag: int = Field(0, ge=0, description="periods from the obligor's default to the cash")
    systemic: UnitInterval = 0.0
    pledgee: Literal["pool", "guarantor"] = Field(
        "pool", description="pool: recoveries go to the noteholders (shared with guarantors by "
                            "their recovery_sharing); guarantor: a counter-pledge (反担保) to the "
                            "loan's guarantor, never reaching the pool")


# ----------------------------------------------------------------------------- credit support


class _SupportBase(_Model):
    """Fields every credit support has (``type`` is narrowed by each subclass)."""

    id: Id
    type: str
    provider: Id = Field(description="obligor id of the provider")
    share: Share = 1.0
    lag: int = Field(0, ge=0)
    cap: float | None = Field(None, gt=0.0, description="aggregate cap, in currency")
    fee: float | None = Field(None, ge=0.0, le=0.2,
                              description="annual rate on what it covers, paid outside the "
                                          "deal (a design cost: `ipabs sweep` reports it)")


def _covers_branch(v: Any) -> str | None:
    if isinstance(v, str):
        return "~all"
    if isinstance(v, list):
        return "~list"
    return None


#: The assets a guarantee covers: ``all`` or a list of asset ids.
AssetCover = Annotated[
    Union[Annotated[Literal["all"], Tag("~all")], Annotated[list[Id], Tag("~list")]],
    Discriminator(_covers_branch, **_bad_choice("covers", "covers is `all` or a list of asset ids")),
]


class _GuaranteeBase(_SupportBase):
    """An asset-level guarantee (loan guarantee or bank guarantee)."""

    covers: AssetCover = Field("all", description="`all` or a list of asset ids")
    recovery_sharing: Literal["creditor_first", "pro_rata", "guarantor_first"] = Field(
        "creditor_first",
        description="who collateral recoveries of a loan it paid on go to first: the "
                    "noteholders up to what they are still owed (creditor_first, Civil Code "
                    "art. 700), both in proportion to their claims (pro_rata), or the "
                    "provider up to what it paid (guarantor_first)")


class LoanGuarantee(_GuaranteeBase):
    """Guarantee of the underlying loans (连带责任保证担保)."""

    type: Literal["loan_guarantee"]


class BankGuarantee(_GuaranteeBase):
    """Bank letter of guarantee on the underlying loans (银行保函)."""

    type: Literal["bank_guarantee"]


class ShortfallCommitment(_SupportBase):
    """Shortfall payment undertaking on tranches (差额支付承诺)."""

    type: Literal["shortfall_commitment"]
    covers: list[Id] = Field(min_length=1, description="tranche ids")
    reimbursed: bool = Field(
        True, description="what the provider (or a guarantee of it) paid is owed back, ranked "
                          "after the non-subordinated tranches and before any subordinated "
                          "payment (the `reimbursement` step)")


class CommitmentGuarantee(_SupportBase):
    """Guarantee of a shortfall commitment: pays what its provider owes but cannot pay."""

    type: Literal["commitment_guarantee"]
    guarantees: Id = Field(description="id of a shortfall_commitment")


class RiskCompensation(_GuaranteeBase):
    """A local government's risk-compensation pool (风险补偿资金池): reimburses ``share`` of
    each covered asset's net loss, ``lag`` periods after the loss is known, out of a fund of
    ``size`` that depletes across claims. ``provider`` (the sponsor) may be omitted: riskless."""

    type: Literal["risk_compensation"]
    provider: Id | None = Field(None, description="sponsor obligor id; omitted: riskless")
    size: float = Field(gt=0.0, description="the fund, in currency")


class IPInsurance(_GuaranteeBase):
    """IP insurance (知识产权保险): the insurer pays ``share`` of each covered asset's net loss
    above ``deductible``, up to ``limit`` per asset and ``cap`` in aggregate, ``lag`` periods
    after the loss is known."""

    type: Literal["ip_insurance"]
    deductible: NonNegative = Field(0.0, description="per asset, in currency")
    limit: float | None = Field(None, gt=0.0, description="per asset, in currency")


#: One credit support, chosen by its ``type`` key.
Support = Annotated[
    Union[LoanGuarantee, BankGuarantee, ShortfallCommitment, CommitmentGuarantee,
          RiskCompensation, IPInsurance],
    Field(discriminator="type"),
]

SUPPORT_TYPES: tuple[str, ...] = (
    "loan_guarantee", "bank_guarantee", "shortfall_commitment", "commitment_guarantee",
    "risk_compensation", "ip_insurance",
)

#: Support types that sit on assets (the rest sit on tranches or on other supports).
ASSET_SUPPORT_TYPES: tuple[str, ...] = (
    "loan_guarantee", "bank_guarantee", "risk_compensation", "ip_insurance",
)


def covered_assets(scenario, support) -> list[int]:
    """Indices of the assets an asset-level support covers: its ``covers`` list (or all
    assets) and every asset that names it in ``support``; empty for tranche-level support."""
    if support.type not in ASSET_SUPPORT_TYPES:
        return []
    listed = set(support.covers) if support.covers != "all" else None
    return [i for i, a in enumerate(scenario.assets)
            if listed is None or a.id in listed or support.id in a.support]


#: The order in which a defaulted asset's loss is met, after its collateral (``loss_order``).
LOSS_ORDER_DEFAULT: tuple[str, ...] = ("loan_guarantee", "ip_insurance", "risk_compensation")


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
    same_parent_region: Correlation01 | None = Field(
        None, description="labels that share a leading segment, neither containing the other "
                          "(default: treated as different regions)")
    same_parent_region_same_industry: Correlation01 | None = Field(
        None, description="as same_parent_region, with the same industry too (default: the "
                          "larger of same_parent_region and same_industry)")

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
    region: dict[RegionLabel, Loading] = Field(
        {}, description="region label or path node -> loading")
    industry: dict[str, Loading] = {}


class Correlation(_Model):
    """The copula and the dependence structure of the obligors' latent variables."""

    copula: Literal["gaussian", "student_t"] = "gaussian"
    dof: float | None = Field(None, gt=2.0, description="degrees of freedom, student_t only")
    uniform: Correlation01 | None = None
    pairwise: Pairwise | None = None
    factors: Factors | None = None
    repair: Literal["none", "nearest"] = Field(
        "none", description="`nearest`: replace a non-PSD pairwise matrix (or uniform one with "
                            "correlations stated on obligors) by the nearest one"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Correlation:
        _exactly_one(self, ("uniform", "pairwise", "factors"))
        if self.copula == "student_t" and self.dof is None:
            raise FieldProblem(("dof",), "copula student_t needs `dof` (degrees of freedom > 2)")
        if self.copula != "student_t" and self.dof is not None:
            raise FieldProblem(("dof",), "`dof` is only used with copula: student_t")
        return self


# ----------------------------------------------------------------------------- tranches, fees


class BulletPrincipal(_Model):
    """The whole balance is due at one period."""

    bullet: int = Field(ge=1, description="period at which the balance is due")


def _principal_branch(v: Any) -> str | None:
    if isinstance(v, str):
        return "~name"
    if isinstance(v, dict):
        if "bullet" in v:
            return "~bullet"
        if "schedule" in v:
            return "~schedule"
    if isinstance(v, BulletPrincipal):
        return "~bullet"
    if isinstance(v, PrincipalSchedule):
        return "~schedule"
    return None


TranchePrincipal = Annotated[
    Union[
        Annotated[Literal["pass_through"], Tag("~name")],
        Annotated[BulletPrincipal, Tag("~bullet")],
        Annotated[PrincipalSchedule, Tag("~schedule")],
    ],
    Discriminator(
        _principal_branch,
        **_bad_choice(
            "principal", "principal is pass_through, a mapping `bullet: period` or `schedule: [...]`"
        ),
    ),
]


class Tranche(_Model):
    """A class of notes; the list of tranches runs most senior first."""

    id: Id
    balance: NonNegative
    coupon: NonNegative = 0.0
    principal: TranchePrincipal | None = None
    subordinated: bool = False
    interest: Literal["current", "deferrable"] = Field(
        "current", description="current: any interest not paid on its date is a default; "
                               "deferrable: unpaid interest is carried as arrears (paid first "
                               "when cash allows), a default only if unpaid at legal final")
    default_at: Literal["legal_final", "expected_maturity"] = Field(
        "legal_final", description="expected_maturity: principal not repaid at its scheduled "
                                   "final date (bullet or last instalment) is a default")
    rated: bool = Field(True, description="false: simulated and reported but carries no rating "
                                          "(market practice for subordinated tranches)")

    @model_validator(mode="after")
    def _maturity_known(self) -> Tranche:
        if self.default_at == "expected_maturity" and (
                self.principal is None or self.principal == "pass_through"):
            raise FieldProblem(("default_at",), "expected_maturity needs a scheduled principal "
                                                "(`bullet: period` or `schedule`); a pass-through "
                                                "tranche has no expected maturity")
        return self

    def expected_maturity(self) -> int | None:
        """The period its scheduled principal ends (bullet or last instalment), or None."""
        spec = self.principal
        if spec is None or spec == "pass_through":
            return None
        if hasattr(spec, "bullet"):
            return spec.bullet
        return max(t for t, x in enumerate(spec.schedule, start=1) if x > 0) \
            if any(x > 0 for x in spec.schedule) else len(spec.schedule)


class Fee(_Model):
    """A senior expense: ``rate`` on a ``base`` (per annum), or a fixed ``amount`` per period."""

    id: Id
    rate: NonNegative | None = None
    base: Literal["interest_collections", "senior_balance", "pool_balance"] | None = None
    amount: NonNegative | None = None

    @model_validator(mode="after")
    def _rate_or_amount(self) -> Fee:
        if self.amount is not None:
            if self.rate is not None or self.base is not None:
                raise ValueError("give either `amount` or `rate` with `base`, not both")
        elif self.rate is None and self.base is None:
            raise ValueError("give either `amount` (per period) or `rate` with `base`")
        elif self.rate is None:
            raise FieldProblem(("rate",), "`base` needs a `rate` (per annum)")
        elif self.base is None:
            raise FieldProblem(
                ("base",),
                "`rate` needs a `base`: interest_collections, senior_balance or pool_balance",
            )
        return self


# ----------------------------------------------------------------------------- waterfall


def _ids_branch(v: Any) -> str | None:
    if isinstance(v, str):
        return "~one"
    if isinstance(v, list):
        return "~many"
    return None


#: A tranche id or a list of tranche ids (paid pro rata).
TrancheIds = Annotated[
    Union[Annotated[Id, Tag("~one")], Annotated[list[Id], Tag("~many"), Field(min_length=1)]],
    Discriminator(_ids_branch, **_bad_choice("ids", "expected a tranche id or a list of tranche ids")),
]


class InterestStep(_Model):
    """Pay the coupon of a tranche (pro rata across a list)."""

    interest: TrancheIds


class PrincipalStep(_Model):
    """Pay the principal of a tranche (pro rata across a list)."""

    principal: TrancheIds


class ToPrincipalStep(_Model):
    """Pass what is left of the interest collections to the principal waterfall."""

    to_principal: Literal["rest"]


class ResidualStep(_Model):
    """Pay out what is left to a subordinated tranche."""

    residual: Id


_STEP_KEYS = {"interest": "~interest", "principal": "~principal",
              "to_principal": "~to_principal", "residual": "~residual"}


def _step_branch(v: Any) -> str | None:
    if isinstance(v, str):
        return "~named"
    if isinstance(v, dict) and len(v) == 1:
        return _STEP_KEYS.get(next(iter(v)))
    for cls, tag in ((InterestStep, "~interest"), (PrincipalStep, "~principal"),
                     (ToPrincipalStep, "~to_principal"), (ResidualStep, "~residual")):
        if isinstance(v, cls):
            return tag
    return None


#: One step of a priority of payments.
Step = Annotated[
    Union[
        Annotated[Literal["fees", "reserve_top_up", "reimbursement"], Tag("~named")],
        Annotated[InterestStep, Tag("~interest")],
        Annotated[PrincipalStep, Tag("~principal")],
        Annotated[ToPrincipalStep, Tag("~to_principal")],
        Annotated[ResidualStep, Tag("~residual")],
    ],
    Discriminator(
        _step_branch,
        **_bad_choice(
            "step",
            "a step is `fees`, `reserve_top_up`, `reimbursement`, or a one-key mapping: "
            "interest, principal, "
            "to_principal or residual",
        ),
    ),
]


class ReserveTarget(_Model):
    """A reserve target that follows the senior notes."""

    share_of_senior: float = Field(gt=0.0, le=1.0,
                                   description="share of the non-subordinated balance")


class Reserve(_Model):
    """A cash reserve (储备金账户): funded at closing and/or topped up from excess spread,
    drawn for fees and the covered tranches' interest before any support is called."""

    initial: NonNegative = Field(0.0, description="amount funded at closing")
    target: NonNegative | ReserveTarget = Field(
        0.0, description="amount to keep, or {share_of_senior: x}")
    covers: list[Id] | None = Field(
        None, description="tranches whose interest it pays; default the non-subordinated ones")


class Waterfall(_Model):
    """The priorities of payments (optional; a default is derived from the tranches)."""

    interest: list[Step]
    principal: list[Step]
    post_acceleration: list[Step] | None = None


# ----------------------------------------------------------------------------- triggers


class TriggerCondition(_Model):
    """When a trigger fires: exactly one condition."""

    cumulative_default_rate_above: UnitInterval | None = None
    interest_shortfall: Id | None = Field(None, description="tranche id")
    provider_default: Id | None = Field(None, description="obligor id")

    @model_validator(mode="after")
    def _one(self) -> TriggerCondition:
        _exactly_one(self, ("cumulative_default_rate_above", "interest_shortfall", "provider_default"))
        return self


class Trigger(_Model):
    """An event that switches the deal to the post-acceleration waterfall."""

    id: Id
    when: TriggerCondition
    then: Literal["accelerate"]


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

    target: Id | None = Field(None, description="tranche whose default to aim at")
    shift: dict[str, Annotated[float, Field(ge=-10.0, le=10.0)]] | None = Field(
        None, description="factor name -> mean shift (standard deviations)")
    twist: bool = False
    pilot_paths: int = Field(4_000, ge=256, le=1_000_000)
    defensive_share: float = Field(0.1, ge=0.0, le=0.9)


class Simulation(_Model):
    """Monte Carlo settings."""

    paths: int = Field(100_000, ge=1)
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


class Stress(_Model):
    """One cash-flow stress of the ``tdr_bdr`` method's grid."""

    name: str = Field(min_length=1)
    recovery_multiplier: NonNegative = Field(1.0, description="scales collateral values")
    timing: str = Field("uniform", pattern=r"^(uniform|front:-?[0-9]*\.?[0-9]+)$",
                        description="default timing: uniform or front:x (linear tilt)")
    spread_shift: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        0.0, description="added to every asset's rate (per annum)")
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
    support: Literal["substitution", "joint_default", "standalone"] = Field(
        "substitution",
        description="substitution (the market's convention, the agencies' counterparty rule): "
                    "the best of the standalone rating and, per supporter grade, the grade of a "
                    "run where supporters at that grade or better pay as documented and the "
                    "others default from the start, capped at that grade; joint_default: the "
                    "full simulation with supporters as correlated obligors; standalone: the "
                    "pool and structure alone")
    table: str = Field("domestic", description="`domestic` or a CSV path relative to the scenario")
    stresses: list[Stress] | None = Field(
        None, description="tdr_bdr stress grid; default: the small-business grid of "
                                 "docs/domain.md")
    concentration: Concentration | None = Field(
        None, description="concentration default multipliers (off by default)")
    large_obligor_test: bool = Field(
        False, description="cap AAAsf at AA+sf unless the tranche survives the largest "
                           "sub-AAA obligors defaulting with 5% recovery")


#: The changes a sensitivity can make (exactly one each).
SENSITIVITY_CHANGES = (
    "pd_multiplier", "correlation_shift", "recovery_multiplier", "rating_override",
    "remove_support", "haircut_shift", "lag_shift",
)


class Sensitivity(_Model):
    """One change to re-run the scenario with, on the same random numbers."""

    name: str = Field(min_length=1)
    pd_multiplier: float | None = Field(None, gt=0.0)
    correlation_shift: Loading | None = None
    recovery_multiplier: NonNegative | None = None
    rating_override: dict[str, Notch] | None = Field(None, description="obligor id -> notch")
    remove_support: list[Id] | None = Field(None, description="credit support ids")
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

    largest_borrowers: int = Field(
        3, ge=0, description="how many of the largest borrowers (by balance owed to the pool) "
                             "default; 0 for no stressed run")
    period: int = Field(1, ge=1, description="the payment period in which they default")


class ReportSpec(_Model):
    """How reports of the scenario are written (报告): language and the stressed cash flows."""

    language: Literal["en", "zh"] = Field(
        "en", description="en: English; zh: Chinese headings, labels and terminal text with the "
                          "domestic terms (优先级, 次级, 差额支付承诺, 违约概率, ...). "
                          "`--lang` on the command line overrides it")
    stress: ReportStress = Field(ReportStress(), description="the stressed cash-flow run")


# ----------------------------------------------------------------------------- the scenario

PaymentFrequency = Literal["monthly", "quarterly", "semiannual", "annual"]

#: Payment dates per year for each payment frequency.
PERIODS_PER_YEAR: dict[str, int] = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}


DayCount = Literal["act/365", "act/360", "30/360", "period"]


class Dates(_Model):
    """Calendar dates (optional): payment date ``t`` is ``first_payment`` plus ``t - 1``
    periods, on the same day of the month (the month's last day where it is shorter)."""

    closing: dt.date = Field(description="closing date (period 0)")
    first_payment: dt.date | None = Field(
        None, description="the first payment date; default: closing plus one period")
    day_count: DayCount = Field(
        "act/365", description="tranches' and fees' interest: balance x rate x year fraction")
    asset_day_count: DayCount = Field(
        "act/360", description="the assets' interest (the PRC loan convention 日利率 = 年利率/360)")

    @model_validator(mode="after")
    def _first_after_closing(self) -> Dates:
        if self.first_payment is not None and self.first_payment <= self.closing:
            raise ValueError("`first_payment` must be after `closing`")
        return self


class ScenarioFields(_Model):
    """The fields of a scenario, each checked on its own (its shape): what the rules between
    objects (:mod:`engine.scenario.checks`), the correlation structure and the translation
    of pydantic's errors read. :class:`engine.scenario.models.Scenario` adds the cross
    checks to its validation; build that one.
    """

    format: Literal["ipabs/v1"]
    name: str
    currency: str = "CNY"
    payment_frequency: PaymentFrequency
    legal_final: int = Field(ge=1, description="legal final maturity, in periods")
    obligors: list[Obligor] = Field(min_length=1)
    assets: list[Asset] = Field(min_length=1)
    assets_file: str | None = Field(
        None, description="CSV of assets (same columns), relative to the scenario's folder"
    )
    collateral: list[Collateral] = []
    credit_support: list[Support] = []
    correlation: Correlation
    tranches: list[Tranche] = Field(min_length=1, description="most senior first")
    fees: list[Fee] = []
    reserve: Reserve | None = None
    dates: Dates | None = Field(None, description="calendar dates and day counts (optional)")
    loss_order: list[Literal["loan_guarantee", "ip_insurance", "risk_compensation"]] = Field(
        list(LOSS_ORDER_DEFAULT), min_length=3, max_length=3,
        description="the order in which a defaulted asset's loss is met after its collateral "
                    "(bank guarantees rank with loan guarantees)")
    waterfall: Waterfall | None = None
    triggers: list[Trigger] = []
    simulation: Simulation = Simulation()
    rating: RatingSpec = RatingSpec()
    sensitivities: list[Sensitivity] = []
    allow_high_rates: bool = Field(
        False, description="accept coupons, asset rates and fee rates above 100% a year "
                           "(refused otherwise, as a likely typo for a percentage)")
    report: ReportSpec = ReportSpec()

    _sha256: str | None = PrivateAttr(default=None)
    _base_dir: Path | None = PrivateAttr(default=None)
    _state: Any = PrivateAttr(default=None)     # a DealState (engine.scenario.state)
    _warnings: Any = PrivateAttr(default=())    # plausibility warnings of the file, with lines

    @property
    def periods_per_year(self) -> int:
        """Payment dates per year: 12, 4, 2 or 1."""
        return PERIODS_PER_YEAR[self.payment_frequency]

    @property
    def sha256(self) -> str | None:
        """SHA-256 (hex) of the scenario file's bytes, or ``None`` if not loaded from text."""
        return self._sha256

    @property
    def base_dir(self) -> Path | None:
        """Folder that relative paths in the scenario (``assets_file``, ``rating.table``) use."""
        return self._base_dir

    @property
    def state(self):
        """The deal's state (``ipabs-state/v1``, a tracking rating's trustee report) this
        scenario is simulated from, or ``None``: from closing
        (:func:`engine.scenario.state.tracked`)."""
        return self._state

    @property
    def warnings(self) -> tuple[str, ...]:
        """The file's plausibility warnings, each ``file: field (line N): message``
        (docs/plausibility.md); empty for a scenario not loaded from a file."""
        return tuple(self._warnings or ())


def _all_models() -> list[type[BaseModel]]:
    """Every model of this module, nested ones before those that hold them (definition
    order)."""
    return [obj for obj in list(globals().values())
            if isinstance(obj, type) and issubclass(obj, _Model) and obj is not _Model]
