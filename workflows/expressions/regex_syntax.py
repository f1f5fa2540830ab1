"""The syntax of the regular expressions ``matches`` and ``split`` accept.

Parses a Java-style pattern into a small tree for :mod:`regex` to compile.
Supported: literals, ``.``, classes ``[a-z]``, ``[^...]``, ``\\d \\D \\w \\W
\\s \\S``, escapes ``\\t \\n \\r \\f \\e \\a \\xhh \\uhhhh`` and escaped
punctuation, anchors ``^ $ \\A \\z \\Z \\b \\B``, groups ``(...)`` and
``(?:...)``, alternation, greedy and lazy ``* + ? {n} {n,} {n,m}`` (counts up to
1000), and a leading ``(?i)``. Refused with a reason: backreferences,
lookaround, possessive quantifiers, other inline flags, nested classes and
Unicode properties. Group nesting is bounded, so parsing cannot recurse deeply.
"""

from __future__ import annotations

from collections.abc import Callable

from workflows.expressions.errors import SpelError

__all__ = ["LINE_TERMINATORS", "CharTest", "RegexNode", "is_word", "parse_pattern"]

CharTest = Callable[[str], bool]

_MAX_REPEAT = 1000
_MAX_GROUP_DEPTH = 32
LINE_TERMINATORS = "\n\r\u0085\u2028\u2029"


def is_word(ch: str) -> bool:
    """Java's word character for \\w and \\b: ASCII letters, digits, underscore."""
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_space(ch: str) -> bool:
    return ch in " \t\n\x0b\f\r"


_CLASS_ESCAPES: dict[str, tuple[CharTest, bool]] = {
    "d": (_is_digit, False),
    "D": (_is_digit, True),
    "w": (is_word, False),
    "W": (is_word, True),
    "s": (_is_space, False),
    "S": (_is_space, True),
}
_CHAR_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "e": "\x1b", "a": "\x07"}
_ASSERT_ESCAPES = {"b": "word", "B": "not_word", "A": "begin", "z": "end", "Z": "end_line"}

# Regex syntax tree: ("char", test) | ("cat", [nodes]) | ("alt", [nodes])
# | ("rep", node, min, max_or_None, greedy) | ("assert", name)
RegexNode = tuple[object, ...]


def parse_pattern(pattern: str) -> RegexNode:
    """Parse ``pattern`` (with an optional leading ``(?i)``) into a tree.

    Raises:
        SpelError: For malformed patterns and unsupported features.
    """
    if pattern.startswith("(?i)"):
        return _RegexParser(pattern, 4, ignore_case=True).parse()
    return _RegexParser(pattern, 0, ignore_case=False).parse()


