"""Derived scenarios that keep every obligor and collateral item (so every random number)
in place: the same deal with some credit support removed."""
from __future__ import annotations


def without_support(scenario, ids):
    """The scenario without the credit support entries ``ids`` (and without the commitment
    guarantees of any removed shortfall commitment)."""
    gone = set(ids)
    gone |= {s.id for s in scenario.credit_support
             if s.type == "commitment_guarantee" and s.guarantees in gone}
    if not gone:
        return scenario
    return scenario.model_copy(update={
        "credit_support": [s for s in scenario.credit_support if s.id not in gone],
        "assets": [a.model_copy(update={"support": [x for x in a.support if x not in gone]})
                   if any(x in gone for x in a.support) else a for a in scenario.assets]})


def standalone(scenario):
    """The pool and the structure alone: every credit support entry removed (subordination,
    reserve, excess spread and triggers kept)."""
    return without_support(scenario, [s.id for s in scenario.credit_support])


def with_convention(scenario, support: str | None):
    """The scenario rated by another support convention (``None``: unchanged)."""
    if support is None or support == scenario.rating.support:
        return scenario
    return scenario.model_copy(update={"rating": scenario.rating.model_copy(
        update={"support": support})})
