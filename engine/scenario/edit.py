"""Derived scenarios that keep every obligor and collateral item (so every random number)
in place: the same deal with some credit support removed, or with changes.

This module sits below :mod:`engine.scenario.models`: it never builds a ``Scenario`` itself
(:func:`without_support` and the others copy the one they are given; :func:`changed_data`
returns the plain data that :meth:`~engine.scenario.models.Scenario.with_changes`
validates).
"""
from __future__ import annotations

from pydantic import BaseModel

from engine.errors import Problem, ScenarioError


def without_support(scenario, ids):
    """The scenario without the credit support entries ``ids`` (and without the commitment
    guarantees of any removed shortfall commitment)."""
    gone = set(ids)
    gone |= {s.id for s in scenario.credit_support
             if s.guaranteed() in gone}
    if not gone:
        return scenario
    return scenario.model_copy(update={
        "credit_support": [s for s in scenario.credit_support if s.id not in gone],
        "assets": [a.model_copy(update={"support": [x for x in a.support if x not in gone]})
                   if any(x in gone for x in a.support) else a for a in scenario.assets]})


def canonical(scenario):
    """The scenario with its obligors, assets and collateral (and each asset's pledged
    items) in the order of their ids, however the file lists them: the order the engine
    simulates and sums in, so that reordering a list changes no bit of a result. Credit
    support, fees and tranches keep their order (it is their priority)."""
    if (_is_sorted(scenario.obligors) and _is_sorted(scenario.assets)
            and _is_sorted(scenario.collateral)
            and all(list(a.collateral) == sorted(a.collateral) for a in scenario.assets)):
        return scenario
    assets = [a if list(a.collateral) == sorted(a.collateral)
              else a.model_copy(update={"collateral": sorted(a.collateral)})
              for a in sorted(scenario.assets, key=_id)]
    return scenario.model_copy(update={"obligors": sorted(scenario.obligors, key=_id),
                                       "assets": assets,
                                       "collateral": sorted(scenario.collateral, key=_id)})


def _id(item) -> str:
    return item.id


def _is_sorted(items) -> bool:
    return all(items[k].id < items[k + 1].id for k in range(len(items) - 1))


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


def _plain(value):
    """Models (and lists of them) as the plain data the YAML would hold."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _set_path(data: dict, path: str, value) -> None:
    """Set ``data[a][b]...`` for the dotted ``path``; a list item is named by its index or by
    its ``id`` (``tranches.A.balance``)."""
    parts = path.split(".")
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[:depth + 1])
        if isinstance(node, list):
            if part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
                key = int(part)
            else:
                ids = [item.get("id") for item in node if isinstance(item, dict)]
                if part not in ids:
                    raise ScenarioError(Problem(where, f"no item {part!r} here; give an index "
                                                      f"or one of the ids: {', '.join(map(str, ids))}"))
                key = ids.index(part)
        elif isinstance(node, dict):
            key = part
            if not last and key not in node:
                node[key] = {}
        else:
            raise ScenarioError(Problem(where, "is a single value, not a mapping or a list"))
        if last:
            node[key] = value
        else:
            if node[key] is None:
                node[key] = {}
            node = node[key]


def changed_data(scenario, changes: dict | None = None, /, **fields) -> dict:
    """``scenario`` as plain data (the YAML it would be) with ``changes`` made: dotted paths
    to new values and top-level ``fields`` (see :func:`with_changes`); a bad path is a
    :class:`~engine.errors.ScenarioError`. Nothing is validated here."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    for path, value in {**(changes or {}), **fields}.items():
        _set_path(data, path, _plain(value))
    if data.get("assets_file") is not None and "assets" in data:
        data.pop("assets_file")          # the assets were read already; keep them
    return data


def with_changes(scenario, changes: dict | None = None, /, **fields):
    """A copy of ``scenario`` with changes, validated like a file: the fields' shapes and
    every cross reference (tranches that fit the pool, ids that exist, a valid correlation).

    Parameters
    ----------
    scenario : engine.Scenario
    changes : dict, optional
        Dotted paths to new values: ``{"tranches.A.balance": 150e6,
        "obligors.GC.rating": "AA", "simulation.paths": 50_000}``; a list item is named by
        its ``id`` or its index. Values are plain data (numbers, strings, dicts, lists) or
        scenario models.
    **fields
        Top-level fields by name (``legal_final=12``, ``tranches=[...]``).

    Returns
    -------
    engine.Scenario
        Validated; ``base_dir`` kept (so ``assets_file`` and a rating table still resolve),
        ``sha256`` ``None`` (the scenario no longer matches a file).

    Raises
    ------
    ScenarioError
        Listing every problem (the dotted paths as in ``ipabs validate``).

    Examples
    --------
    >>> bigger = with_changes(sc, {"tranches.A.balance": 200e6, "tranches.Sub.balance": 6e6})
    >>> [engine.run(with_changes(sc, {"obligors.GC.rating": g})) for g in ("AAA", "AA+", "AA")]
    """
    return scenario.with_changes(changes, **fields)
