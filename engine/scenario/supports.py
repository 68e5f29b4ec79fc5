"""Credit support of an ``ipabs/v1`` scenario: one model per support type and the registry
of types (:data:`SUPPORT_KINDS`)."""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, Union, get_args

from pydantic import (
    Discriminator,
    Field,
    Tag,
)

from engine.scenario.base import (
    _Model,
    Id,
    NonNegative,
    Share,
    _bad_choice,
)


# ----------------------------------------------------------------------------- credit support


class _SupportBase(_Model):
    """Fields every credit support has (``type`` is narrowed by each subclass), and what
    the engine reads of a type: its registry entry (the class variables) and its terms
    (the methods), so that code outside this module never branches on a type's name."""

    #: The kernels' code of the type (``engine.waterfall.codes.SUP_*`` read it from here).
    code: ClassVar[int]
    #: The type in a report: (English, Chinese).
    labels: ClassVar[tuple[str, str]]
    #: What it sits on: ``asset`` (pays on defaulted loans), ``tranche`` (tops up notes) or
    #: ``support`` (pays what another support's provider cannot).
    level: ClassVar[str] = "asset"
    #: Its kind in ``loss_order`` (asset level), the kind it ranks with when not its own.
    loss_kind: ClassVar[str | None] = None
    #: Where its own loss kind ranks by default (``None``: it ranks with another type's).
    loss_rank: ClassVar[int | None] = None
    #: The key of its aggregate limit.
    cap_key: ClassVar[str] = "cap"
    #: A counter-pledge (``pledgee: guarantor``) goes to its provider.
    takes_counter_pledge: ClassVar[bool] = False

    id: Id
    type: str
    provider: Id
    share: Share = 1.0
    lag: int = Field(0, ge=0)
    cap: float | None = Field(None, gt=0.0)
    fee: float | None = Field(None, ge=0.0, le=0.2)

    @classmethod
    def type_name(cls) -> str:
        """The format's name of the type (its ``type`` value)."""
        return get_args(cls.model_fields["type"].annotation)[0]

    def aggregate_cap(self) -> float | None:
        """What it pays at most across claims, in currency (``None``: no limit)."""
        return self.cap

    def per_asset_terms(self) -> tuple[float, float]:
        """``(deductible, limit)`` on each covered asset's loss (``inf``: no limit)."""
        return 0.0, math.inf

    def sharing(self) -> str:
        """Who a loan's collateral recoveries go to first once it has paid (asset level)."""
        return "creditor_first"

    def owed_back(self) -> bool:
        """Is what it (or a guarantee of it) paid owed back (the ``reimbursement`` step)?"""
        return False

    def guaranteed(self) -> str | None:
        """The id of the support it guarantees (``support`` level), else ``None``."""
        return None

    def covered_tranches(self) -> list[str]:
        """The tranche ids it tops up (``tranche`` level)."""
        return []

    def covered_amount(self, scenario) -> float:
        """What it covers, in currency: the base of its ``fee``."""
        balance = [a.balance for a in scenario.assets]
        return self.share * sum(balance[i] for i in covered_assets(scenario, self))


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

    covers: AssetCover = "all"
    recovery_sharing: Literal["creditor_first", "pro_rata", "guarantor_first"] = "creditor_first"

    def sharing(self) -> str:
        return self.recovery_sharing


class LoanGuarantee(_GuaranteeBase):
    """Guarantee of the underlying loans (连带责任保证担保)."""

    code: ClassVar[int] = 0
    labels: ClassVar[tuple[str, str]] = ("loan guarantee", "连带责任保证担保")
    loss_kind: ClassVar[str] = "loan_guarantee"
    loss_rank: ClassVar[int] = 0
    takes_counter_pledge: ClassVar[bool] = True

    type: Literal["loan_guarantee"]


class BankGuarantee(_GuaranteeBase):
    """Bank letter of guarantee on the underlying loans (银行保函)."""

    code: ClassVar[int] = 1
    labels: ClassVar[tuple[str, str]] = ("bank letter of guarantee", "银行保函")
    loss_kind: ClassVar[str] = LoanGuarantee.loss_kind     # ranks with loan guarantees
    takes_counter_pledge: ClassVar[bool] = True

    type: Literal["bank_guarantee"]


class ShortfallCommitment(_SupportBase):
    """Shortfall payment undertaking on tranches (差额支付承诺)."""

    code: ClassVar[int] = 2
    labels: ClassVar[tuple[str, str]] = ("shortfall commitment", "差额支付承诺")
    level: ClassVar[str] = "tranche"

    type: Literal["shortfall_commitment"]
    covers: list[Id] = Field(min_length=1)
    reimbursed: bool = True

    def owed_back(self) -> bool:
        return self.reimbursed

    def covered_tranches(self) -> list[str]:
        return list(self.covers)

    def covered_amount(self, scenario) -> float:
        balance = {t.id: t.balance for t in scenario.tranches}
        return sum(balance[t] for t in self.covers)


