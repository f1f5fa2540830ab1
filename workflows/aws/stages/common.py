"""What every AWS stage handler shares: ``aws.*`` activities for one account and region,
running planned steps, and turning planning errors into stage failures.

Requests are built here, in workflow code, so a bad one fails the stage with its
field named instead of becoming a retried decoding failure in the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import pydantic
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from models.aws import (
        BakeRequest,
        BakeResult,
        Capacity,
        CloneServerGroupRequest,
        ClusterServerGroups,
        CreateServerGroupRequest,
        CreateServerGroupResult,
        DestroyServerGroupResult,
        DisableServerGroupRequest,
        FindImageFromClusterRequest,
        FindImageFromTagsRequest,
        FindImageResult,
        ListServerGroupsRequest,
        ResizeServerGroupRequest,
        ResizeServerGroupResult,
        ServerGroup,
        ServerGroupRef,
        TerminateInstancesRequest,
        TerminateInstancesResult,
        WaitForHealthyRequest,
        WaitForHealthyResult,
    )
    from models.config import problems_from_pydantic
    from models.errors import GennakerError
    from workflows.aws.steps import (
        Destroy,
        Disable,
        Enable,
        Resize,
        RunValidation,
        ScaleDown,
        Step,
        Wait,
        WaitForHealthy,
        describe,
    )

from workflows.stages.base import StageFailed
from workflows.stages.child import child_outcome, start_child_pipeline
from workflows.stages.context import StageContext

__all__ = [
    "FAILURES",
    "HEALTH_HEARTBEAT",
    "PLANNING_ERRORS",
    "RegionOps",
    "check_cancel",
    "error_message",
    "in_regions",
    "planning",
    "run_key",
    "run_validation",
]

MUTATION_TIMEOUT = timedelta(minutes=2)
"""One attempt of a create, resize, enable, disable, destroy or terminate."""
HEALTH_HEARTBEAT = timedelta(seconds=35)
"""Heartbeat timeout of health waits and bakes: the worker's poll interval (5 s) plus 30 s."""
HEALTH_TIMEOUT_SECONDS = 3600.0
"""How long a health wait lasts before the stage fails (unless the stage timeout ends it first)."""
HEALTH_ATTEMPT = timedelta(hours=2)
"""Start-to-close of a health wait: above its own timeout, which ends it non-retryably."""
BAKE_ATTEMPT = timedelta(hours=1)
"""Start-to-close of a bake (Packer builds, copies and tags the AMI within it)."""

_T = TypeVar("_T")


def error_message(err: BaseException) -> str:
    """The most useful message in a chain of Temporal errors (the innermost application error)."""
    message = str(err)
    current: BaseException | None = err
    while current is not None:
        if isinstance(current, ApplicationError) and current.message:
            message = current.message
        current = current.__cause__
    return message


def planning(err: Exception) -> StageFailed:
    """A stage failure for a planning or request-building error (nothing was created)."""
    if isinstance(err, pydantic.ValidationError):
        problems = "; ".join(str(p) for p in problems_from_pydantic(err))
        return StageFailed(f"invalid {err.title}: {problems}")
    return StageFailed(str(err))


PLANNING_ERRORS = (pydantic.ValidationError, GennakerError)
"""Errors of pure planning and request models, turned into stage failures by :func:`planning`."""

FAILURES = (StageFailed, ActivityError, ChildWorkflowError, ApplicationError)
"""What a step can fail with (besides cancellation)."""


def run_key(ctx: StageContext) -> str:
    """The stage's refId, made distinct for each restart of the stage.

    What a stage creates is named after it, so that a retried activity finds what
    the first try made; a restarted stage must make new things instead.
    """
    restarted = (ctx.context.get("restartDetails") or {}).get("restartTime")
    return f"{ctx.ref_id}@{restarted}" if restarted else ctx.ref_id


def check_cancel(ctx: StageContext) -> None:
    """Stop at a step boundary once the stage is being cancelled or timed out.

    An activity that waits for its cancellation can still complete normally; this
    makes the handler notice the cancel anyway before it starts the next step.
    """
    if ctx.cancelling:
        raise asyncio.CancelledError()


