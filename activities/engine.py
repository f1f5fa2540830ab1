"""Activities of the pipelines queue that talk to Temporal itself or read worker settings.

Looking up saved pipelines, entering concurrency gates, checking which runs are
still open, firing ``pipeline`` triggers, keeping cron Schedules in line, and
the worker's settings and roles.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.schedules import sync_pipeline_schedules
from client.registry import Registry
from client.runs import run_input, start_options, triggered_id
from models.config import GennakerConfig
from models.errors import GennakerError, NotFoundError
from models.ids import slug
from models.pipeline import Pipeline, Trigger, resolve_parameters
from models.registry import LoadedPipeline, LoadPipelineRequest
from models.run import GateTicket, TaskQueues
from models.settings import RolesRequest, WorkerSettings
from models.status import Status
from workflows.gate import GateState
from workflows.registry import SyncSchedulesRequest

__all__ = ["EngineActivities", "trigger_status_word"]


def trigger_status_word(status: str) -> str | None:
    """How a ``pipeline`` trigger names an upstream run's end (Orca's ``convertStatus``).

    ``None`` while the run has not ended.
    """
    try:
        parsed = Status(status)
    except ValueError:
        return None
    if not parsed.complete:
        return None
    if parsed == Status.SUCCEEDED:
        return "successful"
    if parsed == Status.CANCELED:
        return "canceled"
    return "failed"


def _follows(trigger: Trigger, execution: dict[str, Any], word: str) -> bool:
    """Whether ``trigger`` fires after ``execution`` ended as ``word``."""
    if trigger.type != "pipeline" or not trigger.enabled:
        return False
    if trigger.application != execution.get("application"):
        return False
    upstream = {execution.get("pipelineConfigId"), execution.get("pipeline")} - {None}
    return trigger.pipeline in upstream and word in [str(s).lower() for s in trigger.status]


class EngineActivities:
    """Activities that need the Temporal client and the worker configuration.

    Args:
        client: The worker's Temporal client (pydantic data converter).
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
        """A saved pipeline's current config, by name or config id.

        Raises:
            ApplicationError: ``NotFound`` for an unknown pipeline, ``PipelineDisabled``
                for a disabled one (unless ``allow_disabled``); neither is retried.
        """
        try:
            record = await self._registry.get(request.application, request.pipeline)
        except NotFoundError as err:
            raise ApplicationError(str(err), type="NotFound", non_retryable=True) from None
        if record.disabled and not request.allow_disabled:
            raise ApplicationError(
                f"pipeline {record.application}/{record.name} is disabled: it refuses runs and "
                "triggers until it is enabled",
                type="PipelineDisabled",
                non_retryable=True,
            )
        return LoadedPipeline(pipeline=record.pipeline, version=record.version)

    @activity.defn(name="gennaker.enter_gate")
    async def enter_gate(self, ticket: GateTicket) -> None:
        """Ask the pipeline's concurrency gate for a slot (signal-with-start: the gate exists
        on first use, and a gate that ended while idle is started again)."""
        gate_id = str(ticket.extra["gateId"])
        await self._client.start_workflow(
            "ConcurrencyGate",
            GateState(limit=max(1, ticket.limit), keep_waiting=ticket.keep_waiting),
            id=gate_id,
            task_queue=str(ticket.extra.get("queue") or self._queues.pipelines),
            start_signal="enter",
            start_signal_args=[ticket],
            static_summary=f"concurrency gate: {gate_id.removeprefix('gennaker-gate/')}",
        )

    @activity.defn(name="gennaker.open_executions")
    async def open_executions(self, execution_ids: list[str]) -> list[str]:
        """Which of ``execution_ids`` are still running.

        Only an answer from the server counts: an unreachable server fails the activity
        (and it is retried) rather than freeing the slot of a run that still runs.
        """
        open_ids = []
        for execution_id in execution_ids:
            try:
                described = await self._client.get_workflow_handle(execution_id).describe()
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    continue
                raise
            if described.status == WorkflowExecutionStatus.RUNNING:
                open_ids.append(execution_id)
        return open_ids

    @activity.defn(name="gennaker.fire_pipeline_triggers")
    async def fire_pipeline_triggers(self, payload: dict[str, Any]) -> list[str]:
        """Start every enabled saved pipeline whose ``pipeline`` trigger follows this run's end.

        Each dependent run's id derives from the upstream execution id, and an id is
        never reused, so a retried firing starts nothing twice.

        Args:
            payload: ``execution`` (the upstream run's view: id, application, pipeline,
                pipelineConfigId, status, trigger, times) and ``queues``.

        Returns:
            The ids of the dependent runs (started now or by an earlier try).
        """
        execution: dict[str, Any] = dict(payload["execution"])
        queues = TaskQueues.model_validate(payload.get("queues") or {})
        word = trigger_status_word(str(execution.get("status")))
        if word is None:
            return []
        followers = await self._registry.following()
        if followers and not execution.get("pipelineConfigId"):
            # Triggers name their upstream by config id (Spinnaker) or by name.
            execution["pipelineConfigId"] = await self._config_id(execution)
        started = []
        for summary in followers:
            memo_triggers = [Trigger.model_validate(t) for t in summary.get("triggers") or []]
            if summary.get("disabled") or not any(
                _follows(t, execution, word) for t in memo_triggers
            ):
                continue
            try:
                # The memo may lag; the entry itself has the last word.
                record = await self._registry.get(summary["application"], summary["name"])
            except NotFoundError:
                continue
            if record.disabled:
                activity.logger.info("not triggering disabled pipeline %s", record.pipeline.key)
                continue
            trigger = next(
                (t for t in record.pipeline.triggers if _follows(t, execution, word)), None
            )
            if trigger is None:
                continue
            run_id = await self._start_dependent(record.pipeline, trigger, execution, queues)
            if run_id:
                started.append(run_id)
        return started

    async def _config_id(self, execution: dict[str, Any]) -> str | None:
        try:
            record = await self._registry.get(
                str(execution.get("application")), str(execution.get("pipeline"))
            )
        except NotFoundError:
            return None
        return record.pipeline.id

    async def _start_dependent(
        self, pipeline: Pipeline, configured: Trigger, execution: dict[str, Any], queues: TaskQueues
    ) -> str | None:
        try:
            parameters = resolve_parameters(pipeline, dict(configured.parameters))
        except GennakerError as err:
            activity.logger.warning("not triggering %s: %s", pipeline.key, err)
            return None
        parent = {**execution, "name": execution.get("pipeline")}
        trigger = Trigger.model_validate(
            {
                **configured.model_dump(mode="json", by_alias=True),
                "parameters": parameters,
                "parentExecution": parent,
                "parentPipelineId": execution.get("id"),
                "parentPipelineName": execution.get("pipeline"),
                "parentPipelineApplication": execution.get("application"),
                "parentStatus": execution.get("status"),
                "user": configured.user
                or (execution.get("trigger") or {}).get("user")
                or "pipeline-trigger",
            }
        )
        run_id = triggered_id(pipeline, f"after-{slug(str(execution['id']))}")
        try:
            await self._client.start_workflow(
                "Pipeline",
                run_input(pipeline, trigger, queues, saved=True),
                id=run_id,
                task_queue=queues.pipelines,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                **start_options(pipeline, trigger),
            )
        except WorkflowAlreadyStartedError:
            activity.logger.info("%s was already started by an earlier try", run_id)
        return run_id

    @activity.defn(name="gennaker.sync_schedules")
    async def sync_schedules(self, request: SyncSchedulesRequest) -> list[str]:
        """Make a saved pipeline's cron Schedules match its triggers and state.

        Returns:
            The ids of the pipeline's schedules now.

        Raises:
            ApplicationError: ``BadCron`` (not retried) when a trigger cannot become a
                schedule.
        """
        try:
            return await sync_pipeline_schedules(
                self._client,
                request.pipeline,
                disabled=request.disabled,
                deleted=request.deleted,
                known=request.known,
                queues=request.queues,
                timezone=self._config.timezone,
            )
        except GennakerError as err:
            raise ApplicationError(str(err), type="BadCron", non_retryable=True) from None
