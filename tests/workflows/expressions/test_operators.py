"""Each operator, with Java's numeric rules and SpEL's conversions."""

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
        ("7 / 2", 3),
        ("-7 / 2", -3),  # Java truncates towards zero
        ("7 / -2", -3),
        ("-7 % 3", -1),  # the remainder takes the dividend's sign
        ("7 % -3", 1),
        ("7.0 / 2", 3.5),
        ("7 / 2.0", 3.5),
        ("5.5 % 2", 1.5),
        ("2 * 3.5", 7.0),
        ("1 - 3", -2),
        ("2 ^ 10", 1024),
        ("2.0 ^ -1", 0.5),
        ("- ratio", -0.5),
        ("+3", 3),
        ("9223372036854775807 - 1", 2**63 - 2),
    ],
)
def test_arithmetic_follows_java_integer_and_real_rules(text: str, expected: Any) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1 / 0", "division by zero"),
        ("1.5 / 0", "division by zero"),
        ("1 % 0", "division by zero"),
        ("9223372036854775807 + 1", "does not fit in 64 bits"),
        ("3037000500 * 3037000500", "does not fit in 64 bits"),
        ("2 ^ 64", "does not fit in 64 bits"),
        ("10 ^ 100000000", "does not fit in 64 bits"),
        ("2 ^ -1", "negative integer exponent"),
        ("1.0E308 * 10", "out of range"),
        ("1 - 'a'", "cannot subtract integer and string"),
        ("{1} + {2}", "cannot add list and list"),
        ("null + 1", "cannot add null and integer"),
        ("true * 2", "cannot multiply boolean and integer"),
        ("-'a'", "cannot negate string"),
        ("+'a'", "unary '+' needs a number"),
        ("'ab' * -1", "negative number of times"),
    ],
)
def test_arithmetic_errors_are_reported_not_wrapped_or_infinite(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'a' + 'b'", "ab"),
        ("'n=' + 1", "n=1"),
        ("1 + '=n'", "1=n"),
        ("'x' + true", "xtrue"),
        ("'x' + null", "xnull"),  # SpEL's '+' prints null
        ("null + 'x'", "nullx"),
        ("'r=' + 0.5", "r=0.5"),
        ("'r=' + 2.0", "r=2.0"),
        ("'big=' + 1.0E10", "big=1.0E10"),  # Java's Double.toString
        ("'small=' + 0.0001", "small=1.0E-4"),
        ("'l=' + {1, 'a', null}", "l=1,a,null"),  # Spring joins collections with ','
        ("'m=' + {a: 1, b: {c: true}}", "m={a=1, b={c=true}}"),
        ("'ab' * 3", "ababab"),
    ],
)
def test_plus_concatenates_with_spels_string_conversion(text: str, expected: str) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 == 1.0", True),  # numbers compare by value
        ("'1' == 1", False),  # no conversion for ==
        ("true == 1", False),  # booleans are not numbers
        ("null == null", True),
        ("nothing == null", True),
        ("'a' != 'b'", True),
        ("{1, 2} == {1, 2}", True),
        ("{1, 2} == {2, 1}", False),
        ("{a: 1} == {'a': 1.0}", True),
        ("'abc' < 'abd'", True),
        ("2 > 1.5", True),
        ("2 >= 2", True),
        ("2 <= 1", False),
        ("false < true", True),
        ("null < 1", True),  # Spring sorts null first
        ("1 > null", True),
        ("1 eq 1", True),
        ("1 ne 2", True),
        ("1 lt 2", True),
        ("2 gt 1", True),
        ("1 le 1", True),
        ("1 ge 2", False),
        ("1 EQ 1", True),
        ("'abc' matches '[a-c]+'", True),
        ("'abcd' matches '[a-c]+'", False),
    ],
)
def test_comparisons_follow_spel_equality_and_ordering(text: str, expected: bool) -> None:
    assert ev(text) is expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("'a' < 1", "cannot compare string with integer"),
        ("{1} < {2}", "cannot compare list with list"),
        ("1 matches 'x'", "'matches' needs a string"),
    ],
)
def test_ordering_values_of_different_types_is_an_error(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true and false", False),
        ("true && true", True),
        ("false or true", True),
        ("false || false", False),
        ("!true", False),
        ("not false", True),
        ("!!true", True),
        ("parameters.enabled and true", True),  # Spring converts "true"
        ("'yes' and 'on' and '1'", True),
        ("'no' or 'off' or '0'", False),
        ("!'false'", True),
        ("' TRUE ' and true", True),
    ],
)
def test_logical_operators_accept_booleans_and_boolean_strings(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_logical_operators_short_circuit_before_evaluating_a_failing_operand() -> None:
    assert ev("false and #stage('missing').hasSucceeded") is False
    assert ev("true or 1 / 0 == 1") is True


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("null and true", "'and' needs a boolean, but got null"),
        ("1 or true", "'or' needs a boolean, but got integer"),
        ("!'maybe'", "'!' needs a boolean, but got the string 'maybe'"),
        ("'' ? 1 : 2", "needs a boolean, but got the string ''"),
    ],
)
def test_non_boolean_operands_of_logical_operators_are_errors(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true ? 'a' : 'b'", "a"),
        ("'false' ? 'a' : 'b'", "b"),
        ("nothing ?: 'fallback'", "fallback"),
        ("trigger.parameters.empty ?: 'fallback'", "fallback"),  # SpEL: empty string too
        ("trigger.parameters.env ?: 'fallback'", "prod"),
        ("0 ?: 1", 0),
        ("false ?: true", False),
    ],
)
def test_ternary_and_elvis_choose_as_spel_does(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_ternary_evaluates_only_the_chosen_branch() -> None:
    assert ev("true ? 1 : 1 / 0") == 1
    assert ev("trigger.user ?: #stage('missing')") == "alice"
