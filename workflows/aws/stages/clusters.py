"""Cluster-wide stages: ``disableCluster``, ``scaleDownCluster``, ``shrinkCluster``, and the
``clusterSize`` precondition.

Which groups are acted on is Orca's choice (:mod:`workflows.aws.targets`), made in
each region from a fresh listing of the cluster.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pydantic
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import Capacity, ServerGroup
    from models.stages import Precondition
    from models.stages.aws import (
        ClusterSizeCheck,
        DisableClusterStage,
        ScaleDownClusterStage,
        ShrinkClusterStage,
    )
    from workflows.aws.targets import (
        cluster_size_matches,
        disable_cluster,
        scale_down_cluster,
        shrink_cluster,
    )

from workflows.aws.stages.common import PLANNING_ERRORS, RegionOps, in_regions, planning
from workflows.stages.base import BaseHandler, StageResult, handles
from workflows.stages.context import StageContext
from workflows.stages.preconditions import precondition_check

__all__ = ["DisableClusterHandler", "ScaleDownClusterHandler", "ShrinkClusterHandler"]

Choose = Callable[[list[ServerGroup]], list[ServerGroup]]
Act = Callable[[RegionOps, ServerGroup], Awaitable[None]]


async def _each_region(
    ctx: StageContext, stage: Any, choose: Choose, act: Act, key: str
) -> StageResult:
    """List the cluster in every region, choose groups, act on each; output them by region."""

    async def region_work(region: str) -> list[str]:
        ops = RegionOps(ctx, stage.credentials, region)
        groups = await ops.list_cluster(stage.cluster)
        try:
            chosen = choose(groups)
        except PLANNING_ERRORS as err:
            raise planning(err) from None
        for group in chosen:
            await act(ops, group)
        return [g.name for g in chosen]

    done = await in_regions(stage.regions, region_work)
    ctx.context[key] = done
    return StageResult(outputs={key: done})


async def _disable(ops: RegionOps, group: ServerGroup) -> None:
    await ops.disable(group.name)


@handles("disableCluster")
class DisableClusterHandler(BaseHandler):
    """Disables all but the newest (or largest) ``remainingEnabledServerGroups`` enabled groups."""

    async def run(self, stage: DisableClusterStage, ctx: StageContext) -> StageResult:
        """Disable the chosen groups in every region."""

        def choose(groups: list[ServerGroup]) -> list[ServerGroup]:
            return disable_cluster(
                groups,
                remaining_enabled_server_groups=stage.remaining_enabled_server_groups,
                prefer_larger_over_newer=stage.prefer_larger_over_newer,
            )

        return await _each_region(ctx, stage, choose, _disable, "disabledServerGroups")


@handles("scaleDownCluster")
class ScaleDownClusterHandler(BaseHandler):
    """Scales all but ``remainingFullSizeServerGroups`` groups to zero instances."""

    async def run(self, stage: ScaleDownClusterStage, ctx: StageContext) -> StageResult:
        """Scale the chosen groups down in every region."""

        def choose(groups: list[ServerGroup]) -> list[ServerGroup]:
            chosen = scale_down_cluster(
                groups,
                remaining_full_size_server_groups=stage.remaining_full_size_server_groups,
                prefer_larger_over_newer=stage.prefer_larger_over_newer,
                allow_scale_down_active=stage.allow_scale_down_active,
            )
            return [g for g in chosen if g.capacity != Capacity.zero()]

        async def scale(ops: RegionOps, group: ServerGroup) -> None:
            await ops.resize(group.name, Capacity.zero())

        return await _each_region(ctx, stage, choose, scale, "scaledDownServerGroups")


@handles("shrinkCluster")
class ShrinkClusterHandler(BaseHandler):
    """Destroys all but the newest (or largest) ``shrinkToSize`` groups."""

    async def run(self, stage: ShrinkClusterStage, ctx: StageContext) -> StageResult:
        """Destroy the chosen groups in every region (disabling active ones first)."""

        def choose(groups: list[ServerGroup]) -> list[ServerGroup]:
            return shrink_cluster(
                groups,
                shrink_to_size=stage.shrink_to_size,
                retain_larger_over_newer=stage.retain_larger_over_newer,
                allow_delete_active=stage.allow_delete_active,
            )

        async def destroy(ops: RegionOps, group: ServerGroup) -> None:
            if group.enabled:
                await ops.disable(group.name)
            await ops.destroy(group.name)

        return await _each_region(ctx, stage, choose, destroy, "destroyedServerGroups")


@precondition_check("clusterSize")
async def cluster_size(precondition: Precondition, ctx: StageContext) -> tuple[bool, str]:
    """``clusterSize``: the number of (enabled) groups compared with ``expected``, per region."""
    try:
        check = ClusterSizeCheck.model_validate(precondition.context)
    except pydantic.ValidationError as err:
        return False, str(planning(err))
    kind = "enabled server groups" if check.only_enabled_server_groups else "server groups"

    async def count(region: str) -> tuple[bool, str]:
        groups = await RegionOps(ctx, check.credentials, region).list_cluster(check.cluster)
        holds = cluster_size_matches(
            groups,
            comparison=check.comparison,
            expected=check.expected,
            only_enabled=check.only_enabled_server_groups,
        )
        size = (
            sum(1 for g in groups if g.enabled) if check.only_enabled_server_groups else len(groups)
        )
        return holds, f"{region}: {size} {kind}"

    results = await in_regions(check.regions, count)
    failed = [why for holds, why in results.values() if not holds]
    wanted = f"{check.comparison} {check.expected}"
    if failed:
        return False, f"cluster {check.cluster!r} has {', '.join(failed)} (expected {wanted})"
    seen = ", ".join(why for _, why in results.values())
    return True, f"cluster {check.cluster!r} has {seen} ({wanted})"
