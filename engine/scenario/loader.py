"""Loading a scenario file: YAML -> validated :class:`~engine.scenario.models.Scenario`.

This module owns the order of the stages and how their problems are reported:

1. read the file (bytes, for the digest; a regular file of bounded size, see
   :mod:`engine.inputs`) and decode it as UTF-8;
2. parse the YAML safely with a line for every value (:mod:`.yaml_lines`);
3. bring in the tape: ``obligors_file``, ``assets_file``, ``collateral_file``, ``tape``
   (:mod:`.tape_merge`);
4. validate the models (:mod:`.models`), translating pydantic's errors
   (:mod:`.validation_errors`);
5. if the models are valid, run the cross-reference checks (:mod:`.checks`);
6. read the rating table a scenario names, so a bad table is a load error too.

Every problem found in a stage is collected and raised together as one
:class:`~engine.errors.ScenarioError`; nothing else is raised for a bad file.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import Problem, ScenarioError, ScenarioWarning
from engine.inputs import read_user_text
from engine.rating.tables import resolve_table
from engine.scenario.checks import check_scenario
from engine.scenario.models import Scenario
from engine.scenario.plausibility import plausibility_warnings
from engine.scenario.tape_merge import TAPE_KEYS, TapeSources, merge_tapes
from engine.scenario.validation_errors import translate_validation_error
from engine.scenario.yaml_lines import LineMap, read_yaml

__all__ = ["load_scenario", "load_scenario_text", "scenario_files"]


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load, validate and cross-check a scenario file.

    Parameters
    ----------
    path
        The ``ipabs/v1`` YAML file. Relative paths inside it (``assets_file``,
        ``rating.table``) are relative to its folder.

    Returns
    -------
    Scenario
        With :attr:`Scenario.sha256` (digest of the file's bytes) and
        :attr:`Scenario.base_dir` (its folder) set, and ``assets`` always populated.

    Raises
    ------
    ScenarioError
        Listing every problem found (path, message, line), for any unreadable or
        invalid file.
    """
    source = os.fspath(path)
    text, raw = read_user_text(source)
    return _load(text, source, Path(source).absolute().parent, hashlib.sha256(raw).hexdigest())


