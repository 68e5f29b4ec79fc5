"""Turning pydantic's validation errors into scenario problems a structurer can act on.

This module owns the translation from a pydantic error (a location tuple with
internal union-branch names, a terse message) to a YAML path and a message that says
what is wrong and what is allowed. It walks the scenario's type tree
(:class:`~engine.scenario.parts.ScenarioFields`: the fields that
:class:`~engine.scenario.models.Scenario` validates) alongside each location, so it knows
exactly which location elements are union branch tags (dropped) and which model an
unknown key appeared in (to list the keys allowed there).
"""
from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

from engine.scenario.parts import SUPPORT_TYPES, FieldProblem, ScenarioFields

__all__ = ["Located", "translate_validation_error", "allowed_keys"]


@dataclass(frozen=True)
class Located:
    """A problem at a YAML path (keys and 0-based indices), before lines are attached."""

    loc: tuple[str | int, ...]
    message: str


# ----------------------------------------------------------------------------- type walking


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag_of(arg: Any) -> Any:
    """The tag pydantic puts in a location for one union member, if it has one."""
    if get_origin(arg) is Annotated:
        for meta in get_args(arg)[1:]:
            if isinstance(meta, Tag):
                return meta.tag
    inner = _unwrap(arg)
    if _is_model(inner) and "type" in inner.model_fields:
        lit = inner.model_fields["type"].annotation
        if get_origin(lit) is Literal:
            return get_args(lit)[0]
    return None


def _step(tp: Any, elem: Any) -> tuple[Any, bool]:
    """Descend one location element: (type below it or None, whether elem is a real path part)."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(tp) if a is not type(None)]
        for member in members:
            if _tag_of(member) == elem:
                return _unwrap(member), False
        if len(members) == 1:
            return _step(members[0], elem)
        return None, True
    if _is_model(tp):
        for name, info in tp.model_fields.items():
            if elem == name or elem == info.alias:
                return info.annotation, True
        return None, True
    if origin is list:
        return (get_args(tp)[0], True) if isinstance(elem, int) else (None, True)
    if origin is dict:
        if elem == "[key]":
            return get_args(tp)[0], False
        return get_args(tp)[1], True
    return None, True


def _walk(loc: Sequence[Any], root: Any = ScenarioFields) -> tuple[tuple[Any, ...], Any]:
    """(location without branch tags, type at the end of the location)."""
    tp: Any = root
    clean: list[Any] = []
    for k, elem in enumerate(loc):
        if tp is None:
            clean.extend(e for e in loc[k:] if e != "[key]")
            return tuple(clean), None
        tp, keep = _step(tp, elem)
        if keep and elem != "[key]":
            clean.append(elem)
    return tuple(clean), tp


def _model_at(loc: Sequence[Any], root: Any = ScenarioFields) -> type[BaseModel] | None:
    tp = _walk(loc, root)[1]
    if tp is None:
        return None
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        members = [_unwrap(a) for a in get_args(tp) if a is not type(None)]
        tp = members[0] if len(members) == 1 else None
    return tp if _is_model(tp) else None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (aliases where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]


# ----------------------------------------------------------------------------- messages


def _describe(value: Any) -> str:
    """What the file actually holds, in YAML terms."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}" if abs(value) < 10**30 else "a very large integer"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!s}"


def _number_hint(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        float(value.replace("_", ""))
    except ValueError:
        return ""
    if "e" in value.lower():
        return "; YAML reads exponents without a dot as text: write 1.0e+6, not 1e6"
    return "; remove the quotes to make it a number"


_WITH_INPUT = ("_type", "literal_error", "greater_than", "greater_than_equal", "less_than",
               "less_than_equal", "finite_number", "too_short", "too_long", "bad_", "string_too_short")


def _message(err: dict[str, Any], raw_loc: tuple[Any, ...],
             root: Any = ScenarioFields) -> tuple[str, tuple[Any, ...]]:
    """(message, extra location) for one pydantic error."""
    kind: str = err["type"]
    msg: str = err["msg"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        model = _model_at(raw_loc[:-1], root)
        if model is None:
            return "unknown key", ()
        keys = allowed_keys(model)
        near = difflib.get_close_matches(str(raw_loc[-1]), keys, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return f"unknown key; allowed: {', '.join(keys)}{hint}", ()
    if kind == "missing":
        return "missing required key", ()
    if kind == "value_error":
        error = ctx.get("error")
        if isinstance(error, FieldProblem):
            return error.message, tuple(error.loc)
        return str(error) if error is not None else msg.removeprefix("Value error, "), ()
    if kind == "union_tag_invalid":
        allowed = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown type {ctx.get('tag')!r}; allowed: {allowed}", ("type",)
    if kind == "union_tag_not_found":
        return f"missing required key `type`; allowed: {', '.join(SUPPORT_TYPES)}", ("type",)
    if kind == "model_attributes_type":
        return f"expected a mapping, got {_describe(value)}", ()
    if kind in ("model_type", "dict_type") and not isinstance(value, dict):
        return f"expected a mapping, got {_describe(value)}", ()
    if kind == "list_type":
        return f"expected a list, got {_describe(value)}", ()
    if kind == "too_short" and isinstance(value, list) and not value:
        return "must not be empty", ()
    if any(kind.endswith(s) or kind.startswith(s) for s in _WITH_INPUT):
        hint = _number_hint(value) if kind in ("float_type", "int_type") else ""
        if kind == "string_type" and isinstance(value, bool):
            hint = "; YAML reads yes/no/on/off/true/false as booleans: quote it for text"
        return f"{msg}, got {_describe(value)}{hint}", ()
    return msg, ()


def translate_validation_error(exc: ValidationError, root: Any = ScenarioFields) -> list[Located]:
    """One :class:`Located` problem per pydantic error of a Scenario validation.

    Parameters
    ----------
    exc
        The error from ``Scenario.model_validate`` (or ``root.model_validate``: another
        document, such as a deal state, read the same way).

    Returns
    -------
    list of Located
        Locations follow the YAML (keys, 0-based indices) with pydantic's union branch
        names removed; messages are readable and name what is allowed.
    """
    out: list[Located] = []
    for err in exc.errors(include_url=False):
        raw = tuple(err["loc"])
        clean, _ = _walk(raw, root)
        message, extra = _message(err, raw, root)
        if raw and raw[-1] == "[key]":
            message = f"key: {message}"
        out.append(Located(clean + extra, message))
    return out
