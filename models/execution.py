"""The execution view: what ``gennaker status --json`` prints and the workflow's query returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.status import Status

__all__ = ["ExecutionView", "StageView"]


class _View(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class StageView(_View):
    """One stage of an execution. Times are epoch milliseconds."""

    ref_id: str = Field(alias="refId")
    name: str
    type: str
    status: Status = Status.NOT_STARTED
    start_time: int | None = Field(default=None, alias="startTime")
    end_time: int | None = Field(default=None, alias="endTime")
    context: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    requisite_stage_ref_ids: list[str] = Field(default_factory=list, alias="requisiteStageRefIds")


class ExecutionView(_View):
    """A pipeline execution: its status, trigger and stages."""

    id: str
    application: str
    pipeline: str
    pipeline_config_id: str | None = Field(default=None, alias="pipelineConfigId")
    status: Status = Status.NOT_STARTED
    trigger: dict[str, Any] = Field(default_factory=dict)
    start_time: int | None = Field(default=None, alias="startTime")
    end_time: int | None = Field(default=None, alias="endTime")
    stages: list[StageView] = Field(default_factory=list)
    paused: dict[str, Any] | None = None
    canceled: bool = False
    canceled_by: str | None = Field(default=None, alias="canceledBy")
    cancellation_reason: str | None = Field(default=None, alias="cancellationReason")

    def stage(self, key: str) -> StageView | None:
        """The stage whose refId or name is ``key``."""
        for stage in self.stages:
            if stage.ref_id == key:
                return stage
        for stage in self.stages:
            if stage.name == key:
                return stage
        return None

    def public(self) -> dict[str, Any]:
        """The JSON object of DESIGN.md (``status --json``)."""
        return self.model_dump(mode="json", by_alias=True)
