"""Evaluating a single expression, and a ``stageEnabled`` condition."""

from __future__ import annotations

from typing import Any

from models.errors import ExpressionError, FieldProblem
from workflows.expressions.errors import SpelError
from workflows.expressions.evaluator import evaluate_text
from workflows.expressions.limits import DEFAULT_LIMITS, Budget, Limits
from workflows.expressions.scope import ExpressionFailure, ExpressionScope
from workflows.expressions.template import (
    ExpressionPart,
    display,
    render_string,
    split_template,
)
from workflows.expressions.values import kind_of, plain_str, to_plain

__all__ = ["evaluate", "evaluate_condition", "expression_error"]


def expression_error(expression: str, reason: str) -> ExpressionError:
    """The error for a failed expression: one problem whose path is the expression.

    ``str(error)`` reads ``<expression>: <reason>``; ``error.problems[0]``
    holds the two apart (``.path`` and ``.message``).
    """
    return ExpressionError([FieldProblem(display(expression), reason)])


def evaluate(expression: str, scope: ExpressionScope, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Evaluate one expression, written without ``${}``, to a plain value.

    Args:
        expression: The expression, e.g. ``trigger.parameters.env == 'prod'``.
        scope: What the expression can see.
        limits: Bounds to apply; the defaults suit pipelines.

    Returns:
        The value as plain data (dict, list, str, int, float, bool or None),
        a copy that shares nothing with the scope.

    Raises:
        ExpressionError: The expression cannot be parsed or evaluated; the
            message names the expression and the reason.
    """
    try:
        return _evaluate(expression, scope, Budget(limits))
    except SpelError as error:
        reason = error.describe()
        if expression.lstrip().startswith("${"):
            reason += " (evaluate() takes an expression without '${...}'; use render())"
        raise expression_error(expression, reason) from None
    except RecursionError:
        raise expression_error(expression, "expression is nested too deeply to evaluate") from None


def _evaluate(expression: str, scope: ExpressionScope, budget: Budget) -> Any:
    return to_plain(evaluate_text(expression, scope, budget), budget)


def evaluate_condition(
    expression: str, scope: ExpressionScope, *, limits: Limits = DEFAULT_LIMITS
) -> bool:
    """Evaluate a ``stageEnabled`` expression to a boolean.

    Spinnaker writes it without ``${}``; one wrapping ``${...}`` is tolerated.
    Text that mixes ``${...}`` with other text is rendered as a template first.
    The result must be a boolean or the string ``"true"``/``"false"`` (any
    case, surrounding blanks ignored).

    Args:
        expression: The condition, e.g. ``parameters.deploy == 'true'``.
        scope: What the expression can see.
        limits: Bounds to apply; the defaults suit pipelines.

    Raises:
        ExpressionError: The expression fails or is not a boolean. Orca skips
            the stage in that case; the error says why.
    """
    text = expression.strip()
    budget = Budget(limits)
    try:
        if "${" not in text:
            value = _evaluate(text, scope, budget)
        else:
            parts = split_template(text, limits.max_nesting_depth)
            if len(parts) == 1 and isinstance(parts[0], ExpressionPart):
                value = _evaluate(parts[0].body, scope, budget)
            else:
                failures: list[ExpressionFailure] = []
                value = render_string(text, scope, budget, failures)
                if failures:
                    first = failures[0]
                    raise expression_error(first.expression, first.reason)
        return _as_boolean(value)
    except SpelError as error:
        raise expression_error(expression, error.describe()) from None
    except RecursionError:
        raise expression_error(expression, "expression is nested too deeply to evaluate") from None


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = plain_str(value).strip().lower()
        if word in ("true", "false"):
            return word == "true"
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise SpelError(f"a stage condition must be true or false, got the string {shown!r}")
    raise SpelError(f"a stage condition must be true or false, got {kind_of(value)}")
