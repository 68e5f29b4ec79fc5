"""Scenario dictionaries for tests, and loading them through the real loader."""
from __future__ import annotations

import copy

import yaml

from engine.scenario import load_scenario_text


def load(doc: dict):
    """Validate a scenario dict exactly as a file would be."""
    return load_scenario_text(yaml.safe_dump(doc, sort_keys=False))


def bullet_pool(pds, balances, rho, *, senior_share=0.9, legal_final=4, frequency="annual",
                coupon=0.0, rate=0.0, paths=100_000, seed=1, extra=None):
    """One-factor Gaussian pool of bullet loans maturing at legal final, no collateral,
    a pass-through senior and a subordinated tranche (zero coupons: pure credit)."""
    pool = sum(balances)
    doc = {
        "format": "ipabs/v1", "name": "bullet pool", "payment_frequency": frequency,
        "legal_final": legal_final,
        "obligors": [{"id": f"B{i}", "kind": "borrower", "pd": {"cumulative": [p] * legal_final}}
                     for i, p in enumerate(pds)],
        "assets": [{"id": f"L{i}", "obligor": f"B{i}", "balance": float(b), "rate": rate,
                    "term": legal_final, "amortization": "bullet"}
                   for i, b in enumerate(balances)],
        "correlation": {"uniform": rho},
        "tranches": [{"id": "A", "balance": float(senior_share * pool), "coupon": coupon},
                     {"id": "Sub", "balance": float(pool - senior_share * pool),
                      "subordinated": True}],
        "simulation": {"paths": paths, "seed": seed},
    }
    if extra:
        doc = merge(doc, extra)
    return doc


def merge(doc: dict, extra: dict) -> dict:
    out = copy.deepcopy(doc)
    out.update(copy.deepcopy(extra))
    return out
