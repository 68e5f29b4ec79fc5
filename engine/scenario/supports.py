"""Credit support of an ``ipabs/v1`` scenario: one model per support type and the registry
of types (:data:`SUPPORT_KINDS`)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

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
