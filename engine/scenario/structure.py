"""The notes' parts of an ``ipabs/v1`` scenario: tranches, fees, the priority of payments,
the reserve and triggers."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from engine.scenario.base import (
    FieldProblem,
    _Model,
    _exactly_one,
    Id,
    UnitInterval,
    NonNegative,
    _bad_choice,
)
from engine.scenario.pool import (
    PrincipalSchedule,
)


# ----------------------------------------------------------------------------- tranches, fees


class BulletPrincipal(_Model):
    """The whole balance is due at one period."""

    bullet: int = Field(ge=1)


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
    interest: Literal["current", "deferrable"] = "current"
    default_at: Literal["legal_final", "expected_maturity"] = "legal_final"
    rated: bool = True

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

    share_of_senior: float = Field(gt=0.0, le=1.0)


class Reserve(_Model):
    """A cash reserve (储备金账户): funded at closing and/or topped up from excess spread,
    drawn for fees and the covered tranches' interest before any support is called."""

    initial: NonNegative = 0.0
    target: NonNegative | ReserveTarget = 0.0
    covers: list[Id] | None = None


class Waterfall(_Model):
    """The priorities of payments (optional; a default is derived from the tranches)."""

    interest: list[Step]
    principal: list[Step]
    post_acceleration: list[Step] | None = None


# ----------------------------------------------------------------------------- triggers


class TriggerCondition(_Model):
    """When a trigger fires: exactly one condition."""

    cumulative_default_rate_above: UnitInterval | None = None
    interest_shortfall: Id | None = None
    provider_default: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> TriggerCondition:
        _exactly_one(self, ("cumulative_default_rate_above", "interest_shortfall", "provider_default"))
        return self


class Trigger(_Model):
    """An event that switches the deal to the post-acceleration waterfall."""

    id: Id
    when: TriggerCondition
    then: Literal["accelerate"]
