"""A small workflow that drives the AWS activities the way stage handlers will.

Kept in its own module, with nothing but Temporal and the pure modules, so that
the workflow sandbox can import it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import (
        ClusterServerGroups,
        CreateServerGroupRequest,
        CreateServerGroupResult,
        DisableServerGroupRequest,
        ListServerGroupsRequest,
        ServerGroup,
        WaitForHealthyRequest,
        WaitForHealthyResult,
    )
    from workflows.aws import DeployContext, Disable, RedBlack, WaitForHealthy, describe


@workflow.defn
class RedBlackDeploy:
    """Create a group (twice, as a retry would), then run a red/black plan."""

    @workflow.run
    async def run(self, request: CreateServerGroupRequest) -> list[str]:
        timeout = timedelta(seconds=60)
        cluster = str(request.cluster)
        listing = ListServerGroupsRequest(
            account=request.account, region=request.region, cluster=cluster
        )
        before: ClusterServerGroups = await workflow.execute_activity(
            "aws.listServerGroups",
            listing,
            result_type=ClusterServerGroups,
            start_to_close_timeout=timeout,
        )
        created: CreateServerGroupResult = await workflow.execute_activity(
            "aws.createServerGroup",
            request,
            result_type=CreateServerGroupResult,
            start_to_close_timeout=timeout,
        )
        again: CreateServerGroupResult = await workflow.execute_activity(
            "aws.createServerGroup",
            request,
            result_type=CreateServerGroupResult,
            start_to_close_timeout=timeout,
        )
        context = DeployContext(tuple(before.server_groups), created.server_group, request.capacity)
        plan = RedBlack().plan(context)
        for step in plan:
            ref = {
                "account": request.account,
                "region": request.region,
                "server_group_name": getattr(step, "server_group", ""),
            }
            if isinstance(step, WaitForHealthy):
                await workflow.execute_activity(
                    "aws.waitForHealthy",
                    WaitForHealthyRequest(**ref, timeout_seconds=30),
                    result_type=WaitForHealthyResult,
                    start_to_close_timeout=timeout,
                    heartbeat_timeout=timedelta(seconds=10),
                )
            elif isinstance(step, Disable):
                await workflow.execute_activity(
                    "aws.disableServerGroup",
                    DisableServerGroupRequest(**ref, desired_percentage=step.desired_percentage),
                    result_type=ServerGroup,
                    start_to_close_timeout=timeout,
                )
        return [
            created.server_group.name,
            f"created again: {again.created}",
            *(describe(step) for step in plan),
        ]
