"""What people send a running pipeline: judge, pause, resume, cancel, skip a wait, restart.

Each is a Temporal **update** with a validator, so a refused message returns a
clear error to its sender and leaves no trace in history; ``judge``, ``pause``,
``resume``, ``cancel`` and ``skip_wait`` are also **signals** with the same
payload, for the Web UI's *Send a Signal*.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.graph import StageGraph
    from models.run import ActionRequest, JudgeRequest, RestartRequest, SkipWaitRequest
    from models.status import Status
    from workflows.runtime import StageRuntime, stage_view

from workflows.stages.context import StageContext, epoch_ms

__all__ = ["ExecutionMessages"]


class ExecutionMessages:
    """Message handlers of :class:`workflows.pipeline.PipelineWorkflow` (a mixin).

    It reads and changes the execution state the workflow keeps; the workflow
    provides the state and the three hooks at the end of this class.
    """

    _id: str
    _graph: StageGraph
    _stages: dict[str, StageRuntime]
    _contexts: dict[str, StageContext]
    _tasks: dict[str, asyncio.Task[None]]
    _status: Status
    _is_paused: bool
    _paused: dict[str, Any] | None
    _canceled: dict[str, Any] | None
    _halting: bool
    _wake: bool

    def _stage_key(self, key: str) -> str:
        if key in self._stages:
            return key
        for ref, stage in self._stages.items():
            if stage.spec.name == key:
                return ref
        raise ApplicationError(
            f"execution {self._id} has no stage with refId or name {key!r}",
            type="UnknownStage",
            non_retryable=True,
        )

    def _judgment_problem(self, request: JudgeRequest) -> tuple[str, str | None]:
        ref = self._stage_key(request.stage)
        stage = self._stages[ref]
        if stage.spec.type != "manualJudgment":
            return (
                ref,
                f"stage {stage.spec.display} has type {stage.spec.type}, not manualJudgment",
            )
        ctx = self._contexts.get(ref)
        if ctx is None or not ctx.inbox.awaiting_judgment:
            return (
                ref,
                f"stage {stage.spec.display} is not waiting for a judgement (it is {stage.status})",
            )
        if ctx.inbox.judges is not None and request.user not in ctx.inbox.judges:
            roles = ", ".join(
                stage.raw.get("requiredJudgmentRoles") or stage.raw.get("selectedStageRoles") or []
            )
            return (
                ref,
                f"user {request.user!r} may not judge stage {stage.spec.display}: it needs one of the roles [{roles}]",
            )
        options = ctx.inbox.judgment_inputs
        if (
            options
            and request.judgment_status == "continue"
            and request.judgment_input not in options
        ):
            return ref, (
                f"judgment input {request.judgment_input!r} is not one of {options} "
                f"for stage {stage.spec.display}"
            )
        return ref, None

    @workflow.update(name="judge")
    async def judge(self, request: JudgeRequest) -> dict[str, Any]:
        """Record a manual judgement (validated first; a refused one leaves no trace)."""
        ref, _ = self._judgment_problem(request)
        self._accept_judgment(ref, request)
        return stage_view(self._live_stages()[ref]).model_dump(mode="json", by_alias=True)

    @judge.validator
    def _validate_judge(self, request: JudgeRequest) -> None:
        _, problem = self._judgment_problem(request)
        if problem:
            raise ApplicationError(problem, type="JudgmentRefused", non_retryable=True)

    @workflow.signal(name="judge")
    def judge_signal(self, request: JudgeRequest) -> None:
        """The same judgement as a signal, for the Web UI (refusals are noted on the stage)."""
        try:
            ref, problem = self._judgment_problem(request)
        except ApplicationError as err:
            workflow.logger.warning("judge signal refused: %s", err.message)
            return
        if problem:
            ctx = self._contexts.get(ref)
            if ctx is not None:
                ctx.context["lastRefusedJudgment"] = {
                    "user": request.user,
                    "reason": problem,
                    "time": epoch_ms(),
                }
            workflow.logger.warning("judge signal refused: %s", problem)
            self._refresh()
            return
        self._accept_judgment(ref, request)

    def _accept_judgment(self, ref: str, request: JudgeRequest) -> None:
        ctx = self._contexts[ref]
        ctx.inbox.judgment = {
            "judgmentStatus": request.judgment_status,
            "judgmentInput": request.judgment_input,
            "user": request.user,
            "time": epoch_ms(),
        }
        ctx.inbox.awaiting_judgment = False
        ctx.context.pop("awaitingJudgment", None)
        self._refresh()

    @workflow.update(name="pause")
    def pause(self, request: ActionRequest) -> dict[str, Any]:
        """Pause: no new stage starts and timers stop counting until ``resume``."""
        return self._pause(request)

    def _pause(self, request: ActionRequest) -> dict[str, Any]:
        self._is_paused = True
        self._paused = {"pausedBy": request.user, "pauseTime": epoch_ms(), "reason": request.reason}
        self._set_status(Status.PAUSED)
        self._wake = True
        return dict(self._paused)

    @pause.validator
    def _validate_pause(self, request: ActionRequest) -> None:
        if self._status != Status.RUNNING or self._is_paused:
            raise ApplicationError(
                f"execution {self._id} is {self._status}; only a RUNNING execution can be paused",
                type="NotRunning",
                non_retryable=True,
            )

    @workflow.update(name="resume")
    def resume(self, request: ActionRequest) -> dict[str, Any]:
        """Resume a paused run."""
        return self._resume(request)

    def _resume(self, request: ActionRequest) -> dict[str, Any]:
        self._is_paused = False
        self._paused = {**(self._paused or {}), "resumedBy": request.user, "resumeTime": epoch_ms()}
        self._set_status(Status.RUNNING)
        self._wake = True
        return dict(self._paused)

    @resume.validator
    def _validate_resume(self, request: ActionRequest) -> None:
        if not self._is_paused:
            raise ApplicationError(
                f"execution {self._id} is {self._status}, not PAUSED",
                type="NotPaused",
                non_retryable=True,
            )

    @workflow.update(name="cancel")
    def cancel(self, request: ActionRequest) -> dict[str, Any]:
        """Cancel the run: running stages clean up, the execution ends CANCELED."""
        self._request_cancel(request)
        return dict(self._canceled or {})

    @cancel.validator
    def _validate_cancel(self, request: ActionRequest) -> None:
        if self._canceled is not None or self._status.complete:
            raise ApplicationError(
                f"execution {self._id} is already {self._status if self._status.complete else 'canceling'}",
                type="AlreadyDone",
                non_retryable=True,
            )

    @workflow.signal(name="pause")
    def pause_signal(self, request: ActionRequest) -> None:
        """``pause`` as a signal (for the Web UI)."""
        try:
            self._validate_pause(request)
        except ApplicationError:
            return
        self._pause(request)

    @workflow.signal(name="resume")
    def resume_signal(self, request: ActionRequest) -> None:
        """``resume`` as a signal (for the Web UI)."""
        if self._is_paused:
            self._resume(request)

    @workflow.signal(name="cancel")
    def cancel_signal(self, request: ActionRequest) -> None:
        """``cancel`` as a signal (for the Web UI)."""
        if self._canceled is None and not self._status.complete:
            self._request_cancel(request)

    def _request_cancel(self, request: ActionRequest) -> None:
        if self._canceled is None:
            self._canceled = {
                "canceledBy": request.user,
                "cancellationReason": request.reason,
                "cancelTime": epoch_ms(),
            }
        if self._is_paused:
            # Resume paused stages so they notice the cancel (as Orca does).
            self._is_paused = False
        self._wake = True

    @workflow.update(name="skip_wait")
    def skip_wait(self, request: SkipWaitRequest) -> dict[str, Any]:
        """End a wait, waitUntil or execution window now (``skipRemainingWait``)."""
        return self._skip_wait(request)

    def _skip_wait(self, request: SkipWaitRequest) -> dict[str, Any]:
        ref = self._stage_key(request.stage)
        ctx = self._contexts[ref]
        ctx.inbox.skip_wait = {"user": request.user, "time": epoch_ms()}
        ctx.context["skipRemainingWait"] = True
        return {"stage": ref, "skippedBy": request.user}

    @skip_wait.validator
    def _validate_skip_wait(self, request: SkipWaitRequest) -> None:
        ref = self._stage_key(request.stage)
        if ref not in self._contexts:
            raise ApplicationError(
                f"stage {self._stages[ref].spec.display} is not running (it is {self._stages[ref].status})",
                type="NotRunning",
                non_retryable=True,
            )

    @workflow.signal(name="skip_wait")
    def skip_wait_signal(self, request: SkipWaitRequest) -> None:
        """``skip_wait`` as a signal (for the Web UI)."""
        try:
            self._validate_skip_wait(request)
        except ApplicationError:
            return
        self._skip_wait(request)

    @workflow.update(name="restart_stage")
    def restart_stage(self, request: RestartRequest) -> dict[str, Any]:
        """Run a completed stage and everything downstream of it again."""
        ref = self._stage_key(request.stage)
        self._reset_from(ref, request.user)
        self._halting = False
        self._wake = True
        return stage_view(self._stages[ref]).model_dump(mode="json", by_alias=True)

    @restart_stage.validator
    def _validate_restart(self, request: RestartRequest) -> None:
        ref = self._stage_key(request.stage)
        stage = self._stages[ref]
        if not stage.status.complete:
            raise ApplicationError(
                f"stage {stage.spec.display} is {stage.status}; only a completed stage can be restarted",
                type="NotComplete",
                non_retryable=True,
            )
        busy = [r for r in self._graph.descendants(ref) if r in self._tasks]
        if busy:
            raise ApplicationError(
                f"stages downstream of {stage.spec.display} are still running: {', '.join(busy)}",
                type="DownstreamRunning",
                non_retryable=True,
            )
        if self._canceled is not None or self._status.complete:
            raise ApplicationError(
                f"execution {self._id} is {self._status}", type="AlreadyDone", non_retryable=True
            )

    def _reset_from(self, ref: str, user: str) -> None:
        stage = self._stages[ref]
        previous = stage.error
        for target in [ref, *self._graph.descendants(ref)]:
            self._stages[target].reset()
        stage.context["restartDetails"] = {
            "restartedBy": user,
            "restartTime": epoch_ms(),
            "previousException": previous,
        }
        self._refresh()

    # -- provided by the workflow ------------------------------------------------------------------

    def _refresh(self) -> None:
        raise NotImplementedError

    def _set_status(self, status: Status) -> None:
        raise NotImplementedError

    def _live_stages(self) -> dict[str, StageRuntime]:
        raise NotImplementedError
