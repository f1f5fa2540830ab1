"""Turns the text of one expression into tokens, following SpEL's tokenizer.

Strings use SpEL's rules: single or double quotes, the quote doubled inside to
escape it, no backslash escapes. Numbers are decimal or hex integers (an ``L``
suffix is accepted) and reals (``1.5``, ``2e3``, optional ``f``/``d`` suffix).
Textual operators (``and``, ``eq``, ``div``, ...) stay identifiers here; the
parser decides by position whether a word is an operator or a name, as SpEL does
for ``trigger.and``-style property names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from workflows.expressions.errors import SpelError

__all__ = ["Token", "TokenKind", "tokenize"]

_INT_MAX = 2**63 - 1
# Longer digit runs cannot fit in 64 bits; refusing them early also keeps
# Python's int() away from huge inputs.
_MAX_DECIMAL_DIGITS = 19
_MAX_HEX_DIGITS = 16


class TokenKind(enum.Enum):
    """The kinds of token an expression is made of."""

    INT = "integer"
    REAL = "number"
    STRING = "string"
    IDENT = "name"
    LPAREN = "("
    RPAREN = ")"
    LSQUARE = "["
    RSQUARE = "]"
    LCURLY = "{"
    RCURLY = "}"
    COMMA = ","
    COLON = ":"
    DOT = "."
    SAFE_NAVI = "?."
    HASH = "#"
    QMARK = "?"
    ELVIS = "?:"
    SELECT = "?["
    SELECT_FIRST = "^["
    SELECT_LAST = "$["
    PROJECT = "!["
    PLUS = "+"
    MINUS = "-"
    STAR = "*"
    DIV = "/"
    MOD = "%"
    POWER = "^"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    NOT = "!"
    AND = "&&"
    OR = "||"
    # Recognised only so that the parser can refuse them with a clear reason.
    ASSIGN = "="
    INC = "++"
    DEC = "--"
    BEAN_REF = "@"
    FACTORY_BEAN_REF = "&"
    EOF = "end of expression"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its source text, its value for literals, its offset."""

    kind: TokenKind
    text: str
    pos: int
    value: object = None


# Two-character tokens are tried before one-character ones.
_TWO_CHAR = {
    "?.": TokenKind.SAFE_NAVI,
    "?:": TokenKind.ELVIS,
    "?[": TokenKind.SELECT,
    "^[": TokenKind.SELECT_FIRST,
    "$[": TokenKind.SELECT_LAST,
    "![": TokenKind.PROJECT,
    "==": TokenKind.EQ,
    "!=": TokenKind.NE,
    "<=": TokenKind.LE,
    ">=": TokenKind.GE,
    "&&": TokenKind.AND,
    "||": TokenKind.OR,
    "++": TokenKind.INC,
    "--": TokenKind.DEC,
}
_ONE_CHAR = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "[": TokenKind.LSQUARE,
    "]": TokenKind.RSQUARE,
    "{": TokenKind.LCURLY,
    "}": TokenKind.RCURLY,
    ",": TokenKind.COMMA,
    ":": TokenKind.COLON,
    ".": TokenKind.DOT,
    "#": TokenKind.HASH,
    "?": TokenKind.QMARK,
    "+": TokenKind.PLUS,
    "-": TokenKind.MINUS,
    "*": TokenKind.STAR,
    "/": TokenKind.DIV,
    "%": TokenKind.MOD,
    "^": TokenKind.POWER,
    "<": TokenKind.LT,
    ">": TokenKind.GT,
    "!": TokenKind.NOT,
    "=": TokenKind.ASSIGN,
    "@": TokenKind.BEAN_REF,
    "&": TokenKind.FACTORY_BEAN_REF,
}
_WHITESPACE = " \t\r\n"
_DIGITS = "0123456789"
_HEX_DIGITS = "0123456789abcdefABCDEF"


