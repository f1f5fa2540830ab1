"""Stage types. Importing this package registers the core types."""

from __future__ import annotations

from models.stages import aws as _aws  # noqa: F401  (registers the AWS stage types)
from models.stages import canary as _canary  # noqa: F401  (registers kayentaCanary)
from models.stages import kubernetes as _kubernetes  # noqa: F401  (the manifest stages)
from models.stages.core import (
    PRECONDITION_TYPES,
    CheckPreconditionsStage,
    EvaluateVariablesStage,
    JudgmentInput,
    ManualJudgmentStage,
    PipelineStage,
    Precondition,
    Variable,
    WaitStage,
    WaitUntilStage,
    precondition_type,
)
from models.stages.webhook import WebhookStage

__all__ = [
    "PRECONDITION_TYPES",
    "CheckPreconditionsStage",
    "EvaluateVariablesStage",
    "JudgmentInput",
    "ManualJudgmentStage",
    "PipelineStage",
    "Precondition",
    "Variable",
    "WaitStage",
    "WaitUntilStage",
    "WebhookStage",
    "precondition_type",
]
