"""The codes the Plan writes and the kernels read: kinds of credit support, fee, recovery
sharing and trigger, the steps of a payment program (plain integers, so the kernels compare
them cheaply), and the half-cent rounding rule."""
from __future__ import annotations

from engine.scenario import supports

# Kinds of credit support: each type's code in the registry (engine.scenario.supports).
SUP_LOAN_GUARANTEE = supports.LoanGuarantee.code                # 连带责任保证担保
SUP_BANK_GUARANTEE = supports.BankGuarantee.code                # 银行保函
SUP_SHORTFALL = supports.ShortfallCommitment.code               # 差额支付承诺
SUP_COMMITMENT_GUARANTEE = supports.CommitmentGuarantee.code
SUP_RISK_COMPENSATION = supports.RiskCompensation.code          # 风险补偿资金池
SUP_IP_INSURANCE = supports.IPInsurance.code                    # 知识产权保险

# Kinds of fee.
FEE_SHARE_OF_INTEREST = 0  # rate x interest collections of the period
FEE_SENIOR_BALANCE = 1     # rate / periods-per-year x non-subordinated balance
FEE_POOL_BALANCE = 2       # rate / periods-per-year x performing pool balance
FEE_AMOUNT = 3             # fixed amount per period

# Who collateral recoveries of a loan go to first, per asset-level support (recovery_sharing).
SHARE_CREDITOR_FIRST = 0   # the noteholders up to what they are owed (Civil Code art. 700)
SHARE_PRO_RATA = 1
SHARE_GUARANTOR_FIRST = 2


# Kinds of trigger (each fires `accelerate`).
TRIG_CUMULATIVE_DEFAULT_RATE = 0
TRIG_INTEREST_SHORTFALL = 1
TRIG_PROVIDER_DEFAULT = 2

# Steps of a payment program (rows ``(op, argument)``; engine/waterfall/program.py compiles them).
OP_FEES = 0           # every fee in listed order (due + arrears)
OP_INTEREST = 1       # coupon of the tranches of group ``arg`` (pro rata)
OP_TO_PRINCIPAL = 2   # the rest of the interest account goes to the principal account
OP_PRINCIPAL = 3      # principal of the tranches of group ``arg`` (pro rata)
OP_RESIDUAL = 4       # everything left to tranche ``arg`` once the notes are repaid
OP_RESERVE_TOP_UP = 5  # refill the reserve account up to its target
OP_REIMBURSE = 6      # pay back commitment providers, once the notes are repaid

#: Amounts owed below half a cent are rounding: no top-up is made for them.
ROUNDING = 0.005

OP_NAMES = ("fees", "interest", "to_principal", "principal", "residual", "reserve_top_up",
            "reimbursement")

# What a default of an asset sets in motion (``Pool.asset_class``).
ASSET_SLOT = 0        # collateral or support: its own slot (recoveries, claims)
ASSET_PLAIN = 1       # neither: only counted by schedule row and date; loses its principal
ASSET_PAST = 2        # defaulted before the first simulated date (a tracked deal's state)
