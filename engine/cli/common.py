"""What the ``ipabs`` commands share: exit codes, loading a scenario with its options, the
outputs a command may write (never one of its inputs)."""
from __future__ import annotations

from pathlib import Path

from engine.errors import InputError, ScenarioError


EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def _outputs(args, *loaded):
    """The :class:`~engine.report.files.Outputs` of this command, knowing its inputs
    (``(path, scenario)`` pairs: each scenario file and the files it named)."""
    from engine.report.files import Outputs
    from engine.scenario import scenario_files

    states = list(getattr(args, "input_states", [])) + ([args.state] if getattr(args, "state", None)
                                                        else [])
    args.outputs = Outputs([p for path, sc in loaded for p in (path, *scenario_files(sc))]
                           + states + [p for s in states for p in _state_tapes(s)])
    return args.outputs


def _state_tapes(path) -> list:
    """The tape a state file names (its ``assets_file``): an input no output may be."""
    from engine.scenario.state import load_state

    try:
        state = load_state(path)
    except (ScenarioError, OSError):
        return []                     # refused later, with its own message
    if state.assets_file is None:
        return []
    return [Path(path).parent / state.assets_file]


def _finite(doc: dict) -> dict:
    from engine.result import require_finite

    require_finite(doc)
    return doc


def _lang(args, scenario) -> str:
    from engine.report.i18n import language

    return language(scenario, getattr(args, "lang", None))


def _strict(args, scenario) -> None:
    """``--strict``: a scenario's plausibility warnings refuse the run (exit 2)."""
    if getattr(args, "strict", False) and scenario.warnings:
        raise InputError("--strict: the scenario has warnings (above); fix them or drop "
                         "--strict")


def _load(args, path=None):
    """The scenario of ``args`` (or ``path``), with ``--support`` applied."""
    from engine.scenario import load_scenario
    from engine.scenario.edit import with_convention

    scenario = with_convention(load_scenario(args.scenario if path is None else path),
                               getattr(args, "support", None))
    _strict(args, scenario)
    if getattr(args, "state", None):
        from engine.api import load_state, with_state

        if not hasattr(args, "state_obj"):
            args.state_obj = load_state(args.state)
        scenario = with_state(scenario, args.state_obj)
    return scenario
