"""Size and time bounds for expressions, and the budget that enforces them.

Expressions come from pipeline authors and run inside Temporal workflow code,
so every way to make one slow or large is capped: the text (length, nesting),
the work (a step budget that every node, element visit, copied value and regex
step draws from) and what it may build (string and collection sizes). A budget
is deterministic: the same expression over the same data always stops at the
same point, which keeps workflow replays identical.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.expressions.errors import SpelError

__all__ = ["DEFAULT_LIMITS", "Budget", "Limits"]


@dataclass(frozen=True)
class Limits:
    """The bounds applied to parsing and evaluation.

    Attributes:
        max_expression_length: Characters inside one ``${...}`` (or one bare
            expression such as ``stageEnabled.expression``).
        max_template_length: Characters of a string that contains ``${``.
        max_nesting_depth: Nested parentheses, brackets, braces, call arguments
            and ternaries in one expression (also brackets in a template).
        max_steps: Work units for one ``evaluate`` call, or shared by every
            expression of one ``render`` call.
        max_string_length: Characters of any string an expression builds.
        max_collection_size: Elements of any list or map an expression builds.
        max_value_depth: Nesting of values that are compared, printed, copied
            or read from JSON.
        max_regex_length: Characters of a regular expression.
        max_regex_input: Characters of a string matched against a regular
            expression.
        max_regex_program: Instructions of a compiled regular expression
            (counted repetitions such as ``a{1000}`` expand).
    """

    max_expression_length: int = 10_000
    max_template_length: int = 1_000_000
    max_nesting_depth: int = 32
    max_steps: int = 500_000
    max_string_length: int = 1_000_000
    max_collection_size: int = 100_000
    max_value_depth: int = 64
    max_regex_length: int = 1_000
    max_regex_input: int = 100_000
    max_regex_program: int = 5_000


DEFAULT_LIMITS = Limits()

# Building a string or list costs one step per this many characters or
# elements, so a budget also bounds the memory an expression can allocate.
_UNITS_PER_STEP = 16


class Budget:
    """Counts work against :attr:`Limits.max_steps` and checks built sizes.

    Args:
        limits: The bounds to enforce.
    """

    __slots__ = ("_left", "limits")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._left = limits.max_steps

    @property
    def used(self) -> int:
        """Work units spent so far."""
        return self.limits.max_steps - self._left

    def charge(self, steps: int = 1) -> None:
        """Spend ``steps`` work units; fail once the budget is exhausted."""
        self._left -= steps
        if self._left < 0:
            raise SpelError(
                f"evaluation needs more than {self.limits.max_steps:,} steps; "
                "simplify the expression"
            )

    def string(self, length: int) -> None:
        """Check and pay for a string of ``length`` characters before building it."""
        if length > self.limits.max_string_length:
            raise SpelError(
                f"a string of {length:,} characters exceeds the limit of "
                f"{self.limits.max_string_length:,}"
            )
        self.charge(1 + length // _UNITS_PER_STEP)

    def collection(self, size: int) -> None:
        """Check and pay for a list or map of ``size`` elements before building it."""
        if size > self.limits.max_collection_size:
            raise SpelError(
                f"a collection of {size:,} elements exceeds the limit of "
                f"{self.limits.max_collection_size:,}"
            )
        self.charge(1 + size // _UNITS_PER_STEP)
