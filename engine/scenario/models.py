"""The ``ipabs/v1`` scenario: :class:`Scenario`, its fields
(:class:`~engine.scenario.parts.ScenarioFields`) validated whole, the rules between
objects included (:mod:`engine.scenario.checks`), and :meth:`Scenario.with_changes`.

The models of a scenario's parts (obligors, assets, supports, tranches, ...), their
constants and helpers are defined in :mod:`engine.scenario.parts`, below the checks, and
are importable from here as well (every name this module ever had still is). This module
sits above ``parts``, ``checks``, ``edit`` and ``validation_errors``: it imports them, none
of them imports it.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.errors import Problem, ScenarioError
from engine.scenario.checks import check_scenario
from engine.scenario.descriptions import apply_descriptions
from engine.scenario import parts as _parts
from engine.scenario.edit import changed_data
from engine.scenario.parts import *  # noqa: F403  (every public part importable from here too)
from engine.scenario.parts import Id, NonNegative, Notch, ScenarioFields  # noqa: F401
from engine.scenario.validation_errors import translate_validation_error

__all__ = ["Scenario", *_parts.__all__]


#: Set while :meth:`Scenario.model_validate` runs pydantic (which calls ``__init__``).
_VALIDATING: ContextVar[bool] = ContextVar("ipabs_scenario_validating", default=False)


class Scenario(ScenarioFields):
    """One IP-ABS deal and how to analyse it (format ``ipabs/v1``).

    Build it with :func:`engine.scenario.load_scenario`, which also checks cross
    references and records the file's digest and folder.
    """

    def __init__(self, /, **data: Any) -> None:
        """Validate the fields, then the cross references (raises ScenarioError)."""
        super().__init__(**data)
        if not _VALIDATING.get():        # model_validate checks after pydantic is done
            _raise_cross_problems(self)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Scenario:
        """Validate ``obj`` fully: its shape (pydantic's ``ValidationError``) and then the
        cross references of :func:`engine.scenario.checks.check_scenario` (a
        :class:`~engine.errors.ScenarioError` listing every problem), so a scenario built
        in Python is as safe to run as one loaded from a file. ``context={"cross_checks":
        False}`` skips the second step (the loader runs it itself, to add line numbers)."""
        return cls._validated(super().model_validate, obj, args, kwargs)

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Scenario:
        """As :meth:`model_validate`, from JSON text."""
        return cls._validated(super().model_validate_json, json_data, args, kwargs)

    @classmethod
    def _validated(cls, parse, obj: Any, args: tuple, kwargs: dict) -> Scenario:
        """The one way a Scenario is validated: pydantic's ``parse`` (the shape, with the
        cross checks held back while it calls ``__init__``), then the cross checks."""
        token = _VALIDATING.set(True)
        try:
            scenario = parse(obj, *args, **kwargs)
        finally:
            _VALIDATING.reset(token)
        if (kwargs.get("context") or {}).get("cross_checks", True):
            _raise_cross_problems(scenario)
        return scenario

    def with_changes(self, changes: dict | None = None, /, **fields: Any) -> Scenario:
        """A fully validated copy with ``changes`` (see
        :func:`engine.scenario.edit.with_changes`)."""
        data = changed_data(self, changes, **fields)
        try:
            changed = Scenario.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError([Problem(".".join(str(p) for p in e.loc), e.message)
                                 for e in translate_validation_error(exc)]) from None
        changed._base_dir = self.base_dir
        changed._state = self.state
        return changed


def _raise_cross_problems(scenario: Scenario) -> None:
    """Raise :class:`~engine.errors.ScenarioError` if the cross-reference checks fail."""
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems)


def _all_models() -> list[type[BaseModel]]:
    """Every scenario model, nested ones before those that hold them (definition order)."""
    return [*_parts._all_models(), Scenario]


apply_descriptions(_all_models())
