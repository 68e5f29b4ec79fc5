"""The ``ipabs/v1`` scenario's parts: every model of the format but the validated
:class:`~engine.scenario.models.Scenario` itself (the executable definition of the format,
documented key by key in ``ipabs schema`` and in ``docs/model.md``).

The models live in small modules, one part each: :mod:`~engine.scenario.base` (the strict
base model and basic types), :mod:`~engine.scenario.pool` (obligors, assets, collateral,
correlation), :mod:`~engine.scenario.supports` (credit support and the registry of its
types), :mod:`~engine.scenario.structure` (tranches, fees, the priority of payments,
reserve, triggers) and :mod:`~engine.scenario.settings` (simulation, rating, report,
dates); this module gathers them and holds :class:`ScenarioFields`.

These modules own the *shape* of a scenario: which keys exist, their types, ranges and
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

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from engine.scenario import base, pool, settings, structure, supports
from engine.scenario.base import (
    FieldProblem,
    PARENT_CORRELATION_DEFAULT,
    region_nodes,
    SEED_LIMIT,
    format_amount,
    Id,
    NonNegative,
    Notch,
    _Model,
)
from engine.scenario.pool import (
    Obligor,
    PD,
    PrincipalSchedule,
    Asset,
    Haircut,
    Collateral,
    Pairwise,
    Factors,
    Correlation,
    CorrelationWith,
)
from engine.scenario.supports import (
    LoanGuarantee,
    BankGuarantee,
    ShortfallCommitment,
    CommitmentGuarantee,
    Support,
    SUPPORT_TYPES,
    RiskCompensation,
    IPInsurance,
    LOSS_ORDER_DEFAULT,
    LossKind,
    full_loss_order,
    SUPPORT_MODELS,
    support_model,
    support_labels,
    ASSET_SUPPORT_TYPES,
    covered_assets,
)
from engine.scenario.structure import (
    BulletPrincipal,
    Tranche,
    Fee,
    InterestStep,
    PrincipalStep,
    ToPrincipalStep,
    ResidualStep,
    Step,
    Waterfall,
    Reserve,
    ReserveTarget,
    TriggerCondition,
    Trigger,
)
from engine.scenario.settings import (
    Importance,
    Simulation,
    RatingSpec,
    Stress,
    RecoveryDelay,
    Concentration,
    ConcentrationStep,
    Sensitivity,
    PERIODS_PER_YEAR,
    ReportSpec,
    ReportStress,
    SENSITIVITY_CHANGES,
    Dates,
    PaymentFrequency,
)

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
    "LOSS_ORDER_DEFAULT", "ASSET_SUPPORT_TYPES", "covered_assets", "full_loss_order",
    "SUPPORT_MODELS", "support_model", "support_labels",
    "PARENT_CORRELATION_DEFAULT", "region_nodes", "ReportSpec", "ReportStress",
    "SEED_LIMIT", "SENSITIVITY_CHANGES", "format_amount",
]




class ScenarioFields(_Model):
    """The fields of a scenario, each checked on its own (its shape): what the rules between
    objects (:mod:`engine.scenario.checks`), the correlation structure and the translation
    of pydantic's errors read. :class:`engine.scenario.models.Scenario` adds the cross
    checks to its validation; build that one.
    """

    format: Literal["ipabs/v1"]
    name: str = Field(min_length=1)
    currency: str = "CNY"
    payment_frequency: PaymentFrequency
    legal_final: int = Field(ge=1)
    obligors: list[Obligor] = Field(min_length=1)
    assets: list[Asset] = Field(min_length=1)
    assets_file: str | None = None
    obligors_file: str | None = None
    collateral: list[Collateral] = []
    collateral_file: str | None = None
    tape: str | None = None
    credit_support: list[Support] = []
    correlation: Correlation
    tranches: list[Tranche] = Field(min_length=1)
    fees: list[Fee] = []
    reserve: Reserve | None = None
    dates: Dates | None = None
    loss_order: list[LossKind] = Field(
        list(LOSS_ORDER_DEFAULT), min_length=1, max_length=len(LOSS_ORDER_DEFAULT))
    waterfall: Waterfall | None = None
    triggers: list[Trigger] = []
    simulation: Simulation = Simulation()
    rating: RatingSpec = RatingSpec()
    sensitivities: list[Sensitivity] = []
    allow_high_rates: bool = False
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
    """Every model of the format, nested ones before those that hold them (definition
    order, part module by part module)."""
    found = []
    for module in (base, pool, supports, structure, settings):
        found += [obj for obj in vars(module).values()
                  if isinstance(obj, type) and issubclass(obj, _Model) and obj is not _Model
                  and obj.__module__ == module.__name__]
    return [*found, ScenarioFields]
