"""``rollbackServerGroup`` and ``rollbackCluster``.

``EXPLICIT`` gives traffic back to an existing group: enable it, resize it to
the bad group's capacity, wait for it, then disable the bad one.
``PREVIOUS_IMAGE`` makes a new group like the bad one from the image that ran
before it (recorded on the group by the deploy, or found in the cluster), waits
for it, then disables the bad one; if that fails, the new group is removed.
``rollbackCluster`` picks, per region, the newest enabled group and what to roll
it back to, and does one of the two, region after region.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import CloneServerGroupRequest, ServerGroup
    from models.naming import ServerGroupName
    from models.stages.aws import RollbackClusterStage, RollbackServerGroupStage
    from workflows.aws.rollback import (
        RollbackConfig,
        cluster_rollback,
        previous_image,
        rollback_server_group_plan,
    )
    from workflows.aws.strategies import RedBlack
    from workflows.aws.targets import resolve_target

from workflows.aws.stages.common import PLANNING_ERRORS, RegionOps, planning, run_key
from workflows.aws.stages.launch import Launch
from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["RollbackClusterHandler", "RollbackServerGroupHandler"]


def _find(groups: list[ServerGroup], name: str, cluster: str) -> ServerGroup:
    try:
        return resolve_target(groups, server_group_name=name, cluster=cluster)
    except PLANNING_ERRORS as err:
        raise planning(err) from None


def _image(image_id: str | None, image_name: str | None) -> str | None:
    if image_id:
        return image_id
    if image_name and image_name.startswith("ami-"):
        return image_name
    if image_name:
        raise StageFailed(f"imageName {image_name!r}: give the AMI id as imageId instead")
    return None


async def explicit(
    ops: RegionOps,
    restore: ServerGroup,
    rollback: ServerGroup,
    options: dict[str, Any],
    record: dict[str, Any],
) -> dict[str, Any]:
    """Roll ``rollback`` back to ``restore``; the outputs of one region."""
    plan = rollback_server_group_plan(
        restore,
        rollback,
        target_healthy_rollback_percentage=int(options.get("targetHealthyRollbackPercentage", 100)),
        delay_before_disable_seconds=float(options.get("delayBeforeDisableSeconds") or 0),
        disable_only=bool(options.get("disableOnly", False)),
        enable_and_disable_only=bool(options.get("enableAndDisableOnly", False)),
    )
    record.update(rollbackType="EXPLICIT", restoreServerGroupName=restore.name)
    await ops.run_all(plan, record.setdefault("steps", []))
    return {
        "rollbackType": "EXPLICIT",
        "rollbackServerGroupName": rollback.name,
        "restoreServerGroupName": restore.name,
    }


async def from_previous_image(
    ops: RegionOps,
    cluster: str,
    groups: list[ServerGroup],
    rollback: ServerGroup,
    image_id: str,
    percentage: int,
    record: dict[str, Any],
) -> dict[str, Any]:
    """A new group like ``rollback`` from ``image_id``, which then takes its traffic."""
    ctx = ops.ctx
    key = f"{ctx.execution_id}/{run_key(ctx)}/{ops.region}/previous-image"
    capacity = rollback.capacity
    try:
        request = CloneServerGroupRequest(
            account=ops.account,
            region=ops.region,
            source_server_group_name=rollback.name,
            image_id=image_id,
            capacity=capacity,
            execution_id=ctx.execution_id,
            stage_ref_id=run_key(ctx),
            idempotency_key=key,
        )
    except PLANNING_ERRORS as err:
        raise planning(err) from None
    record.update(rollbackType="PREVIOUS_IMAGE", imageId=image_id)
    # Red/black after the clone; a failure removes the clone and restores the bad group.
    launch = Launch(
        ops,
        cluster,
        RedBlack(),
        RollbackConfig(on_failure=True, destroy_latest=True),
        key,
        percentage,
        record,
        ctx.changed,
    )
    created = await launch.run(groups, capacity, lambda: ops.clone(request))
    return {
        "rollbackType": "PREVIOUS_IMAGE",
        "rollbackServerGroupName": rollback.name,
        "imageId": image_id,
        "deployedServerGroup": created.name,
        "deploy.server.groups": {ops.region: [created.name]},
    }


@handles("rollbackServerGroup")
class RollbackServerGroupHandler(BaseHandler):
    """Rolls one server group back, ``EXPLICIT`` or ``PREVIOUS_IMAGE``."""

    async def run(self, stage: RollbackServerGroupStage, ctx: StageContext) -> StageResult:
        """Roll back in the stage's region."""
        context = stage.rollback_context
        region = stage.regions[0]
        ops = RegionOps(ctx, stage.credentials, region)
        cluster = str(ServerGroupName.parse(context.rollback_server_group_name).cluster)
        groups = await ops.list_cluster(cluster)
        rollback = _find(groups, context.rollback_server_group_name, cluster)
        record: dict[str, Any] = {"region": region, "steps": []}
        ctx.context["rollback"] = record
        if stage.rollback_type == "EXPLICIT":
            restore_name = context.restore_server_group_name or rollback.name
            restore = _find(groups, restore_name, cluster)
            options = context.model_dump(by_alias=True)
            return StageResult(outputs=await explicit(ops, restore, rollback, options, record))
        image = previous_image(rollback, groups, _image(context.image_id, context.image_name))
        if image is None:
            raise StageFailed(
                f"no previous image for {rollback.name}: none recorded, no older group with "
                "another image, and no rollbackContext.imageId"
            )
        outputs = await from_previous_image(
            ops,
            cluster,
            groups,
            rollback,
            image,
            context.target_healthy_rollback_percentage,
            record,
        )
        return StageResult(outputs=outputs)


@handles("rollbackCluster")
class RollbackClusterHandler(BaseHandler):
    """Rolls the cluster back region by region, waiting ``waitTimeBetweenRegions`` between."""

    async def run(self, stage: RollbackClusterStage, ctx: StageContext) -> StageResult:
        """Choose and run each region's rollback."""
        options = {
            **stage.additional_rollback_context,
            "targetHealthyRollbackPercentage": stage.target_healthy_rollback_percentage,
        }
        records: dict[str, dict[str, Any]] = {}
        ctx.context["rollbacks"] = records
        done: dict[str, Any] = {}
        for index, region in enumerate(stage.regions):
            if index and stage.wait_time_between_regions > 0:
                await ctx.sleep(stage.wait_time_between_regions)
            ops = RegionOps(ctx, stage.credentials, region)
            groups = await ops.list_cluster(stage.cluster)
            try:
                choice = cluster_rollback(groups, stage.cluster)
            except PLANNING_ERRORS as err:
                raise StageFailed(f"{region}: {planning(err)}") from None
            record = records.setdefault(region, {"steps": []})
            if choice.restore is not None:
                done[region] = await explicit(ops, choice.restore, choice.rollback, options, record)
            else:
                assert choice.image_id is not None
                done[region] = await from_previous_image(
                    ops,
                    stage.cluster,
                    groups,
                    choice.rollback,
                    choice.image_id,
                    stage.target_healthy_rollback_percentage,
                    record,
                )
        return StageResult(outputs={"rollbacks": done})
