"""Gennaker's exception tree.

Every error Gennaker raises on purpose derives from :class:`GennakerError`, so
callers can catch one type. Messages carry what a user needs to act: the file
and field path for bad input, the account or resource for provider failures.

.. code-block:: text

    GennakerError
    ├── ValidationError          bad input: a pipeline file, a config file, a parameter
    │   ├── PipelineError        a pipeline definition that cannot run
    │   ├── ConfigError          the worker configuration file
    │   ├── ExpressionError      a ``${...}`` expression that cannot be parsed or evaluated
    │   └── CanaryConfigError    a canary config or metric set that cannot be judged
    ├── NotFoundError            an unknown pipeline, execution, stage or account
    ├── RefusedError             a message an execution refused (not waiting, not allowed)
    ├── StageError               a stage that failed while running
    ├── ProviderError            a cloud, CI or metrics provider refused or failed
    └── ConnectionError          the Temporal server cannot be reached
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CanaryConfigError",
    "ConfigError",
    "ConnectionError",
    "ExpressionError",
    "FieldProblem",
    "GennakerError",
    "NotFoundError",
    "PipelineError",
    "ProviderError",
    "RefusedError",
    "StageError",
    "ValidationError",
]


class GennakerError(Exception):
    """Base of every error Gennaker raises on purpose."""


class FieldProblem:
    """One problem with one field of an input, for example ``stages[3].refId``."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __repr__(self) -> str:
        return f"FieldProblem({self.path!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldProblem) and (self.path, self.message) == (
            other.path,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.message))


class ValidationError(GennakerError):
    """Bad input. Names the source (usually a file) and every field that is wrong.

    Args:
        problems: What is wrong, one entry per field.
        source: Where the input came from, for example ``pipeline.json``.
    """

    def __init__(self, problems: Sequence[FieldProblem] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [FieldProblem("", problems)]
        self.problems = list(problems)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(f"{prefix}{problem}" for problem in self.problems)

    def with_source(self, source: str) -> ValidationError:
        """Return a copy of this error that names ``source`` (a file name)."""
        return type(self)(self.problems, source)


class PipelineError(ValidationError):
    """A pipeline definition that cannot run (bad field, cycle, unsupported stage type)."""


class ConfigError(ValidationError):
    """The worker configuration file is wrong; names the key path."""


class ExpressionError(ValidationError):
    """A ``${...}`` expression that cannot be parsed or evaluated."""


class CanaryConfigError(ValidationError):
    """A canary config, metric set or threshold that the judge cannot use."""


class NotFoundError(GennakerError):
    """An unknown pipeline, execution, stage, canary config or account."""


class RefusedError(GennakerError):
    """An execution refused a message: a judgement by the wrong user, pausing a finished run."""


class StageError(GennakerError):
    """A stage failed while running. The message says why, for the execution view."""


class ProviderError(GennakerError):
    """A cloud, CI or metrics provider refused or failed a call.

    Args:
        message: What failed, naming the account and resource.
        retryable: Whether trying again later may succeed (throttling, 5xx).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class ConnectionError(GennakerError):  # noqa: A001 - the name users expect in this tree
    """The Temporal server cannot be reached at the given address."""
