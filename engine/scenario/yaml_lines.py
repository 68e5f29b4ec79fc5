"""Safe YAML reading that remembers where every value came from.

This module owns turning YAML text into plain Python values (dict, list, str, int,
float, bool, None, dates) *and* a :class:`LineMap` from each value's path to its line.
It follows ``yaml.safe_load`` semantics (YAML 1.1 scalars, anchors and aliases, ``<<``
merge keys) but builds the values itself from ``yaml.compose``'s node tree, so that:

* any tag other than the standard scalar, sequence and mapping ones (``!!python/object``,
  ``!custom``, ``!!binary``, ``!!set``...) is reported, never constructed or executed;
* a key given twice in one mapping is an error, not silently overwritten;
* alias loops and alias "bombs" are reported instead of hanging;
* a document with too many values or too deep a nest is refused while it is parsed;
* a key that is not a name, and a number YAML 1.1 reads otherwise than it looks (``1:00``
  is 60, ``017`` is 15), are reported.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import Problem
from engine.limits import MAX_YAML_DEPTH, MAX_YAML_NODES

__all__ = ["LineMap", "read_yaml"]

_Y = "tag:yaml.org,2002:"
_MERGE = _Y + "merge"
_SEQ = _Y + "seq"
_MAP = _Y + "map"

_SCALARS = SafeConstructor()
_SCALAR_CONSTRUCTORS = {
    _Y + "null": _SCALARS.construct_yaml_null,
    _Y + "bool": _SCALARS.construct_yaml_bool,
    _Y + "int": _SCALARS.construct_yaml_int,
    _Y + "float": _SCALARS.construct_yaml_float,
    _Y + "str": _SCALARS.construct_yaml_str,
    _Y + "timestamp": _SCALARS.construct_yaml_timestamp,
}

#: libyaml's parser when PyYAML was built with it (same nodes and marks, much faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Alias expansion beyond this many values, and beyond 20 x the distinct nodes, is refused.
_EXPANSION_FLOOR = 100_000
_EXPANSION_RATIO = 20


class LineMap:
    """Line (1-based) of each key and sequence item, by path.

    A path is a sequence of mapping keys and list indices, e.g. ``("assets", 3, "term")``;
    elements are compared by their ``str`` so dotted paths (``"assets.3.term"``) work too.
    """

    def __init__(self) -> None:
        self._lines: dict[tuple[str, ...], int] = {}

    @staticmethod
    def _key(path: Sequence[Any]) -> tuple[str, ...]:
        return tuple(str(p) for p in path)

    def record(self, path: Sequence[Any], line: int) -> None:
        """Remember that ``path`` starts on ``line``."""
        self._lines[self._key(path)] = line

    def update(self, other: LineMap, skip: Sequence[Sequence[Any]] = ()) -> None:
        """Copy ``other``'s entries, except those under any of the ``skip`` paths."""
        skipped = [self._key(p) for p in skip]
        for key, line in other._lines.items():
            if not any(key[: len(s)] == s for s in skipped):
                self._lines[key] = line

    def line_for(self, path: Sequence[Any] | str) -> int | None:
        """Line of ``path``, or of its longest prefix that exists; ``None`` if none does."""
        key = self._key(path.split(".") if isinstance(path, str) and path else path or ())
        for n in range(len(key), 0, -1):
            line = self._lines.get(key[:n])
            if line is not None:
                return line
        return None

    def __len__(self) -> int:
        return len(self._lines)


