"""What expressions compute with: JSON-like values, and SpEL's rules for them.

A value is ``None``, ``bool``, ``int``, ``float``, ``str``, a ``Mapping`` (a map;
keys are looked up, never attributes), a ``list``/``tuple`` (a list), a
:class:`MapEntry` (an element while selecting or projecting over a map) or a
:class:`StageView`. Anything else reached through the scope is refused, so no
Python object's attributes or methods are ever reachable from user text.

The conversions follow what Spinnaker users see from SpEL running on the JVM:

- :func:`to_text` is Spring's ``TypeConverter`` to ``String``, used by string
  concatenation and templates: ``true``, ``1.0``, ``1.0E10``; a list becomes its
  elements joined by ``,``; a map prints as Java's ``{a=1, b=2}``.
- :func:`java_string` is Java's ``toString()``: lists print as ``[a, b]``.
- :func:`to_condition` is SpEL's boolean conversion for ``and``/``or``/``!`` and
  ``?:``: booleans, and the strings ``true/false/yes/no/on/off/1/0``.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workflows.expressions.errors import SpelError
from workflows.expressions.limits import Budget

__all__ = [
    "MapEntry",
    "StageView",
    "format_double",
    "is_list",
    "is_number",
    "java_string",
    "kind_of",
    "plain_str",
    "spel_compare",
    "spel_equals",
    "to_condition",
    "to_plain",
    "to_text",
]

_CHARS_PER_STEP = 16
_TRUE_WORDS = frozenset({"true", "on", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "off", "no", "0"})


@dataclass(frozen=True, slots=True)
class MapEntry:
    """One entry of a map, the element SpEL gives selections over maps."""

    key: Any
    value: Any


class StageView(Mapping[str, Any]):
    """A stage as ``#stage`` returns it: the caller's view plus Orca's helpers.

    ``hasSucceeded`` (status ``SUCCEEDED``) and ``hasFailed`` (status
    ``TERMINAL``) are added, as Orca's ``StageExecution`` getters, unless the
    view already carries those keys. They are not listed among the keys, so
    copying the stage out yields exactly the caller's view.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        status = self._data.get("status")
        status = plain_str(status) if isinstance(status, str) else status
        if key == "hasSucceeded":
            return status == "SUCCEEDED"
        if key == "hasFailed":
            return status == "TERMINAL"
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def plain_str(value: str) -> str:
    """``value`` as an exact ``str`` (a ``str``-based enum becomes its value)."""
    # str.__str__ returns the characters themselves, whatever the subclass's
    # own __str__ or __format__ would print.
    return value if type(value) is str else str.__str__(value)


def is_number(value: object) -> bool:
    """True for ``int`` and ``float`` but not ``bool`` (SpEL keeps them apart)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_list(value: object) -> bool:
    """True for the list types an expression may see (``list``, ``tuple``)."""
    return isinstance(value, (list, tuple))


def kind_of(value: object) -> str:
    """The name of a value's type, as error messages show it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, StageView):
        return "stage"
    if isinstance(value, Mapping):
        return "map"
    if is_list(value):
        return "list"
    if isinstance(value, MapEntry):
        return "map entry"
    return f"unsupported value ({type(value).__name__})"


def format_double(value: float) -> str:
    """Java's ``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.5E-4``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    # Scientific notation from the shortest round-trip digits, as Java prints.
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    text_digits = "".join(map(str, digits)).rstrip("0") or "0"
    exp10 = len(digits) - 1 + exponent
    mantissa = text_digits[0] + "." + (text_digits[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{exp10}"


def _enter(depth: int, budget: Budget) -> int:
    if depth >= budget.limits.max_value_depth:
        raise SpelError(f"value is nested more than {budget.limits.max_value_depth} levels deep")
    budget.charge()
    return depth + 1


def to_text(value: Any, budget: Budget, depth: int = 0) -> str:
    """Spring's conversion of a value to ``String`` (concatenation, templates)."""
    if isinstance(value, str):
        budget.string(len(value))
        return plain_str(value)
    if is_list(value):
        depth = _enter(depth, budget)
        return ",".join("null" if e is None else to_text(e, budget, depth) for e in value)
    return java_string(value, budget, depth)


