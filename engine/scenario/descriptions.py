"""What each scenario key means (the one place for it: the models give none): units,
ranges and the domestic term. Applied to the models' fields at import
(:func:`apply_descriptions`), so they show in ``ipabs schema`` (and an editor's tooltips)
and in ``Model.model_fields``. A test checks that every key of the schema has one.
"""
from __future__ import annotations

from engine.scenario.base import PARENT_CORRELATION_DEFAULT
from engine.scenario.supports import SUPPORT_MODELS

#: ``"Model.field"`` -> description.
DESCRIPTIONS: dict[str, str] = {
    # the keys the models once described beside their fields (one place now)
    "PD.cumulative": "cumulative PD at the end of periods 1, 2, ...",
    "CorrelationWith.pool": (
        "latent correlation with every obligor that owes an asset of the pool (other than "
        "itself)"),
    "CorrelationWith.obligors": "obligor id -> latent correlation with that obligor",
    "Obligor.entity": (
        "the real firm (a registry code such as the unified social credit code, 统一社会信用代码): "
        "obligors of the same entity are one name across the deals of a book (`ipabs book`); "
        "its random numbers follow the entity"),
    "Obligor.region": (
        "a free label, or a path outermost first (guangdong/shenzhen/nanshan): in a pairwise "
        "table two obligors share a region when one path contains the other, segment by "
        "segment"),
    "Obligor.industry": "a free label, compared whole",
    "Obligor.correlation_with": (
        "latent correlations this obligor states with the pool's obligors (`pool: x`) or "
        "named obligors (`obligors: {id: x}`), overriding the pairwise / uniform correlation "
        "for those pairs"),
    "Obligor.parent": (
        "obligor id of this obligor's parent (e.g. the SOE shareholder of a guarantee "
        "company): ties the two with parent_correlation"),
    "Obligor.parent_correlation": (
        f"latent correlation with `parent` (default {PARENT_CORRELATION_DEFAULT})"),
    "Obligor.capacity": (
        "capital a provider can lose on this deal; it stops paying (and defaults, unless "
        "default_on_exhaustion is false) once its payments reach it"),
    "Asset.term": "periods to final payment",
    "Asset.support": "ids of the asset-level supports covering it",
    "Asset.prepayment": "constant annual prepayment rate (CPR), 0 for none",
    "Collateral.lag": "periods from the obligor's default to the cash",
    "Collateral.pledgee": (
        "pool: recoveries go to the noteholders (shared with guarantors by their "
        "recovery_sharing); guarantor: a counter-pledge (反担保) to the loan's guarantor, never "
        "reaching the pool"),
    "Pairwise.same_parent_region": (
        "labels that share a leading segment, neither containing the other (default: treated "
        "as different regions)"),
    "Pairwise.same_parent_region_same_industry": (
        "as same_parent_region, with the same industry too (default: the larger of "
        "same_parent_region and same_industry)"),
    "Factors.region": "region label or path node -> loading",
    "Correlation.dof": (
        "degrees of freedom, student_t only (2 < dof <= 1,000; above a few dozen it is the "
        "Gaussian copula)"),
    "Correlation.repair": (
        "`nearest`: replace a non-PSD pairwise matrix (or uniform one with correlations "
        "stated on obligors) by the nearest one"),
    "_SupportBase.provider": "obligor id of the provider",
    "_SupportBase.cap": "aggregate cap, in currency",
    "_SupportBase.fee": (
        "annual rate on what it covers, paid outside the deal (a design cost: `ipabs sweep` "
        "reports it)"),
    "_GuaranteeBase.covers": "`all` or a list of asset ids",
    "_GuaranteeBase.recovery_sharing": (
        "who collateral recoveries of a loan it paid on go to first: the noteholders up to "
        "what they are still owed (creditor_first, Civil Code art. 700), both in proportion "
        "to their claims (pro_rata), or the provider up to what it paid (guarantor_first)"),
    "ShortfallCommitment.covers": "tranche ids",
    "ShortfallCommitment.reimbursed": (
        "what the provider (or a guarantee of it) paid is owed back, ranked after the "
        "non-subordinated tranches and before any subordinated payment (the `reimbursement` "
        "step)"),
    "CommitmentGuarantee.guarantees": "id of a shortfall_commitment",
    "RiskCompensation.provider": "sponsor obligor id; omitted: riskless",
    "RiskCompensation.size": "the fund, in currency",
    "IPInsurance.deductible": "per asset, in currency",
    "IPInsurance.limit": "per asset, in currency",
    "BulletPrincipal.bullet": "period at which the balance is due",
    "Tranche.interest": (
        "current: any interest not paid on its date is a default; deferrable: unpaid "
        "interest is carried as arrears (paid first when cash allows), a default only if "
        "unpaid at legal final"),
    "Tranche.default_at": (
        "expected_maturity: principal not repaid at its scheduled final date (bullet or last "
        "instalment) is a default"),
    "Tranche.rated": (
        "false: simulated and reported but carries no rating (market practice for "
        "subordinated tranches)"),
    "ReserveTarget.share_of_senior": "share of the non-subordinated balance",
    "Reserve.initial": "amount funded at closing",
    "Reserve.target": "amount to keep, or {share_of_senior: x}",
    "Reserve.covers": "tranches whose interest it pays; default the non-subordinated ones",
    "TriggerCondition.interest_shortfall": "tranche id",
    "TriggerCondition.provider_default": "obligor id",
    "Importance.target": "tranche whose default to aim at",
    "Importance.shift": "factor name -> mean shift (standard deviations)",
    "Stress.recovery_multiplier": "scales collateral values (0 to 1,000)",
    "Stress.timing": "default timing: uniform or front:x (linear tilt, -1 <= x <= 1)",
    "Stress.spread_shift": "added to every asset's rate (per annum)",
    "RatingSpec.support": (
        "substitution (the market's convention, the agencies' counterparty rule): the best "
        "of the standalone rating and, per supporter grade, the grade of a run where "
        "supporters at that grade or better pay as documented and the others default from "
        "the start, capped at that grade; joint_default: the full simulation with supporters "
        "as correlated obligors; standalone: the pool and structure alone"),
    "RatingSpec.table": "`domestic` or a CSV path relative to the scenario",
    "RatingSpec.stresses": (
        "tdr_bdr stress grid; default: the small-business grid of docs/domain.md"),
    "RatingSpec.concentration": "concentration default multipliers (off by default)",
    "RatingSpec.large_obligor_test": (
        "cap AAAsf at AA+sf unless the tranche survives the largest sub-AAA obligors "
        "defaulting with 5% recovery"),
    "Sensitivity.rating_override": "obligor id -> notch",
    "Sensitivity.remove_support": "credit support ids",
    "ReportStress.largest_borrowers": (
        "how many of the largest borrowers (by balance owed to the pool) default; 0 for no "
        "stressed run, more than the pool has for all of them (at most 10,000)"),
    "ReportStress.period": "the payment period in which they default (at most legal_final)",
    "ReportSpec.language": (
        "en: English; zh: Chinese headings, labels and terminal text with the domestic terms "
        "(优先级, 次级, 差额支付承诺, 违约概率, ...). `--lang` on the command line overrides it"),
    "ReportSpec.stress": "the stressed cash-flow run",
    "Dates.closing": "closing date (period 0)",
    "Dates.first_payment": "the first payment date; default: closing plus one period",
    "Dates.day_count": "tranches' and fees' interest: balance x rate x year fraction",
    "Dates.asset_day_count": "the assets' interest (the PRC loan convention 日利率 = 年利率/360)",
    "ScenarioFields.legal_final": "legal final maturity, in periods",
    "ScenarioFields.assets_file": (
        "the assets as a tape: a CSV file or an Excel workbook (the sheet `assets` / 基础资产, "
        "else the first visible one) with the YAML fields as columns, relative to the "
        "scenario's folder; instead of `assets`"),
    "ScenarioFields.obligors_file": (
        "more obligors from a tape: a CSV file or an Excel workbook (the sheet `obligors` / "
        "借款人, else the first visible one), the YAML fields as columns (`pd.annual`, ...); "
        "added after the `obligors` list, ids not repeated"),
    "ScenarioFields.collateral_file": (
        "more collateral from a tape: a CSV file or an Excel workbook (the sheet "
        "`collateral` / 质押物, else the first visible one), the YAML fields as columns "
        "(`haircut.mean`, ...); added after the `collateral` list, ids not repeated"),
    "ScenarioFields.tape": (
        "one Excel workbook holding the lists: sheets `obligors` / 借款人, `assets` / 基础资产 and "
        "`collateral` / 质押物, each optional, the YAML fields as columns; relative to the "
        "scenario's folder (`ipabs template` writes a blank one)"),
    "ScenarioFields.tranches": "most senior first",
    "ScenarioFields.dates": "calendar dates and day counts (optional)",
    "ScenarioFields.loss_order": (
        "the order in which a defaulted asset's loss is met after its collateral (bank "
        "guarantees rank with loan guarantees); kinds not listed follow in their default "
        "order"),
    "ScenarioFields.allow_high_rates": (
        "accept coupons, asset rates and fee rates above 100% a year (refused otherwise, as "
        "a likely typo for a percentage)"),
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
    """Set the description of every field named in :data:`DESCRIPTIONS` (``Model.field``;
    a base class's key describes the field in every model that inherits it, unless a more
    derived key does), then rebuild the models (in the order given: nested models before
    those holding them). Returns the keys that name no field (a test keeps this empty)."""
    unknown = []
    by_name = {m.__name__: m for m in models}
    depth = lambda key: -len(by_name[key.partition(".")[0]].__mro__) \
        if key.partition(".")[0] in by_name else 0  # noqa: E731
    for key in sorted(DESCRIPTIONS, key=depth):              # the most derived first
        model_name, _, field_name = key.partition(".")
        base = by_name.get(model_name)
        found = False
        for model in ([] if base is None else [m for m in models if issubclass(m, base)]):
            field = model.model_fields.get(field_name) or next(
                (f for f in model.model_fields.values() if f.alias == field_name), None)
            if field is not None:
                found = True
                if not field.description:
                    field.description = DESCRIPTIONS[key]
        if not found:
            unknown.append(key)
    for model in models:
        model.model_rebuild(force=True)
    return unknown
