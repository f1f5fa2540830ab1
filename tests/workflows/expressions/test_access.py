"""Reading values: properties, indexes, null-safety, selection and projection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.errors import ExpressionError
from workflows.expressions import ExpressionScope, evaluate

from .conftest import make_scope


def ev(text: str, scope: ExpressionScope | None = None) -> Any:
    return evaluate(text, scope or make_scope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trigger.parameters.env", "prod"),
        ("trigger['parameters']['env']", "prod"),
        ('trigger["buildInfo"].number', 42),
        ("trigger[parameters][env]", "prod"),  # a bare name inside [] on a map is the key
        ("#root.imageId", "ami-123"),
        ("imageId", "ami-123"),
        ("numbers[0]", 5),
        ("numbers['4']", 3),  # SpEL converts a numeric string index
        ("'abc'[1]", "b"),
        ("execution.stages[2].context.replicas", 3),
        ("trigger.parameters.missing", None),  # a missing map key is null
        ("noSuchVariable", None),
        ("trigger['nope']", None),
        ("nothing?.foo", None),
        ("nothing?.foo()", None),
        ("nothing?.[0]", None),
        ("trigger?.parameters?.env", "prod"),
        ("flags.b", False),
        ("{a: {b: 'c'}}.a.b", "c"),
        ("{'k': 1}[k]", 1),
    ],
)
def test_properties_and_indexes_read_map_keys_and_list_items(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nothing.foo", "cannot read property 'foo' of null (use '?.' to allow null)"),
        ("trigger.parameters.missing.deeper", "cannot read property 'deeper' of null"),
        ("nothing?.foo.bar", "cannot read property 'bar' of null"),  # ?. guards one step
        ("numbers.size", "cannot read property 'size' of list"),
        ("imageId.length", "cannot read property 'length' of string"),
        ("numbers[5]", "index 5 is out of bounds for a list of size 5"),
        ("numbers[-1]", "index -1 is out of bounds"),
        ("numbers[true]", "a list index must be an integer, got boolean"),
        ("numbers['x']", "a list index must be an integer, got string"),
        ("nothing[0]", "cannot index into null"),
        ("ratio[0]", "cannot index into number"),
        ("{a: 1}[{1}]", "a list cannot be a map key"),
        ("#nope", "unknown variable #nope"),
    ],
)
def test_reading_what_is_not_there_is_an_error_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


def test_errors_carry_the_expression_and_position() -> None:
    with pytest.raises(ExpressionError) as caught:
        ev("trigger.nope.deeper")
    (problem,) = caught.value.problems
    assert problem.path == "trigger.nope.deeper"
    assert (
        problem.message
        == "cannot read property 'deeper' of null (use '?.' to allow null) (at position 13)"
    )
    assert str(caught.value) == f"trigger.nope.deeper: {problem.message}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numbers.?[#this > 2]", [5, 4, 3]),
        ("numbers.^[#this > 2]", 5),
        ("numbers.$[#this > 2]", 3),
        ("numbers.^[#this > 9]", None),
        ("numbers.![#this * 10]", [50, 10, 40, 20, 30]),
        ("execution.stages.?[type == 'deploy'].![name]", ["Deploy"]),
        ("execution['stages'].?[status == 'SUCCEEDED'].size()", 2),
        ("execution.stages.![context.replicas]", [None, None, 3]),
        ("execution.stages.^[refId == '2'].name", "Approve"),
        ("flags.?[value == true]", {"a": True}),
        ("flags.![key + '=' + value]", ["a=true", "b=false"]),
        ("flags.^[!value]", {"b": False}),
        ("flags.?[value].keySet()", ["a"]),
        ("{{1, 2}, {3}}.![#this.size()]", [2, 1]),
        ("{'a', 'bb', 'ccc'}.?[length() > 1]", ["bb", "ccc"]),  # methods apply to the element
        ("numbers.?[#this > #root.ratio * 4]", [5, 4, 3]),
        ("#root.numbers.?[#this == #root.numbers[0]]", [5]),
        ("?[#this.key == 'imageId']", {"imageId": "ami-123"}),  # selection on the root map
    ],
)
def test_selection_and_projection_evaluate_against_each_element(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("numbers.?[#this]", "a selection criterion must be true or false, got integer"),
        ("imageId.?[true]", "selection needs a list or a map, got string"),
        ("imageId.![1]", "projection needs a list or a map, got string"),
        ("nothing.?[true]", "selection needs a list or a map, got null"),
    ],
)
def test_selection_needs_a_collection_and_a_boolean_criterion(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


def test_this_and_root_refer_to_the_element_and_the_variables() -> None:
    assert ev("#this.imageId") == "ami-123"
    assert ev("#root == #this") is True
    assert ev("numbers.![#root.ratio]") == [0.5] * 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", []),
        ("{:}", {}),
        ("{1, 'two', null, true}", [1, "two", None, True]),
        ("{a: 1, 'b c': {2, 3}, 4: 'four'}", {"a": 1, "b c": [2, 3], 4: "four"}),
        ("{env: trigger.parameters.env}", {"env": "prod"}),
        ("{(1 + 1): 'two'}", {2: "two"}),
    ],
)
def test_inline_lists_and_maps_build_plain_values(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_results_are_copies_that_share_nothing_with_the_scope() -> None:
    scope = make_scope()
    result = evaluate("trigger", scope)
    result["parameters"]["env"] = "changed"
    result["user"] = "mallory"
    assert scope.variables["trigger"]["parameters"]["env"] == "prod"
    assert scope.variables["trigger"]["user"] == "alice"


def test_values_of_unsupported_python_types_are_refused_not_introspected() -> None:
    class Secretive:
        secret = "hidden"

    scope = ExpressionScope(variables={"obj": Secretive(), "when": object()})
    with pytest.raises(
        ExpressionError, match=r"cannot read property 'secret' of unsupported value \(Secretive\)"
    ):
        evaluate("obj.secret", scope)
    with pytest.raises(ExpressionError, match="cannot be used in an expression"):
        evaluate("when", scope)
    with pytest.raises(ExpressionError, match="not available on unsupported value"):
        evaluate("obj.secret()", scope)
