"""What a stage handler may use: activities, pause-aware timers, child pipelines, messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from models.pipeline import Pipeline, Trigger
    from models.run import TaskQueues
    from models.settings import WorkerSettings
    from workflows.expressions import ExpressionScope

__all__ = ["DEFAULT_RETRY", "StageContext", "StageHost", "StageInbox", "epoch_ms"]

DEFAULT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=10,
)
"""Retries for stage activities: transient failures retried, capped, then the stage fails."""


def epoch_ms() -> int:
    """Workflow time in epoch milliseconds (the unit of every time in the execution view)."""
    return int(workflow.now().timestamp() * 1000)


class StageHost(Protocol):
    """The parts of the running pipeline a stage context needs (the workflow implements it)."""

    @property
    def execution_id(self) -> str: ...

    @property
    def pipeline(self) -> Pipeline: ...

    @property
    def trigger(self) -> Trigger: ...

    @property
    def queues(self) -> TaskQueues: ...

    @property
    def is_paused(self) -> bool: ...

    def expression_scope(self, ref_id: str) -> ExpressionScope: ...

    async def settings(self) -> WorkerSettings: ...

    def stage_changed(self, ref_id: str) -> None: ...


@dataclass
class StageInbox:
    """Messages people send to one running stage."""

    judgment: dict[str, Any] | None = None
    skip_wait: dict[str, Any] | None = None
    awaiting_judgment: bool = False
    judges: list[str] | None = None
    """Users allowed to judge (None: anyone), resolved from roles when the stage starts."""
    judgment_inputs: list[str] = field(default_factory=list)


class StageContext:
    """Handed to a stage handler; everything it does goes through here.

    Attributes:
        ref_id: The stage's refId.
        name: The stage's name.
        context: Runtime context shown in the execution view (merged over the config).
        outputs: Outputs so far; the handler's result replaces them when it returns.
        inbox: Messages for this stage (judgement, skip wait).
    """

    def __init__(self, host: StageHost, ref_id: str, name: str, stage_type: str) -> None:
        self._host = host
        self.ref_id = ref_id
        self.name = name
        self.type = stage_type
        self.context: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.inbox = StageInbox()
        self.details: str | None = None
        self.cancelling = False
        """Set when the engine cancels the stage (cancel, halt or timeout): clean up."""
        self.timed_out = False

    # -- what the stage belongs to ---------------------------------------------------------

    @property
    def execution_id(self) -> str:
        """The execution (workflow) id."""
        return self._host.execution_id

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline config of this run."""
        return self._host.pipeline

    @property
    def trigger(self) -> Trigger:
        """The trigger of this run."""
        return self._host.trigger

    @property
    def queues(self) -> TaskQueues:
        """Task queue names of this install."""
        return self._host.queues

    @property
    def idempotency_key(self) -> str:
        """``<execution id>/<refId>``: names what this stage creates, so retries find it."""
        return f"{self.execution_id}/{self.ref_id}"

    def scope(self) -> ExpressionScope:
        """The expression scope of this stage (for handlers that evaluate lazily)."""
        return self._host.expression_scope(self.ref_id)

    async def settings(self) -> WorkerSettings:
        """Worker-side settings (timezone, roles), recorded once per run."""
        return await self._host.settings()

    def show(self, details: str | None) -> None:
        """Show ``details`` (Markdown) for this stage in the Web UI's current details."""
        self.details = details
        self._host.stage_changed(self.ref_id)

    def changed(self) -> None:
        """Tell the engine the stage's context or inbox changed (refreshes the UI)."""
        self._host.stage_changed(self.ref_id)

    # -- time --------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Workflow time (deterministic)."""
        return workflow.now()

    async def sleep(self, seconds: float, *, skippable: bool = True) -> bool:
        """Sleep ``seconds`` of running time: paused time does not count.

        Returns:
            True if a person skipped the rest of the wait (``skipRemainingWait``).
        """
        remaining = max(0.0, seconds)
        while remaining > 0:
            if skippable and self.inbox.skip_wait is not None:
                return True
            if self._host.is_paused:
                await workflow.wait_condition(
                    lambda: (
                        not self._host.is_paused or (skippable and self.inbox.skip_wait is not None)
                    )
                )
                continue
            started = workflow.time()
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._host.is_paused or (skippable and self.inbox.skip_wait is not None)
                    ),
                    timeout=remaining,
                )
            except TimeoutError:
                return False
            remaining -= workflow.time() - started
        return skippable and self.inbox.skip_wait is not None

    async def wait_for(self, condition: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``condition()`` holds; False if ``timeout`` seconds pass first."""
        try:
            await workflow.wait_condition(condition, timeout=timeout)
        except TimeoutError:
            return False
        return True

    def random(self) -> Any:
        """The workflow's deterministic random generator."""
        return workflow.random()

    # -- work ----------------------------------------------------------------------------------

    async def activity(
        self,
        activity: str,
        arg: Any = None,
        *,
        queue: str | None = None,
        result_type: type | None = None,
        target: str | None = None,
        start_to_close: timedelta = timedelta(minutes=5),
        heartbeat: timedelta | None = None,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        wait_for_cancel: bool = False,
    ) -> Any:
        """Run an activity for this stage; the Web UI shows which stage and target.

        Args:
            activity: Activity name, e.g. ``"webhook.call"``.
            arg: Its single argument (a pydantic model or JSON value).
            queue: Task queue; the pipelines queue by default.
            result_type: Type to convert the result to.
            target: What the activity acts on, for its summary (URL, server group...).
            start_to_close: Time limit of one attempt.
            heartbeat: Heartbeat timeout, for long activities.
            retry: Retry policy; None for Temporal's default.
            wait_for_cancel: On cancel, wait until the activity has stopped (for clean-up
                that must follow it).
        """
        summary = f"{self.name} ({self.ref_id})" + (f": {target}" if target else "")
        return await workflow.execute_activity(
            activity,
            arg,
            task_queue=queue or self.queues.pipelines,
            result_type=result_type,
            start_to_close_timeout=start_to_close,
            heartbeat_timeout=heartbeat,
            retry_policy=retry,
            cancellation_type=(
                ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                if wait_for_cancel
                else ActivityCancellationType.TRY_CANCEL
            ),
            summary=summary[:400],
        )

    async def local_activity(
        self,
        activity: str,
        arg: Any = None,
        *,
        result_type: type | None = None,
        timeout: timedelta = timedelta(seconds=30),
    ) -> Any:
        """A short local activity (lookups in Temporal itself, worker settings)."""
        return await workflow.execute_local_activity(
            activity,
            arg,
            result_type=result_type,
            start_to_close_timeout=timeout,
            retry_policy=RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=5)),
        )
