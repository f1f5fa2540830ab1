"""A recursive-descent parser for the SpEL subset, with SpEL's precedence.

Grammar, loosest binding first (as Spring's ``InternalSpelExpressionParser``)::

    expression  := or ( '?:' expression | '?' expression ':' expression )?
    or          := and ( ('or' | '||') and )*
    and         := relational ( ('and' | '&&') relational )*
    relational  := sum ( relop sum )?         -- not chainable: a < b < c is an error
    sum         := product ( ('+' | '-') product )*
    product     := power ( ('*' | '/' | '%' | 'div' | 'mod') power )*
    power       := unary ( '^' unary )?
    unary       := ('!' | 'not' | '-' | '+')* primary
    primary     := start ( '.' dotted | '?.' dotted | '[' expression ']' )*
    start       := literal | '(' expression ')' | name | name '(' args ')'
                 | '#' name | '#' name '(' args ')' | '{' list-or-map '}'
                 | '[' expression ']' | selection | projection
    dotted      := name | name '(' args ')' | selection | projection | '[' expression ']'
    selection   := ('?[' | '^[' | '$[') expression ']'
    projection  := '![' expression ']'

Refused with a reason, never evaluated: ``T(type)``, ``new``, ``@bean``,
``&bean``, assignment, ``++``/``--``, ``instanceof``, ``between``, and any name
starting with ``__``. Nesting depth is counted on every way into
``expression`` so that deep input fails fast instead of exhausting the stack.
"""

from __future__ import annotations

import functools
from typing import Literal

from workflows.expressions.errors import SpelError
from workflows.expressions.lexer import Token, TokenKind, tokenize
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
    Power,
    Project,
    Property,
    Select,
    Step,
    Ternary,
    Unary,
    Variable,
)

__all__ = ["parse"]

# Words that are operators where an operator may stand (case-insensitive, as SpEL).
_RELATIONAL_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_RELATIONAL_TOKENS = {
    TokenKind.EQ: "==",
    TokenKind.NE: "!=",
    TokenKind.LT: "<",
    TokenKind.LE: "<=",
    TokenKind.GT: ">",
    TokenKind.GE: ">=",
}
_OPERATOR_WORDS = frozenset(
    {"and", "or", "not", "div", "mod", "matches", "instanceof", "between", *_RELATIONAL_WORDS}
)
_SELECT_MODES: dict[TokenKind, Literal["all", "first", "last"]] = {
    TokenKind.SELECT: "all",
    TokenKind.SELECT_FIRST: "first",
    TokenKind.SELECT_LAST: "last",
}


@functools.lru_cache(maxsize=2048)
def parse(text: str, max_length: int, max_depth: int) -> Node:
    """Parse one expression (the text inside ``${...}``) into a tree.

    Results are cached by text: a 500-stage pipeline repeats the same few
    expressions many times, and the trees are immutable.

    Args:
        text: The expression.
        max_length: Longest accepted text, in characters.
        max_depth: Deepest accepted nesting.

    Raises:
        SpelError: With the reason and position of the first problem.
    """
    if len(text) > max_length:
        raise SpelError(f"expression is {len(text):,} characters long; the limit is {max_length:,}")
    if not text.strip():
        raise SpelError("expression is empty")
    return _Parser(tokenize(text), max_depth).parse()


