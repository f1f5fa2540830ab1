"""Launch a new server group and run a strategy after it, undoing it all when that fails.

Shared by ``deploy`` and ``rollbackServerGroup`` with ``PREVIOUS_IMAGE``. The
cluster's listing from before the launch is kept (it is in the workflow's
history, so a replay after a worker crash sees the same). When a step fails,
the stage times out or the run is cancelled, the cluster is listed again and
the rollback plan runs to its end: the previous group gets its capacity and
traffic back and the new one is disabled (or destroyed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import TAG_IDEMPOTENCY_KEY, Capacity, CreateServerGroupResult, ServerGroup
    from workflows.aws.rollback import RollbackConfig, deploy_rollback_plan
    from workflows.aws.steps import Destroy, Disable, Enable, Resize, RunValidation, ScaleDown, Step
    from workflows.aws.steps import describe as describe_step
    from workflows.aws.strategies import DeployContext, Strategy

from workflows.aws.stages.common import (
    FAILURES,
    PLANNING_ERRORS,
    RegionOps,
    check_cancel,
    error_message,
    planning,
)
from workflows.stages.base import StageFailed

__all__ = ["Launch"]


def _touches_others(step: Step, deployed: str) -> bool:
    """Whether a step acts on a group other than the new one (the clean-up has begun)."""
    if isinstance(step, Resize | Disable | Enable | ScaleDown | Destroy):
        return step.server_group != deployed
    return False


@dataclass
class Launch:
    """One new server group in one region and the strategy after it.

    Attributes:
        ops: The region's activities.
        cluster: The cluster's name.
        strategy: What runs after the group exists.
        rollback: ``rollback.onFailure`` / ``destroyLatest``.
        key: The create's idempotency key (also how a lost create is found again).
        target_healthy_percentage: How healthy new and restored groups must be.
        record: What happened, shown on the stage (``steps``, ``serverGroup``, ``status``).
        show: Called whenever ``record`` changes.
    """

    ops: RegionOps
    cluster: str
    strategy: Strategy
    rollback: RollbackConfig
    key: str
    target_healthy_percentage: int = 100
    record: dict[str, Any] = field(default_factory=dict)
    show: Callable[[], None] = lambda: None

    def _note(self, **changes: Any) -> None:
        self.record.update(changes)
        self.show()

    async def run(
        self,
        before: list[ServerGroup],
        capacity: Capacity,
        create: Callable[[], Awaitable[CreateServerGroupResult]],
        validate: Callable[[RunValidation], Awaitable[Any]] | None = None,
    ) -> ServerGroup:
        """Create the group with ``create``, then run the strategy's plan.

        Args:
            before: The cluster's groups before the launch.
            capacity: The full capacity the launch aims for.
            create: Makes the group (a create or a clone activity).
            validate: Runs a validation pipeline step.

        Raises:
            StageFailed: A step failed (after the clean-up ran).
            asyncio.CancelledError: The stage was cancelled or timed out (after the clean-up).
        """
        ctx = self.ops.ctx
        self.record.setdefault("steps", [])
        created: ServerGroup | None = None
        launching = True
        try:
            created = (await create()).server_group
            self._note(serverGroup=created.name)
            check_cancel(ctx)
            context = DeployContext(
                tuple(before), created, capacity, self.target_healthy_percentage
            )
            for step in self.strategy.plan(context):
                check_cancel(ctx)
                launching = launching and not _touches_others(step, created.name)
                self.record["steps"].append(describe_step(step))
                self.show()
                await self.ops.run(step, validate=validate)
        except (*FAILURES, *PLANNING_ERRORS, asyncio.CancelledError) as err:
            cancelled = ctx.cancelling and not ctx.timed_out
            rolled_back = await self._clean_up(before, created, launching, cancelled)
            self._note(status="CANCELED" if cancelled else "TERMINAL")
            if isinstance(err, asyncio.CancelledError) or ctx.cancelling:
                raise
            message = str(planning(err)) if isinstance(err, PLANNING_ERRORS) else error_message(err)
            if rolled_back:
                message += f" (rolled back: {'; '.join(rolled_back)})"
            raise StageFailed(message) from None
        self._note(status="SUCCEEDED")
        return created

    async def _clean_up(
        self,
        before: list[ServerGroup],
        created: ServerGroup | None,
        launching: bool,
        cancelled: bool,
    ) -> list[str]:
        """Undo what the launch did, as far as its rollback settings say; the steps run."""
        done: list[str] = []
        try:
            current = await self.ops.list_cluster(self.cluster)
            deployed = created.name if created is not None else None
            if deployed is None:
                # The create may have finished on AWS after its answer was lost.
                mine = [g for g in current if g.tags.get(TAG_IDEMPOTENCY_KEY) == self.key]
                deployed = mine[0].name if mine else None
            if deployed is None:
                return done
            plan = deploy_rollback_plan(
                self.strategy,
                self.rollback,
                before=before,
                current=current,
                deployed=deployed,
                failed_while_launching=launching,
                cancelled=cancelled,
                target_healthy_percentage=self.target_healthy_percentage,
            )
            self._note(serverGroup=deployed, rollback=done)
            for step in plan:
                done.append(describe_step(step))
                self.show()
                # No cancel checks: the clean-up runs to its end.
                await self.ops.run(step)
        except FAILURES as err:
            self._note(rollbackError=error_message(err))
            done.append(f"rollback failed: {error_message(err)}")
        return done