def _is_ident_start(ch: str) -> bool:
    # ASCII only, as SpEL: no look-alike Unicode names.
    return ch.isascii() and (ch.isalpha() or ch in "_$")


def _is_ident_part(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "_$")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one ``EOF`` token.

    Raises:
        SpelError: On a character or literal that SpEL would not accept, with its
            position.
    """
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
        elif ch in _DIGITS:
            i = _lex_number(text, i, tokens)
        elif ch in "'\"":
            i = _lex_string(text, i, tokens)
        elif ch == "$" and text.startswith("$[", i):
            tokens.append(Token(TokenKind.SELECT_LAST, "$[", i))
            i += 2
        elif _is_ident_start(ch):
            start = i
            i += 1
            while i < n and _is_ident_part(text[i]):
                i += 1
            tokens.append(Token(TokenKind.IDENT, text[start:i], start))
        elif text[i : i + 2] in _TWO_CHAR:
            tokens.append(Token(_TWO_CHAR[text[i : i + 2]], text[i : i + 2], i))
            i += 2
        elif ch in _ONE_CHAR:
            tokens.append(Token(_ONE_CHAR[ch], ch, i))
            i += 1
        else:
            raise SpelError(f"unexpected character {ch!r}", i)
    tokens.append(Token(TokenKind.EOF, "", n))
    return tokens


def _lex_string(text: str, start: int, tokens: list[Token]) -> int:
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            raise SpelError("string literal is not terminated", start)
        parts.append(text[i:end])
        # A doubled quote is an escaped quote (SpEL has no backslash escapes).
        if text.startswith(quote, end + 1):
            parts.append(quote)
            i = end + 2
            continue
        tokens.append(Token(TokenKind.STRING, text[start : end + 1], start, "".join(parts)))
        return end + 1


def _lex_number(text: str, start: int, tokens: list[Token]) -> int:
    n = len(text)
    i = start
    if text.startswith(("0x", "0X"), i) and i + 2 < n and text[i + 2] in _HEX_DIGITS:
        i += 2
        while i < n and text[i] in _HEX_DIGITS:
            i += 1
        if len(text[start + 2 : i].lstrip("0")) > _MAX_HEX_DIGITS:
            raise SpelError(f"integer {text[start:i]!r} does not fit in 64 bits", start)
        value = int(text[start + 2 : i], 16)
        if i < n and text[i] in "lL":
            i += 1
        return _push_int(text, start, i, value, tokens)
    while i < n and text[i] in _DIGITS:
        i += 1
    is_real = False
    # "1.5" is a real; "1.foo" is the integer 1 followed by a property access.
    if i + 1 < n and text[i] == "." and text[i + 1] in _DIGITS:
        is_real = True
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            is_real = True
            i = j
            while i < n and text[i] in _DIGITS:
                i += 1
    digits = text[start:i]
    if not is_real and len(digits.lstrip("0")) > _MAX_DECIMAL_DIGITS:
        raise SpelError(f"integer {digits!r} does not fit in 64 bits", start)
    if i < n and text[i] in "fFdD":
        is_real = True
        i += 1
    elif i < n and text[i] in "lL" and not is_real:
        i += 1
        return _push_int(text, start, i, int(digits), tokens)
    if i < n and _is_ident_part(text[i]):
        raise SpelError(f"malformed number {text[start : i + 1]!r}", start)
    if is_real:
        value_f = float(digits)
        if value_f in (float("inf"), float("-inf")):
            raise SpelError(f"number {digits!r} is too large", start)
        tokens.append(Token(TokenKind.REAL, text[start:i], start, value_f))
        return i
    return _push_int(text, start, i, int(digits), tokens)


def _push_int(text: str, start: int, end: int, value: int, tokens: list[Token]) -> int:
    if value > _INT_MAX:
        raise SpelError(f"integer {text[start:end]!r} does not fit in 64 bits", start)
    tokens.append(Token(TokenKind.INT, text[start:end], start, value))
    return end