class _Parser:
    def __init__(self, tokens: list[Token], max_depth: int) -> None:
        self._tokens = tokens
        self._i = 0
        self._depth = 0
        self._max_depth = max_depth

    # -- token helpers -------------------------------------------------------

    def _peek(self, offset: int = 0) -> Token:
        return self._tokens[min(self._i + offset, len(self._tokens) - 1)]

    def _next(self) -> Token:
        token = self._tokens[self._i]
        if token.kind is not TokenKind.EOF:
            self._i += 1
        return token

    def _at(self, kind: TokenKind) -> bool:
        return self._peek().kind is kind

    def _at_word(self, *words: str) -> str | None:
        token = self._peek()
        if token.kind is TokenKind.IDENT and token.text.lower() in words:
            return token.text.lower()
        return None

    def _expect(self, kind: TokenKind, what: str) -> Token:
        token = self._peek()
        if token.kind is not kind:
            raise SpelError(f"expected {what} but found {_describe(token)}", token.pos)
        return self._next()

    def _name(self, token: Token) -> str:
        if token.text.startswith("__"):
            raise SpelError(f"names starting with '__' are not allowed: {token.text!r}", token.pos)
        return token.text

    # -- grammar ---------------------------------------------------------------

    def parse(self) -> Node:
        node = self._expression()
        token = self._peek()
        if token.kind is not TokenKind.EOF:
            raise SpelError(f"unexpected {_describe(token)}", token.pos)
        return node

    def _expression(self) -> Node:
        self._depth += 1
        if self._depth > self._max_depth:
            raise SpelError(
                f"expression is nested more than {self._max_depth} levels deep",
                self._peek().pos,
            )
        try:
            start = self._peek().pos
            node = self._or()
            token = self._peek()
            if token.kind is TokenKind.ELVIS:
                self._next()
                return Elvis(node, self._expression(), start)
            if token.kind is TokenKind.QMARK:
                self._next()
                then = self._expression()
                self._expect(TokenKind.COLON, "':' of the ternary operator")
                return Ternary(node, then, self._expression(), start)
            if token.kind is TokenKind.ASSIGN:
                raise SpelError("assignment ('=') is not allowed; use '==' to compare", token.pos)
            return node
        finally:
            self._depth -= 1

    def _or(self) -> Node:
        start = self._peek().pos
        operands = [self._and()]
        while self._at(TokenKind.OR) or self._at_word("or"):
            self._next()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands), start)

    def _and(self) -> Node:
        start = self._peek().pos
        operands = [self._relational()]
        while self._at(TokenKind.AND) or self._at_word("and"):
            self._next()
            operands.append(self._relational())
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands), start)

    def _relational(self) -> Node:
        left = self._sum()
        token = self._peek()
        op = _RELATIONAL_TOKENS.get(token.kind)
        word = self._at_word(*_RELATIONAL_WORDS, "matches", "instanceof", "between")
        if word in ("instanceof", "between"):
            raise SpelError(f"operator '{word}' is not supported", token.pos)
        if word is not None:
            op = _RELATIONAL_WORDS.get(word, word)
        if op is None:
            return left
        self._next()
        return Compare(op, left, self._sum(), token.pos)

    def _sum(self) -> Node:
        start = self._peek().pos
        first = self._product()
        rest: list[tuple[str, Node, int]] = []
        while self._peek().kind in (TokenKind.PLUS, TokenKind.MINUS):
            token = self._next()
            rest.append((token.text, self._product(), token.pos))
        return Arithmetic(first, tuple(rest), start) if rest else first

    def _product(self) -> Node:
        start = self._peek().pos
        first = self._power()
        rest: list[tuple[str, Node, int]] = []
        while True:
            token = self._peek()
            if token.kind in (TokenKind.STAR, TokenKind.DIV, TokenKind.MOD):
                op = token.text
            elif word := self._at_word("div", "mod"):
                op = "/" if word == "div" else "%"
            else:
                break
            self._next()
            rest.append((op, self._power(), token.pos))
        return Arithmetic(first, tuple(rest), start) if rest else first

    def _power(self) -> Node:
        base = self._unary()
        token = self._peek()
        if token.kind is TokenKind.POWER:
            self._next()
            base = Power(base, self._unary(), token.pos)
        token = self._peek()
        if token.kind in (TokenKind.INC, TokenKind.DEC):
            raise SpelError(f"operator '{token.text}' is not allowed", token.pos)
        return base

    def _unary(self) -> Node:
        start = self._peek().pos
        ops: list[str] = []
        # A loop, not recursion: "!!!!...x" must not deepen the stack.
        while True:
            token = self._peek()
            if token.kind in (TokenKind.NOT, TokenKind.MINUS, TokenKind.PLUS):
                ops.append("!" if token.kind is TokenKind.NOT else token.text)
            elif self._at_word("not"):
                ops.append("!")
            elif token.kind in (TokenKind.INC, TokenKind.DEC):
                raise SpelError(f"operator '{token.text}' is not allowed", token.pos)
            else:
                break
            self._next()
        operand = self._primary()
        return Unary(tuple(ops), operand, start) if ops else operand

    def _primary(self) -> Node:
        start = self._peek().pos
        head = self._start()
        steps: list[Step] = []
        while True:
            token = self._peek()
            if token.kind is TokenKind.DOT:
                self._next()
                steps.append(Step(self._dotted(null_safe=False), null_safe=False))
            elif token.kind is TokenKind.SAFE_NAVI:
                self._next()
                steps.append(Step(self._dotted(null_safe=True), null_safe=True))
            elif token.kind is TokenKind.LSQUARE:
                steps.append(Step(self._index(), null_safe=False))
            else:
                break
        return Chain(head, tuple(steps), start) if steps else head

    def _dotted(self, *, null_safe: bool) -> Property | MethodCall | Index | Select | Project:
        token = self._peek()
        if token.kind is TokenKind.IDENT:
            # After a dot every word is a name, even "and" or "null" (as SpEL).
            self._next()
            name = self._name(token)
            if self._at(TokenKind.LPAREN):
                return MethodCall(name, self._args(), token.pos)
            return Property(name, token.pos)
        if token.kind in _SELECT_MODES or token.kind is TokenKind.PROJECT:
            return self._selection()
        if token.kind is TokenKind.LSQUARE and null_safe:
            return self._index()
        if token.kind is TokenKind.HASH:
            raise SpelError("a '#' function cannot follow '.'; call it on its own", token.pos)
        raise SpelError(
            f"expected a property or method name but found {_describe(token)}", token.pos
        )

    def _start(self) -> Node:
        token = self._peek()
        kind = token.kind
        if kind in (TokenKind.INT, TokenKind.REAL, TokenKind.STRING):
            self._next()
            assert isinstance(token.value, (int, float, str))
            return Constant(token.value, token.pos)
        if kind is TokenKind.LPAREN:
            self._next()
            node = self._expression()
            self._expect(TokenKind.RPAREN, "')'")
            return node
        if kind is TokenKind.IDENT:
            return self._start_word(token)
        if kind is TokenKind.HASH:
            self._next()
            name_token = self._expect(TokenKind.IDENT, "a function or variable name after '#'")
            name = self._name(name_token)
            if self._at(TokenKind.LPAREN):
                return FunctionCall(name, self._args(), token.pos)
            return Variable(name, token.pos)
        if kind is TokenKind.LCURLY:
            return self._inline()
        if kind is TokenKind.LSQUARE:
            return self._index()
        if kind in _SELECT_MODES or kind is TokenKind.PROJECT:
            return self._selection()
        if kind in (TokenKind.BEAN_REF, TokenKind.FACTORY_BEAN_REF):
            raise SpelError("bean references ('@name', '&name') are not allowed", token.pos)
        if kind is TokenKind.EOF:
            raise SpelError("unexpected end of expression", token.pos)
        raise SpelError(f"unexpected {_describe(token)}", token.pos)

    def _start_word(self, token: Token) -> Node:
        word = token.text.lower()
        following = self._peek(1).kind
        if word in ("true", "false"):
            self._next()
            return Constant(word == "true", token.pos)
        if word == "null":
            self._next()
            return Constant(None, token.pos)
        if word == "t" and following is TokenKind.LPAREN:
            raise SpelError("type references T(...) are not allowed", token.pos)
        if word == "new" and following is TokenKind.IDENT:
            raise SpelError("constructor calls ('new ...') are not allowed", token.pos)
        if word in _OPERATOR_WORDS:
            raise SpelError(f"unexpected operator '{token.text}'", token.pos)
        self._next()
        name = self._name(token)
        if self._at(TokenKind.LPAREN):
            return MethodCall(name, self._args(), token.pos)
        return Property(name, token.pos)

    def _args(self) -> tuple[Node, ...]:
        self._expect(TokenKind.LPAREN, "'('")
        args: list[Node] = []
        if not self._at(TokenKind.RPAREN):
            args.append(self._expression())
            while self._at(TokenKind.COMMA):
                self._next()
                args.append(self._expression())
        self._expect(TokenKind.RPAREN, "')' or ','")
        return tuple(args)

    def _index(self) -> Index:
        token = self._expect(TokenKind.LSQUARE, "'['")
        index = self._expression()
        self._expect(TokenKind.RSQUARE, "']'")
        return Index(index, token.pos)

    def _selection(self) -> Select | Project:
        token = self._next()
        inner = self._expression()
        self._expect(TokenKind.RSQUARE, "']'")
        if token.kind is TokenKind.PROJECT:
            return Project(inner, token.pos)
        return Select(_SELECT_MODES[token.kind], inner, token.pos)

    def _inline(self) -> InlineList | InlineMap:
        open_token = self._expect(TokenKind.LCURLY, "'{'")
        if self._at(TokenKind.RCURLY):
            self._next()
            return InlineList((), open_token.pos)
        if self._at(TokenKind.COLON) and self._peek(1).kind is TokenKind.RCURLY:
            self._next()
            self._next()
            return InlineMap((), open_token.pos)
        first = self._expression()
        if not self._at(TokenKind.COLON):
            items = [first]
            while self._at(TokenKind.COMMA):
                self._next()
                items.append(self._expression())
            self._expect(TokenKind.RCURLY, "'}' or ','")
            return InlineList(tuple(items), open_token.pos)
        self._next()
        entries = [(first, self._expression())]
        while self._at(TokenKind.COMMA):
            self._next()
            key = self._expression()
            self._expect(TokenKind.COLON, "':' after a map key")
            entries.append((key, self._expression()))
        self._expect(TokenKind.RCURLY, "'}' or ','")
        return InlineMap(tuple(entries), open_token.pos)


def _describe(token: Token) -> str:
    if token.kind is TokenKind.EOF:
        return "end of expression"
    return f"'{token.text}'"