class RegionOps:
    """The ``aws.*`` activities for one account and region, on behalf of one stage.

    Args:
        ctx: The stage's context.
        account: The AWS account (as configured on the workers).
        region: The region.
    """

    def __init__(self, ctx: StageContext, account: str, region: str) -> None:
        self.ctx = ctx
        self.account = account
        self.region = region

    def _where(self, name: str) -> str:
        return f"{self.account}/{self.region}/{name}"

    def ref(self, name: str) -> ServerGroupRef:
        """A reference to a server group of this account and region."""
        return ServerGroupRef(account=self.account, region=self.region, server_group_name=name)

    async def _call(
        self,
        name: str,
        arg: Any,
        result_type: type[_T],
        target: str,
        *,
        mutation: bool = True,
    ) -> _T:
        # Mutations wait for their cancellation to complete, so that a clean-up after a
        # cancel sees what they did instead of racing them.
        result: _T = await self.ctx.activity(
            name,
            arg,
            queue=self.ctx.queues.aws,
            result_type=result_type,
            target=target,
            start_to_close=MUTATION_TIMEOUT,
            wait_for_cancel=mutation,
        )
        return result

    async def list_cluster(self, cluster: str) -> list[ServerGroup]:
        """The cluster's groups in this region, newest first."""
        request = ListServerGroupsRequest(account=self.account, region=self.region, cluster=cluster)
        listed = await self._call(
            "aws.listServerGroups",
            request,
            ClusterServerGroups,
            self._where(cluster),
            mutation=False,
        )
        return list(listed.server_groups)

    async def describe(self, name: str) -> ServerGroup:
        """One group, with instance health."""
        return await self._call(
            "aws.describeServerGroup",
            self.ref(name),
            ServerGroup,
            self._where(name),
            mutation=False,
        )

    async def create(self, request: CreateServerGroupRequest) -> CreateServerGroupResult:
        """Create a group (or get the one an earlier try of the same key made)."""
        return await self._call(
            "aws.createServerGroup",
            request,
            CreateServerGroupResult,
            self._where(str(request.cluster)),
        )

    async def clone(self, request: CloneServerGroupRequest) -> CreateServerGroupResult:
        """Create a group like another one, with another image."""
        return await self._call(
            "aws.cloneServerGroup",
            request,
            CreateServerGroupResult,
            self._where(request.source_server_group_name),
        )

    async def enable(self, name: str) -> ServerGroup:
        """Give a group traffic."""
        return await self._call(
            "aws.enableServerGroup", self.ref(name), ServerGroup, self._where(name)
        )

    async def disable(self, name: str, desired_percentage: int = 100) -> ServerGroup:
        """Take traffic away from a group (or from a percentage of its instances)."""
        request = DisableServerGroupRequest(
            account=self.account,
            region=self.region,
            server_group_name=name,
            desired_percentage=desired_percentage,
        )
        return await self._call("aws.disableServerGroup", request, ServerGroup, self._where(name))

    async def resize(self, name: str, capacity: Capacity) -> ResizeServerGroupResult:
        """Set a group's capacity."""
        request = ResizeServerGroupRequest(
            account=self.account, region=self.region, server_group_name=name, capacity=capacity
        )
        return await self._call(
            "aws.resizeServerGroup", request, ResizeServerGroupResult, self._where(name)
        )

    async def destroy(self, name: str) -> DestroyServerGroupResult:
        """Delete a group and its launch template."""
        return await self._call(
            "aws.destroyServerGroup", self.ref(name), DestroyServerGroupResult, self._where(name)
        )

    async def terminate(self, name: str, instance_ids: list[str]) -> TerminateInstancesResult:
        """Terminate instances of a group (the group replaces them)."""
        request = TerminateInstancesRequest(
            account=self.account,
            region=self.region,
            server_group_name=name,
            instance_ids=instance_ids,
        )
        return await self._call(
            "aws.terminateInstances", request, TerminateInstancesResult, self._where(name)
        )

    async def wait_healthy(
        self, name: str, percentage: int = 100, *, ignore: Sequence[str] = ()
    ) -> WaitForHealthyResult:
        """Wait until ``percentage`` of the group's desired instances are healthy.

        The wait polls at the worker's interval and heartbeats after every poll; a
        cancel or the stage timeout ends it, and so does an hour without success
        (a non-retryable failure). Instances in ``ignore`` never count as healthy.
        """
        request = WaitForHealthyRequest(
            account=self.account,
            region=self.region,
            server_group_name=name,
            target_healthy_deploy_percentage=percentage,
            timeout_seconds=HEALTH_TIMEOUT_SECONDS,
            ignore_instance_ids=list(ignore),
        )
        result: WaitForHealthyResult = await self.ctx.activity(
            "aws.waitForHealthy",
            request,
            queue=self.ctx.queues.aws,
            result_type=WaitForHealthyResult,
            target=self._where(name),
            start_to_close=HEALTH_ATTEMPT,
            heartbeat=HEALTH_HEARTBEAT,
        )
        return result

    async def find_in_cluster(self, request: FindImageFromClusterRequest) -> FindImageResult:
        """``findImage`` (all of the request's regions in one activity)."""
        return await self._call(
            "aws.findImageFromCluster",
            request,
            FindImageResult,
            f"{self.account}/{request.cluster}",
            mutation=False,
        )

    async def find_by_tags(self, request: FindImageFromTagsRequest) -> FindImageResult:
        """``findImageFromTags`` (all of the request's regions in one activity)."""
        return await self._call(
            "aws.findImageFromTags",
            request,
            FindImageResult,
            f"{self.account}/{request.package_name or 'tags'}",
            mutation=False,
        )

    async def bake(self, request: BakeRequest) -> BakeResult:
        """Bake (or reuse) an AMI with Packer; Packer is stopped if the stage is cancelled."""
        result: BakeResult = await self.ctx.activity(
            "aws.bake",
            request,
            queue=self.ctx.queues.aws,
            result_type=BakeResult,
            target=f"{self.account}/{request.package}",
            start_to_close=BAKE_ATTEMPT,
            heartbeat=HEALTH_HEARTBEAT,
            wait_for_cancel=True,
        )
        return result

    async def run(
        self,
        step: Step,
        *,
        validate: Callable[[RunValidation], Awaitable[None]] | None = None,
    ) -> None:
        """Run one planned step.

        Raises:
            StageFailed: A validation pipeline failed, or a step needs one and none is given.
        """
        match step:
            case Resize(name, capacity, _):
                await self.resize(name, capacity)
            case ScaleDown(name):
                await self.resize(name, step.capacity)
            case Disable(name, percentage):
                await self.disable(name, percentage)
            case Enable(name):
                await self.enable(name)
            case Destroy(name):
                await self.destroy(name)
            case WaitForHealthy(name, percentage):
                await self.wait_healthy(name, percentage)
            case Wait(seconds, _):
                await self.ctx.sleep(seconds)
            case RunValidation():
                if validate is None:
                    raise StageFailed(f"cannot {describe(step)} here")
                await validate(step)

    async def run_all(self, steps: Sequence[Step], journal: list[str]) -> None:
        """Run ``steps`` in order, noting each in ``journal`` (shown on the stage)."""
        for step in steps:
            check_cancel(self.ctx)
            journal.append(describe(step))
            self.ctx.changed()
            await self.run(step)


