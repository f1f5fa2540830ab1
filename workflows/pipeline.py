"""The pipeline workflow: one durable Temporal workflow per execution (Spinnaker's Orca).

It runs the stage graph with Orca's statuses and failure rules, and takes
people's messages: ``judge`` (update and signal), ``pause``, ``resume``,
``cancel``, ``skip_wait`` and ``restart_stage``. The ``status`` query returns
the execution view of ``gennaker status --json``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from models.errors import ExpressionError, PipelineError
    from models.execution import ExecutionView
    from models.graph import StageGraph
    from models.ids import gate_workflow_id
    from models.loading import _strip_expressions, parse_stage
    from models.pipeline import Pipeline, Trigger
    from models.run import (
        ActionRequest,
        GateTicket,
        PipelineRunInput,
        TaskQueues,
    )
    from models.search import SEARCH
    from models.settings import WorkerSettings
    from models.stage import GenericStage
    from models.status import Status
    from workflows.dag import failure_status, final_status, ready_stages
    from workflows.expressions import ExpressionScope, evaluate_condition, render
    from workflows.outputs import cap_outputs, fit_view
    from workflows.runtime import StageRuntime, build_scope, execution_view

import workflows.stages  # noqa: F401  (registers the core handlers)
from workflows import details as ui
from workflows.messages import ExecutionMessages
from workflows.stages.base import HANDLERS, StageFailed, StageHandler, StageResult
from workflows.stages.context import StageContext, epoch_ms
from workflows.stages.windows import wait_for_window

__all__ = ["PipelineWorkflow"]

RESULT_BYTES = 256 * 1024
"""Largest final result: it is stored in history."""
QUERY_BYTES = 2 * 1024 * 1024
"""Largest ``status`` answer (one gRPC message)."""


@workflow.defn(name="Pipeline")
class PipelineWorkflow(ExecutionMessages):
    """Runs one pipeline execution. See the module docstring for its messages."""

    @workflow.init
    def __init__(self, input: PipelineRunInput) -> None:
        self._input = input
        self._id = workflow.info().workflow_id
        self._pipeline = input.pipeline
        self._graph = StageGraph.build(
            (s["refId"], s.get("requisiteStageRefIds") or []) for s in input.pipeline.stages
        )
        self._stages: dict[str, StageRuntime] = {}
        for raw in input.pipeline.stages:
            cleaned, _ = _strip_expressions(raw)
            spec = GenericStage.model_validate(cleaned)
            self._stages[spec.ref_id] = StageRuntime(raw=raw, spec=spec)
        self._contexts: dict[str, StageContext] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping: set[str] = set()
        self._status = Status.NOT_STARTED
        self._start_time: int | None = None
        self._end_time: int | None = None
        self._paused: dict[str, Any] | None = None
        self._is_paused = False
        self._canceled: dict[str, Any] | None = None
        self._halting = False
        self._wake = False
        self._settings: WorkerSettings | None = None
        self._gate_held = False
        self._gate_state: str | None = None
        self._awaiting_judgment = False
        self._details_dirty = True
        if input.resume is not None:
            self._restore(input.resume)
        if input.restart is not None:
            self._reset_from(self._stage_key(input.restart.stage), input.restart.user)

    # -- the run --------------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: PipelineRunInput) -> ExecutionView:
        """Run the pipeline to its end; fail the workflow when it ends TERMINAL or CANCELED."""
        if self._start_time is None:
            self._start_time = epoch_ms()
        workflow.set_current_details(self._details())
        try:
            if self._pipeline.concurrency_limit > 0 and self._canceled is None:
                await self._wait_for_slot()
            if self._canceled is None:
                self._set_status(Status.RUNNING)
                await self._schedule()
        except asyncio.CancelledError:
            # Temporal's own cancel (the Web UI's button): clean up like a `cancel`.
            self._request_cancel(ActionRequest(user="temporal", reason="workflow cancel requested"))
            await self._drain()
            await self._finish()
            raise
        await self._finish()
        # The result is stored in history and read by callers: keep it small.
        view = ExecutionView.model_validate(fit_view(self._view().public(), RESULT_BYTES))
        if self._status == Status.SUCCEEDED:
            return view
        raise ApplicationError(
            self._failure_message(),
            view.public(),
            type=f"Pipeline{self._status.title().replace('_', '')}",
            non_retryable=True,
        )

    async def _schedule(self) -> None:
        while True:
            if self._canceled is not None or self._halting:
                for ref in list(self._tasks):
                    self._cancel_stage(ref)
            elif not self._is_paused:
                statuses = {ref: s.status for ref, s in self._stages.items()}
                for ref in ready_stages(self._graph, statuses):
                    self._launch(ref)
            if not self._tasks:
                statuses = {ref: s.status for ref, s in self._stages.items()}
                stopping = self._canceled is not None or self._halting
                idle = not ready_stages(self._graph, statuses)
                if stopping or (idle and not self._is_paused):
                    return
            self._wake = False
            self._publish_details()
            await workflow.wait_condition(lambda: self._wake)

    def _cancel_stage(self, ref: str) -> None:
        """Cancel a running stage once; its handler then cleans up."""
        if ref in self._stopping or ref not in self._tasks:
            return
        self._stopping.add(ref)
        ctx = self._contexts.get(ref)
        if ctx is not None:
            ctx.cancelling = True
        self._tasks[ref].cancel()

    async def _drain(self) -> None:
        for ref in list(self._tasks):
            self._cancel_stage(ref)
        while self._tasks:
            self._wake = False
            await workflow.wait_condition(lambda: self._wake or not self._tasks)

    async def _finish(self) -> None:
        if self._gate_held or self._gate_state == "queued":
            await self._release_slot()
        statuses = {ref: s.status for ref, s in self._stages.items()}
        if self._canceled is not None:
            status = Status.CANCELED
        else:
            status = final_status(statuses, {ref: s.flags for ref, s in self._stages.items()})
        self._end_time = epoch_ms()
        self._set_status(status)
        self._publish_details()
        if self._input.saved:
            await self._fire_dependents()

    def _failure_message(self) -> str:
        failed = [s for s in self._stages.values() if s.status in (Status.TERMINAL, Status.STOPPED)]
        where = "; ".join(f"stage {s.spec.display}: {s.error}" for s in failed if s.error)
        if self._canceled is not None:
            reason = self._canceled.get("cancellationReason") or "no reason given"
            return f"canceled by {self._canceled.get('canceledBy')}: {reason}"
        return f"pipeline {self._pipeline.key} ended {self._status}" + (
            f": {where}" if where else ""
        )

    # -- stages -------------------------------------------------------------------------------

    def _launch(self, ref: str) -> None:
        stage = self._stages[ref]
        stage.status = Status.RUNNING
        stage.start_time = epoch_ms()
        stage.end_time = None
        stage.error = None
        stage.runs += 1
        self._tasks[ref] = asyncio.create_task(self._run_stage(ref))

    async def _run_stage(self, ref: str) -> None:
        stage = self._stages[ref]
        ctx = StageContext(self, ref, stage.spec.name, stage.spec.type)
        ctx.context.update({k: v for k, v in stage.context.items() if k == "restartDetails"})
        self._contexts[ref] = ctx
        self._refresh()
        try:
            status, outputs, error = await self._execute(stage, ctx)
        except asyncio.CancelledError:
            status, outputs, error = Status.CANCELED, dict(ctx.outputs), self._cancel_note()
        if ctx.cancelling and not ctx.timed_out:
            # However the handler ended (a cancelled activity may surface as an error).
            status, error = Status.CANCELED, self._cancel_note()
        self._stopping.discard(ref)
        stage.status = status
        stage.outputs = cap_outputs(outputs)
        stage.context = dict(ctx.context)
        stage.context.pop("awaitingJudgment", None)
        stage.error = error
        stage.details = None
        stage.end_time = epoch_ms()
        if status == Status.TERMINAL:
            self._halting = True
        self._tasks.pop(ref, None)
        self._contexts.pop(ref, None)
        self._refresh()

    def _cancel_note(self) -> str:
        if self._canceled is not None:
            return f"canceled by {self._canceled.get('canceledBy')}"
        return "canceled: another branch failed the pipeline"

    async def _execute(
        self, stage: StageRuntime, ctx: StageContext
    ) -> tuple[Status, dict[str, Any], str | None]:
        spec = stage.spec
        if spec.stage_enabled is not None:
            try:
                enabled = evaluate_condition(
                    spec.stage_enabled.expression, self.expression_scope(spec.ref_id)
                )
            except ExpressionError as err:
                ctx.context["stageEnabledError"] = str(err)
                enabled = False
            if not enabled:
                return Status.SKIPPED, {}, None
        if spec.restrict_execution_during_time_window and spec.restricted_execution_window:
            await wait_for_window(spec.restricted_execution_window, ctx, self._input.trigger.type)
        handler = HANDLERS[spec.type]
        # Some handlers evaluate fields themselves (in order, with earlier results in scope).
        raw_fields: frozenset[str] = getattr(handler, "raw_fields", frozenset())
        rendered, failures = render(
            {k: v for k, v in stage.raw.items() if k not in raw_fields},
            self.expression_scope(spec.ref_id),
        )
        rendered.update({k: stage.raw[k] for k in raw_fields if k in stage.raw})
        if failures:
            ctx.context["expressionEvaluationSummary"] = {f.expression: f.reason for f in failures}
            if spec.fail_on_failed_expressions:
                reasons = "; ".join(f"{f.expression}: {f.reason}" for f in failures)
                return failure_status(stage.flags), {}, f"failed expressions: {reasons}"
        try:
            typed = parse_stage(rendered, f"stage {spec.ref_id}")
        except PipelineError as err:
            return failure_status(stage.flags), {}, str(err)
        ctx.context.update(
            {
                k: v
                for k, v in rendered.items()
                if k not in ("refId", "requisiteStageRefIds", "type", "name")
            }
        )
        timeout_ms = spec.stage_timeout_ms or handler.default_timeout_ms
        try:
            result = await self._supervise(handler, typed, ctx, timeout_ms)
        except StageFailed as err:
            flags = stage.flags
            if err.fail_pipeline is not None:
                # Either the stage or the check saying "don't fail the pipeline" wins.
                flags = type(flags)(
                    fail_pipeline=err.fail_pipeline and flags.fail_pipeline,
                    continue_pipeline=flags.continue_pipeline,
                    complete_other_branches_then_fail=flags.complete_other_branches_then_fail,
                )
            return failure_status(flags), {**ctx.outputs, **err.outputs}, str(err)
        except (ActivityError, ChildWorkflowError) as err:
            return failure_status(stage.flags), dict(ctx.outputs), _describe(err)
        except ApplicationError as err:
            return failure_status(stage.flags), dict(ctx.outputs), err.message
        return result.status, {**ctx.outputs, **result.outputs}, None

    async def _supervise(
        self, handler: StageHandler, typed: Any, ctx: StageContext, timeout_ms: int | None
    ) -> StageResult:
        """Run the handler; fail it after ``timeout_ms`` of running time (pauses excluded)."""
        task = asyncio.create_task(self._guarded(handler, typed, ctx))
        if not timeout_ms:
            return await task
        remaining = timeout_ms / 1000
        try:
            while not task.done():
                if self._is_paused:
                    await workflow.wait_condition(lambda: task.done() or not self._is_paused)
                    continue
                started = workflow.time()
                try:
                    await workflow.wait_condition(
                        lambda: task.done() or self._is_paused, timeout=remaining
                    )
                except TimeoutError:
                    ctx.cancelling = ctx.timed_out = True
                    task.cancel()
                    await workflow.wait([task])
                    raise StageFailed(
                        f"stage timed out after {_duration(timeout_ms)} of running time"
                    ) from None
                remaining -= workflow.time() - started
        except asyncio.CancelledError:
            task.cancel()
            await workflow.wait([task])
            raise
        return task.result()

    async def _guarded(self, handler: StageHandler, typed: Any, ctx: StageContext) -> StageResult:
        try:
            return await handler.run(typed, ctx)
        except BaseException:
            if ctx.cancelling:
                # Clean up before the stage is marked CANCELED (or timed out).
                try:
                    await handler.on_cancel(typed, ctx)
                except Exception as err:  # noqa: BLE001 - recorded; the cancel itself goes on
                    ctx.context["cleanupError"] = _describe(err)
                    workflow.logger.warning("clean-up of stage %s failed: %s", ctx.ref_id, err)
            raise

    # -- what stages use --------------------------------------------------------------------------

    @property
    def execution_id(self) -> str:
        """The execution id (the workflow id)."""
        return self._id

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline config of this run."""
        return self._pipeline

    @property
    def trigger(self) -> Trigger:
        """The trigger of this run."""
        return self._input.trigger

    @property
    def queues(self) -> TaskQueues:
        """Task queue names of this install."""
        return self._input.queues

    @property
    def is_paused(self) -> bool:
        """True while a person has paused the run."""
        return self._is_paused

    def expression_scope(self, ref_id: str) -> ExpressionScope:
        """What ``${...}`` in stage ``ref_id`` can see."""
        trigger = self._input.trigger.model_dump(mode="json", by_alias=True)
        return build_scope(
            ref_id,
            self._stages,
            self._graph,
            trigger,
            lambda: self._view().public(),
        )

    async def settings(self) -> WorkerSettings:
        """Worker settings, read once per run through a local activity (so replay agrees)."""
        if self._settings is None:
            self._settings = await workflow.execute_local_activity(
                "gennaker.worker_settings",
                result_type=WorkerSettings,
                start_to_close_timeout=timedelta(seconds=10),
            )
        return self._settings

    def stage_changed(self, ref_id: str) -> None:
        """A stage's context changed: refresh the UI and the judgement search attribute."""
        ctx = self._contexts.get(ref_id)
        if ctx is not None:
            self._stages[ref_id].details = ctx.details
        self._refresh()

    # -- concurrency gate -----------------------------------------------------------------------

    def _gate_id(self) -> str:
        return gate_workflow_id(self._pipeline.application, self._pipeline.name)

    async def _wait_for_slot(self) -> None:
        self._set_status(Status.BUFFERED)
        ticket = GateTicket(
            execution_id=self._id,
            limit=self._pipeline.concurrency_limit,
            keep_waiting=self._pipeline.keep_waiting_pipelines,
            queued_at=epoch_ms(),
            extra={"gateId": self._gate_id(), "queue": self._input.queues.pipelines},
        )
        # Queued before asking: the gate may grant the slot before the local activity returns.
        self._gate_state = "queued"
        await workflow.execute_local_activity(
            "gennaker.enter_gate",
            ticket,
            start_to_close_timeout=timedelta(seconds=30),
        )
        await workflow.wait_condition(
            lambda: self._gate_state != "queued" or self._canceled is not None
        )
        if self._gate_state == "granted":
            self._gate_held = True
        elif self._gate_state == "superseded" and self._canceled is None:
            self._canceled = {
                "canceledBy": "gennaker",
                "cancellationReason": "superseded by a newer waiting execution",
            }

    async def _release_slot(self) -> None:
        try:
            await workflow.get_external_workflow_handle(self._gate_id()).signal("release", self._id)
        except Exception:  # noqa: BLE001 - the gate may be gone; then nothing holds our slot
            workflow.logger.warning("concurrency gate %s not reachable", self._gate_id())
        self._gate_held = False
        self._gate_state = "released"

    @workflow.signal(name="gate")
    def gate_signal(self, decision: str) -> None:
        """From the concurrency gate: ``granted`` or ``superseded``."""
        if self._gate_state == "queued":
            self._gate_state = decision

    # -- dependents -----------------------------------------------------------------------------

    async def _fire_dependents(self) -> None:
        await workflow.execute_local_activity(
            "gennaker.fire_pipeline_triggers",
            {
                "execution": self._view().model_dump(
                    mode="json",
                    by_alias=True,
                    include={
                        "id",
                        "application",
                        "pipeline",
                        "pipeline_config_id",
                        "status",
                        "trigger",
                        "start_time",
                        "end_time",
                    },
                ),
                "queues": self._input.queues.model_dump(mode="json"),
            },
            start_to_close_timeout=timedelta(seconds=30),
        )

    # -- messages -------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> ExecutionView:
        """The execution view (``gennaker status --json``), summarised if enormous."""
        return ExecutionView.model_validate(fit_view(self._view().public(), QUERY_BYTES))

    def _view(self) -> ExecutionView:
        extra: dict[str, Any] = {
            "paused": self._paused,
            "canceled": self._canceled is not None,
            "canceledBy": (self._canceled or {}).get("canceledBy"),
            "cancellationReason": (self._canceled or {}).get("cancellationReason"),
        }
        view = execution_view(
            self._id,
            self._pipeline.application,
            self._pipeline.name,
            self._pipeline.id,
            self._status,
            self._input.trigger.model_dump(mode="json", by_alias=True),
            self._start_time,
            self._end_time,
            self._live_stages(),
            extra,
        )
        return view

    def _live_stages(self) -> dict[str, StageRuntime]:
        if not self._contexts:
            return self._stages
        live = dict(self._stages)
        for ref, ctx in self._contexts.items():
            stage = self._stages[ref]
            copy = StageRuntime(
                raw=stage.raw,
                spec=stage.spec,
                status=stage.status,
                start_time=stage.start_time,
                end_time=stage.end_time,
                context={**stage.context, **ctx.context},
                outputs={**stage.outputs, **ctx.outputs},
                error=stage.error,
                details=ctx.details,
                runs=stage.runs,
            )
            live[ref] = copy
        return live

    def _restore(self, view: ExecutionView) -> None:
        self._start_time = view.start_time
        for old in view.stages:
            stage = self._stages.get(old.ref_id)
            if stage is None:
                continue
            stage.status = old.status
            stage.start_time = old.start_time
            stage.end_time = old.end_time
            stage.outputs = dict(old.outputs)
            stage.error = old.error
            configured = stage.config_context()
            stage.context = {
                k: v for k, v in old.context.items() if configured.get(k, object()) != v
            }

    # -- status, search attributes, UI ----------------------------------------------------------

    def _set_status(self, status: Status) -> None:
        if status == self._status:
            return
        self._status = status
        workflow.upsert_search_attributes([SEARCH.status.value_set(str(status))])
        self._refresh()

    def _refresh(self) -> None:
        self._wake = True
        self._details_dirty = True
        awaiting = any(ctx.inbox.awaiting_judgment for ctx in self._contexts.values())
        if awaiting != self._awaiting_judgment:
            self._awaiting_judgment = awaiting
            workflow.upsert_search_attributes([SEARCH.awaiting_judgment.value_set(awaiting)])

    def _publish_details(self) -> None:
        # Once per wake-up of the scheduler, not once per change: big pipelines change a lot.
        if self._details_dirty:
            self._details_dirty = False
            workflow.set_current_details(self._details())

    def _details(self) -> str:
        return ui.current_details(self._status, self._live_stages().values(), self._id)


def _describe(err: BaseException) -> str:
    """The most useful message of a chain of Temporal errors."""
    message = str(err)
    current: BaseException | None = err
    while current is not None:
        # The innermost application error says what really went wrong.
        if isinstance(current, ApplicationError) and current.message:
            message = current.message
        current = current.__cause__
    return message


def _duration(ms: int) -> str:
    seconds = ms / 1000
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
