"""The stage-handler interface: one small unit per stage type, behind one protocol.

Providers add stage types by registering a handler for their ``type`` string
(and a :class:`models.stage.StageConfig` subclass for its fields); the
scheduler never changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from models.status import Status

if TYPE_CHECKING:
    from workflows.stages.context import StageContext

__all__ = ["HANDLERS", "BaseHandler", "StageFailed", "StageHandler", "StageResult", "handles"]


@dataclass
class StageResult:
    """What a handler returns when its stage ends without failing.

    Attributes:
        outputs: Values later stages read (``#stage(name)['outputs']``, ``${key}``).
        status: SUCCEEDED normally; a handler may also end SKIPPED or CANCELED.
    """

    outputs: dict[str, Any] = field(default_factory=dict)
    status: Status = Status.SUCCEEDED


class StageFailed(Exception):
    """Raised by a handler when its stage fails.

    The engine turns it into TERMINAL, STOPPED or FAILED_CONTINUE from the stage's
    failure flags. ``fail_pipeline`` overrides the stage's own ``failPipeline``
    (a precondition carries its own), and ``outputs`` are kept on the stage.
    """

    def __init__(
        self,
        message: str,
        *,
        fail_pipeline: bool | None = None,
        outputs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.fail_pipeline = fail_pipeline
        self.outputs = outputs or {}


class StageHandler(Protocol):
    """Runs the stages of one type inside the pipeline workflow (deterministic code).

    Handlers act only through their :class:`StageContext`: activities, timers,
    child pipelines. ``default_timeout_ms`` applies when the stage sets no
    ``stageTimeoutMs`` (None: no limit).
    """

    default_timeout_ms: int | None
    raw_fields: frozenset[str]
    """Fields the engine leaves unevaluated; the handler evaluates them itself."""

    async def run(self, stage: Any, ctx: StageContext) -> StageResult:
        """Run the stage; raise :class:`StageFailed` when it fails."""
        ...

    async def on_cancel(self, stage: Any, ctx: StageContext) -> None:
        """Clean up after a cancel or a timeout (stop a job, roll back a half-made group)."""
        ...


class BaseHandler:
    """Defaults for handlers: no timeout, nothing to clean up."""

    default_timeout_ms: int | None = None
    raw_fields: frozenset[str] = frozenset()

    async def on_cancel(self, stage: Any, ctx: StageContext) -> None:
        """Nothing to clean up."""
        return None


HANDLERS: dict[str, StageHandler] = {}
"""The handler of every stage type, by ``type`` string."""

_H = TypeVar("_H", bound=type[Any])


def handles(*types: str) -> Callable[[_H], _H]:
    """Class decorator: register one instance of the handler for each of ``types``."""

    def register(cls: _H) -> _H:
        instance = cls()
        for name in types:
            if name in HANDLERS and type(HANDLERS[name]) is not cls:
                raise RuntimeError(f"stage type {name!r} has two handlers")
            HANDLERS[name] = instance
        return cls

    return register
