"""The internal error raised while lexing, parsing or evaluating an expression.

Lower layers raise :class:`SpelError` with a plain reason (and, when known, the
character position inside the expression); the public functions turn it into
``models.errors.ExpressionError`` or an ``ExpressionFailure``. Keeping one small
internal type means no lower module needs to know the expression's full text.
"""

from __future__ import annotations

__all__ = ["SpelError"]


class SpelError(Exception):
    """Why an expression cannot be parsed or evaluated.

    Args:
        reason: What is wrong, for a pipeline author (no Python internals).
        position: 0-based character offset inside the expression, if known.
    """

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position

    def describe(self) -> str:
        """The reason, with the position appended when it is known."""
        if self.position is None:
            return self.reason
        return f"{self.reason} (at position {self.position})"