class CommitmentGuarantee(_SupportBase):
    """Guarantee of a shortfall commitment: pays what its provider owes but cannot pay."""

    code: ClassVar[int] = 3
    labels: ClassVar[tuple[str, str]] = ("guarantee of a commitment", "差额支付承诺的保证")
    level: ClassVar[str] = "support"

    type: Literal["commitment_guarantee"]
    guarantees: Id

    def guaranteed(self) -> str | None:
        return self.guarantees

    def covered_amount(self, scenario) -> float:
        target = next(s for s in scenario.credit_support if s.id == self.guarantees)
        return target.covered_amount(scenario)


class RiskCompensation(_GuaranteeBase):
    """A local government's risk-compensation pool (风险补偿资金池): reimburses ``share`` of
    each covered asset's net loss, ``lag`` periods after the loss is known, out of a fund of
    ``size`` that depletes across claims. ``provider`` (the sponsor) may be omitted: riskless."""

    code: ClassVar[int] = 4
    labels: ClassVar[tuple[str, str]] = ("risk-compensation fund", "风险补偿资金池")
    loss_kind: ClassVar[str] = "risk_compensation"
    loss_rank: ClassVar[int] = 2
    cap_key: ClassVar[str] = "size"

    type: Literal["risk_compensation"]
    provider: Id | None = None
    size: float = Field(gt=0.0)

    def aggregate_cap(self) -> float | None:
        return self.size

    def covered_amount(self, scenario) -> float:
        return self.size


class IPInsurance(_GuaranteeBase):
    """IP insurance (知识产权保险): the insurer pays ``share`` of each covered asset's net loss
    above ``deductible``, up to ``limit`` per asset and ``cap`` in aggregate, ``lag`` periods
    after the loss is known."""

    code: ClassVar[int] = 5
    labels: ClassVar[tuple[str, str]] = ("IP insurance", "知识产权保险")
    loss_kind: ClassVar[str] = "ip_insurance"
    loss_rank: ClassVar[int] = 1

    type: Literal["ip_insurance"]
    deductible: NonNegative = 0.0
    limit: float | None = Field(None, gt=0.0)

    def per_asset_terms(self) -> tuple[float, float]:
        return self.deductible, (math.inf if self.limit is None else self.limit)


# ----------------------------------------------------------------------------- the registry

#: Every support type, in the order the format lists them: the one registry of types.
SUPPORT_MODELS: tuple[type[_SupportBase], ...] = (
    LoanGuarantee, BankGuarantee, ShortfallCommitment, CommitmentGuarantee, RiskCompensation,
    IPInsurance,
)

#: One credit support, chosen by its ``type`` key.
Support = Annotated[Union[SUPPORT_MODELS], Field(discriminator="type")]

#: The format's names of the support types.
SUPPORT_TYPES: tuple[str, ...] = tuple(m.type_name() for m in SUPPORT_MODELS)

#: Support types that sit on assets (the rest sit on tranches or on other supports).
ASSET_SUPPORT_TYPES: tuple[str, ...] = tuple(m.type_name() for m in SUPPORT_MODELS
                                             if m.level == "asset")

#: The order in which a defaulted asset's loss is met, after its collateral (``loss_order``):
#: each type's own loss kind by its ``loss_rank`` (guarantees, insurance, then a
#: risk-compensation fund).
LOSS_ORDER_DEFAULT: tuple[str, ...] = tuple(
    m.loss_kind for m in sorted((m for m in SUPPORT_MODELS if m.loss_rank is not None),
                                key=lambda m: m.loss_rank))

#: The kinds ``loss_order`` ranks.
LossKind = Literal[LOSS_ORDER_DEFAULT]


def full_loss_order(listed) -> tuple[str, ...]:
    """The loss order a scenario's ``loss_order`` means: the kinds it lists, in its order,
    then the others in their default order (so a file stays valid when a kind is added)."""
    listed = tuple(listed)
    return listed + tuple(k for k in LOSS_ORDER_DEFAULT if k not in listed)


def support_model(name: str) -> type[_SupportBase]:
    """The model of the support type ``name``."""
    return SUPPORT_MODELS[SUPPORT_TYPES.index(name)]


def support_labels(lang: str) -> dict[str, str]:
    """Each type's name in a report in ``lang`` (``en`` or ``zh``)."""
    column = 1 if lang == "zh" else 0
    return {m.type_name(): m.labels[column] for m in SUPPORT_MODELS}


def covered_assets(scenario, support) -> list[int]:
    """Indices of the assets an asset-level support covers: its ``covers`` list (or all
    assets) and every asset that names it in ``support``; empty for tranche-level support."""
    if support.level != "asset":
        return []
    listed = set(support.covers) if support.covers != "all" else None
    return [i for i, a in enumerate(scenario.assets)
            if listed is None or a.id in listed or support.id in a.support]
