"""Errors the engine raises for bad input, and how they print.

Every input problem is a :class:`Problem` (field path, message, line). A
:class:`ScenarioError` carries all problems found in one scenario, so a
structurer fixes a file in one pass. The CLI maps these to exit status 2.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (dotted path, line) and why."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<document>"
        suffix = f" (line {self.line})" if self.line is not None else ""
        return f"{where}: {self.message}{suffix}"


class ScenarioError(ValueError):
    """A scenario (or other user input) is invalid; holds every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(str(p) for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{head}{n} problem{'s' if n != 1 else ''}\n{lines}")


class UnsupportedFeature(ScenarioError):
    """A valid scenario asks for something this engine version does not simulate yet."""


class InputError(ValueError):
    """Bad input that is not a scenario file: a command-line option, an output path, a
    file the scenario names, a Dask scheduler that does not answer. The CLI exits 2."""


class ScenarioWarning(UserWarning):
    """A valid scenario that leaves something out whose default changes its meaning (the
    warning says what was assumed and how to state it)."""
