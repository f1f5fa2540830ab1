"""The pipeline registry without a database: one long-lived entity workflow per saved pipeline.

Its state is the current config, whether it is disabled, and its version
history (who, when, a diff); its memo carries a summary for listings. Every
apply, disable, enable or delete also brings the pipeline's cron Schedules in
line. It continues-as-new when its history grows.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.pipeline import Pipeline
    from models.registry import ApplyRequest, ApplyResult, PipelineRecord, PipelineVersion
    from models.run import TaskQueues

__all__ = ["PipelineConfigWorkflow", "RegistryInput", "config_digest", "config_text"]

_MAX_VERSIONS = 100


class RegistryInput(BaseModel):
    """Start (or continue) a registry entry."""

    record: PipelineRecord
    queues: TaskQueues = Field(default_factory=TaskQueues)


def config_text(pipeline: Pipeline) -> str:
    """The config as stable, pretty JSON (the thing versions and diffs are made of)."""
    data = pipeline.model_dump(mode="json", by_alias=True, exclude={"disabled"})
    for volatile in ("updateTs", "lastModifiedBy", "index"):
        data.pop(volatile, None)
    return json.dumps(data, indent=2, sort_keys=True)


def config_digest(pipeline: Pipeline) -> str:
    """A digest of :func:`config_text`: equal digests mean nothing changed."""
    return hashlib.sha256(config_text(pipeline).encode()).hexdigest()[:16]


def _memo(record: PipelineRecord) -> dict[str, Any]:
    pipeline = record.pipeline
    return {
        "application": record.application,
        "name": record.name,
        "id": pipeline.id,
        "version": record.version,
        "disabled": record.disabled,
        "stages": len(pipeline.stages),
        "updated": record.versions[-1].time if record.versions else None,
        "updatedBy": record.versions[-1].user if record.versions else None,
        "triggers": [
            t.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {"type": t.type}
            for t in pipeline.triggers
        ],
    }


@workflow.defn(name="PipelineConfig")
class PipelineConfigWorkflow:
    """One saved pipeline. Updates: ``apply``, ``set_disabled``, ``delete``; query: ``record``."""

    @workflow.init
    def __init__(self, input: RegistryInput) -> None:
        self._record = input.record
        self._queues = input.queues
        self._deleted = False
        self._previous_text = config_text(input.record.pipeline) if input.record.versions else ""

    @workflow.run
    async def run(self, input: RegistryInput) -> None:
        """Live until deleted; continue-as-new when history grows."""
        await workflow.wait_condition(
            lambda: self._deleted or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._deleted:
            return
        workflow.continue_as_new(RegistryInput(record=self._record, queues=self._queues))

    @workflow.query
    def record(self) -> PipelineRecord:
        """The current config, state and version history."""
        return self._record

    @workflow.update
    async def apply(self, request: ApplyRequest) -> ApplyResult:
        """Save a new version when the config changed; sync cron schedules."""
        pipeline = request.pipeline
        text = config_text(pipeline)
        created = not self._record.versions
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        if not created and self._record.versions[-1].digest == digest:
            return ApplyResult(changed=False, version=self._record.version)
        diff = "".join(
            difflib.unified_diff(
                self._previous_text.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"v{self._record.version}",
                tofile=f"v{self._record.version + 1}",
                n=2,
            )
        )
        version = PipelineVersion(
            version=self._record.version + 1,
            user=request.user,
            time=int(workflow.now().timestamp() * 1000),
            digest=digest,
            diff=diff[:20000],
        )
        self._record.pipeline = pipeline
        self._record.disabled = pipeline.disabled
        self._record.versions = [*self._record.versions, version][-_MAX_VERSIONS:]
        self._previous_text = text
        await self._sync()
        return ApplyResult(
            changed=True, version=version.version, diff=version.diff, created=created
        )

    @apply.validator
    def _validate_apply(self, request: ApplyRequest) -> None:
        self._check_alive()
        if (request.pipeline.application, request.pipeline.name) != (
            self._record.application,
            self._record.name,
        ):
            raise ApplicationError(
                "a registry entry keeps its application and name", non_retryable=True
            )

    @workflow.update
    async def set_disabled(self, disabled: bool) -> PipelineRecord:
        """Disable (refuse triggers and runs, pause schedules) or enable."""
        if self._record.disabled != disabled:
            self._record.disabled = disabled
            self._record.pipeline.disabled = disabled
            await self._sync()
        return self._record

    @set_disabled.validator
    def _validate_set_disabled(self, disabled: bool) -> None:
        self._check_alive()

    @workflow.update
    async def delete(self) -> None:
        """Delete the pipeline and its schedules."""
        self._deleted = True
        await self._sync()

    @delete.validator
    def _validate_delete(self) -> None:
        self._check_alive()

    def _check_alive(self) -> None:
        if self._deleted:
            raise ApplicationError(
                f"pipeline {self._record.application}/{self._record.name} was deleted",
                type="NotFound",
                non_retryable=True,
            )

    async def _sync(self) -> None:
        workflow.upsert_memo(_memo(self._record))
        await workflow.execute_activity(
            "gennaker.sync_schedules",
            {
                "record": self._record.model_dump(mode="json", by_alias=True, exclude={"versions"}),
                "deleted": self._deleted,
                "queues": self._queues.model_dump(mode="json"),
            },
            start_to_close_timeout=timedelta(seconds=60),
        )
