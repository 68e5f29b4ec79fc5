"""The scenario format's building blocks: the strict base model, field problems, basic
types (ids, shares, region labels, notches) and small helpers every part uses."""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from engine.limits import MAX_AMOUNT
from engine.rating.scale import OBLIGOR_NOTCHES


#: Seeds are 63-bit: ``0 <= seed < SEED_LIMIT``.
SEED_LIMIT = 2**63


class FieldProblem(ValueError):
    """A model-level rule broken by one field: raised inside validators.

    Pydantic reports a model validator's error at the model's own location; the loader
    appends :attr:`loc` (read back from the error's context) so the problem points at
    the key that is actually wrong, and its line.

    Parameters
    ----------
    loc
        Path of the offending key relative to the model, e.g. ``("amortization", "schedule")``.
    message
        What is wrong and what to do instead.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


#: A control character (C0 with tab and newline, DEL, C1 such as the escape sequences'
#: introducers): never part of a name, a label or an id.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Names of the control characters a user types by mistake (Unicode names none of them).
_CONTROL_NAMES = {"\t": " TAB", "\n": " LINE FEED", "\r": " CARRIAGE RETURN", "\x1b": " ESCAPE"}


def control_problem(value: Any) -> str | None:
    """Why text in ``value`` (a string, or strings in a list or mapping) cannot be taken: it
    holds a control character, which would act in a terminal, a CSV or a page instead of
    showing (None: it holds none)."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        if found is None:
            return None
        c = found.group()
        return (f"{value[:40]!r} holds U+{ord(c):04X}{_CONTROL_NAMES.get(c, '')}, a control "
                "character; text here is one line of characters that show: write it without")
    if isinstance(value, (list, tuple)):
        return next((p for p in map(control_problem, value) if p), None)
    if isinstance(value, dict):
        return next((p for k, v in value.items() for p in (control_problem(k),
                                                            control_problem(v)) if p), None)
    return None


class _Model(BaseModel):
    """Base of every scenario model: closed, immutable, strict, finite numbers only, and no
    control character in any text (:func:`control_problem`)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, populate_by_name=True
    )

    @field_validator("*", mode="after")
    @classmethod
    def _text_shows(cls, value: Any) -> Any:
        if isinstance(value, (str, list, tuple, dict)):
            problem = control_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value


def _exactly_one(model: BaseModel, names: tuple[str, ...], what: str = "") -> None:
    """Raise unless exactly one of the optional fields ``names`` is set on ``model``."""
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        keys = ", ".join(f"`{n}`" for n in names)
        got = ", ".join(given) if given else "none"
        raise ValueError(f"give exactly one of {keys}{what} (got {got})")


def count_text(n: int) -> str:
    """A whole number as a structurer reads it; an absurd one by its order of magnitude."""
    return f"{n:,}" if abs(n) < 10**15 else f"about 10^{len(str(abs(n))) - 1}"


def format_amount(x: float) -> str:
    """A number as a structurer would write it (thousands separators, no float noise)."""
    return f"{x:,.10g}" if abs(x) < 1e15 else repr(x)


def front_loading(timing: str) -> float:
    """The ``x`` of a ``front:x`` default timing (a linear tilt), in ``[-1, 1]``; a
    ValueError saying what is allowed otherwise."""
    try:
        x = float(timing.split(":", 1)[1])
    except (IndexError, ValueError):
        raise ValueError(f"timing {timing!r}: front:x needs a number x in [-1, 1]") from None
    if not -1.0 <= x <= 1.0:
        raise ValueError(f"timing {timing!r}: front-loading must be in [-1, 1], got {x:g}")
    return x


# ----------------------------------------------------------------------------- basic types

def _hidden_character(text: str) -> str | None:
    """The first character of ``text`` that does not show (a control or format character,
    a line or paragraph separator, a space other than the plain one), described."""
    for c in text:
        kind = unicodedata.category(c)
        if kind in ("Cc", "Cf", "Zl", "Zp") or (kind == "Zs" and c != " "):
            return f"U+{ord(c):04X} {unicodedata.name(c, kind)}"
    return None


def _check_id(value: str) -> str:
    hidden = _hidden_character(value)
    if hidden is not None:
        raise ValueError(f"id {value!r} holds {hidden}, which does not show: two ids that "
                         "look the same would differ; write it without")
    if value != value.strip(" "):
        raise ValueError(f"id {value!r} starts or ends with a space; write it without")
    return value


#: A non-empty identifier (obligor, asset, collateral, support, tranche, fee or trigger id)
#: of characters that show (:func:`_check_id`).
Id = Annotated[str, Field(min_length=1), AfterValidator(_check_id)]
UnitInterval = Annotated[float, Field(ge=0.0, le=1.0)]


def amount_problem(x: float) -> str | None:
    """Why a money amount is too large for ipabs (above :data:`~engine.limits.MAX_AMOUNT`)."""
    if abs(x) > MAX_AMOUNT:
        return (f"{x:.6g} is more than the largest amount ipabs accepts ({MAX_AMOUNT:.0e}); "
                "amounts are in currency units")
    return None


def _check_amount(x: float) -> float:
    problem = amount_problem(x)
    if problem is not None:
        raise ValueError(problem)
    return x


#: A money amount of a deal state: non-negative, at most :data:`~engine.limits.MAX_AMOUNT`.
Amount = Annotated[float, Field(ge=0.0), AfterValidator(_check_amount)]
NonNegative = Annotated[float, Field(ge=0.0)]
Share = Annotated[float, Field(gt=0.0, le=1.0)]
Loading = Annotated[float, Field(ge=-1.0, le=1.0)]
Correlation01 = Annotated[float, Field(ge=0.0, lt=1.0)]
#: A correlation an obligor states with others: any value a correlation can take.
StatedCorrelation = Annotated[float, Field(ge=-1.0, le=1.0)]

#: The latent correlation of a subsidiary with its ``parent`` when ``parent_correlation`` is
#: not given: a closely tied group member (a guarantee company and its SOE parent,
#: ``docs/domain.md``).
PARENT_CORRELATION_DEFAULT = 0.8


def region_nodes(label: str) -> list[str]:
    """The nodes of a region label, outermost first: ``a/b/c`` -> ``[a, a/b, a/b/c]``.

    A flat label (no ``/``) is its own single node.
    """
    parts = label.split("/")
    return ["/".join(parts[: k + 1]) for k in range(len(parts))]


def _region_problem(label: str) -> str | None:
    """Why a region label is not a valid path of segments, or ``None`` if it is."""
    if any(part == "" for part in label.split("/")):
        return (f"region {label!r} has an empty segment; write a path of names separated by "
                "single slashes, outermost first, e.g. guangdong/shenzhen/nanshan")
    return None


def _check_region_label(value: str) -> str:
    problem = _region_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A region label: a free name, or a path ``province/city/district`` (outermost first).
RegionLabel = Annotated[str, AfterValidator(_check_region_label)]


def _check_notch(value: str) -> str:
    if value not in OBLIGOR_NOTCHES:
        raise ValueError(f"unknown rating {value!r}; allowed: {', '.join(OBLIGOR_NOTCHES)}")
    return value


#: An obligor rating on the domestic notch scale (``AAA+`` .. ``C``).
Notch = Annotated[
    str,
    AfterValidator(_check_notch),
    WithJsonSchema({"type": "string", "enum": list(OBLIGOR_NOTCHES)}),
]


def _bad_choice(name: str, message: str) -> dict[str, Any]:
    """Keyword arguments for a callable :class:`Discriminator` whose input matched no branch."""
    return {"custom_error_type": f"bad_{name}", "custom_error_message": message}
