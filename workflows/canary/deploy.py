"""``realTimeAutomatic``: deploy the baseline and canary server groups, and always destroy them.

Workflow code (deterministic): everything happens through the ``aws.*`` activities
on the AWS queue. The control runs the baseline cluster's current image, the
experiment the new one. What is about to be created is recorded in the stage
context *before* each create, so that clean-up (after success, failure, cancel or
timeout) finds every group by its idempotency key, even one whose create was
still running when the stage was cancelled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import pydantic

    from models.aws import (
        Capacity,
        ClusterServerGroups,
        CreateServerGroupRequest,
        CreateServerGroupResult,
        DestroyServerGroupResult,
        FindImageFromClusterRequest,
        FindImageResult,
        ListServerGroupsRequest,
        ServerGroupRef,
        WaitForHealthyRequest,
        WaitForHealthyResult,
    )
    from models.stages.canary import CanaryServerGroupSpec, KayentaCanaryStage
    from workflows.canary.planning import DeployedScope

from workflows.stages.base import StageFailed
from workflows.stages.context import StageContext

__all__ = ["PLANNED_KEY", "deploy_canary", "destroy_canary", "failure_message"]

PLANNED_KEY = "canaryServerGroups"
"""Stage context key: every server group the stage creates (or was about to)."""

# The tag the AWS provider writes on each group (activities.aws.describe.TAG_IDEMPOTENCY_KEY).
_IDEMPOTENCY_TAG = "gennaker:idempotency-key"
_DEFAULT_DETAILS = {"control": "baseline", "experiment": "canary"}
_HEALTH_TIMEOUT_SECONDS = 1800.0
_CLEANUP_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=30))


def failure_message(err: BaseException) -> str:
    """The innermost application error's message of an activity failure (what went wrong)."""
    current: BaseException | None = err
    message = str(err)
    while current is not None:
        if isinstance(current, ApplicationError) and current.message:
            message = current.message
        current = current.__cause__
    return message


def _upstream_image(ctx: StageContext, region: str) -> str | None:
    details = ctx.scope().variables.get("deploymentDetails") or []
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("region") == region:
            image = detail.get("imageId") or detail.get("ami")
            if image:
                return str(image)
    return None


async def _image(
    stage: KayentaCanaryStage,
    ctx: StageContext,
    spec: CanaryServerGroupSpec,
    role: str,
    region: str,
) -> str:
    if spec.image_id or spec.ami_name:
        return str(spec.image_id or spec.ami_name)
    assert stage.deployments is not None
    if role == "experiment":
        found = _upstream_image(ctx, region)
        if found:
            return found
        raise StageFailed(
            f"deployments: the experiment in {region} has no imageId and no upstream stage "
            "produced deploymentDetails for that region"
        )
    baseline = stage.deployments.baseline
    result: FindImageResult = await ctx.activity(
        "aws.findImageFromCluster",
        FindImageFromClusterRequest(
            account=baseline.account, cluster=baseline.cluster, regions=[region]
        ),
        queue=ctx.queues.aws,
        result_type=FindImageResult,
        target=f"baseline cluster {baseline.cluster} in {region}",
    )
    return result.deployment_details[0].image_id


def _request(
    stage: KayentaCanaryStage,
    ctx: StageContext,
    spec: CanaryServerGroupSpec,
    role: str,
    index: int,
    image: str,
) -> CreateServerGroupRequest:
    assert stage.deployments is not None
    baseline = stage.deployments.baseline
    region = spec.resolved_region or ""
    try:
        return CreateServerGroupRequest(
            account=spec.account or baseline.account,
            region=region,
            application=spec.application or baseline.application,
            stack=spec.stack,
            free_form_details=spec.free_form_details or _DEFAULT_DETAILS[role],
            image_id=image,
            instance_type=spec.instance_type,
            capacity=Capacity.model_validate(spec.capacity),
            target_groups=spec.target_groups,
            security_groups=spec.security_groups,
            subnet_ids=spec.subnet_ids,
            availability_zones=spec.availability_zones.get(region, []),
            tags={**spec.tags, "gennaker:canary-role": role},
            execution_id=ctx.execution_id,
            stage_ref_id=ctx.ref_id,
            idempotency_key=f"{ctx.idempotency_key}/{region}/{role}-{index}",
        )
    except pydantic.ValidationError as err:
        problem = err.errors(include_url=False)[0]
        field = ".".join(str(p) for p in problem["loc"])
        raise StageFailed(
            f"deployments.serverGroupPairs[{index}].{role}: {field}: {problem['msg']}"
        ) from None


