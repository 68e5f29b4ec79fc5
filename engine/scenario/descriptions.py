"""What each scenario key means, for the keys whose ``Field`` in :mod:`.models` gives no
description: units, ranges and the domestic term. Applied to the models' fields at import
(:func:`apply_descriptions`), so they show in ``ipabs schema`` (and an editor's tooltips)
and in ``Model.model_fields``. A test checks that every key of the schema has one.
"""
from __future__ import annotations

from engine.scenario.supports import SUPPORT_MODELS

#: ``"Model.field"`` -> description.
DESCRIPTIONS: dict[str, str] = {
    # the scenario
    "Scenario.format": "format version; always `ipabs/v1`",
    "Scenario.name": "the deal's name, shown in every report (any language)",
    "Scenario.currency": "currency of every amount (default CNY)",
    "Scenario.payment_frequency": "payment dates per year: monthly, quarterly, semiannual or "
                                  "annual; every `term`, `lag` and period counts these dates",
    "Scenario.obligors": "every name that can default: the borrowers and the support providers "
                         "(债务人与增信方); more may come from `obligors_file` or the sheet "
                         "`obligors` / 借款人 of `tape`",
    "Scenario.assets": "the pool (基础资产): one entry per loan, lease or licence-fee claim; or "
                       "give `assets_file`, or the sheet `assets` / 基础资产 of `tape`",
    "Scenario.collateral": "IP pledged to the assets (质押的知识产权); more may come from "
                           "`collateral_file` or the sheet `collateral` / 质押物 of `tape`",
    "Scenario.credit_support": "credit support (增信措施): guarantees, bank letters of guarantee, "
                               "shortfall commitments, their guarantees, risk-compensation funds, "
                               "IP insurance",
    "Scenario.correlation": "how the obligors' defaults move together: the copula and one of "
                            "uniform, pairwise or factors",
    "Scenario.fees": "senior expenses paid before interest (taxes, trustee, audit and rating)",
    "Scenario.reserve": "a cash reserve account (储备金账户), optional",
    "Scenario.waterfall": "the priority of payments (兑付顺序); default: fees, interest by "
                          "seniority, principal sequentially, residual to subordinated",
    "Scenario.triggers": "events that switch to the post-acceleration waterfall (加速清偿)",
    "Scenario.simulation": "Monte Carlo settings: paths, seed, method",
    "Scenario.rating": "how tranches are rated: method, support convention, ideal-rate table",
    "Scenario.sensitivities": "changes re-run on the base case's random numbers by `ipabs "
                              "sensitivity` and the report",
    "Scenario.report": "language of reports and the terminal (en or zh) and the report's "
                       "stressed cash flows",
    # obligors
    "Obligor.id": "unique name of the obligor (any text, Chinese included)",
    "Obligor.kind": "borrower, guarantee_company, bank, originator, shareholder, insurer or "
                    "licensee",
    "Obligor.rating": "domestic issuer rating (AAA+ .. C) mapped to a default probability by "
                      "the rating table; give `rating` or `pd`",
    "Obligor.pd": "an explicit default probability instead of a rating",
    "Obligor.default_on_exhaustion": "whether a provider whose payments reach its `capacity` "
                                     "then counts as defaulted (true) or just stops paying",
    "PD.annual": "annual default probability (a fraction, 0.02 = 2%), flat over the deal",
    # assets
    "Asset.id": "unique asset id",
    "Asset.obligor": "obligor id of the borrower",
    "Asset.type": "micro_loan, entrusted_loan (委托贷款), trust_loan (信托贷款), finance_lease "
                  "(融资租赁) or licence_fee (许可费)",
    "Asset.balance": "outstanding principal at closing, in currency",
    "Asset.rate": "interest rate per annum (a fraction: 0.052 = 5.2%)",
    "Asset.amortization": "bullet (all at `term`), equal_principal, annuity, or `schedule: "
                          "[...]` (principal per period)",
    "Asset.collateral": "ids of the collateral items pledged to this asset",
    "PrincipalSchedule.schedule": "principal paid at periods 1, 2, ..., in currency; sums to "
                                  "the balance",
    # collateral
    "Collateral.id": "unique collateral id",
    "Collateral.type": "invention_patent (发明专利), utility_model (实用新型), design_patent "
                       "(外观设计), trademark (商标), copyright, software_copyright (软件著作权), "
                       "data_ip (数据知识产权) or plant_variety (植物新品种)",
    "Collateral.appraised_value": "appraised value (评估值), in currency",
    "Collateral.haircut": "share of the appraised value lost on sale, ~ Beta(mean, sd): a "
                          "haircut of 0.90 means 10% of the appraised value is recovered",
    "Collateral.systemic": "loading s (0..1) of the haircut on the economy factor Z0: the "
                           "haircut's quantile is drawn at Phi(-s Z0 + sqrt(1 - s^2) e), so with "
                           "s > 0 recoveries are worse when the economy is bad and many obligors "
                           "default; 0: independent of the economy",
    "Haircut.mean": "mean haircut: share of the appraised value lost (0.90 = recover 10%)",
    "Haircut.sd": "standard deviation of the haircut; 0 for a fixed haircut",
    # support
    **{f"{m.__name__}.{k}": v for m in SUPPORT_MODELS
       for k, v in {
           "id": "unique support id",
           "type": ", ".join(f"{m.type_name()} ({m.labels[1]})" for m in SUPPORT_MODELS),
           "share": "share (0..1] of each claim the provider pays",
           "lag": "payment periods from the claim to the payment (0: on the same date)",
       }.items()},
    # correlation
    "Correlation.copula": "gaussian or student_t (fatter joint tails; needs `dof`)",
    "Correlation.uniform": "one asset correlation for every pair of obligors (0..1)",
    "Correlation.pairwise": "correlation by relationship: same region and industry, same "
                            "region, same industry, other",
    "Correlation.factors": "explicit loadings on a global, regional and industry factors",
    "Pairwise.same_region_same_industry": "asset correlation of two obligors in the same region "
                                          "and industry",
    "Pairwise.same_region": "asset correlation of two obligors in the same region only",
    "Pairwise.same_industry": "asset correlation of two obligors in the same industry only",
    "Pairwise.other": "asset correlation of any other pair",
    "Factors.global": "loading of every obligor on the global factor (-1..1)",
    "Factors.industry": "industry label -> loading",
    # tranches and fees
    "Tranche.id": "unique tranche id (any text: A, 优先级, ...)",
    "Tranche.balance": "balance at issue, in currency",
    "Tranche.coupon": "coupon per annum (a fraction: 0.0217 = 2.17%); 0 for subordinated notes "
                      "without a fixed return",
    "Tranche.principal": "how principal is promised: pass_through (paid as collected, owed "
                         "at legal final), `bullet: period` or `schedule: [...]`; left out, a "
                         "non-subordinated tranche is pass-through and loading warns so",
    "Tranche.subordinated": "true for the subordinated (次级) tranche: residual cash, paid after "
                            "every other tranche",
    "Fee.id": "unique fee id",
    "Fee.rate": "rate per annum on `base` (a fraction)",
    "Fee.base": "what `rate` applies to: interest_collections, senior_balance or pool_balance",
    "Fee.amount": "fixed amount per period, in currency",
    # waterfall
    "Waterfall.interest": "steps of the interest waterfall, in order",
    "Waterfall.principal": "steps of the principal waterfall, in order",
    "Waterfall.post_acceleration": "steps after a trigger fires (one combined waterfall)",
    "InterestStep.interest": "tranche id (or a list, paid pro rata) whose interest is paid",
    "PrincipalStep.principal": "tranche id (or a list, paid pro rata) whose principal is paid",
    "ToPrincipalStep.to_principal": "`rest`: pass what is left to the principal waterfall",
    "ResidualStep.residual": "tranche id of the subordinated tranche that takes what is left",
    # triggers
    "Trigger.id": "unique trigger id",
    "Trigger.when": "the condition (exactly one)",
    "Trigger.then": "`accelerate`: switch to the post-acceleration waterfall",
    "TriggerCondition.cumulative_default_rate_above": "fires when the pool's cumulative default "
                                                      "rate (a fraction of the original balance) "
                                                      "exceeds this",
    # simulation and rating
    "Simulation.paths": "number of Monte Carlo paths",
    "Simulation.seed": "random seed; the same seed and paths give bit-identical results",
    "Simulation.method": "plain, or importance (importance sampling for rare senior defaults)",
    "Simulation.importance": "importance-sampling settings (with method: importance)",
    "Importance.twist": "also tilt the conditional default probabilities towards the target",
    "Importance.pilot_paths": "paths of the pilot run that aims the shift",
    "Importance.defensive_share": ("share of paths drawn from the unshifted model (0 to 0.9, "
                                   "default 0.1): weights stay below 1 / share; 0 = pure shift"),
    "RatingSpec.method": "tranche_pd (default probability against the ideal table), "
                         "expected_loss, or tdr_bdr (break-even default rates)",
    "Stress.name": "the stress's name in reports",
    "Stress.recovery_delay": "a share of every recovery arriving later",
    "RecoveryDelay.share": "share (0..1) of each recovery that is delayed",
    "RecoveryDelay.months": "extra delay, in months",
    "Concentration.single_obligor": "multipliers by a single obligor's share of the pool",
    "Concentration.region": "multipliers by a region's share of the pool",
    "Concentration.industry": "multipliers by an industry's share of the pool",
    "ConcentrationStep.above": "share of the pool (a fraction) above which the multiplier "
                               "applies",
    "ConcentrationStep.multiplier": "factor on the default probabilities (1..10)",
    # sensitivities
    "Sensitivity.name": "the case's name in reports",
    "Sensitivity.pd_multiplier": "multiply every obligor's default probability (above 0, at "
                                 "most 1,000)",
    "Sensitivity.correlation_shift": "add to every correlation (or loading)",
    "Sensitivity.recovery_multiplier": "multiply every collateral's appraised value (0 to "
                                       "1,000)",
    "Sensitivity.haircut_shift": "add to every haircut mean (0.05 = 5 points more lost)",
    "Sensitivity.lag_shift": "add periods to every collateral lag",
}


def apply_descriptions(models) -> list[str]:
    """Set the description of every field named in :data:`DESCRIPTIONS` that has none, then
    rebuild the models (in the order given: nested models before those holding them).
    Returns the keys that name no field (a test keeps this empty)."""
    unknown = []
    by_name = {m.__name__: m for m in models}
    for key, text in DESCRIPTIONS.items():
        model_name, _, field_name = key.partition(".")
        model = by_name.get(model_name)
        field = None if model is None else model.model_fields.get(field_name)
        if field is None and model is not None:     # an alias (``global``)
            field = next((f for f in model.model_fields.values() if f.alias == field_name),
                         None)
        if field is None:
            unknown.append(key)
        elif not field.description:
            field.description = text
    for model in models:
        model.model_rebuild(force=True)
    return unknown
