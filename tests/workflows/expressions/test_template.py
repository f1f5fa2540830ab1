"""Rendering ${...} in stage fields: typing, concatenation, failures, no mutation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from workflows.expressions import (
    DEFAULT_LIMITS,
    ExpressionFailure,
    ExpressionScope,
    Limits,
    contains_expression,
    render,
)
from workflows.expressions.evaluator import evaluate_text
from workflows.expressions.limits import Budget
from workflows.expressions.template import BrokenPart, ExpressionPart, TextPart, split_template

from .conftest import make_scope


def rendered(value: Any, scope: ExpressionScope | None = None) -> Any:
    result, failures = render(value, scope or make_scope())
    assert failures == []
    return result


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${trigger.buildInfo.number}", 42),
        ("${ratio}", 0.5),
        ("${trigger.parameters.env == 'prod'}", True),
        ("${false}", False),
        ("${trigger.parameters}", {"env": "prod", "count": "3", "enabled": "true", "empty": ""}),
        ("${numbers.?[#this > 3]}", [5, 4]),
        ("${ {'a': 1}['a'] }", 1),  # braces inside the expression do not end it
        ("${'}'}", "}"),  # nor does a brace inside a string
        ("${trigger.parameters.empty}", ""),
    ],
)
def test_a_string_that_is_one_expression_renders_to_the_typed_value(
    template: str, expected: Any
) -> None:
    result = rendered(template)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("app-${trigger.parameters.env}", "app-prod"),
        (" ${trigger.buildInfo.number}", " 42"),  # any text around makes it a string
        ("${trigger.user}/${trigger.buildInfo.number}", "alice/42"),
        ("enabled=${true}", "enabled=true"),
        ("r=${ratio} big=${1.0E10}", "r=0.5 big=1.0E10"),
        ("list=${numbers}", "list=5,1,4,2,3"),
        ("map=${flags}", "map={a=true, b=false}"),
        ("${1}${2}", "12"),
        ("no expressions here", "no expressions here"),
        ("cost: $5 {braces}", "cost: $5 {braces}"),
    ],
)
def test_text_mixed_with_expressions_concatenates_their_string_forms(
    template: str, expected: str
) -> None:
    assert rendered(template) == expected


def test_a_failed_expression_stays_as_written_and_is_reported() -> None:
    result, failures = render("${trigger.nope.deeper}", make_scope())
    assert result == "${trigger.nope.deeper}"
    assert failures == [
        ExpressionFailure(
            "${trigger.nope.deeper}",
            "cannot read property 'deeper' of null (use '?.' to allow null) (at position 13)",
        )
    ]


def test_a_null_result_stays_as_written_and_is_reported_as_orca_does() -> None:
    result, failures = render({"a": "${trigger.parameters.missing}"}, make_scope())
    assert result == {"a": "${trigger.parameters.missing}"}
    assert [f.expression for f in failures] == ["${trigger.parameters.missing}"]
    assert "evaluated to null" in failures[0].reason


def test_in_mixed_text_each_failing_expression_stays_and_the_others_render() -> None:
    result, failures = render(
        "${trigger.user}-${nope}-${1/0}-${trigger.buildInfo.number}", make_scope()
    )
    assert result == "alice-${nope}-${1/0}-42"
    assert [(f.expression, f.reason) for f in failures] == [
        ("${nope}", "evaluated to null (a missing value?); the text is kept as written"),
        ("${1/0}", "division by zero (at position 1)"),
    ]


@pytest.mark.parametrize(
    ("template", "expression", "reason"),
    [
        ("a ${trigger.user", "${trigger.user", "no closing '}' for '${'"),
        ("${}", "${}", "no expression between '${' and '}'"),
        ("x ${   } y", "${   }", "no expression between '${' and '}'"),
        ("${ a) }", "${ a) }", "closing ')' has no opening bracket"),
        ("${ (a] }", "${ (a] }", "closing ']' does not match the opening '('"),
        ("${ 'open }", "${ 'open }", "string literal is not terminated"),
        ("${1 +}", "${1 +}", "unexpected end of expression"),
    ],
)
def test_malformed_templates_stay_literal_and_are_reported(
    template: str, expression: str, reason: str
) -> None:
    result, failures = render(template, make_scope())
    assert result == template
    assert len(failures) == 1
    assert failures[0].expression == expression
    assert reason in failures[0].reason


def test_render_walks_dicts_and_lists_but_never_evaluates_keys() -> None:
    context = {
        "account": "${trigger.parameters.env}",
        "${trigger.user}": "key stays",
        "clusters": [{"capacity": {"desired": "${#toInt(trigger.parameters.count)}"}}, 7, None],
        "nested": [["${numbers[0]}"]],
        "tuple": ("${1 + 1}",),
    }
    assert rendered(context) == {
        "account": "prod",
        "${trigger.user}": "key stays",
        "clusters": [{"capacity": {"desired": 3}}, 7, None],
        "nested": [[5]],
        "tuple": [2],
    }


def test_render_does_not_mutate_its_input_or_the_scope() -> None:
    context = {"a": ["${trigger.parameters}"], "b": {"c": "${numbers}"}}
    before = copy.deepcopy(context)
    scope = make_scope()
    scope_before = copy.deepcopy(dict(scope.variables))
    result, _ = render(context, scope)
    result["a"][0]["env"] = "changed"
    result["b"]["c"].append(99)
    assert context == before
    assert dict(scope.variables) == scope_before


def test_values_without_expressions_come_back_equal_and_scalars_unchanged() -> None:
    value = {"n": 1, "f": 1.5, "b": True, "none": None, "s": "plain", "l": [1, "x"]}
    assert rendered(value) == value
    assert rendered(5) == 5
    assert rendered(None) is None


def test_contains_expression_looks_at_strings_values_and_items_but_not_keys() -> None:
    assert contains_expression("a ${b}")
    assert contains_expression({"k": ["x", {"y": "${z}"}]})
    assert contains_expression(("${a}",))
    assert not contains_expression({"${key}": "value"})
    assert not contains_expression(["$", "{", "$ {x}", 5, None])


def test_templates_split_like_springs_template_parser() -> None:
    assert split_template("a ${b} c ${d}", 32) == (
        TextPart("a "),
        ExpressionPart("${b}", "b"),
        TextPart(" c "),
        ExpressionPart("${d}", "d"),
    )
    assert split_template("${ {'x': '}'} }", 32) == (
        ExpressionPart("${ {'x': '}'} }", " {'x': '}'} "),
    )
    (part,) = split_template("${" + "(" * 1000, 32)
    assert isinstance(part, BrokenPart)
    assert "nested more than 32 levels deep" in part.reason


def test_expressions_in_one_render_share_one_budget() -> None:
    scope = ExpressionScope(variables={"items": list(range(100))})
    body = "items.![#root.items.![#this]].size()"
    budget = Budget(DEFAULT_LIMITS)
    assert evaluate_text(body, scope, budget) == 100
    cost = budget.used
    assert cost > 10_000  # 100 x 100 element visits
    limits = Limits(max_steps=cost * 2 + cost // 2)
    result, failures = render(["${" + body + "}"] * 3, scope, limits=limits)
    assert result == [100, 100, "${" + body + "}"]
    assert len(failures) == 1
    assert f"evaluation needs more than {limits.max_steps:,} steps" in failures[0].reason
