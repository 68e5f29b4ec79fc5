"""One sensitivity's change, applied to a scenario (and to how it is compiled).

Every change keeps the obligors and collateral items (and so every random number) where
they are, so the changed deal runs on exactly the base case's paths.
"""
from __future__ import annotations

from engine.errors import Problem, ScenarioError
from engine.plan import used_obligors
from engine.scenario.edit import without_support
from engine.scenario.models import SENSITIVITY_CHANGES

CHANGE_KEYS = SENSITIVITY_CHANGES


def describe(sens) -> dict:
    """The change a sensitivity makes, as a plain dict (``{"pd_multiplier": 1.5}``)."""
    return {k: getattr(sens, k) for k in CHANGE_KEYS if getattr(sens, k) is not None}


def _max_sd(mean: float) -> float:
    return 0.999 * (mean * (1.0 - mean)) ** 0.5


def apply_change(scenario, change: dict):
    """``(changed scenario, compile_plan keyword arguments)`` for one change."""
    kwargs: dict = {}
    update: dict = {}
    for key, value in change.items():
        if key == "pd_multiplier":
            kwargs["pd_multiplier"] = value
        elif key == "correlation_shift":
            kwargs["correlation_shift"] = value
        elif key == "recovery_multiplier":
            kwargs["recovery_multiplier"] = value
        elif key == "rating_override":
            update["obligors"] = [o.model_copy(update={"rating": value[o.id], "pd": None})
                                  if o.id in value else o
                                  for o in update.get("obligors", scenario.obligors)]
        elif key == "remove_support":
            removed = without_support(scenario, value)
            update["credit_support"] = removed.credit_support
            update["assets"] = removed.assets
            # a provider left supporting nothing keeps its place in the correlation
            # structure: the deal without the support draws the base case's paths
            kwargs["also_used"] = frozenset(used_obligors(scenario))
        elif key == "haircut_shift":
            coll = []
            for c in update.get("collateral", scenario.collateral):
                mean = min(1.0, max(0.0, c.haircut.mean + value))
                sd = min(c.haircut.sd, _max_sd(mean)) if 0.0 < mean < 1.0 else 0.0
                coll.append(c.model_copy(update={"haircut": c.haircut.model_copy(
                    update={"mean": mean, "sd": sd})}))
            update["collateral"] = coll
        elif key == "lag_shift":
            update["collateral"] = [c.model_copy(update={"lag": max(0, c.lag + value)})
                                    for c in update.get("collateral", scenario.collateral)]
        else:
            raise ScenarioError(Problem("sensitivities", f"unknown change {key!r}; allowed: "
                                                         f"{', '.join(CHANGE_KEYS)}"))
    return (scenario.model_copy(update=update) if update else scenario), kwargs
