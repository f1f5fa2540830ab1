"""Activities of the pipelines queue that talk to Temporal itself or read worker settings.

Looking up saved pipelines, entering concurrency gates, firing pipeline
triggers, keeping cron Schedules in line, and the worker's settings and roles.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.schedules import sync_pipeline_schedules
from client.registry import Registry
from client.runs import start_execution, triggered_id
from models.config import GennakerConfig
from models.errors import GennakerError, NotFoundError
from models.pipeline import Pipeline, Trigger, resolve_parameters
from models.registry import LoadedPipeline, LoadPipelineRequest, PipelineRecord
from models.run import GateTicket, TaskQueues
from models.settings import RolesRequest, WorkerSettings

__all__ = ["EngineActivities"]

_STATUS_WORDS = {"SUCCEEDED": "successful", "TERMINAL": "failed", "CANCELED": "canceled"}


class EngineActivities:
    """Activities that need the Temporal client and the worker configuration.

    Args:
        client: The worker's Temporal client.
        config: The worker configuration (roles, timezone).
        queues: Task queue names of this install.
    """

    def __init__(self, client: Client, config: GennakerConfig, queues: TaskQueues) -> None:
        self._client = client
        self._config = config
        self._queues = queues
        self._registry = Registry(client, queues)

    def all(self) -> list[Any]:
        """Every activity, for the worker."""
        return [
            self.worker_settings,
            self.users_with_roles,
            self.load_pipeline,
            self.enter_gate,
            self.open_executions,
            self.fire_pipeline_triggers,
            self.sync_schedules,
        ]

    @activity.defn(name="gennaker.worker_settings")
    async def worker_settings(self) -> WorkerSettings:
        """What a run records once: the execution-window timezone."""
        return WorkerSettings(timezone=self._config.timezone)

    @activity.defn(name="gennaker.users_with_roles")
    async def users_with_roles(self, request: RolesRequest) -> list[str]:
        """Users (from the configuration's role map) holding any of ``roles``."""
        wanted = set(request.roles)
        return sorted(user for user, roles in self._config.roles.items() if wanted & set(roles))

    @activity.defn(name="gennaker.load_pipeline")
    async def load_pipeline(self, request: LoadPipelineRequest) -> LoadedPipeline:
        """A saved pipeline's current config; refuses unknown and disabled ones."""
        try:
            record = await self._registry.get(request.application, request.pipeline)
        except NotFoundError as err:
            raise ApplicationError(str(err), type="NotFound", non_retryable=True) from None
        if record.disabled and not request.allow_disabled:
            raise ApplicationError(
                f"pipeline {record.application}/{record.name} is disabled",
                type="PipelineDisabled",
                non_retryable=True,
            )
        return LoadedPipeline(pipeline=record.pipeline, version=record.version)

    @activity.defn(name="gennaker.enter_gate")
    async def enter_gate(self, ticket: GateTicket) -> None:
        """Ask the pipeline's concurrency gate for a slot (starting the gate if needed)."""
        from workflows.gate import GateState

        await self._client.start_workflow(
            "ConcurrencyGate",
            GateState(limit=ticket.limit, keep_waiting=ticket.keep_waiting),
            id=str(ticket.extra["gateId"]),
            task_queue=str(ticket.extra.get("queue") or self._queues.pipelines),
            start_signal="enter",
            start_signal_args=[ticket],
        )

    @activity.defn(name="gennaker.open_executions")
    async def open_executions(self, execution_ids: list[str]) -> list[str]:
        """Which of ``execution_ids`` are still running."""
        open_ids = []
        for execution_id in execution_ids:
            try:
                described = await self._client.get_workflow_handle(execution_id).describe()
            except RPCError:
                continue
            if described.status == WorkflowExecutionStatus.RUNNING:
                open_ids.append(execution_id)
        return open_ids

    @activity.defn(name="gennaker.fire_pipeline_triggers")
    async def fire_pipeline_triggers(self, payload: dict[str, Any]) -> list[str]:
        """Start every saved pipeline whose ``pipeline`` trigger follows this run's end."""
        execution = payload["execution"]
        queues = TaskQueues.model_validate(payload.get("queues") or {})
        word = _STATUS_WORDS.get(execution["status"])
        if word is None:
            return []
        started = []
        for summary in await self._registry.list():
            if summary.get("disabled"):
                continue
            for index, trigger in enumerate(summary.get("triggers") or []):
                if not self._follows(trigger, execution, word):
                    continue
                record = await self._registry.get(summary["application"], summary["name"])
                run_id = await self._start_dependent(record, index, execution, queues)
                if run_id:
                    started.append(run_id)
        return started

    @staticmethod
    def _follows(trigger: dict[str, Any], execution: dict[str, Any], word: str) -> bool:
        if trigger.get("type") != "pipeline" or trigger.get("enabled") is False:
            return False
        if trigger.get("application") != execution["application"]:
            return False
        upstream = {execution.get("pipelineConfigId"), execution["pipeline"]} - {None}
        statuses = [str(s).lower() for s in trigger.get("status") or []]
        return trigger.get("pipeline") in upstream and word in statuses

    async def _start_dependent(
        self, record: PipelineRecord, index: int, execution: dict[str, Any], queues: TaskQueues
    ) -> str | None:
        pipeline: Pipeline = record.pipeline
        configured = (
            pipeline.triggers[index] if index < len(pipeline.triggers) else Trigger(type="pipeline")
        )
        try:
            parameters = resolve_parameters(pipeline, dict(configured.parameters))
        except GennakerError as err:
            activity.logger.warning("not triggering %s: %s", pipeline.key, err)
            return None
        trigger = configured.model_copy(
            update={
                "parameters": parameters,
                "parent_execution": execution,
                "user": (execution.get("trigger") or {}).get("user") or "pipeline-trigger",
            }
        )
        run_id = triggered_id(pipeline, f"after-{execution['id'].replace('/', '-')}")
        await start_execution(
            self._client, pipeline, trigger, queues, saved=True, workflow_id=run_id, idempotent=True
        )
        return run_id

    @activity.defn(name="gennaker.sync_schedules")
    async def sync_schedules(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Make a saved pipeline's cron Schedules match its triggers and state."""
        record = payload["record"]
        pipeline = Pipeline.model_validate(record["pipeline"])
        try:
            return await sync_pipeline_schedules(
                self._client,
                pipeline,
                disabled=bool(record.get("disabled")),
                deleted=bool(payload.get("deleted")),
                queues=TaskQueues.model_validate(payload.get("queues") or {}),
                timezone=self._config.timezone,
            )
        except GennakerError as err:
            raise ApplicationError(str(err), type="BadCron", non_retryable=True) from None
