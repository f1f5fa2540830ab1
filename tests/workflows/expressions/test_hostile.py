"""Hostile input is refused: no side effects, no crash, bounded time and memory."""

from __future__ import annotations

import time
from typing import Any

import pytest

from models.errors import ExpressionError
from workflows.expressions import (
    ExpressionScope,
    Limits,
    evaluate,
    evaluate_condition,
    render,
)

from .conftest import make_scope

SECONDS = 3.0  # generous: the slowest case here takes well under a second


def render_one(template: str, scope: ExpressionScope | None = None) -> tuple[Any, str]:
    result, failures = render(template, scope or make_scope())
    assert len(failures) == 1, failures
    return result, failures[0].reason


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        (
            "${T(java.lang.Runtime).getRuntime().exec('x')}",
            "type references T(...) are not allowed",
        ),
        ("${T(java.lang.System).exit(0)}", "type references T(...) are not allowed"),
        (
            "${new java.lang.ProcessBuilder('sh').start()}",
            "constructor calls ('new ...') are not allowed",
        ),
        ("${__import__('os')}", "names starting with '__' are not allowed"),
        (
            "${__import__('os').system('touch /tmp/pwned')}",
            "names starting with '__' are not allowed",
        ),
        ("${''.__class__}", "names starting with '__' are not allowed"),
        ("${''.__class__.__mro__[1].__subclasses__()}", "names starting with '__' are not allowed"),
        ("${#this.__dict__}", "names starting with '__' are not allowed"),
        ("${#root.__class__}", "names starting with '__' are not allowed"),
        ("${#__builtins__}", "names starting with '__' are not allowed"),
        ("${@systemProperties}", "bean references"),
        (
            "${trigger.getClass().forName('java.lang.Runtime')}",
            "method 'getClass()' is not available",
        ),
        ("${eval('1')}", "method 'eval()' is not available on map"),
        ("${exec('import os')}", "method 'exec()' is not available on map"),
        ("${open('/etc/passwd').read()}", "method 'open()' is not available on map"),
        ("${#this['__class__']}", "evaluated to null"),  # only ever a map lookup
        ("${trigger = 'x'}", "assignment ('=') is not allowed"),
    ],
)
def test_code_execution_attempts_stay_literal_and_are_reported(template: str, reason: str) -> None:
    result, failure = render_one(template)
    assert result == template
    assert reason in failure


def test_refused_expressions_have_no_side_effects_anywhere_in_them() -> None:
    calls: list[str] = []

    def record() -> str:
        calls.append("called")
        return "x"

    scope = make_scope(functions={"record": record})
    for template in (
        "${#record() + T(java.lang.Runtime).getRuntime()}",
        "${#record() + __import__('os')}",
        "${#record() + ''.__class__}",
        "${#record() + (" + "(" * 100 + "1" + ")" * 100 + ")}",
    ):
        result, failures = render(template, scope)
        assert result == template
        assert len(failures) == 1
    assert calls == []  # refused while parsing, before anything ran


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("(", ")"), ("[", "]"), ("{", "}"), ("#toJson(", ")"), ("!(", ")"), ("x.?[", "]")],
)
def test_ten_thousand_nested_brackets_fail_fast_without_recursion_error(
    opening: str, closing: str
) -> None:
    deep = opening * 10_000 + "1" + closing * 10_000
    started = time.perf_counter()
    result, reason = render_one("${" + deep + "}")
    assert result == "${" + deep + "}"
    assert "nested more than 32 levels deep" in reason
    # Also through evaluate() with the length limit lifted, so the parser's own
    # depth guard is what stops it.
    with pytest.raises(ExpressionError, match="nested more than 32 levels deep"):
        evaluate(deep, make_scope(), limits=Limits(max_expression_length=1_000_000))
    assert time.perf_counter() - started < SECONDS


def test_deep_nesting_fails_cleanly_even_when_the_caller_is_deep_in_the_stack() -> None:
    def at_depth(levels: int) -> Any:
        if levels:
            return at_depth(levels - 1)
        return render("${" + "(" * 31 + "1" + ")" * 31 + "}", make_scope())

    result, failures = at_depth(700)
    # Either it evaluates, or it is reported; it never raises RecursionError.
    assert result == 1 or "nested too deeply" in failures[0].reason


