"""Synthetic large pools for the benchmarks (built through the real loader)."""
from __future__ import annotations

import yaml

from engine.scenario import load_scenario_text

REGIONS = ("north", "south")
INDUSTRIES = ("ai", "biomedicine", "electronics")
RATINGS = ("BBB", "BBB-", "BB+", "BB")


def large_pool_doc(n_loans: int = 1000, quarters: int = 12, paths: int = 100_000) -> dict:
    """A cross-region pool with three factors (global, and one per region of two),
    equal-principal loans over ``quarters`` with pledged patents, a guarantee company on
    every loan, and a three-tranche sequential structure (A pass-through, B, subordinated)."""
    obligors = [{"id": f"B{i:04d}", "kind": "borrower", "rating": RATINGS[i % 4],
                 "region": REGIONS[i % 2], "industry": INDUSTRIES[(i // 2) % 3]}
                for i in range(n_loans)]
    obligors.append({"id": "GC", "kind": "guarantee_company", "rating": "AAA",
                     "region": "shenzhen", "industry": "guarantee"})
    assets = [{"id": f"L{i:04d}", "obligor": f"B{i:04d}", "balance": 2_000_000 + 1000 * (i % 7),
               "rate": 0.05, "term": quarters, "amortization": "equal_principal",
               "collateral": [f"P{i:04d}"]} for i in range(n_loans)]
    collateral = [{"id": f"P{i:04d}", "type": "invention_patent", "appraised_value": 5_000_000,
                   "haircut": {"mean": 0.9, "sd": 0.06}, "lag": 4, "systemic": 0.3}
                  for i in range(n_loans)]
    pool = sum(a["balance"] for a in assets)
    return {
        "format": "ipabs/v1", "name": f"{n_loans}-loan cross-region pool",
        "payment_frequency": "quarterly", "legal_final": quarters,
        "obligors": obligors, "assets": assets, "collateral": collateral,
        "credit_support": [{"id": "LG", "type": "loan_guarantee", "provider": "GC",
                            "covers": "all", "share": 0.8, "lag": 1}],
        "correlation": {"factors": {"global": 0.35, "region": {r: 0.35 for r in REGIONS}}},
        "tranches": [{"id": "A", "balance": round(0.85 * pool), "coupon": 0.025,
                      "principal": "pass_through"},
                     {"id": "B", "balance": round(0.10 * pool), "coupon": 0.04},
                     {"id": "Sub", "balance": pool - round(0.85 * pool) - round(0.10 * pool),
                      "subordinated": True}],
        "fees": [{"id": "vat", "rate": 0.0326, "base": "interest_collections"}],
        "simulation": {"paths": paths, "seed": 1},
    }


def large_pool(n_loans: int = 1000, quarters: int = 12, paths: int = 100_000):
    return load_scenario_text(yaml.safe_dump(large_pool_doc(n_loans, quarters, paths)))


def simple_pool_doc(n_loans: int = 1000, quarters: int = 12, paths: int = 200_000,
                    rho: float = 0.2, pd: float = 0.02) -> dict:
    """The pool of the speed issue: ``n_loans`` equal loans over ``quarters``, one factor
    (uniform correlation ``rho``), PD ``pd`` a year, no collateral or support, a senior and a
    subordinated tranche."""
    obligors = [{"id": f"B{i:04d}", "kind": "borrower", "pd": {"annual": pd}, "region": "r",
                 "industry": "i"} for i in range(n_loans)]
    assets = [{"id": f"L{i:04d}", "obligor": f"B{i:04d}", "balance": 1_000_000, "rate": 0.05,
               "term": quarters, "amortization": "equal_principal"} for i in range(n_loans)]
    pool = n_loans * 1_000_000
    return {
        "format": "ipabs/v1", "name": f"{n_loans}-loan one-factor pool",
        "payment_frequency": "quarterly", "legal_final": quarters,
        "obligors": obligors, "assets": assets, "correlation": {"factors": {"global": rho}},
        "tranches": [{"id": "A", "balance": round(0.8 * pool), "coupon": 0.03,
                      "principal": "pass_through"},
                     {"id": "Sub", "balance": pool - round(0.8 * pool), "subordinated": True}],
        "simulation": {"paths": paths, "seed": 1},
    }


def simple_pool(**kwargs):
    return load_scenario_text(yaml.safe_dump(simple_pool_doc(**kwargs)))
