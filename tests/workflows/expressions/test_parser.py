"""The parser: SpEL's precedence and associativity, refusals, limits, errors."""

from __future__ import annotations

import re
import time

import pytest

from workflows.expressions import ExpressionScope, evaluate
from workflows.expressions.errors import SpelError
from workflows.expressions.nodes import (
    Arithmetic,
    Chain,
    Compare,
    Constant,
    Elvis,
    FunctionCall,
    Index,
    InlineList,
    InlineMap,
    Logical,
    MethodCall,
    Node,
    Project,
    Property,
    Select,
    Ternary,
    Unary,
    Variable,
)
from workflows.expressions.parser import parse

EMPTY = ExpressionScope()


def tree(text: str) -> Node:
    return parse(text, 10_000, 32)


def value(text: str) -> object:
    return evaluate(text, EMPTY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 3 - 2", 5),  # left-associative
        ("100 / 10 / 5", 2),  # left-associative
        ("2 * 3 % 4", 2),  # * and % share a level, left to right
        ("2 ^ 3 * 2", 16),  # ^ binds tighter than *
        ("-2 ^ 2", 4),  # unary minus binds tighter than ^, as SpEL
        ("1 + 2 == 3", True),
        ("!false == true", True),  # ! binds tighter than ==
        ("true or false and false", True),  # and binds tighter than or
        ("(true or false) and false", False),
        ("1 < 2 and 3 > 2", True),
        ("7 div 2 + 7 mod 2", 4),
        ("true ? 1 : 0 + 10", 1),  # the branch is a whole expression
        ("false ? 1 : true ? 2 : 3", 2),  # ternary nests to the right
        ("null ?: 'a' ?: 'b'", "a"),
        ("1 > 2 ? 'x' : 'y'", "y"),
    ],
)
def test_operators_follow_spel_precedence_and_associativity(text: str, expected: object) -> None:
    assert value(text) == expected


def test_same_level_operators_build_flat_chains_not_deep_trees() -> None:
    node = tree("a + b - c + d")
    assert isinstance(node, Arithmetic)
    assert [(op, pos) for op, _, pos in node.rest] == [("+", 2), ("-", 6), ("+", 10)]
    assert isinstance(node.first, Property)
    logical = tree("a and b and c or d")
    assert isinstance(logical, Logical)
    assert logical.op == "or"
    first = logical.operands[0]
    assert isinstance(first, Logical)
    assert len(first.operands) == 3


def test_navigation_parses_into_one_chain_of_steps() -> None:
    node = tree("a.b?.c[0].d().?[x].![y]")
    assert isinstance(node, Chain)
    assert isinstance(node.head, Property)
    steps = [(type(step.node).__name__, step.null_safe) for step in node.steps]
    assert steps == [
        ("Property", False),
        ("Property", True),
        ("Index", False),
        ("MethodCall", False),
        ("Select", False),
        ("Project", False),
    ]


@pytest.mark.parametrize(
    ("text", "node_type"),
    [
        ("null", Constant),
        ("TRUE", Constant),  # keywords are case-insensitive in SpEL
        ("{}", InlineList),
        ("{:}", InlineMap),
        ("{1, 2}", InlineList),
        ("{a: 1, 'b': 2}", InlineMap),
        ("#this", Variable),
        ("#stage('x')", FunctionCall),
        ("size()", MethodCall),
        ("['key']", Index),
        ("?[x]", Select),
        ("![x]", Project),
        ("not x", Unary),
        ("a eq b", Compare),
        ("a ?: b", Elvis),
        ("a ? b : c", Ternary),
    ],
)
def test_each_construct_parses_to_its_node(text: str, node_type: type) -> None:
    assert isinstance(tree(text), node_type)


def test_words_after_a_dot_are_names_even_when_they_are_keywords() -> None:
    node = tree("a.and.null.eq")
    assert isinstance(node, Chain)
    assert [step.node.name for step in node.steps if isinstance(step.node, Property)] == [
        "and",
        "null",
        "eq",
    ]


def test_parse_results_are_cached_by_text() -> None:
    assert tree("trigger.parameters.env == 'prod'") is tree("trigger.parameters.env == 'prod'")


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("1 +", "unexpected end of expression", 3),
        ("(1 + 2", "expected ')'", 6),
        ("a b", "unexpected 'b'", 2),
        ("1 < 2 < 3", "unexpected '<'", 6),  # relational operators do not chain
        ("a ? b", "expected ':'", 5),
        ("{1, 2", "expected '}' or ','", 5),
        ("{a: 1, b}", "expected ':' after a map key", 8),
        ("foo(1,)", "unexpected ')'", 6),
        ("a.", "expected a property or method name", 2),
        ("a.#f()", "cannot follow '.'", 2),
        ("#", "expected a function or variable name", 1),
        ("and", "unexpected operator 'and'", 0),
        ("x[1", "expected ']'", 3),
    ],
)
def test_syntax_errors_name_the_problem_and_its_position(
    text: str, reason: str, position: int
) -> None:
    with pytest.raises(SpelError) as caught:
        tree(text)
    assert reason in caught.value.reason
    assert caught.value.position == position


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("T(java.lang.Runtime)", "type references T(...) are not allowed"),
        ("t(java.lang.Runtime).getRuntime()", "type references T(...) are not allowed"),
        ("new java.io.File('/etc/passwd')", "constructor calls ('new ...') are not allowed"),
        ("@environment", "bean references"),
        ("&factory", "bean references"),
        ("x = 1", "assignment ('=') is not allowed"),
        ("x++", "operator '++' is not allowed"),
        ("--x", "operator '--' is not allowed"),
        ("x instanceof T(String)", "operator 'instanceof' is not supported"),
        ("x between {1, 2}", "operator 'between' is not supported"),
        ("__import__('os')", "names starting with '__' are not allowed"),
        ("''.__class__", "names starting with '__' are not allowed"),
        ("#__builtins__", "names starting with '__' are not allowed"),
        ("a.__dict__.b", "names starting with '__' are not allowed"),
    ],
)
def test_dangerous_constructs_are_refused_at_parse_time(text: str, reason: str) -> None:
    with pytest.raises(SpelError, match=re.escape(reason)):
        tree(text)


def test_empty_and_blank_expressions_are_refused() -> None:
    for text in ("", "   "):
        with pytest.raises(SpelError, match="expression is empty"):
            tree(text)


def test_expression_longer_than_the_limit_is_refused_before_lexing() -> None:
    with pytest.raises(SpelError, match="10,001 characters long; the limit is 10,000"):
        tree("a" * 10_001)


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("(", ")"), ("{", "}"), ("#toInt(", ")"), ("x[", "]"), ("true ? ", " : 0")],
)
def test_deep_nesting_fails_fast_with_a_clear_error(opening: str, closing: str) -> None:
    text = opening * 10_000 + "1" + closing * 10_000
    started = time.perf_counter()
    with pytest.raises(SpelError, match="nested more than 32 levels deep"):
        parse(text, 1_000_000, 32)
    assert time.perf_counter() - started < 1.0


def test_nesting_at_the_limit_still_parses_and_evaluates() -> None:
    assert value("(" * 31 + "1" + ")" * 31) == 1


def test_long_flat_expressions_do_not_recurse_per_operator() -> None:
    # 2,000 operators in one chain: fine, because chains are flat.
    assert value(" + ".join(["1"] * 2_000)) == 2_000
    assert value("!" * 3_000 + "true") is True
    assert value("{" + ", ".join(["1"] * 3_000) + "}.size()") == 3_000
