"""Stage handlers. Importing this package registers the core ones."""

from __future__ import annotations

from workflows.aws import stages as _aws_stages  # noqa: F401  (registers the AWS handlers)
from workflows.canary import stage as _canary_stage  # noqa: F401  (registers kayentaCanary)
from workflows.kubernetes import stages as _kubernetes_stages  # noqa: F401  (manifest stages)
from workflows.stages import (  # noqa: F401  (each module registers its handlers)
    child,
    judgment,
    preconditions,
    variables,
    waits,
    webhook,
)
from workflows.stages.base import (
    HANDLERS,
    BaseHandler,
    StageFailed,
    StageHandler,
    StageResult,
    handles,
)
from workflows.stages.context import StageContext

__all__ = [
    "HANDLERS",
    "BaseHandler",
    "StageContext",
    "StageFailed",
    "StageHandler",
    "StageResult",
    "handles",
]