async def run_validation(ctx: StageContext, step: RunValidation) -> str:
    """Run a ``pipelineBeforeCleanup`` validation pipeline and wait for it.

    Returns:
        The child execution's id.

    Raises:
        StageFailed: The child did not succeed (so the deploy rolls back).
    """
    child_id, handle = await start_child_pipeline(
        ctx, step.application, step.pipeline_id, dict(step.parameters), wait=True
    )
    ctx.context.setdefault("validationExecutions", []).append(
        {"executionId": child_id, "percentageComplete": step.percentage_complete}
    )
    ctx.changed()
    try:
        await handle
    except ChildWorkflowError as err:
        status, message = child_outcome(err)
        raise StageFailed(
            f"validation pipeline {step.application}/{step.pipeline_id} ({child_id}) ended "
            f"{status} at {step.percentage_complete}%: {message}"
        ) from None
    return child_id


async def in_regions(regions: Sequence[str], work: Callable[[str], Awaitable[_T]]) -> dict[str, _T]:
    """Run ``work`` for every region at once; fail with every region's error after all end."""
    results = await asyncio.gather(*(work(r) for r in regions), return_exceptions=True)
    failures: list[str] = []
    done: dict[str, _T] = {}
    for region, result in zip(regions, results, strict=True):
        if isinstance(result, asyncio.CancelledError):
            raise result
        if isinstance(result, BaseException):
            failures.append(f"{region}: {error_message(result)}")
        else:
            done[region] = result
    if failures:
        raise StageFailed("; ".join(failures))
    return done
