"""SpEL's arithmetic and relational operators over expression values.

Numbers follow Java where it matters to pipeline authors: integer ``/`` truncates
towards zero and ``%`` takes the sign of the dividend; any real operand makes a
real result. Integers are 64-bit: a result outside that range is an error rather
than Java's silent wrap-around. Division by zero is an error for reals too (Java
would give Infinity, which JSON cannot carry). ``+`` concatenates when either
side is a string (``'a' + null`` is ``anull``, as SpEL); ``'ab' * 3`` repeats.
"""

from __future__ import annotations

import math
from typing import Any

from workflows.expressions.errors import SpelError
from workflows.expressions.limits import Budget
from workflows.expressions.regex import compile_regex
from workflows.expressions.values import (
    is_number,
    kind_of,
    spel_compare,
    spel_equals,
    to_text,
)

__all__ = ["arithmetic", "compare", "negate", "power", "regex_matches"]

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1
_SYMBOLS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take remainder of"}


def _int(value: int) -> int:
    if not _INT_MIN <= value <= _INT_MAX:
        raise SpelError("integer result does not fit in 64 bits")
    return value


def _real(value: float) -> float:
    if math.isinf(value) or math.isnan(value):
        raise SpelError("numeric result is out of range")
    return value


def arithmetic(op: str, left: Any, right: Any, budget: Budget) -> Any:
    """Apply ``+ - * / %`` to two values."""
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        left_text = "null" if left is None else to_text(left, budget)
        right_text = "null" if right is None else to_text(right, budget)
        budget.string(len(left_text) + len(right_text))
        return left_text + right_text
    if op == "*" and isinstance(left, str) and isinstance(right, int) and is_number(right):
        if right < 0:
            raise SpelError("a string cannot be repeated a negative number of times")
        budget.string(len(left) * right)
        return left * right
    if not (is_number(left) and is_number(right)):
        raise SpelError(f"cannot {_SYMBOLS[op]} {kind_of(left)} and {kind_of(right)} with '{op}'")
    if op in ("/", "%") and right == 0:
        raise SpelError("division by zero")
    both_int = isinstance(left, int) and isinstance(right, int)
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = left * right
    elif op == "/":
        if both_int:
            quotient = abs(left) // abs(right)
            return _int(quotient if (left < 0) == (right < 0) else -quotient)
        result = left / right
    else:
        if both_int:
            remainder = abs(left) % abs(right)
            return _int(-remainder if left < 0 else remainder)
        result = math.fmod(left, right)
    return _int(result) if both_int else _real(float(result))


def negate(value: Any) -> Any:
    """Unary minus."""
    if not is_number(value):
        raise SpelError(f"cannot negate {kind_of(value)}")
    return _int(-value) if isinstance(value, int) else -value


def power(base: Any, exponent: Any) -> Any:
    """``base ^ exponent``; an integer power of integers stays an integer."""
    if not (is_number(base) and is_number(exponent)):
        raise SpelError(f"cannot raise {kind_of(base)} to the power of {kind_of(exponent)}")
    if isinstance(base, int) and isinstance(exponent, int):
        if exponent < 0:
            raise SpelError("a negative integer exponent needs a real base, e.g. 2.0 ^ -1")
        # Refuse before computing, so 10^100000000 costs nothing.
        if abs(base) > 1 and exponent * (abs(base).bit_length() - 1) > 64:
            raise SpelError("integer result does not fit in 64 bits")
        return _int(base**exponent)
    try:
        result = math.pow(base, exponent)
    except (OverflowError, ValueError) as error:
        raise SpelError(f"cannot raise {base} to the power of {exponent}") from error
    return _real(result)


def compare(op: str, left: Any, right: Any, budget: Budget) -> bool:
    """Apply ``== != < <= > >= matches``."""
    if op == "==":
        return spel_equals(left, right, budget)
    if op == "!=":
        return not spel_equals(left, right, budget)
    if op == "matches":
        return regex_matches(left, right, budget)
    order = spel_compare(left, right)
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


def regex_matches(text: Any, pattern: Any, budget: Budget) -> bool:
    """Whether all of ``text`` matches the regular expression ``pattern``."""
    if not isinstance(text, str) or not isinstance(pattern, str):
        raise SpelError(
            f"'matches' needs a string and a pattern string, got {kind_of(text)} "
            f"and {kind_of(pattern)}"
        )
    limits = budget.limits
    regex = compile_regex(pattern, limits.max_regex_length, limits.max_regex_program)
    return regex.fullmatch(text, budget)
