"""The allow-listed methods on strings, lists, maps and entries."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.errors import ExpressionError
from workflows.expressions import evaluate

from .conftest import make_scope


def ev(text: str) -> Any:
    return evaluate(text, make_scope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'Abc'.toString()", "Abc"),
        ("'Abc'.toLowerCase()", "abc"),
        ("'Abc'.toUpperCase()", "ABC"),
        ("' \t x \n'.trim()", "x"),
        ("'prod-east'.contains('-e')", True),
        ("'prod'.startsWith('pr')", True),
        ("'prod'.startsWith('od', 2)", True),
        ("'prod'.endsWith('od')", True),
        ("'prod'.equals('prod')", True),
        ("'prod'.equals(1)", False),
        ("'PROD'.equalsIgnoreCase('prod')", True),
        ("'PROD'.equalsIgnoreCase(null)", False),
        ("''.isEmpty()", True),
        ("'four'.length()", 4),
        ("'pipeline'.substring(4)", "line"),
        ("'pipeline'.substring(0, 4)", "pipe"),
        ("'a-b-c'.indexOf('-')", 1),
        ("'a-b-c'.indexOf('-', 2)", 3),
        ("'a-b-c'.indexOf('x')", -1),
        ("'a-b-c'.replace('-', '+')", "a+b+c"),
        ("'a.b.c'.replace('.', '')", "abc"),  # replace is literal, not a regex
        ("'a,b,,c,,'.split(',')", ["a", "b", "", "c"]),
        ("'a,b,,c,,'.split(',', -1)", ["a", "b", "", "c", "", ""]),
        ("'a1b22c'.split('[0-9]+')", ["a", "b", "c"]),
        ("'v1.2.3'.matches('v[0-9]+(\\.[0-9]+)*')", True),
        ("'release-1'.matches('release')", False),  # matches is a full match
        ("'abc'.charAt(2)", "c"),
        ("#stage('Deploy').status.toString() == 'SUCCEEDED'", False),
        ("#stage('Bake').status.toString() == 'SUCCEEDED'", True),
    ],
)
def test_string_methods_behave_as_their_java_counterparts(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numbers.size()", 5),
        ("numbers.isEmpty()", False),
        ("{}.isEmpty()", True),
        ("numbers.contains(4)", True),
        ("numbers.contains(4.0)", True),
        ("numbers.contains('4')", False),
        ("numbers.get(1)", 1),
        ("numbers.toString()", "[5, 1, 4, 2, 3]"),
        ("numbers.equals({5, 1, 4, 2, 3})", True),
        ("trigger.parameters.size()", 4),
        ("trigger.parameters.containsKey('env')", True),
        ("trigger.parameters.containsKey('nope')", False),
        ("trigger.parameters.get('env')", "prod"),
        ("trigger.parameters.get('nope')", None),
        ("flags.keySet()", ["a", "b"]),
        ("flags.values()", [True, False]),
        ("flags.toString()", "{a=true, b=false}"),
        ("{:}.isEmpty()", True),
        ("flags.![getKey() + ':' + getValue()]", ["a:true", "b:false"]),
        ("(1).toString()", "1"),
        ("ratio.toString()", "0.5"),
        ("true.toString()", "true"),
        ("1.equals(1.0)", True),
    ],
)
def test_list_map_and_scalar_methods(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("''.getClass()", "method 'getClass()' is not available on string"),
        ("trigger.getClass()", "method 'getClass()' is not available on map"),
        ("numbers.clear()", "method 'clear()' is not available on list"),
        ("execution.stages.remove(0)", "method 'remove()' is not available on list"),
        ("'x'.format('y')", "method 'format()' is not available on string"),
        ("nothing.toString()", "cannot call method 'toString()' on null"),
        ("'abc'.substring(2, 9)", "substring(2, 9) is out of range for a string of length 3"),
        ("'abc'.charAt(3)", "charAt(3) is out of range"),
        ("numbers.get(9)", "get(9) is out of range for a list of size 5"),
        ("'abc'.contains(1)", "method 'contains()' needs a string argument, got integer"),
        ("'abc'.substring('1')", "method 'substring()' needs an integer argument, got string"),
        ("'abc'.length(1)", "method 'length()' takes 0 argument(s), got 1"),
        ("'abc'.replace('a')", "method 'replace()' takes 2 argument(s), got 1"),
        ("'abc'.startsWith()", "method 'startsWith()' takes 1 to 2 argument(s), got 0"),
    ],
)
def test_methods_outside_the_allow_list_or_with_bad_arguments_fail(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


def test_an_unknown_method_error_lists_what_is_allowed() -> None:
    with pytest.raises(
        ExpressionError, match=r"allowed: contains, equals, get, isEmpty, size, toString"
    ):
        ev("numbers.stream()")


def test_method_arguments_are_evaluated_against_the_selection_element() -> None:
    # Inside a selection, a bare name in an argument reads the element (SpEL's scope root).
    scope_text = "{{name: 'a', prefix: 'a'}, {name: 'b', prefix: 'x'}}.?[name.startsWith(prefix)]"
    assert ev(scope_text) == [{"name": "a", "prefix": "a"}]