class _YamlProblem(Exception):
    """Internal: stops the walk at the first structural problem."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path)


def _kind(value: Any) -> str:
    """How a YAML value reads, for a message: ``a number (1)``, ``no value (null)``."""
    if value is None:
        return "no value (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"the date {value.isoformat()}" if hasattr(value, "isoformat") else type(value).__name__


def _yaml11_surprise(node: ScalarNode) -> str | None:
    """Why a number YAML 1.1 reads differently from how it looks is refused: ``1:00``
    (base 60: 60) and ``017`` (octal: 15). Explicit ``0x`` / ``0b`` prefixes and ``1_000``
    mean what they say and are kept."""
    if node.tag not in (_Y + "int", _Y + "float"):
        return None
    text = node.value
    digits = text.lstrip("+-").replace("_", "")
    if ":" in text:
        how = "a base-60 (sexagesimal) number"
    elif node.tag == _Y + "int" and len(digits) > 1 and digits[0] == "0" and digits[1] not in "xb":
        how = "an octal number"
    else:
        return None
    value = _SCALAR_CONSTRUCTORS[node.tag](node)
    return (f"{text!r} is read by YAML 1.1 as {how} ({value!r}); write the number in plain "
            f"digits (e.g. {value!r}), or quote it ('{text}') if it is text")


class _Builder:
    """Builds Python values from a node tree, recording lines and refusing unsafe input."""

    def __init__(self) -> None:
        self.lines = LineMap()
        self._visits = 0
        self._distinct: set[int] = set()
        self._stack: set[int] = set()

    def build(self, node: Node, path: tuple[Any, ...], lines: LineMap) -> Any:
        """The value of ``node`` at ``path``; lines of everything inside go to ``lines``."""
        self._count(node, path)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._stack:
            raise _YamlProblem(Problem(_dotted(path), "an alias refers to a value that contains it", _line(node)))
        self._stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self._expect_tag(node, _SEQ, path)
                out = []
                for i, item in enumerate(node.value):
                    lines.record(path + (i,), _line(item))
                    out.append(self.build(item, path + (i,), lines))
                return out
            if isinstance(node, MappingNode):
                self._expect_tag(node, _MAP, path)
                return self._mapping(node, path, lines)
            raise _YamlProblem(Problem(_dotted(path), f"unexpected YAML node {type(node).__name__}", _line(node)))
        finally:
            self._stack.discard(id(node))

    def _count(self, node: Node, path: tuple[Any, ...]) -> None:
        self._visits += 1
        self._distinct.add(id(node))
        if self._visits > _EXPANSION_FLOOR and self._visits > _EXPANSION_RATIO * len(self._distinct):
            raise _YamlProblem(Problem(
                _dotted(path), "aliases expand to too many values (an alias bomb?)", _line(node)
            ))

    @staticmethod
    def _expect_tag(node: Node, tag: str, path: tuple[Any, ...]) -> None:
        if node.tag != tag:
            shown = "!!" + node.tag[len(_Y):] if node.tag.startswith(_Y) else node.tag
            raise _YamlProblem(Problem(
                _dotted(path),
                f"YAML tag {shown} is not allowed; a scenario uses plain YAML values "
                "(text, numbers, true/false, lists, mappings)",
                _line(node),
            ))

    def _scalar(self, node: ScalarNode, path: tuple[Any, ...]) -> Any:
        constructor = _SCALAR_CONSTRUCTORS.get(node.tag)
        if constructor is None:
            self._expect_tag(node, _Y + "str", path)  # raises with the tag named
        surprise = _yaml11_surprise(node)
        if surprise is not None:
            raise _YamlProblem(Problem(_dotted(path), surprise, _line(node)))
        try:
            return constructor(node)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - e.g. `!!timestamp x` fails with AttributeError
            raise _YamlProblem(Problem(
                _dotted(path), f"cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}",
                _line(node),
            )) from None

    def _key(self, node: Node, path: tuple[Any, ...]) -> str:
        if not isinstance(node, ScalarNode):
            raise _YamlProblem(Problem(
                _dotted(path), "a mapping key must be a plain value, not a list or mapping", _line(node)
            ))
        key = self._scalar(node, path)
        if not isinstance(key, str):
            raise _YamlProblem(Problem(
                _dotted(path + (node.value,)),
                f"the key {node.value!r} is read as {_kind(key)}; keys are names: quote it "
                f"('{node.value}') if it is one", _line(node)))
        return key

    def _mapping(self, node: MappingNode, path: tuple[Any, ...], lines: LineMap) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        merged_lines = LineMap()
        explicit: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._merge(value_node, path, merged, merged_lines)
                continue
            key = self._key(key_node, path)
            if key in explicit:
                raise _YamlProblem(Problem(
                    _dotted(path + (key,)), f"duplicate key {key!r} in this mapping", _line(key_node)
                ))
            lines.record(path + (key,), _line(key_node))
            explicit[key] = self.build(value_node, path + (key,), lines)
        if merged:
            lines.update(merged_lines, skip=[path + (k,) for k in explicit])
            return {**{k: v for k, v in merged.items() if k not in explicit}, **explicit}
        return explicit

    def _merge(self, node: Node, path: tuple[Any, ...], merged: dict[Any, Any], lines: LineMap) -> None:
        """``<<: *anchor`` or ``<<: [*a, *b]``: earlier sources win, explicit keys win over all."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for src in sources:
            if not isinstance(src, MappingNode):
                raise _YamlProblem(Problem(
                    _dotted(path), "a merge key (<<) needs a mapping or a list of mappings", _line(src)
                ))
            self._count(src, path)
            if id(src) in self._stack:
                raise _YamlProblem(Problem(_dotted(path), "an alias refers to a value that contains it", _line(src)))
            self._stack.add(id(src))
            try:
                sub_lines = LineMap()
                values = self._mapping(src, path, sub_lines)
            finally:
                self._stack.discard(id(src))
            new = [k for k in values if k not in merged]
            for k in new:
                merged[k] = values[k]
            lines.update(sub_lines, skip=[path + (k,) for k in values if k not in new])


