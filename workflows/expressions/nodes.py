"""The syntax tree of an expression: small, immutable, shareable between runs.

Chains of the same operator (``a + b - c``, ``a and b and c``) and of
navigation steps (``a.b[0].c()``) are flat tuples rather than nested nodes, so
a long but shallow expression never turns into deep recursion when evaluated.
Every node records ``pos``, its 0-based offset in the expression text, for
error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "Arithmetic",
    "Chain",
    "Compare",
    "Constant",
    "Elvis",
    "FunctionCall",
    "Index",
    "InlineList",
    "InlineMap",
    "Logical",
    "MethodCall",
    "Node",
    "Power",
    "Project",
    "Property",
    "Select",
    "Step",
    "Ternary",
    "Unary",
    "Variable",
]


@dataclass(frozen=True, slots=True)
class Constant:
    """A literal: ``null``, ``true``, ``42``, ``1.5``, ``'text'``."""

    value: bool | int | float | str | None
    pos: int


@dataclass(frozen=True, slots=True)
class InlineList:
    """``{a, b, c}`` (``{}`` is the empty list)."""

    items: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class InlineMap:
    """``{key: value, ...}`` (``{:}`` is the empty map); a bare name key is its text."""

    entries: tuple[tuple[Node, Node], ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Property:
    """``name``: a key of the map in context (the root, or a selection element)."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class MethodCall:
    """``name(args)`` on the value in context; only allow-listed methods exist."""

    name: str
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """``#name(args)``: a helper such as ``#stage`` or a provider's function."""

    name: str
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Variable:
    """``#this`` or ``#root``."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Index:
    """``[index]`` on a map, list or string."""

    index: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Select:
    """``.?[cond]`` (all), ``.^[cond]`` (first) or ``.$[cond]`` (last)."""

    mode: Literal["all", "first", "last"]
    criterion: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Project:
    """``.![expr]``: ``expr`` evaluated against each element."""

    expr: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Step:
    """One navigation step after a chain's head; ``null_safe`` for ``?.``."""

    node: Property | MethodCall | Index | Select | Project
    null_safe: bool


@dataclass(frozen=True, slots=True)
class Chain:
    """``head.step.step...``: each step applies to the value before it."""

    head: Node
    steps: tuple[Step, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    """Prefix operators, outermost first: ``!``, ``not``, ``-``, ``+``."""

    ops: tuple[str, ...]
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Logical:
    """``a and b and ...`` or ``a or b or ...``, short-circuiting."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``first op operand op operand ...`` for ``+ -`` or ``* / %``, left to right.

    Each of ``rest`` is (operator, operand, operator position).
    """

    first: Node
    rest: tuple[tuple[str, Node, int], ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right`` for ``== != < <= > >= matches`` (not chainable, as SpEL)."""

    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Power:
    """``base ^ exponent``."""

    base: Node
    exponent: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Ternary:
    """``condition ? then : otherwise``."""

    condition: Node
    then: Node
    otherwise: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Elvis:
    """``value ?: fallback``: the fallback when value is null or the empty string."""

    value: Node
    fallback: Node
    pos: int


Node: TypeAlias = (
    Constant
    | InlineList
    | InlineMap
    | Property
    | MethodCall
    | FunctionCall
    | Variable
    | Index
    | Select
    | Project
    | Chain
    | Unary
    | Logical
    | Arithmetic
    | Compare
    | Power
    | Ternary
    | Elvis
)
