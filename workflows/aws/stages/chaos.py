"""``chaosMonkey``: terminate some of a group's instances, then wait until it has recovered.

The victims are chosen with the workflow's deterministic random generator (so
a replay chooses the same) and recorded in the outputs before they are
terminated. The group replaces them; the stage then waits until the group is
back at its desired healthy capacity and fails if that does not happen within
the stage timeout (ten minutes unless ``stageTimeoutMs`` says otherwise).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.stages.aws import ChaosMonkeyStage
    from workflows.aws.chaos import termination_count, victims

from workflows.aws.stages.common import PLANNING_ERRORS, RegionOps, planning
from workflows.aws.stages.server_groups import target_group
from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["ChaosMonkeyHandler"]

CHAOS_TIMEOUT_MS = 10 * 60 * 1000


@handles("chaosMonkey")
class ChaosMonkeyHandler(BaseHandler):
    """Chaos Monkey as a stage, one region after another."""

    default_timeout_ms = CHAOS_TIMEOUT_MS

    async def run(self, stage: ChaosMonkeyStage, ctx: StageContext) -> StageResult:
        """Terminate, record, then wait for recovery in each region."""
        terminated: dict[str, list[str]] = {}
        groups: dict[str, str] = {}
        ctx.outputs["terminatedInstanceIds"] = terminated
        ctx.outputs["serverGroups"] = groups
        for region in stage.regions:
            ops = RegionOps(ctx, stage.credentials, region)
            group = await target_group(ops, stage)
            candidates = [
                i.instance_id for i in group.instances if i.lifecycle_state == "InService"
            ]
            try:
                count = termination_count(
                    len(candidates),
                    count=stage.termination_count,
                    percentage=stage.termination_percentage,
                )
            except PLANNING_ERRORS as err:
                raise StageFailed(f"{region}: {group.name}: {planning(err)}") from None
            chosen = victims(candidates, count, ctx.random())
            # Recorded before the calls, so the view names them even if the stage fails later.
            groups[region] = group.name
            terminated[region] = chosen
            ctx.show(f"terminating {len(chosen)} of {len(candidates)} instances of `{group.name}`")
            await ops.terminate(group.name, chosen)
            ctx.show(f"waiting for `{group.name}` to be back at its desired healthy capacity")
            await ops.wait_healthy(group.name, stage.target_healthy_percentage, ignore=chosen)
        ctx.show(None)
        return StageResult(outputs={"terminatedInstanceIds": terminated, "serverGroups": groups})
