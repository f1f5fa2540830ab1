"""Stages on one server group per region: enable, disable, resize and destroy.

Each names its group with a dynamic ``target`` (``current_asg_dynamic``,
``ancestor_asg_dynamic``, ``oldest_asg_dynamic``) or a ``serverGroupName``,
resolved in each region from a fresh listing of the cluster. Regions run at once.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import Capacity, ServerGroup
    from models.stages.aws import (
        DestroyServerGroupStage,
        DisableServerGroupStage,
        EnableServerGroupStage,
        ResizeServerGroupStage,
    )
    from workflows.aws.capacity import scale_down, scale_exact, scale_to_cluster, scale_up
    from workflows.aws.targets import resolve_target

from workflows.aws.stages.common import PLANNING_ERRORS, RegionOps, in_regions, planning
from workflows.stages.base import BaseHandler, StageResult, handles
from workflows.stages.context import StageContext

__all__ = [
    "DestroyServerGroupHandler",
    "DisableServerGroupHandler",
    "EnableServerGroupHandler",
    "ResizeServerGroupHandler",
    "target_group",
]


async def target_group(
    ops: RegionOps, stage: Any, groups: list[ServerGroup] | None = None
) -> ServerGroup:
    """The group ``stage`` names in ``ops``'s region (its target or ``serverGroupName``).

    Raises:
        StageFailed: No group matches.
    """
    if groups is None:
        groups = await ops.list_cluster(stage.cluster)
    try:
        return resolve_target(
            groups, stage.target, server_group_name=stage.server_group_name, cluster=stage.cluster
        )
    except PLANNING_ERRORS as err:
        raise planning(err) from None


def _outputs(ctx: StageContext, names: dict[str, str]) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "serverGroups": names,
        "deploy.server.groups": {region: [name] for region, name in names.items()},
    }
    if len(names) == 1:
        outputs["serverGroupName"] = next(iter(names.values()))
    ctx.context["serverGroups"] = names
    return outputs


@handles("enableServerGroup")
class EnableServerGroupHandler(BaseHandler):
    """Registers the group's instances in its target groups and resumes ``AddToLoadBalancer``."""

    async def run(self, stage: EnableServerGroupStage, ctx: StageContext) -> StageResult:
        """Enable the target group in every region."""

        async def enable(region: str) -> str:
            ops = RegionOps(ctx, stage.credentials, region)
            group = await target_group(ops, stage)
            await ops.enable(group.name)
            return group.name

        return StageResult(outputs=_outputs(ctx, await in_regions(stage.regions, enable)))


@handles("disableServerGroup")
class DisableServerGroupHandler(BaseHandler):
    """Takes traffic away from the group, or from ``desiredPercentage`` of its instances."""

    async def run(self, stage: DisableServerGroupStage, ctx: StageContext) -> StageResult:
        """Disable the target group in every region."""

        async def disable(region: str) -> str:
            ops = RegionOps(ctx, stage.credentials, region)
            group = await target_group(ops, stage)
            await ops.disable(group.name, stage.desired_percentage)
            return group.name

        return StageResult(outputs=_outputs(ctx, await in_regions(stage.regions, disable)))


def resize_capacity(
    stage: ResizeServerGroupStage, group: ServerGroup, groups: list[ServerGroup]
) -> Capacity:
    """The capacity ``stage`` sets on ``group``, as Orca's resize strategies compute it.

    Raises:
        ValidationError: The configured values contradict each other.
        NotFoundError: ``scale_to_server_group`` names a group that is not in the cluster.
    """
    by_pct = stage.resize_type == "pct"
    amount: dict[str, Any] = {"pct": stage.scale_pct} if by_pct else {"incr": stage.scale_num}
    match stage.action:
        case "scale_up":
            return scale_up(group.capacity, **amount)
        case "scale_down":
            return scale_down(group.capacity, **amount)
        case "scale_to_cluster":
            extra = amount if (stage.scale_pct or stage.scale_num) else {}
            return scale_to_cluster([g.capacity for g in groups], **extra)
        case "scale_to_server_group":
            source = resolve_target(groups, server_group_name=stage.source_server_group_name)
            return source.capacity
        case _:
            wanted = stage.capacity
            return scale_exact(
                group.capacity, min=wanted.min, max=wanted.max, desired=wanted.desired
            )


@handles("resizeServerGroup")
class ResizeServerGroupHandler(BaseHandler):
    """Sets the capacity, then waits until the group is healthy at its new size."""

    async def run(self, stage: ResizeServerGroupStage, ctx: StageContext) -> StageResult:
        """Resize the target group in every region."""

        async def resize(region: str) -> dict[str, Any]:
            ops = RegionOps(ctx, stage.credentials, region)
            groups = await ops.list_cluster(stage.cluster)
            group = await target_group(ops, stage, groups)
            try:
                capacity = resize_capacity(stage, group, groups)
            except PLANNING_ERRORS as err:
                raise planning(err) from None
            resized = await ops.resize(group.name, capacity)
            await ops.wait_healthy(group.name, stage.target_healthy_deploy_percentage)
            return {
                "serverGroupName": group.name,
                "capacity": capacity.model_dump(),
                "previousCapacity": resized.previous_capacity.model_dump(),
            }

        done = await in_regions(stage.regions, resize)
        outputs = _outputs(ctx, {r: d["serverGroupName"] for r, d in done.items()})
        outputs["capacity"] = {r: d["capacity"] for r, d in done.items()}
        outputs["previousCapacity"] = {r: d["previousCapacity"] for r, d in done.items()}
        return StageResult(outputs=outputs)


@handles("destroyServerGroup")
class DestroyServerGroupHandler(BaseHandler):
    """Disables the group (if it is enabled), then deletes it with its launch template."""

    async def run(self, stage: DestroyServerGroupStage, ctx: StageContext) -> StageResult:
        """Destroy the target group in every region."""

        async def destroy(region: str) -> str:
            ops = RegionOps(ctx, stage.credentials, region)
            group = await target_group(ops, stage)
            if group.enabled:
                await ops.disable(group.name)
            await ops.destroy(group.name)
            return group.name

        return StageResult(outputs=_outputs(ctx, await in_regions(stage.regions, destroy)))
