"""stageEnabled conditions: written without ${}, must come out boolean."""

from __future__ import annotations

import pytest

from models.errors import ExpressionError
from workflows.expressions import evaluate_condition

from .conftest import make_scope


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("trigger.parameters.env == 'prod'", True),
        ("parameters.env != 'prod'", False),
        ("#stage('Bake').hasSucceeded and #judgment('Approve') == 'ship it'", True),
        ("${ trigger.parameters.env == 'prod' }", True),  # tolerated wrapped in ${}
        ("  ${false}  ", False),
        ("parameters.enabled", True),  # the string "true"
        ("'FALSE'", False),
        ("' true '", True),
        ("${parameters.enabled}", True),
        ("${parameters.enabled}${''}", True),  # a rendered template of "true"
        ("#toBoolean(parameters.enabled)", True),
        ("#currentStage().hasFailed", True),
    ],
)
def test_conditions_give_booleans_from_booleans_or_true_false_strings(
    expression: str, expected: bool
) -> None:
    assert evaluate_condition(expression, make_scope()) is expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("parameters.env", "must be true or false, got the string 'prod'"),
        ("'yes'", "must be true or false, got the string 'yes'"),
        ("1", "must be true or false, got integer"),
        ("trigger.parameters.missing", "must be true or false, got null"),
        ("numbers", "must be true or false, got list"),
        ("#stage('Nope').hasSucceeded", "no stage has that name"),
        ("trigger.parameters ==", "unexpected end of expression"),
        ("", "expression is empty"),
        ("${nope} and ${true}", "evaluated to null"),
        ("${true} ${b", "no closing '}'"),
    ],
)
def test_anything_else_is_an_error_naming_the_condition(expression: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_condition(expression, make_scope())
    assert reason in str(caught.value)
