"""Reading and writing the pipeline registry (entity workflows) through a Temporal client."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from client.entities import query_if_running, update_failure, visibility_quote
from models.errors import FieldProblem, NotFoundError, PipelineError, RefusedError
from models.ids import config_workflow_id
from models.pipeline import Pipeline
from models.registry import ApplyResult, PipelineRecord
from models.run import TaskQueues
from models.search import SEARCH
from workflows.registry import (
    ApplyPipeline,
    DeleteRequest,
    DisableRequest,
    RegistryInput,
    apply_problems,
)

__all__ = ["Registry"]

_CLOSE_WAIT_SECONDS = 10.0


class Registry:
    """Saved pipelines, kept in Temporal (one ``PipelineConfig`` workflow each).

    Args:
        client: A Temporal client with the pydantic data converter.
        queues: Task queues of this install (the entry and its cron runs use them).
    """

    def __init__(self, client: Client, queues: TaskQueues) -> None:
        self._client = client
        self._queues = queues

    def _handle(self, application: str, name: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(config_workflow_id(application, name))

    # -- writing ------------------------------------------------------------------------------

    async def apply(
        self, pipeline: Pipeline, user: str = "anonymous", *, source: str | None = None
    ) -> ApplyResult:
        """Create or update a saved pipeline; a no-op (``changed`` false) when unchanged.

        A config that does not set ``disabled`` keeps the state ``disable``/``enable`` gave
        the pipeline; one that sets it explicitly changes it.

        Args:
            pipeline: The config, as :func:`models.loading.parse_pipeline` returns it.
            user: Who applies it (recorded in the version history).
            source: Where the config came from (a file name), named in errors.

        Raises:
            PipelineError: The config cannot be saved (names ``source`` and the field).
        """
        where = source or f"pipeline {pipeline.key}"
        problems = apply_problems(pipeline)
        problems.extend(await self._id_problems(pipeline))
        if problems:
            raise PipelineError(problems, where)
        request = ApplyPipeline(
            pipeline=pipeline,
            user=user,
            keepDisabled="disabled" not in pipeline.model_fields_set,
        )
        for _ in range(3):
            try:
                result: ApplyResult = await self._client.execute_update_with_start_workflow(
                    "apply",
                    request,
                    start_workflow_operation=self._start(pipeline),
                    result_type=ApplyResult,
                )
                return result
            except WorkflowUpdateFailedError as err:
                failure = update_failure(err)
                if failure is None:
                    raise
                if failure.type == "Deleted":
                    # The entry of a just-deleted pipeline is still closing: wait, then
                    # start a new one.
                    await self._closed(pipeline.application, pipeline.name)
                    continue
                if failure.type == "InvalidPipeline":
                    details = failure.details[0] if failure.details else []
                    raise PipelineError(
                        [FieldProblem(p["path"], p["message"]) for p in details] or failure.message,
                        where,
                    ) from None
                raise RefusedError(f"{where}: {failure.message}") from None
        raise RefusedError(f"{where}: the registry entry kept closing; try again")

    def _start(self, pipeline: Pipeline) -> WithStartWorkflowOperation[Any, Any]:
        record = PipelineRecord(
            application=pipeline.application, name=pipeline.name, pipeline=pipeline
        )
        return WithStartWorkflowOperation(
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

    async def _id_problems(self, pipeline: Pipeline) -> list[FieldProblem]:
        """A config id names one pipeline: a second pipeline with the same id is refused."""
        if not pipeline.id:
            return []
        for summary in await self.list(pipeline.application):
            if summary.get("id") == pipeline.id and summary.get("name") != pipeline.name:
                return [
                    FieldProblem(
                        "id",
                        f"{pipeline.id!r} is already the id of pipeline "
                        f"{pipeline.application}/{summary.get('name')}",
                    )
                ]
        return []

    async def set_disabled(
        self, application: str, key: str, disabled: bool, *, user: str = "anonymous"
    ) -> PipelineRecord:
        """Disable (refuse runs and triggers, pause cron schedules) or enable a pipeline.

        Raises:
            NotFoundError: No such saved pipeline.
        """
        record = await self.get(application, key)
        result: PipelineRecord = await self._update(
            record,
            "set_disabled",
            DisableRequest(disabled=disabled, user=user),
            PipelineRecord,
        )
        return result

    async def delete(self, application: str, key: str, *, user: str = "anonymous") -> None:
        """Delete a saved pipeline and its cron schedules (its executions stay).

        Raises:
            NotFoundError: No such saved pipeline.
        """
        record = await self.get(application, key)
        await self._update(record, "delete", DeleteRequest(user=user), None)
        await self._closed(record.application, record.name)

    async def _update(
        self, record: PipelineRecord, name: str, arg: Any, result_type: type | None
    ) -> Any:
        handle = self._handle(record.application, record.name)
        try:
            return await handle.execute_update(name, arg, result_type=result_type)
        except WorkflowUpdateFailedError as err:
            failure = update_failure(err)
            if failure is not None and failure.type == "Deleted":
                raise self._not_found(record.application, record.name) from None
            raise RefusedError(failure.message if failure else str(err)) from None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise self._not_found(record.application, record.name) from None
            raise

    async def _closed(self, application: str, name: str) -> None:
        """Wait (briefly) until a deleted entry's workflow has ended."""
        handle = self._handle(application, name)
        # Ended (whichever way) or still closing after the wait: either way, go on.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handle.result(), _CLOSE_WAIT_SECONDS)

    # -- reading ------------------------------------------------------------------------------

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
            raise self._not_found(application, key)
        return record

    @staticmethod
    def _not_found(application: str, key: str) -> NotFoundError:
        return NotFoundError(f"no saved pipeline {key!r} in application {application!r}")

    async def _query(self, application: str, name: str) -> PipelineRecord | None:
        record = await query_if_running(self._handle(application, name), "record", PipelineRecord)
        # An entry whose first apply was refused has nothing saved (and is about to end).
        return record if record is not None and record.versions else None

    async def list(self, application: str | None = None) -> builtins.list[dict[str, Any]]:
        """Summaries (the memo) of every saved pipeline, optionally of one application.

        Each has ``application``, ``name``, ``id``, ``version``, ``disabled``, ``stages``,
        ``updated``, ``updatedBy`` and ``triggers``. Listings come from the server's
        visibility store, which may lag a write by a moment.
        """
        query = "WorkflowType = 'PipelineConfig' AND ExecutionStatus = 'Running'"
        if application:
            query += f" AND GennakerApplication = {visibility_quote(application)}"
        return await self._summaries(query)

    async def following(self) -> builtins.list[dict[str, Any]]:
        """Summaries of the saved pipelines that have an enabled ``pipeline`` trigger."""
        return await self._summaries(
            "WorkflowType = 'PipelineConfig' AND ExecutionStatus = 'Running'"
            " AND GennakerTrigger = 'pipeline'"
        )

    async def _summaries(self, query: str) -> builtins.list[dict[str, Any]]:
        summaries = []
        async for execution in self._client.list_workflows(query):
            memo = await execution.memo()
            if memo:
                summaries.append(dict(memo))
        summaries.sort(key=lambda m: (m.get("application", ""), m.get("name", "")))
        return summaries