class _RegexParser:
    def __init__(self, pattern: str, start: int, *, ignore_case: bool) -> None:
        self._p = pattern
        self._i = start
        self._ignore_case = ignore_case
        self._depth = 0

    def _fail(self, reason: str) -> SpelError:
        return SpelError(f"invalid regular expression {self._p!r}: {reason} at index {self._i}")

    def parse(self) -> RegexNode:
        node = self._alternation()
        if self._i < len(self._p):
            raise self._fail("unmatched ')'")
        return node

    def _alternation(self) -> RegexNode:
        branches = [self._sequence()]
        while self._i < len(self._p) and self._p[self._i] == "|":
            self._i += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def _sequence(self) -> RegexNode:
        items: list[RegexNode] = []
        while self._i < len(self._p) and self._p[self._i] not in "|)":
            atom = self._atom()
            items.append(self._quantified(atom))
        return ("cat", items)

    def _quantified(self, atom: RegexNode) -> RegexNode:
        if self._i >= len(self._p):
            return atom
        ch = self._p[self._i]
        if ch == "*":
            low, high = 0, None
        elif ch == "+":
            low, high = 1, None
        elif ch == "?":
            low, high = 0, 1
        elif ch == "{":
            low, high = self._counted()
        else:
            return atom
        if atom[0] == "assert":
            raise self._fail("an anchor cannot be repeated")
        self._i += 1
        greedy = True
        if self._i < len(self._p) and self._p[self._i] == "?":
            greedy = False
            self._i += 1
        elif self._i < len(self._p) and self._p[self._i] == "+":
            raise self._fail("possessive quantifiers are not supported")
        if self._i < len(self._p) and self._p[self._i] in "*+{":
            raise self._fail("a quantifier cannot follow another")
        return ("rep", atom, low, high, greedy)

    def _counted(self) -> tuple[int, int | None]:
        end = self._p.find("}", self._i)
        body = self._p[self._i + 1 : end] if end > 0 else ""
        low_text, comma, high_text = body.partition(",")
        if not _is_count(low_text) or (high_text and not _is_count(high_text)):
            raise self._fail("malformed repetition {...}")
        if len(low_text) > 4 or len(high_text) > 4:
            raise self._fail(f"repetition counts above {_MAX_REPEAT} are not supported")
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        if low > _MAX_REPEAT or (high is not None and high > _MAX_REPEAT):
            raise self._fail(f"repetition counts above {_MAX_REPEAT} are not supported")
        if high is not None and high < low:
            raise self._fail("repetition {n,m} needs n <= m")
        self._i = end  # the caller steps over the closing brace
        return low, high

    def _atom(self) -> RegexNode:
        ch = self._p[self._i]
        if ch == "(":
            return self._group()
        self._i += 1
        if ch == ".":
            return ("char", lambda c: c not in LINE_TERMINATORS)
        if ch == "^":
            return ("assert", "begin")
        if ch == "$":
            return ("assert", "end_line")
        if ch == "[":
            return self._class()
        if ch == "\\":
            return self._escape()
        if ch in "*+?{":
            self._i -= 1
            raise self._fail(f"dangling quantifier {ch!r}")
        return ("char", self._literal_test(ch))

    def _group(self) -> RegexNode:
        self._depth += 1
        if self._depth > _MAX_GROUP_DEPTH:
            raise self._fail(f"groups nested more than {_MAX_GROUP_DEPTH} deep")
        self._i += 1
        if self._p.startswith("?:", self._i):
            self._i += 2
        elif self._p.startswith("?", self._i):
            raise self._fail("lookaround, named groups and inline flags are not supported")
        node = self._alternation()
        if self._i >= len(self._p) or self._p[self._i] != ")":
            raise self._fail("missing ')'")
        self._i += 1
        self._depth -= 1
        return node

    def _escape(self) -> RegexNode:
        if self._i >= len(self._p):
            raise self._fail("trailing backslash")
        ch = self._p[self._i]
        self._i += 1
        if ch in _ASSERT_ESCAPES:
            return ("assert", _ASSERT_ESCAPES[ch])
        if ch in _CLASS_ESCAPES:
            test, negate = _CLASS_ESCAPES[ch]
            return ("char", _negated(test) if negate else test)
        return ("char", self._literal_test(self._escaped_char(ch)))

    def _escaped_char(self, ch: str) -> str:
        if ch in _CHAR_ESCAPES:
            return _CHAR_ESCAPES[ch]
        if ch in "xu":
            width = 2 if ch == "x" else 4
            digits = self._p[self._i : self._i + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self._fail(f"malformed \\{ch} escape")
            self._i += width
            return chr(int(digits, 16))
        if ch.isdigit():
            raise self._fail("backreferences and octal escapes are not supported")
        if ch.isascii() and ch.isalpha():
            raise self._fail(f"unsupported escape \\{ch}")
        return ch

    def _class(self) -> RegexNode:
        negate = False
        if self._i < len(self._p) and self._p[self._i] == "^":
            negate = True
            self._i += 1
        tests: list[CharTest] = []
        ranges: list[tuple[str, str]] = []
        first = True
        while True:
            if self._i >= len(self._p):
                raise self._fail("unclosed character class")
            ch = self._p[self._i]
            if ch == "]" and not first:
                self._i += 1
                break
            if ch == "[" or self._p.startswith("&&", self._i):
                raise self._fail("nested classes and class intersections are not supported")
            first = False
            self._i += 1
            if ch == "\\":
                if self._i >= len(self._p):
                    raise self._fail("trailing backslash")
                escaped = self._p[self._i]
                self._i += 1
                if escaped in _CLASS_ESCAPES:
                    test, negated = _CLASS_ESCAPES[escaped]
                    tests.append(_negated(test) if negated else test)
                    continue
                ch = self._escaped_char(escaped)
            low = ch
            if (
                self._i + 1 < len(self._p)
                and self._p[self._i] == "-"
                and self._p[self._i + 1] != "]"
            ):
                self._i += 1
                high = self._p[self._i]
                self._i += 1
                if high == "\\":
                    if self._i >= len(self._p):
                        raise self._fail("trailing backslash")
                    high = self._escaped_char(self._p[self._i])
                    self._i += 1
                if high < low:
                    raise self._fail(f"illegal range {low}-{high}")
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        return ("char", self._class_test(tuple(ranges), tuple(tests), negate))

    def _class_test(
        self, ranges: tuple[tuple[str, str], ...], tests: tuple[CharTest, ...], negate: bool
    ) -> CharTest:
        ignore_case = self._ignore_case

        def member(c: str) -> bool:
            return any(lo <= c <= hi for lo, hi in ranges) or any(t(c) for t in tests)

        def test(c: str) -> bool:
            hit = member(c) or (ignore_case and (member(c.lower()) or member(c.upper())))
            return hit != negate

        return test

    def _literal_test(self, literal: str) -> CharTest:
        if self._ignore_case:
            folded = literal.lower()
            return lambda c: c.lower() == folded
        return lambda c: c == literal


def _is_count(text: str) -> bool:
    return bool(text) and all(c in "0123456789" for c in text)


def _negated(test: CharTest) -> CharTest:
    return lambda c: not test(c)
