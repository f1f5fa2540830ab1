"""Inputs and messages of the pipeline workflow, shared by workers and the client."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from models.execution import ExecutionView
from models.pipeline import Pipeline, Trigger

__all__ = [
    "ActionRequest",
    "GateTicket",
    "JudgeRequest",
    "PipelineRunInput",
    "RestartRequest",
    "SkipWaitRequest",
    "TaskQueues",
]


class _Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="ignore")


class TaskQueues(_Message):
    """The task queue of each kind of work. One Gennaker install uses one set."""

    pipelines: str = "gennaker-pipelines"
    aws: str = "gennaker-aws"
    kubernetes: str = "gennaker-kubernetes"
    canary: str = "gennaker-canary"

    @classmethod
    def with_suffix(cls, suffix: str) -> TaskQueues:
        """Queues named ``gennaker-<kind>-<suffix>``: a separate install on a shared server."""
        if not suffix:
            return cls()
        return cls(
            pipelines=f"gennaker-pipelines-{suffix}",
            aws=f"gennaker-aws-{suffix}",
            kubernetes=f"gennaker-kubernetes-{suffix}",
            canary=f"gennaker-canary-{suffix}",
        )

    def all(self) -> dict[str, str]:
        """Kind to queue name."""
        return {
            "pipelines": self.pipelines,
            "aws": self.aws,
            "kubernetes": self.kubernetes,
            "canary": self.canary,
        }


class RestartRequest(_Message):
    """``restartStage``: run a completed stage and everything downstream again."""

    stage: str
    user: str = "anonymous"


class PipelineRunInput(_Message):
    """What starts a pipeline execution."""

    pipeline: Pipeline
    trigger: Trigger = Field(default_factory=Trigger)
    queues: TaskQueues = Field(default_factory=TaskQueues)
    saved: bool = False
    """True when the config came from the registry (so pipeline triggers may follow it)."""
    resume: ExecutionView | None = None
    """A finished run of the same execution id, continued by ``restart``."""
    restart: RestartRequest | None = None


class JudgeRequest(_Message):
    """A manual judgement: the payload of the ``judge`` update and signal."""

    stage: str
    judgment_status: Literal["continue", "stop"] = Field(alias="judgmentStatus")
    judgment_input: str | None = Field(
        default=None,
        validation_alias=AliasChoices("judgmentInput", "input"),
        serialization_alias="judgmentInput",
    )
    user: str = "anonymous"


class ActionRequest(_Message):
    """``pause``, ``resume`` or ``cancel``, with who asked and why."""

    user: str = "anonymous"
    reason: str | None = None


class SkipWaitRequest(_Message):
    """End a wait, ``waitUntil`` or execution window early (``skipRemainingWait``)."""

    stage: str
    user: str = "anonymous"


class GateTicket(_Message):
    """A run asking its pipeline's concurrency gate for a slot."""

    execution_id: str = Field(alias="executionId")
    limit: int
    keep_waiting: bool = Field(alias="keepWaiting")
    queued_at: int = Field(default=0, alias="queuedAt")
    extra: dict[str, Any] = Field(default_factory=dict)
