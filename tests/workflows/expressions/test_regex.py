"""The linear-time regular-expression engine behind matches() and split()."""

from __future__ import annotations

import re
import time

import pytest

from workflows.expressions import DEFAULT_LIMITS, Limits
from workflows.expressions.errors import SpelError
from workflows.expressions.limits import Budget
from workflows.expressions.regex import Regex, compile_regex


def rx(pattern: str) -> Regex:
    return compile_regex(pattern, 1_000, 5_000)


def budget(limits: Limits = DEFAULT_LIMITS) -> Budget:
    return Budget(limits)


# Patterns whose meaning is the same in Java, Python's re and this engine.
PATTERNS = [
    "abc",
    "a.c",
    "[a-c]+",
    "[^0-9]*x",
    "a|bc|d",
    "(ab)*c",
    "(?:ab)+",
    "a{2}",
    "a{1,3}b",
    "a{2,}",
    "a*?b",
    "(a|ab)(c|bcd)(d*)",
    "^ab",
    "ab$",
    "\\d+\\.\\d+",
    "\\w+@\\w+\\.com",
    "\\s*-\\s*",
    "\\bfoo\\b",
    "[\\w.-]+",
    "x?y??z",
    "(a*)*b",
    "v[0-9]+(\\.[0-9]+)*",
    "[A-Z][a-z]+(-[A-Z][a-z]+)*",
]
INPUTS = [
    "",
    "abc",
    "aabc",
    "abcbcd",
    "ababc",
    "aaab",
    "aaaa",
    "ac",
    "12.5",
    "bob@example.com",
    " a - b ",
    "a foo b",
    "foobar",
    "x.y-z_1",
    "xz",
    "v1.2.3",
    "Foo-Bar",
    "ab\n",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_full_matching_agrees_with_a_backtracking_engine(pattern: str) -> None:
    compiled = rx(pattern)
    for text in INPUTS:
        assert compiled.fullmatch(text, budget()) == (re.fullmatch(pattern, text) is not None), text


@pytest.mark.parametrize("pattern", PATTERNS)
def test_search_finds_the_same_leftmost_match_as_a_backtracking_engine(pattern: str) -> None:
    compiled = rx(pattern)
    for text in INPUTS:
        found = re.search(pattern, text)
        expected = found.span() if found else None
        assert compiled.search(text, 0, budget()) == expected, text


@pytest.mark.parametrize(
    ("text", "pattern", "limit", "expected"),
    [
        ("a,b,c", ",", 0, ["a", "b", "c"]),
        ("a,b,,c,,", ",", 0, ["a", "b", "", "c"]),  # trailing empties dropped
        ("a,b,,c,,", ",", -1, ["a", "b", "", "c", "", ""]),
        ("a,b,c", ",", 2, ["a", "b,c"]),
        ("a,b,c", ",", 1, ["a,b,c"]),
        (",a", ",", 0, ["", "a"]),  # a leading empty string stays for a real match
        ("abc", "", 0, ["a", "b", "c"]),  # but not for a zero-width one
        ("no-match", ",", 0, ["no-match"]),
        ("", ",", 0, [""]),
        (",,,", ",", 0, []),
        ("a1b22c333", "\\d+", 0, ["a", "b", "c"]),
        ("k=v; k2=v2", ";\\s*", 0, ["k=v", "k2=v2"]),
    ],
)
def test_split_follows_java_string_split(
    text: str, pattern: str, limit: int, expected: list[str]
) -> None:
    assert rx(pattern).split(text, limit, budget()) == expected


def test_case_insensitive_flag_at_the_start_is_supported() -> None:
    assert rx("(?i)prod-[a-z]+").fullmatch("PROD-East", budget())
    assert not rx("prod-[a-z]+").fullmatch("PROD-East", budget())


def test_anchors_and_escapes() -> None:
    assert rx("\\Aab\\z").fullmatch("ab", budget())
    assert rx("ab\\Z").search("xab\n", 0, budget()) == (1, 3)
    assert rx("\\x41\\u00e9\\t").fullmatch("Aé\t", budget())
    assert rx("[\\]\\-]+").fullmatch("]-]", budget())
    assert rx("a\\.b").fullmatch("a.b", budget())
    assert not rx("a\\.b").fullmatch("axb", budget())
    assert rx("\\D\\W\\S").fullmatch("1 b", budget()) is False
    assert rx("\\D\\W\\S").fullmatch("a!b", budget())


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a)\\1", "backreferences"),
        ("(?=a)", "lookaround"),
        ("(?<name>a)", "lookaround, named groups"),
        ("a*+", "possessive"),
        ("a**", "a quantifier cannot follow another"),
        ("*a", "dangling quantifier"),
        ("(a", "missing ')'"),
        ("a)", "unmatched ')'"),
        ("[a", "unclosed character class"),
        ("[z-a]", "illegal range"),
        ("[a[b]]", "nested classes"),
        ("[a&&b]", "class intersections"),
        ("\\p{Alpha}", "unsupported escape \\p"),
        ("a{2,1}", "needs n <= m"),
        ("a{1001}", "above 1000"),
        ("a{99999}", "above 1000"),
        ("a{x}", "malformed repetition"),
        ("^*", "an anchor cannot be repeated"),
        ("x\\", "trailing backslash"),
        ("(" * 40 + ")" * 40, "nested more than 32 deep"),
    ],
)
def test_unsupported_or_malformed_patterns_are_refused(pattern: str, reason: str) -> None:
    with pytest.raises(SpelError, match=re.escape(reason)):
        rx(pattern)


def test_patterns_that_expand_too_far_are_refused() -> None:
    with pytest.raises(SpelError, match="expands to more than 5,000 instructions"):
        rx("((a{100}){100}){100}")


def test_patterns_longer_than_the_limit_are_refused() -> None:
    with pytest.raises(SpelError, match="exceeds the limit of 1,000"):
        compile_regex("a" * 1_001, 1_000, 5_000)


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(a|a)*b", "(a|aa)+$", "(.*a){20}", "(\\w+\\s?)*$", "a*a*a*a*a*a*a*a*b"],
)
def test_catastrophic_backtracking_patterns_run_in_linear_time(pattern: str) -> None:
    text = "a" * 5_000 + "!"
    started = time.perf_counter()
    assert rx(pattern).fullmatch(text, budget()) is False
    assert time.perf_counter() - started < 3.0


def test_regex_work_is_charged_to_the_step_budget() -> None:
    small = Budget(Limits(max_steps=1_000))
    with pytest.raises(SpelError, match="evaluation needs more than 1,000 steps"):
        rx("(a|b)*c").fullmatch("ab" * 2_000, small)


def test_input_longer_than_the_regex_input_limit_is_refused() -> None:
    limits = Limits(max_regex_input=100)
    with pytest.raises(SpelError, match="too long to match against a regular expression"):
        rx("a*").fullmatch("a" * 101, Budget(limits))