_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent,
                yaml.MappingStartEvent)
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _too_big(text: str) -> Problem | None:
    """Why the document is too large or too deep (:data:`~engine.limits.MAX_YAML_NODES`,
    :data:`~engine.limits.MAX_YAML_DEPTH`) at the line where it first is, else ``None``.

    Scans the event stream (iterative in libyaml) before composing: composing builds an
    object per value and recurses, so a pathological document is refused before it can
    take minutes, gigabytes or the C stack.
    """
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, _NODE_EVENTS):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                return Problem("", f"the YAML document holds more than {MAX_YAML_NODES:,} "
                                   "values; a large pool belongs in an `assets_file` (CSV or "
                                   ".xlsx)", event.start_mark.line + 1)
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return Problem("", f"the YAML document is nested more than {MAX_YAML_DEPTH} "
                                   "levels deep", event.start_mark.line + 1)
        elif isinstance(event, _CLOSE):
            depth -= 1
    return None


def read_yaml(text: str) -> tuple[Any, LineMap, list[Problem]]:
    """Parse one YAML document safely, with the line of every value.

    Parameters
    ----------
    text
        The YAML source.

    Returns
    -------
    data, lines, problems
        The document as plain Python values (``None`` for an empty document), the
        :class:`LineMap`, and any syntax or structural problems. When ``problems`` is
        non-empty ``data`` is ``None``.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        return None, LineMap(), [Problem("", f"not valid Unicode text: {exc.reason}", line)]
    try:
        too_big = _too_big(text)
        if too_big is not None:
            return None, LineMap(), [too_big]
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        line = mark.line + 1 if mark is not None else None
        return None, LineMap(), [Problem("", f"YAML syntax error: {detail or exc}", line)]
    except yaml.YAMLError as exc:
        return None, LineMap(), [Problem("", f"YAML error: {exc}")]
    except RecursionError:
        return None, LineMap(), [Problem("", "the YAML document is nested too deeply")]
    if root is None:
        return None, LineMap(), []
    builder = _Builder()
    try:
        data = builder.build(root, (), builder.lines)
    except _YamlProblem as exc:
        return None, builder.lines, [exc.problem]
    except RecursionError:
        return None, builder.lines, [Problem("", "the YAML document is nested too deeply")]
    return data, builder.lines, []
