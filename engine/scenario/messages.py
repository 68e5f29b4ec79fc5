"""Messages of the scenario checks: dotted paths, ids listed in order, the closest known id
to an unknown one and the characters that make two ids look alike."""
from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from engine.errors import Problem

#: How many known ids a message lists before it abbreviates.
MAX_LISTED = 12


class _Ids(list):
    """Ids in listed order (messages list them so) with a set's membership test: checking
    every loan of a large pool against them stays linear."""

    def __init__(self, ids: Iterable[str]):
        super().__init__(ids)
        self._known = frozenset(self)

    def __contains__(self, name: object) -> bool:
        return name in self._known


def _path(*parts: str | int) -> str:
    return ".".join(str(p) for p in parts)


def _closest(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for a near miss, else ``""``."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _total(values: Iterable[float]) -> float:
    """Exact sum of finite floats; ``inf`` if it overflows."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


#: Words of a character's name that say only how it is drawn: letters of these scripts and
#: full-width forms (a Chinese input method's ``Ａ``) look like their Latin counterparts.
_LOOKALIKE_WORDS = frozenset({"LATIN", "CYRILLIC", "GREEK", "FULLWIDTH"})


def _letter(c: str) -> str:
    """A character's name without its script: ``CAPITAL LETTER A`` for the Latin, Cyrillic
    and full-width A alike; other characters keep their whole name."""
    words = unicodedata.name(c, f"U+{ord(c):04X}").split(" ")
    while len(words) > 1 and words[0] in _LOOKALIKE_WORDS:
        words.pop(0)
    return " ".join(words)


def _lookalike(name: str, known: Iterable[str]) -> str:
    """`` ('А' looks the same: it has CYRILLIC CAPITAL LETTER A (U+0410) where 'A' has LATIN
    CAPITAL LETTER A (U+0041))`` for a known id that differs from ``name`` only by letters
    of another script, else ``""``."""
    for k in known:
        if len(k) == len(name) and k != name and \
                tuple(map(_letter, k)) == tuple(map(_letter, name)):
            return f" ({k!r} looks the same: {_difference(name, k)})"
    return ""


def _difference(a: str, b: str) -> str:
    """Where two ids that look the same differ, by the names of the characters."""
    x, y = next((x, y) for x, y in zip(a, b) if x != y)
    return (f"it has {unicodedata.name(y)} (U+{ord(y):04X}) where {a!r} has "
            f"{unicodedata.name(x)} (U+{ord(x):04X})")


def _unknown(what: str, name: str, known: Sequence[str]) -> str:
    """Message for an id that names nothing, listing (the first few) ids that exist."""
    known = list(dict.fromkeys(known))
    if not known:
        return f"unknown {what} {name!r}: the scenario has none"
    shown = ", ".join(known[:MAX_LISTED])
    more = f", ... ({len(known)} in all)" if len(known) > MAX_LISTED else ""
    hint = _lookalike(name, known) or _closest(name, known)
    return f"unknown {what} {name!r}{hint}; known: {shown}{more}"


#: How a check reports a problem (``problems.append``).
Report = Callable[[Problem], None]