def load_scenario_text(text: str, source: str = "<string>", base_dir: Path | None = None) -> Scenario:
    """Load, validate and cross-check a scenario given as YAML text.

    Parameters
    ----------
    text
        The YAML document.
    source
        A name for messages (e.g. the file it came from).
    base_dir
        Folder for relative paths (``assets_file``); without it ``assets_file`` is an error.

    Returns
    -------
    Scenario
        With :attr:`Scenario.sha256` set to the digest of ``text`` encoded as UTF-8.

    Raises
    ------
    ScenarioError
        Listing every problem found.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _load(text, source, Path(base_dir) if base_dir is not None else None, digest)


def scenario_files(scenario: Scenario) -> list[Path]:
    """The files a loaded scenario named and were read with it (its tape: ``obligors_file``,
    ``assets_file``, ``collateral_file``, ``tape``; a rating table CSV), as paths under its
    folder."""
    base = scenario.base_dir
    names = [*(getattr(scenario, key) for key in TAPE_KEYS),
             None if scenario.rating.table == "domestic" else scenario.rating.table]
    return [base / n for n in names if n and base is not None]


# ----------------------------------------------------------------------------- stages


class _Report:
    """Collects problems, attaching YAML lines and tape positions (file, sheet, row,
    column)."""

    def __init__(self, lines: LineMap, sources: TapeSources | None = None):
        self.lines = lines
        self.sources = sources
        self.problems: list[Problem] = []

    def add(self, loc: tuple[Any, ...] | str, message: str) -> None:
        parts: tuple[Any, ...] = tuple(loc.split(".")) if isinstance(loc, str) else tuple(loc)
        if isinstance(loc, str) and not loc:
            parts = ()
        found = None
        if self.sources is not None:
            found, message = self.sources.locate(parts), self.sources.named(message)
        if found is not None:          # an item read from a tape: point at its row and column
            key, where = found
            self.problems.append(Problem(key, f"{where}: {message}", self.lines.line_for((key,))))
            return
        path = ".".join(str(p) for p in parts)
        self.problems.append(Problem(path, message, self.lines.line_for(parts)))

    def raise_if_any(self, source: str) -> None:
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: (p.line is None, p.line or 0))
            raise ScenarioError(ordered, source=source)


def _read_rating_table(scenario: Scenario, base_dir: Path | None, report: _Report) -> None:
    """Read and check the rating table now, so that `validate` sees what a run would."""
    if scenario.rating.table == "domestic" or base_dir is None:
        return
    try:
        resolve_table(scenario.rating.table, base_dir)
    except ScenarioError as exc:
        for problem in exc.problems:
            report.add(("rating", "table"), problem.message)


#: Other ipabs documents a scenario's place may be given by mistake, and what to do.
_OTHER_DOCUMENTS = {
    "ipabs-book/v1": ("a guarantor's book of deals", "run it with `ipabs book FILE`"),
    "ipabs-state/v1": ("a deal's state", "give it as `--state FILE` with its scenario"),
    "ipabs-golden/v1": ("a golden result", "`ipabs check FOLDER` reads it beside its scenario"),
}


def _load(text: str, source: str, base_dir: Path | None, digest: str) -> Scenario:
    data, lines, problems = read_yaml(text)
    if problems:
        raise ScenarioError(problems, source=source)
    if data is None:
        raise ScenarioError(
            Problem("", "the document is empty; a scenario starts with `format: ipabs/v1`"), source=source
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r})"
        raise ScenarioError(
            Problem("", f"a scenario is a mapping of keys (format, name, ...), not {kind}", 1), source=source
        )
    fmt = data.get("format")
    other = _OTHER_DOCUMENTS.get(fmt) if isinstance(fmt, str) else None
    if other is not None:
        what, todo = other
        raise ScenarioError(Problem("format", f"this is {what}, not a scenario (`format: "
                                              f"ipabs/v1`): {todo}", lines.line_for(("format",))),
                            source=source)
    data = dict(data)
    report = _Report(lines)
    report.sources = merge_tapes(data, base_dir, report.add)
    try:
        scenario = Scenario.model_validate(data, context={"cross_checks": False})
    except ValidationError as exc:
        for located in translate_validation_error(exc):
            if located.loc[:1] and located.loc[0] in report.sources.failed:
                continue  # already reported why this list is unusable
            report.add(located.loc, located.message)
        if not report.problems:  # every error was about a list already reported; be safe
            report.add((), "the scenario is invalid")
        report.raise_if_any(source)
    report.raise_if_any(source)
    for problem in check_scenario(scenario):
        report.add(problem.path, problem.message)
    report.raise_if_any(source)
    _read_rating_table(scenario, base_dir, report)
    report.raise_if_any(source)
    _warn_assumptions(scenario, lines, source)
    scenario._sha256 = digest
    scenario._base_dir = base_dir
    return scenario


def _warn_assumptions(scenario: Scenario, lines: LineMap, source: str) -> None:
    """Warn (:class:`~engine.errors.ScenarioWarning`) where a left-out key silently decides
    something a term sheet states (a non-subordinated tranche without ``principal`` is paid
    pass-through) and where a value is likely a slip
    (:func:`engine.scenario.plausibility.plausibility_warnings`); the messages, with their
    lines, also stay on the scenario (``Scenario.warnings``) for the result and the report."""
    found = []
    for i, tranche in enumerate(scenario.tranches):
        if tranche.principal is None and not tranche.subordinated:
            found.append(Problem(f"tranches.{i}.principal",
                                 f"not given, so tranche {tranche.id!r} is paid pass-through "
                                 "(principal as collected, all of it owed at legal final); "
                                 "write `principal: pass_through` to say so, or `bullet: "
                                 "PERIOD` / `schedule: [...]`", lines.line_for(("tranches", i))))
    for p in plausibility_warnings(scenario):
        path = tuple(int(x) if x.isdigit() else x for x in p.path.split("."))
        found.append(Problem(p.path, p.message, lines.line_for(path)))
    messages = []
    for p in found:
        where = f"{source}: {p.path}" + (f" (line {p.line})" if p.line else "")
        messages.append(f"{where}: {p.message}")
        warnings.warn(ScenarioWarning(messages[-1]), stacklevel=3)
    scenario._warnings = tuple(messages)
