"""What an expression can see, and how a failed one is reported."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExpressionFailure", "ExpressionScope"]


@dataclass(frozen=True)
class ExpressionScope:
    """The names and stages an expression is evaluated against.

    Attributes:
        variables: The root object: top-level names such as ``execution``,
            ``trigger`` and ``parameters``, merged with upstream stage outputs
            and ``evaluateVariables`` keys. A bare name reads a key of it; an
            unknown name is null.
        stages: Views of the run's stages, in execution order, each a mapping
            with ``refId``, ``name``, ``type``, ``status`` (a plain string),
            ``context`` and ``outputs``. ``#stage``, ``#stageByRefId``,
            ``#stageExists`` and ``#judgment`` search them.
        current_stage: The view of the stage being evaluated, for
            ``#currentStage()``; None outside a stage.
        functions: Extra ``#name(...)`` helpers (for example a provider's
            ``#deployedServerGroups``). Each receives plain JSON-like copies of
            its arguments and must be deterministic, since expressions run in
            workflow code. They cannot replace a built-in helper.
    """

    variables: Mapping[str, Any] = field(default_factory=dict)
    stages: Sequence[Mapping[str, Any]] = ()
    current_stage: Mapping[str, Any] | None = None
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpressionFailure:
    """One expression that could not be evaluated, as ``render`` reports it.

    Attributes:
        expression: The expression as written in the field, ``${...}``
            included (cut short, with a note, beyond 1,000 characters).
        reason: Why it failed, for the pipeline author.
    """

    expression: str
    reason: str

    def __str__(self) -> str:
        return f"{self.expression}: {self.reason}"