def java_string(value: Any, budget: Budget, depth: int = 0) -> str:
    """Java's ``toString()`` of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, str):
        budget.string(len(value))
        return plain_str(value)
    if isinstance(value, MapEntry):
        depth = _enter(depth, budget)
        return f"{java_string(value.key, budget, depth)}={java_string(value.value, budget, depth)}"
    if isinstance(value, Mapping):
        depth = _enter(depth, budget)
        budget.collection(len(value))
        inner = ", ".join(
            f"{java_string(k, budget, depth)}={java_string(v, budget, depth)}"
            for k, v in value.items()
        )
        return "{" + inner + "}"
    if is_list(value):
        depth = _enter(depth, budget)
        budget.collection(len(value))
        return "[" + ", ".join(java_string(e, budget, depth) for e in value) + "]"
    raise SpelError(f"{kind_of(value)} cannot be used in an expression")


def to_condition(value: Any, what: str) -> bool:
    """SpEL's conversion of an operand to ``boolean``.

    Args:
        value: The operand.
        what: What the operand is for (``"'and'"``, ``"the ternary condition"``).

    Raises:
        SpelError: For null, numbers, collections and unrecognised strings.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise SpelError(f"{what} needs a boolean, but got the string {_short(value)!r}")
    raise SpelError(f"{what} needs a boolean, but got {kind_of(value)}")


def spel_equals(left: Any, right: Any, budget: Budget, depth: int = 0) -> bool:
    """SpEL's ``==``: numbers by value (``1 == 1.0``), never ``true == 1``."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) or is_number(right):
        return is_number(left) and is_number(right) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    if is_list(left) and is_list(right):
        if len(left) != len(right):
            return False
        depth = _enter(depth, budget)
        return all(spel_equals(a, b, budget, depth) for a, b in zip(left, right, strict=True))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        if len(left) != len(right):
            return False
        depth = _enter(depth, budget)
        return all(k in right and spel_equals(v, right[k], budget, depth) for k, v in left.items())
    if isinstance(left, MapEntry) and isinstance(right, MapEntry):
        depth = _enter(depth, budget)
        return spel_equals(left.key, right.key, budget, depth) and spel_equals(
            left.value, right.value, budget, depth
        )
    return False


def spel_compare(left: Any, right: Any) -> int:
    """SpEL's ordering for ``< <= > >=``: -1, 0 or 1.

    Numbers compare by value, strings by characters, booleans ``false < true``;
    null sorts before everything (Spring's ``StandardTypeComparator``).

    Raises:
        SpelError: For values of different or unordered types.
    """
    if left is None or right is None:
        return (left is not None) - (right is not None)
    comparable = (
        (is_number(left) and is_number(right))
        or (isinstance(left, str) and isinstance(right, str))
        or (isinstance(left, bool) and isinstance(right, bool))
    )
    if not comparable:
        raise SpelError(f"cannot compare {kind_of(left)} with {kind_of(right)}")
    return int(left > right) - int(left < right)


def to_plain(value: Any, budget: Budget, depth: int = 0) -> Any:
    """A deep copy of ``value`` made only of dict, list, str, int, float, bool, None.

    Results leave the evaluator through this, so callers never share (and
    never mutate) the scope's own objects, and odd objects are refused.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        # Strings are shared, not copied, but a result's size is still paid
        # for: a list repeating one large string is large once serialised.
        budget.charge(len(value) // _CHARS_PER_STEP)
        return plain_str(value)
    if isinstance(value, Mapping):
        depth = _enter(depth, budget)
        budget.charge(len(value))
        return {_plain_key(k): to_plain(v, budget, depth) for k, v in value.items()}
    if is_list(value):
        depth = _enter(depth, budget)
        budget.charge(len(value))
        return [to_plain(e, budget, depth) for e in value]
    if isinstance(value, MapEntry):
        depth = _enter(depth, budget)
        return {_plain_key(value.key): to_plain(value.value, budget, depth)}
    raise SpelError(f"{kind_of(value)} cannot be used in an expression")


def _plain_key(key: Any) -> Any:
    if key is None or isinstance(key, (bool, int, float)):
        return key
    if isinstance(key, str):
        return plain_str(key)
    raise SpelError(f"a map key of type {type(key).__name__} cannot be used in an expression")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