def test_a_multi_megabyte_template_is_refused_quickly() -> None:
    template = "x" * 3_000_000 + "${trigger.user}"
    started = time.perf_counter()
    result, reason = render_one(template)
    assert result is template
    assert "3,000,015 characters is too long to evaluate (limit 1,000,000)" in reason
    assert time.perf_counter() - started < SECONDS


def test_a_megabyte_of_text_without_expressions_passes_through_untouched() -> None:
    text = "y" * 2_000_000
    result, failures = render({"big": text}, make_scope())
    assert result["big"] is text
    assert failures == []


def test_an_overlong_expression_is_refused() -> None:
    template = "${" + "1+" * 6_000 + "1}"
    result, reason = render_one(template)
    assert result == template
    assert "12,001 characters long; the limit is 10,000" in reason


@pytest.mark.parametrize(
    "expression",
    [
        "'x' * 100000000",
        "#root.big.replace('a', 'aa')",  # sized before it is built
        "('ab' * 1000) * 1000",
        "#toBase64(#root.big) + #root.big",
        "#root.big + #root.big",
    ],
)
def test_strings_cannot_grow_past_the_size_limit(expression: str) -> None:
    scope = ExpressionScope(variables={"big": "a" * 600_000})
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match="exceeds the limit of 1,000,000"):
        evaluate(expression, scope)
    assert time.perf_counter() - started < SECONDS


def test_string_doubling_through_nested_concatenation_is_stopped() -> None:
    # Each level doubles the string: 4,000 characters become 2,048,000.
    doubling = "s"
    for _ in range(9):
        doubling = f"({doubling}+{doubling})"
    assert len(doubling) < 10_000
    scope = ExpressionScope(variables={"s": "ab" * 2_000})
    started = time.perf_counter()
    # Building strings is paid from the step budget, which runs out before the
    # size limit is even reached.
    with pytest.raises(ExpressionError, match=r"steps|exceeds the limit of 1,000,000"):
        evaluate(doubling, scope)
    assert time.perf_counter() - started < SECONDS
    with pytest.raises(ExpressionError, match="exceeds the limit of 1,000,000"):
        evaluate(doubling, scope, limits=Limits(max_steps=10_000_000))


def test_templates_that_expand_many_times_over_are_capped_as_a_whole() -> None:
    template = "${'x' * 900000}" * 5
    result, failures = render(template, make_scope())
    assert result == template
    assert "exceeds 1,000,000 characters" in failures[-1].reason


def test_large_results_built_by_repetition_exhaust_the_budget() -> None:
    scope = ExpressionScope(variables={"items": list(range(3_000)), "big": "b" * 500_000})
    started = time.perf_counter()
    for expression in (
        "items.![#root.big]",  # 3,000 references to a 500 kB string
        "items.![#root.big.toUpperCase()]",
        "items.![#root.items.![#root.items.![1]]]",
        "#toJson(items.![#root.items])",
    ):
        with pytest.raises(ExpressionError, match="steps"):
            evaluate(expression, scope)
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize(
    "expression",
    [
        "#root.t matches '(a+)+$'",
        "#root.t.matches('(a|aa)+$')",
        "#root.t.matches('(.*a){20}$')",
        "#root.t.split('(a*)*b').size() == 1",
    ],
)
def test_regex_bombs_finish_in_bounded_time(expression: str) -> None:
    scope = ExpressionScope(variables={"t": "a" * 30_000 + "!"})
    started = time.perf_counter()
    try:
        evaluate(expression, scope)
    except ExpressionError as error:  # refused by the step budget is fine too
        assert "steps" in str(error)
    assert time.perf_counter() - started < SECONDS


def test_conditions_refuse_hostile_input_with_an_error_not_a_crash() -> None:
    for expression in ("T(java.lang.Runtime).getRuntime()", "${__import__('os')}", "(" * 5_000):
        with pytest.raises(ExpressionError):
            evaluate_condition(expression, make_scope())
