"""``GennakerClient``: the Python API (the CLI is a thin layer over it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import (
    Client,
    TLSConfig,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from client.entities import visibility_quote
from client.registry import Registry
from client.runs import run_input, start_execution, start_options
from models.errors import ConnectionError, NotFoundError, RefusedError, ValidationError
from models.execution import ExecutionView
from models.pipeline import Pipeline, Trigger, resolve_parameters
from models.run import (
    ActionRequest,
    JudgeRequest,
    PipelineRunInput,
    RestartRequest,
    SkipWaitRequest,
    TaskQueues,
)
from models.status import Status

__all__ = ["GennakerClient"]


class GennakerClient:
    """Start, watch and steer pipeline executions; keep pipelines in the registry.

    Create one with :meth:`connect`.
    """

    def __init__(self, client: Client, queues: TaskQueues | None = None) -> None:
        self.temporal = client
        self.queues = queues or TaskQueues()
        self.registry = Registry(client, self.queues)
        # Handles of runs this client started: waiting on them lets a time-skipping
        # test server skip ahead (a handle looked up by id does not).
        self._started: dict[str, WorkflowHandle[Any, Any]] = {}

    @classmethod
    async def connect(
        cls,
        address: str = "localhost:7233",
        namespace: str = "default",
        *,
        queues: TaskQueues | None = None,
        tls: TLSConfig | bool = False,
        api_key: str | None = None,
    ) -> GennakerClient:
        """Connect to Temporal.

        Raises:
            ConnectionError: The server cannot be reached, naming the address.
        """
        try:
            client = await Client.connect(
                address,
                namespace=namespace,
                data_converter=pydantic_data_converter,
                tls=tls,
                api_key=api_key,
            )
        except RuntimeError as err:
            raise ConnectionError(
                f"cannot reach Temporal at {address} (namespace {namespace!r}): {_first_line(err)}"
            ) from None
        return cls(client, queues)

    # -- runs ---------------------------------------------------------------------------------

    async def run(
        self,
        pipeline: Pipeline | tuple[str, str],
        parameters: dict[str, Any] | None = None,
        *,
        user: str = "anonymous",
    ) -> str:
        """Start a manual run; returns the execution id.

        Args:
            pipeline: A pipeline config (an unsaved run), or ``(application, name)`` of a
                saved one.
            parameters: Parameter values; ``parameterConfig`` defaults fill the rest.
            user: Who starts it (recorded in the trigger).

        Raises:
            NotFoundError: No such saved pipeline.
            RefusedError: The pipeline is disabled.
            ValidationError: A required parameter is missing or a value is not an option.
        """
        saved = not isinstance(pipeline, Pipeline)
        if not isinstance(pipeline, Pipeline):
            record = await self.registry.get(*pipeline)
            if record.disabled:
                raise RefusedError(f"pipeline {record.application}/{record.name} is disabled")
            pipeline = record.pipeline
        elif pipeline.disabled:
            raise RefusedError(f"pipeline {pipeline.key} is disabled")
        resolved = resolve_parameters(pipeline, dict(parameters or {}))
        trigger = Trigger(type="manual", user=user, parameters=resolved)
        handle = await start_execution(self.temporal, pipeline, trigger, self.queues, saved=saved)
        self._started[handle.id] = handle
        return handle.id

    def _handle(self, execution_id: str) -> WorkflowHandle[Any, Any]:
        return self.temporal.get_workflow_handle(execution_id)

    async def status(self, execution_id: str) -> ExecutionView:
        """The execution view of a run.

        Raises:
            NotFoundError: No execution has that id.
        """
        handle = self._handle(execution_id)
        try:
            view: ExecutionView = await handle.query("status", result_type=ExecutionView)
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise NotFoundError(f"no execution {execution_id!r}") from None
            raise
        except WorkflowQueryFailedError as err:
            raise NotFoundError(f"execution {execution_id!r} cannot be read: {err}") from None
        return view

    async def wait(self, execution_id: str) -> ExecutionView:
        """Wait until a run ends; returns its final view (from the run's result, no replay)."""
        handle = self._started.get(execution_id) or self._handle(execution_id)
        try:
            result = await handle.result()
        except WorkflowFailureError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.details:
                failed = ExecutionView.model_validate(cause.details[0])
                if not (failed.model_extra or {}).get("truncated"):
                    return failed
            # Terminated or cancelled from outside: read what the run recorded.
            return await self.status(execution_id)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise NotFoundError(f"no execution {execution_id!r}") from None
            raise
        view = result if isinstance(result, ExecutionView) else ExecutionView.model_validate(result)
        if (view.model_extra or {}).get("truncated"):
            # A very large execution summarised its result; the query has more room.
            return await self.status(execution_id)
        return view

    async def follow(
        self, execution_id: str, poll_seconds: float = 0.5
    ) -> AsyncIterator[ExecutionView]:
        """Views of a run as it changes, ending with its final view."""
        last: str | None = None
        while True:
            view = await self.status(execution_id)
            rendered = view.model_dump_json()
            if rendered != last:
                last = rendered
                yield view
            if view.status.complete:
                return
            await asyncio.sleep(poll_seconds)

    async def list_executions(
        self,
        application: str | None = None,
        pipeline: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Recent executions, newest first, filtered through search attributes."""
        clauses = ["WorkflowType = 'Pipeline'"]
        if application:
            clauses.append(f"GennakerApplication = {visibility_quote(application)}")
        if pipeline:
            clauses.append(f"GennakerPipeline = {visibility_quote(pipeline)}")
        if status:
            clauses.append(f"GennakerStatus = {visibility_quote(status.upper())}")
        rows = []
        async for execution in self.temporal.list_workflows(" AND ".join(clauses), limit=limit):
            attributes = execution.typed_search_attributes
            rows.append(
                {
                    "id": execution.id,
                    "application": _attr(attributes, "GennakerApplication"),
                    "pipeline": _attr(attributes, "GennakerPipeline"),
                    "status": _attr(attributes, "GennakerStatus"),
                    "trigger": _attr(attributes, "GennakerTrigger"),
                    "startTime": int(execution.start_time.timestamp() * 1000),
                    "endTime": int(execution.close_time.timestamp() * 1000)
                    if execution.close_time
                    else None,
                }
            )
            if len(rows) >= limit:
                break
        return rows

    # -- messages -----------------------------------------------------------------------------

    async def _update(self, execution_id: str, name: str, arg: Any) -> Any:
        handle = self._handle(execution_id)
        try:
            return await handle.execute_update(name, arg)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
            raise RefusedError(message) from None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise await self._not_running(execution_id) from None
            raise

    async def _not_running(self, execution_id: str) -> Exception:
        try:
            description = await self._handle(execution_id).describe()
        except RPCError:
            return NotFoundError(f"no execution {execution_id!r}")
        return RefusedError(
            f"execution {execution_id} has ended ({description.status.name if description.status else 'closed'})"
        )

    async def judge(
        self,
        execution_id: str,
        stage: str,
        judgment: str,
        *,
        judgment_input: str | None = None,
        user: str = "anonymous",
    ) -> dict[str, Any]:
        """Continue or stop a waiting manual judgement stage (``judgment``: continue|stop).

        Raises:
            RefusedError: Not waiting, the user lacks the role, or the input is not an option.
        """
        if judgment not in ("continue", "stop"):
            raise ValidationError(f"judgment {judgment!r}: expected 'continue' or 'stop'")
        request = JudgeRequest.model_validate(
            {
                "stage": stage,
                "judgmentStatus": judgment,
                "judgmentInput": judgment_input,
                "user": user,
            }
        )
        result: dict[str, Any] = await self._update(execution_id, "judge", request)
        return result

    async def pause(
        self, execution_id: str, *, user: str = "anonymous", reason: str | None = None
    ) -> dict[str, Any]:
        """Pause a running execution."""
        result: dict[str, Any] = await self._update(
            execution_id, "pause", ActionRequest(user=user, reason=reason)
        )
        return result

    async def resume(
        self, execution_id: str, *, user: str = "anonymous", reason: str | None = None
    ) -> dict[str, Any]:
        """Resume a paused execution."""
        result: dict[str, Any] = await self._update(
            execution_id, "resume", ActionRequest(user=user, reason=reason)
        )
        return result

    async def cancel(
        self, execution_id: str, *, user: str = "anonymous", reason: str | None = None
    ) -> dict[str, Any]:
        """Cancel an execution; its running stages clean up."""
        result: dict[str, Any] = await self._update(
            execution_id, "cancel", ActionRequest(user=user, reason=reason)
        )
        return result

    async def skip_wait(
        self, execution_id: str, stage: str, *, user: str = "anonymous"
    ) -> dict[str, Any]:
        """End a wait or execution window now."""
        result: dict[str, Any] = await self._update(
            execution_id, "skip_wait", SkipWaitRequest(stage=stage, user=user)
        )
        return result

    async def restart_stage(
        self, execution_id: str, stage: str, *, user: str = "anonymous"
    ) -> ExecutionView:
        """Run a completed stage and everything downstream again.

        On a running execution this is the ``restart_stage`` update; on a finished one the
        same execution id continues in a new workflow run that keeps every other stage's
        result.
        """
        handle = self._handle(execution_id)
        try:
            description = await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise NotFoundError(f"no execution {execution_id!r}") from None
            raise
        if description.status == WorkflowExecutionStatus.RUNNING:
            await self._update(
                execution_id, "restart_stage", RestartRequest(stage=stage, user=user)
            )
            return await self.status(execution_id)
        view = await self.status(execution_id)
        target = view.stage(stage)
        if target is None:
            raise NotFoundError(f"execution {execution_id} has no stage {stage!r}")
        if not target.status.complete:
            raise RefusedError(
                f"stage {stage!r} is {target.status}; only a completed stage can be restarted"
            )
        pipeline = await self._pipeline_of(execution_id)
        trigger = Trigger.model_validate(view.trigger)
        resumed = run_input(pipeline, trigger, self.queues, saved=False)
        resumed.resume = view.model_copy(update={"status": Status.RUNNING})
        resumed.restart = RestartRequest(stage=target.ref_id, user=user)
        await self.temporal.start_workflow(
            "Pipeline",
            resumed,
            id=execution_id,
            task_queue=self.queues.pipelines,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            **start_options(pipeline, trigger),
        )
        return await self.status(execution_id)

    async def _pipeline_of(self, execution_id: str) -> Pipeline:
        """The pipeline config an execution ran with (from its first workflow event)."""
        handle = self._handle(execution_id)
        async for event in handle.fetch_history_events():
            attributes = event.workflow_execution_started_event_attributes
            payloads = attributes.input.payloads
            if payloads:
                (value,) = await self.temporal.data_converter.decode(payloads, [PipelineRunInput])
                pipeline: Pipeline = value.pipeline
                return pipeline
            break
        raise NotFoundError(f"execution {execution_id!r} has no recorded input")


def _attr(attributes: Any, name: str) -> Any:
    for pair in attributes:
        if pair.key.name == name:
            return pair.value
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
