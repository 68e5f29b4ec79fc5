"""ipabs: a Monte Carlo credit-risk engine for IP-ABS (知识产权ABS).

>>> import engine
>>> sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
>>> res = engine.run(sc, paths=200_000, seed=7)
>>> res.tranches
>>> engine.sensitivity(sc, {"PD x1.5": {"pd_multiplier": 1.5}}, paths=50_000)
>>> engine.run(engine.with_changes(sc, {"tranches.A.balance": 190e6,
...                                     "tranches.Sub.balance": 16e6}))

See ``docs/python.md``.
"""
from __future__ import annotations

__all__ = ["Problem", "Result", "Scenario", "ScenarioError", "UnsupportedFeature",
           "book", "cashflows", "compare", "load_scenario", "load_scenario_text", "load_state", "run",
           "state_after", "track", "with_state",
           "scenario_json_schema", "sensitivity", "size_tranche", "sweep", "with_changes"]
__version__ = "0.1.0"

_LAZY = {      # nothing is imported with the package: ``ipabs`` starts in a few milliseconds
    "Problem": "engine.errors",
    "ScenarioError": "engine.errors",
    "UnsupportedFeature": "engine.errors",
    "Scenario": "engine.scenario",
    "load_scenario": "engine.scenario",
    "load_scenario_text": "engine.scenario",
    "scenario_json_schema": "engine.scenario",
    "run": "engine.api",
    "load_state": "engine.api",
    "with_state": "engine.api",
    "state_after": "engine.api",
    "track": "engine.analysis.tracking",
    "cashflows": "engine.api",
    "sensitivity": "engine.api",
    "compare": "engine.api",
    "size_tranche": "engine.api",
    "sweep": "engine.api",
    "with_changes": "engine.api",
    "Result": "engine.result",
    "book": "engine.books",
}


def __getattr__(name: str):
    """Import heavy parts (numba kernels) only when they are used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