async def deploy_canary(
    stage: KayentaCanaryStage, ctx: StageContext
) -> dict[str, tuple[DeployedScope, DeployedScope]]:
    """Create every control and experiment server group and wait until they are healthy.

    Returns:
        Scope name → the (control, experiment) groups that replace its scopes.

    Raises:
        StageFailed: A spec is incomplete, or a create or health wait failed.
    """
    assert stage.deployments is not None
    # Every request first (images included), so a bad spec fails before anything exists.
    requests: list[tuple[int, str, CreateServerGroupRequest]] = []
    for index, pair in enumerate(stage.deployments.server_group_pairs):
        for role, spec in (("control", pair.control), ("experiment", pair.experiment)):
            region = spec.resolved_region
            if not region:
                raise StageFailed(
                    f"deployments.serverGroupPairs[{index}].{role}: set region "
                    "(or availabilityZones with one region)"
                )
            image = await _image(stage, ctx, spec, role, region)
            requests.append((index, role, _request(stage, ctx, spec, role, index, image)))
    planned: list[dict[str, Any]] = ctx.context.setdefault(PLANNED_KEY, [])
    pairs: dict[int, dict[str, DeployedScope]] = {}
    for index, role, request in requests:
        entry = {
            "role": role,
            "pair": index,
            "account": request.account,
            "region": request.region,
            "cluster": str(request.cluster),
            "idempotencyKey": request.idempotency_key,
            "imageId": request.image_id,
            "serverGroupName": None,
        }
        planned.append(entry)
        ctx.changed()
        name = await _create(ctx, request, role)
        entry["serverGroupName"] = name
        ctx.changed()
        pairs.setdefault(index, {})[role] = DeployedScope(
            name=name, location=request.region, cluster=str(request.cluster)
        )
    return _scopes_for(stage, [pairs[index] for index in sorted(pairs)])


async def _create(ctx: StageContext, request: CreateServerGroupRequest, role: str) -> str:
    """Create one server group and wait until its instances are healthy; its name."""
    try:
        created: CreateServerGroupResult = await ctx.activity(
            "aws.createServerGroup",
            request,
            queue=ctx.queues.aws,
            result_type=CreateServerGroupResult,
            target=f"{role} {request.cluster} in {request.region}",
            wait_for_cancel=True,
        )
        name = created.server_group.name
        await ctx.activity(
            "aws.waitForHealthy",
            WaitForHealthyRequest(
                account=request.account,
                region=request.region,
                server_group_name=name,
                timeout_seconds=_HEALTH_TIMEOUT_SECONDS,
            ),
            queue=ctx.queues.aws,
            result_type=WaitForHealthyResult,
            target=name,
            start_to_close=timedelta(seconds=_HEALTH_TIMEOUT_SECONDS + 60),
            heartbeat=timedelta(minutes=2),
        )
    except ActivityError as err:
        raise StageFailed(f"deploying the canary's {role}: {failure_message(err)}") from None
    return name


def _scopes_for(
    stage: KayentaCanaryStage, pairs: list[dict[str, DeployedScope]]
) -> dict[str, tuple[DeployedScope, DeployedScope]]:
    """Which deployed pair each scope analyses.

    As in Orca, a scope whose ``controlScope`` or ``experimentScope`` names a
    deployed cluster takes that pair; any other takes the pair at its own
    position (or the first pair).
    """
    mapping: dict[str, tuple[DeployedScope, DeployedScope]] = {}
    for position, scope in enumerate(stage.canary_config.scopes):
        chosen = pairs[position] if position < len(pairs) else pairs[0]
        for pair in pairs:
            if scope.control_scope == pair["control"].cluster or (
                scope.experiment_scope == pair["experiment"].cluster
            ):
                chosen = pair
                break
        mapping[scope.scope_name] = (chosen["control"], chosen["experiment"])
    return mapping


async def destroy_canary(ctx: StageContext, *, delay: timedelta | None = None) -> list[str]:
    """Destroy every server group the stage created (or was creating); return the failures.

    Waits ``delay`` first (``delayBeforeCleanup``), except while cancelling. Groups
    are found by their idempotency key, so a create that finished after a cancel
    is cleaned up too. Safe to call twice.
    """
    planned: list[dict[str, Any]] = ctx.context.get(PLANNED_KEY) or []
    if not planned:
        return []
    if delay and delay.total_seconds() > 0 and not ctx.cancelling:
        ctx.show(f"waiting {delay} before destroying the canary server groups")
        await ctx.sleep(delay.total_seconds(), skippable=True)
    failures = []
    for entry in planned:
        if entry.get("destroyed"):
            continue
        try:
            listed: ClusterServerGroups = await ctx.activity(
                "aws.listServerGroups",
                ListServerGroupsRequest(
                    account=entry["account"], region=entry["region"], cluster=entry["cluster"]
                ),
                queue=ctx.queues.aws,
                result_type=ClusterServerGroups,
                target=f"cluster {entry['cluster']} in {entry['region']}",
                retry=_CLEANUP_RETRY,
            )
            for group in listed.server_groups:
                if group.tags.get(_IDEMPOTENCY_TAG) != entry["idempotencyKey"]:
                    continue
                await ctx.activity(
                    "aws.destroyServerGroup",
                    ServerGroupRef(
                        account=entry["account"],
                        region=entry["region"],
                        server_group_name=group.name,
                    ),
                    queue=ctx.queues.aws,
                    result_type=DestroyServerGroupResult,
                    target=group.name,
                    retry=_CLEANUP_RETRY,
                )
                entry["serverGroupName"] = group.name
            entry["destroyed"] = True
            ctx.changed()
        except ActivityError as err:
            failures.append(f"{entry['cluster']} in {entry['region']}: {failure_message(err)}")
    return failures
