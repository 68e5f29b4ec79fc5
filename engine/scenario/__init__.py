"""The ``ipabs/v1`` scenario: models, loading with line numbers, checks, JSON Schema.

Typical use::

    from engine.scenario import load_scenario
    scenario = load_scenario("deal.yaml")   # raises ScenarioError listing every problem
"""
from __future__ import annotations

from engine.scenario.checks import check_scenario
from engine.scenario.loader import load_scenario, load_scenario_text, scenario_files
from engine.scenario.models import (
    PD,
    Asset,
    BankGuarantee,
    BulletPrincipal,
    Collateral,
    CommitmentGuarantee,
    Correlation,
    Factors,
    Fee,
    Haircut,
    InterestStep,
    LoanGuarantee,
    Obligor,
    Pairwise,
    PrincipalSchedule,
    PrincipalStep,
    RatingSpec,
    ResidualStep,
    Scenario,
    Sensitivity,
    ShortfallCommitment,
    Simulation,
    Step,
    Support,
    Tranche,
    Trigger,
    TriggerCondition,
    ToPrincipalStep,
    Waterfall,
)
from engine.scenario.schema import scenario_json_schema

__all__ = [
    "Scenario", "load_scenario", "load_scenario_text", "scenario_files", "scenario_json_schema",
    "check_scenario",
    "Obligor", "PD", "Asset", "PrincipalSchedule", "Collateral", "Haircut",
    "Support", "LoanGuarantee", "BankGuarantee", "ShortfallCommitment", "CommitmentGuarantee",
    "Correlation", "Pairwise", "Factors", "Tranche", "BulletPrincipal", "Fee",
    "Waterfall", "Step", "InterestStep", "PrincipalStep", "ToPrincipalStep", "ResidualStep",
    "Trigger", "TriggerCondition", "Simulation", "RatingSpec", "Sensitivity",
]
