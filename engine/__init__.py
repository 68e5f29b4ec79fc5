"""ipabs: a Monte Carlo credit-risk engine for IP-ABS (知识产权ABS).

>>> import engine
>>> sc = engine.load_scenario("scenarios/shenzhen_ip_pledge.yaml")
>>> res = engine.run(sc, paths=200_000, seed=7)
>>> res.tranches
"""
from __future__ import annotations

from engine.errors import Problem, ScenarioError, UnsupportedFeature

__all__ = ["Problem", "Result", "Scenario", "ScenarioError", "UnsupportedFeature",
           "cashflows", "load_scenario", "load_scenario_text", "run", "scenario_json_schema"]
__version__ = "0.1.0"

_LAZY = {
    "Scenario": "engine.scenario",
    "load_scenario": "engine.scenario",
    "load_scenario_text": "engine.scenario",
    "scenario_json_schema": "engine.scenario",
    "run": "engine.api",
    "cashflows": "engine.api",
    "Result": "engine.result",
}


def __getattr__(name: str):
    """Import heavy parts (numba kernels) only when they are used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
