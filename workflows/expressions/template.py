"""``${...}`` templates inside stage fields: finding, evaluating, rendering.

Finding the end of an expression follows Spring's template parser: the first
``}`` that closes no bracket of the expression ends it, and brackets or braces
inside quoted strings do not count, so ``${ {'a': 1}['a'] }`` and
``${'}'}`` work. Expressions do not nest.

Rendering follows Orca's ``ExpressionTransform``:

- a string that is exactly one ``${...}`` becomes the expression's typed value
  (number, boolean, map, list...);
- in a string that mixes text and expressions each expression becomes text
  (``true``, ``1.0``, lists joined with ``,``, maps as ``{a=1}``);
- an expression that fails, or that evaluates to null, stays in the string as
  written and is reported; other expressions of the same string still render.
  (Orca keeps the whole string as written when any of its expressions throws;
  reporting each one is more useful and keeps the same outcome under
  ``failOnFailedExpressions``.)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.expressions.errors import SpelError
from workflows.expressions.evaluator import evaluate_text
from workflows.expressions.limits import DEFAULT_LIMITS, Budget, Limits
from workflows.expressions.scope import ExpressionFailure, ExpressionScope
from workflows.expressions.values import to_plain, to_text

__all__ = [
    "BrokenPart",
    "ExpressionPart",
    "TextPart",
    "contains_expression",
    "display",
    "render",
    "render_string",
    "split_template",
]

_PREFIX = "${"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_DISPLAY_LIMIT = 1_000
_CACHED_TEMPLATE_LENGTH = 10_000
_NESTED_TOO_DEEP = "expression is nested too deeply to evaluate"


@dataclass(frozen=True, slots=True)
class TextPart:
    """Literal text of a template."""

    text: str


@dataclass(frozen=True, slots=True)
class ExpressionPart:
    """One ``${...}``: ``source`` as written, ``body`` between the delimiters."""

    source: str
    body: str


@dataclass(frozen=True, slots=True)
class BrokenPart:
    """A ``${`` whose expression cannot be delimited; it runs to the end of the text."""

    source: str
    reason: str


Part = TextPart | ExpressionPart | BrokenPart


def display(source: str) -> str:
    """``source`` cut to a length that fits in an error message."""
    if len(source) <= _DISPLAY_LIMIT:
        return source
    return f"{source[:_DISPLAY_LIMIT]}... ({len(source):,} characters)"


def split_template(text: str, max_depth: int) -> tuple[Part, ...]:
    """Split ``text`` into literal text and ``${...}`` parts.

    Short templates are cached: pipelines repeat the same fields many times.
    """
    if len(text) <= _CACHED_TEMPLATE_LENGTH:
        return _split_cached(text, max_depth)
    return _split(text, max_depth)


@functools.lru_cache(maxsize=2048)
def _split_cached(text: str, max_depth: int) -> tuple[Part, ...]:
    return _split(text, max_depth)


def _split(text: str, max_depth: int) -> tuple[Part, ...]:
    parts: list[Part] = []
    i = 0
    while True:
        start = text.find(_PREFIX, i)
        if start < 0:
            if i < len(text):
                parts.append(TextPart(text[i:]))
            return tuple(parts)
        if start > i:
            parts.append(TextPart(text[i:start]))
        try:
            end = _find_end(text, start + len(_PREFIX), max_depth)
        except SpelError as error:
            parts.append(BrokenPart(text[start:], error.describe()))
            return tuple(parts)
        body = text[start + len(_PREFIX) : end]
        source = text[start : end + 1]
        if body.strip():
            parts.append(ExpressionPart(source, body))
        else:
            parts.append(BrokenPart(source, "no expression between '${' and '}'"))
        i = end + 1


def _find_end(text: str, i: int, max_depth: int) -> int:
    """The index of the ``}`` that ends the expression starting at ``i``."""
    opened: list[tuple[str, int]] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            opened.append((ch, i))
            if len(opened) > max_depth:
                raise SpelError(f"brackets nested more than {max_depth} levels deep", i)
        elif ch in ")]}":
            if not opened:
                if ch == "}":
                    return i
                raise SpelError(f"closing {ch!r} has no opening bracket", i)
            expected, _ = opened.pop()
            if expected != _CLOSERS[ch]:
                raise SpelError(f"closing {ch!r} does not match the opening {expected!r}", i)
        elif ch in "'\"":
            # Doubled quotes ('it''s') are two adjacent literals here, which
            # delimits the same way.
            close = text.find(ch, i + 1)
            if close < 0:
                raise SpelError("string literal is not terminated", i)
            i = close
        i += 1
    raise SpelError("no closing '}' for '${'")


def contains_expression(value: Any) -> bool:
    """Whether ``value`` (a string, or dict values and list items within) has ``${``.

    Dict keys are not looked at: they are never evaluated.
    """
    if isinstance(value, str):
        return _PREFIX in value
    if isinstance(value, Mapping):
        return any(contains_expression(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_expression(item) for item in value)
    return False


def render(
    value: Any, scope: ExpressionScope, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[Any, list[ExpressionFailure]]:
    """Evaluate every ``${...}`` in ``value`` (a string, or dict values and list items).

    ``value`` is not modified: dicts and lists are rebuilt, everything else is
    returned as is. Dict keys are never evaluated. All expressions of one call
    share one step budget (:attr:`Limits.max_steps`), so a field with
    thousands of expensive expressions is bounded as a whole.

    Args:
        value: A stage's context, or any part of it.
        scope: What the expressions can see.
        limits: Bounds to apply; the defaults suit pipelines.

    Returns:
        The rendered copy, and one failure per expression that failed (each of
        those stays in the copy as written). The caller fails the stage with
        them when ``failOnFailedExpressions`` is set.
    """
    failures: list[ExpressionFailure] = []
    budget = Budget(limits)
    return _walk(value, scope, budget, failures), failures


def _walk(
    value: Any, scope: ExpressionScope, budget: Budget, failures: list[ExpressionFailure]
) -> Any:
    if isinstance(value, str):
        return render_string(value, scope, budget, failures) if _PREFIX in value else value
    if isinstance(value, Mapping):
        return {key: _walk(item, scope, budget, failures) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(item, scope, budget, failures) for item in value]
    return value


def render_string(
    text: str, scope: ExpressionScope, budget: Budget, failures: list[ExpressionFailure]
) -> Any:
    """Render one string that contains ``${``, appending its failures."""
    limits = budget.limits
    if len(text) > limits.max_template_length:
        failures.append(
            ExpressionFailure(
                display(text),
                f"text of {len(text):,} characters is too long to evaluate "
                f"(limit {limits.max_template_length:,})",
            )
        )
        return text
    parts = split_template(text, limits.max_nesting_depth)
    if len(parts) == 1 and isinstance(parts[0], ExpressionPart):
        return _whole_value(text, parts[0], scope, budget, failures)
    pieces: list[str] = []
    length = 0
    for part in parts:
        if isinstance(part, TextPart):
            piece = part.text
        elif isinstance(part, BrokenPart):
            failures.append(ExpressionFailure(display(part.source), part.reason))
            piece = part.source
        else:
            piece = _as_text(part, scope, budget, failures)
        length += len(piece)
        if length > limits.max_string_length:
            failures.append(
                ExpressionFailure(
                    display(text),
                    f"the rendered text exceeds {limits.max_string_length:,} characters",
                )
            )
            return text
        pieces.append(piece)
    return "".join(pieces)


def _whole_value(
    text: str,
    part: ExpressionPart,
    scope: ExpressionScope,
    budget: Budget,
    failures: list[ExpressionFailure],
) -> Any:
    try:
        value = to_plain(evaluate_text(part.body, scope, budget), budget)
    except SpelError as error:
        failures.append(ExpressionFailure(display(part.source), error.describe()))
        return text
    except RecursionError:
        failures.append(ExpressionFailure(display(part.source), _NESTED_TOO_DEEP))
        return text
    if value is None:
        failures.append(ExpressionFailure(display(part.source), _NULL_REASON))
        return text
    return value


def _as_text(
    part: ExpressionPart,
    scope: ExpressionScope,
    budget: Budget,
    failures: list[ExpressionFailure],
) -> str:
    try:
        value = evaluate_text(part.body, scope, budget)
        if value is not None:
            return to_text(value, budget)
        failures.append(ExpressionFailure(display(part.source), _NULL_REASON))
    except SpelError as error:
        failures.append(ExpressionFailure(display(part.source), error.describe()))
    except RecursionError:
        failures.append(ExpressionFailure(display(part.source), _NESTED_TOO_DEEP))
    return part.source


# Orca reports a null result as "not found" and keeps the text as written.
_NULL_REASON = "evaluated to null (a missing value?); the text is kept as written"
