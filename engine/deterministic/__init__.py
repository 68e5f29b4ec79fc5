"""The deterministic one-path driver: the cash kernel run once under given defaults and
recoveries (``ipabs cashflows``, break-even probes, the large-obligor test).

* :mod:`engine.deterministic.assumptions` -- named defaults, a CDR with a timing curve and a
  recovery assumption, turned into a sliced scenario;
* :mod:`engine.deterministic.run` -- :func:`run_cash` on a Plan and
  :func:`deterministic_cashflows` on a scenario.
"""
from engine.deterministic.assumptions import DefaultAssumptions
from engine.deterministic.run import (
           CashFlowReport,
           CashFlows,
           deterministic_cashflows,
           run_cash,
)

__all__ = ["CashFlowReport", "CashFlows", "DefaultAssumptions", "deterministic_cashflows",
           "run_cash"]
