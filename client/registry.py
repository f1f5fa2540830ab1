"""Reading and writing the pipeline registry (entity workflows) through a Temporal client."""

from __future__ import annotations

from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from models.errors import NotFoundError
from models.ids import config_workflow_id
from models.pipeline import Pipeline
from models.registry import ApplyRequest, ApplyResult, PipelineRecord
from models.run import TaskQueues
from models.search import SEARCH

__all__ = ["Registry"]


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Registry:
    """Saved pipelines, kept in Temporal (one ``PipelineConfig`` workflow each)."""

    def __init__(self, client: Client, queues: TaskQueues) -> None:
        self._client = client
        self._queues = queues

    def _handle(self, application: str, name: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(config_workflow_id(application, name))

    async def apply(self, pipeline: Pipeline, user: str) -> ApplyResult:
        """Create or update a saved pipeline (a no-op when unchanged)."""
        from workflows.registry import RegistryInput

        record = PipelineRecord(
            application=pipeline.application, name=pipeline.name, pipeline=pipeline
        )
        start = WithStartWorkflowOperation(
            "PipelineConfig",
            RegistryInput(record=record, queues=self._queues),
            id=config_workflow_id(pipeline.application, pipeline.name),
            task_queue=self._queues.pipelines,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(SEARCH.application, pipeline.application),
                    SearchAttributePair(SEARCH.pipeline, pipeline.name),
                ]
            ),
            static_summary=f"pipeline config {pipeline.application}/{pipeline.name}",
        )
        return await self._client.execute_update_with_start_workflow(
            "apply",
            ApplyRequest(pipeline=pipeline, user=user),
            start_workflow_operation=start,
            result_type=ApplyResult,
        )

    async def get(self, application: str, key: str) -> PipelineRecord:
        """The saved pipeline ``key`` (its name, or its config id) of ``application``.

        Raises:
            NotFoundError: Naming the application and pipeline.
        """
        record = await self._query(application, key)
        if record is None:
            for summary in await self.list(application):
                if summary.get("id") == key:
                    record = await self._query(application, summary["name"])
                    break
        if record is None:
            raise NotFoundError(f"no saved pipeline {key!r} in application {application!r}")
        return record

    async def _query(self, application: str, name: str) -> PipelineRecord | None:
        handle = self._handle(application, name)
        try:
            description = await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        if description.status != WorkflowExecutionStatus.RUNNING:
            return None
        result: PipelineRecord = await handle.query("record", result_type=PipelineRecord)
        return result

    async def list(self, application: str | None = None) -> list[dict[str, Any]]:
        """Summaries (the memo) of every saved pipeline, optionally of one application."""
        query = "WorkflowType = 'PipelineConfig' AND ExecutionStatus = 'Running'"
        if application:
            query += f" AND GennakerApplication = {_quote(application)}"
        summaries = []
        async for execution in self._client.list_workflows(query):
            memo = await execution.memo()
            if memo:
                summaries.append(memo)
        summaries.sort(key=lambda m: (m.get("application", ""), m.get("name", "")))
        return summaries

    async def set_disabled(self, application: str, key: str, disabled: bool) -> PipelineRecord:
        """Disable or enable a saved pipeline."""
        record = await self.get(application, key)
        result: PipelineRecord = await self._handle(record.application, record.name).execute_update(
            "set_disabled", disabled, result_type=PipelineRecord
        )
        return result

    async def delete(self, application: str, key: str) -> None:
        """Delete a saved pipeline and its schedules."""
        record = await self.get(application, key)
        await self._handle(record.application, record.name).execute_update("delete")
