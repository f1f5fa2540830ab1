"""The tokenizer: literals, operators and errors with positions, as SpEL lexes."""

from __future__ import annotations

import pytest

from workflows.expressions.errors import SpelError
from workflows.expressions.lexer import TokenKind, tokenize


def kinds(text: str) -> list[TokenKind]:
    return [token.kind for token in tokenize(text)][:-1]


def values(text: str) -> list[object]:
    return [token.value for token in tokenize(text)][:-1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'it''s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        ("'no \\n escapes'", "no \\n escapes"),
        ("''", ""),
        ("'a \"mixed\" quote'", 'a "mixed" quote'),
    ],
)
def test_strings_use_doubled_quotes_and_no_backslash_escapes(text: str, expected: str) -> None:
    assert values(text) == [expected]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("42", TokenKind.INT, 42),
        ("42L", TokenKind.INT, 42),
        ("0x1F", TokenKind.INT, 31),
        ("1.5", TokenKind.REAL, 1.5),
        ("2e3", TokenKind.REAL, 2000.0),
        ("1.5E-2", TokenKind.REAL, 0.015),
        ("3f", TokenKind.REAL, 3.0),
        ("2.5d", TokenKind.REAL, 2.5),
        ("9223372036854775807", TokenKind.INT, 2**63 - 1),
    ],
)
def test_numbers_lex_as_spel_integers_and_reals(text: str, kind: TokenKind, value: object) -> None:
    (token, _eof) = tokenize(text)
    assert (token.kind, token.value) == (kind, value)


def test_integer_followed_by_dot_and_name_is_a_property_access_not_a_real() -> None:
    assert kinds("1.toString()") == [
        TokenKind.INT,
        TokenKind.DOT,
        TokenKind.IDENT,
        TokenKind.LPAREN,
        TokenKind.RPAREN,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a?.b", [TokenKind.IDENT, TokenKind.SAFE_NAVI, TokenKind.IDENT]),
        ("a ?: b", [TokenKind.IDENT, TokenKind.ELVIS, TokenKind.IDENT]),
        (
            "a.?[x]",
            [TokenKind.IDENT, TokenKind.DOT, TokenKind.SELECT, TokenKind.IDENT, TokenKind.RSQUARE],
        ),
        (
            "a.^[x]",
            [
                TokenKind.IDENT,
                TokenKind.DOT,
                TokenKind.SELECT_FIRST,
                TokenKind.IDENT,
                TokenKind.RSQUARE,
            ],
        ),
        (
            "a.$[x]",
            [
                TokenKind.IDENT,
                TokenKind.DOT,
                TokenKind.SELECT_LAST,
                TokenKind.IDENT,
                TokenKind.RSQUARE,
            ],
        ),
        (
            "a.![x]",
            [TokenKind.IDENT, TokenKind.DOT, TokenKind.PROJECT, TokenKind.IDENT, TokenKind.RSQUARE],
        ),
        ("a != b", [TokenKind.IDENT, TokenKind.NE, TokenKind.IDENT]),
        (
            "a && b || !c",
            [
                TokenKind.IDENT,
                TokenKind.AND,
                TokenKind.IDENT,
                TokenKind.OR,
                TokenKind.NOT,
                TokenKind.IDENT,
            ],
        ),
        (
            "a <= b >= c",
            [TokenKind.IDENT, TokenKind.LE, TokenKind.IDENT, TokenKind.GE, TokenKind.IDENT],
        ),
        (
            "#stage('x')",
            [TokenKind.HASH, TokenKind.IDENT, TokenKind.LPAREN, TokenKind.STRING, TokenKind.RPAREN],
        ),
    ],
)
def test_two_character_operators_are_single_tokens(text: str, expected: list[TokenKind]) -> None:
    assert kinds(text) == expected


def test_dollar_is_an_identifier_character_unless_it_starts_a_last_selection() -> None:
    assert [t.text for t in tokenize("$a.b$")][:-1] == ["$a", ".", "b$"]


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("'open", "string literal is not terminated", 0),
        ('a + "open', "string literal is not terminated", 4),
        ("a ; b", "unexpected character ';'", 2),
        ("a \\ b", "unexpected character '\\\\'", 2),
        ("name`", "unexpected character '`'", 4),
        ("9223372036854775808", "does not fit in 64 bits", 0),
        ("0x1FFFFFFFFFFFFFFFF", "does not fit in 64 bits", 0),
        ("12abc", "malformed number", 0),
        ("caf\u00e9", "unexpected character", 3),
    ],
)
def test_lexer_errors_name_the_reason_and_position(text: str, reason: str, position: int) -> None:
    with pytest.raises(SpelError) as caught:
        tokenize(text)
    assert reason in caught.value.reason
    assert caught.value.position == position


def test_huge_digit_runs_are_refused_without_converting_them() -> None:
    with pytest.raises(SpelError, match="does not fit in 64 bits"):
        tokenize("1" * 9000)
