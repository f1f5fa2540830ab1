"""``deploy``: a new server group per cluster and region, then the cluster's strategy.

Everything that can be checked without AWS (strategies, images, user data) is
checked for every cluster before anything is created. Then every (cluster,
region) pair runs at once (:class:`workflows.aws.stages.launch.Launch`): the
create has an idempotency key per run, stage, region and cluster, so a retried
create finds the group the first try made, and a failure, timeout or cancel
rolls back as the cluster's ``rollback`` block says.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import (
        TAG_PREVIOUS_IMAGE,
        TAG_PREVIOUS_SERVER_GROUP,
        Capacity,
        CreateServerGroupRequest,
        ServerGroup,
    )
    from models.errors import ValidationError
    from models.stages.aws import AwsCluster, DeployStage
    from workflows.aws.capacity import deploy_capacity
    from workflows.aws.images import image_for_region, upstream_deployment_details
    from workflows.aws.rollback import RollbackConfig
    from workflows.aws.steps import RunValidation
    from workflows.aws.strategies import Strategy, strategy_from_stage
    from workflows.aws.targets import source_server_group

from workflows.aws.stages.common import (
    PLANNING_ERRORS,
    RegionOps,
    error_message,
    planning,
    run_key,
    run_validation,
)
from workflows.aws.stages.launch import Launch
from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["DeployHandler"]


@dataclass
class _Deployment:
    """One cluster in one region: what it deploys, and what happened (shown on the stage)."""

    index: int
    cluster: AwsCluster
    strategy: Strategy
    region: str
    image_id: str
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.cluster.cluster_name} in {self.region}"


def _image(cluster: AwsCluster, region: str, upstream: list[Any]) -> str | None:
    if cluster.image_id:
        return cluster.image_id
    if cluster.ami_name and cluster.ami_name.startswith("ami-"):
        return cluster.ami_name
    return image_for_region(upstream, region)


def _user_data(cluster: AwsCluster) -> str | None:
    if cluster.user_data:
        return cluster.user_data
    if cluster.base64_user_data:
        try:
            return base64.b64decode(cluster.base64_user_data).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValidationError("base64UserData is not valid base64 text") from None
    return None


def _plan(stage: DeployStage, ctx: StageContext) -> list[_Deployment]:
    """Every deployment of the stage, checked before anything is created."""
    upstream = upstream_deployment_details(ctx.pipeline.stages, ctx.scope().stages, ctx.ref_id)
    deployments: list[_Deployment] = []
    problems: list[str] = []
    for index, cluster in enumerate(stage.clusters):
        try:
            strategy = strategy_from_stage(cluster.strategy_fields())
            _user_data(cluster)
        except PLANNING_ERRORS as err:
            problems.append(f"clusters[{index}] ({cluster.cluster_name}): {planning(err)}")
            continue
        for region in cluster.regions:
            image = _image(cluster, region, upstream)
            if image is None:
                problems.append(
                    f"clusters[{index}] ({cluster.cluster_name}) in {region}: no image: set "
                    "imageId, or run a bake or findImage stage for this region upstream"
                )
                continue
            record = {
                "cluster": cluster.cluster_name,
                "account": cluster.account,
                "region": region,
                "imageId": image,
                "strategy": strategy.name,
                "status": "RUNNING",
                "steps": [],
            }
            deployments.append(_Deployment(index, cluster, strategy, region, image, record))
    if problems:
        raise StageFailed("; ".join(problems))
    return deployments


def _show(ctx: StageContext, deployments: list[_Deployment]) -> None:
    rows = ["| cluster | region | server group | status | last step |", "|---|---|---|---|---|"]
    for d in deployments:
        r = d.record
        last = r["steps"][-1] if r["steps"] else ""
        rows.append(
            f"| {r['cluster']} | {r['region']} | {r.get('serverGroup', '')} | {r['status']} "
            f"| {last} |"
        )
    ctx.show("\n".join(rows))


def _outputs(deployments: list[_Deployment]) -> dict[str, Any]:
    """Spinnaker's deploy outputs, for the groups that were deployed."""
    groups: dict[str, list[str]] = {}
    deployed = []
    for d in deployments:
        name = d.record.get("serverGroup")
        if name and d.record["status"] == "SUCCEEDED":
            groups.setdefault(d.region, []).append(name)
            deployed.append(
                {
                    "account": d.cluster.account,
                    "region": d.region,
                    "cluster": d.cluster.cluster_name,
                    "serverGroupName": name,
                    "imageId": d.image_id,
                    "capacity": d.record.get("capacity"),
                }
            )
    outputs: dict[str, Any] = {"deploy.server.groups": groups, "deployedServerGroups": deployed}
    if deployments:
        outputs["deploy.account.name"] = deployments[0].cluster.account
    return outputs


def _request(
    ctx: StageContext, d: _Deployment, source: ServerGroup | None, capacity: Capacity, key: str
) -> CreateServerGroupRequest:
    cluster = d.cluster
    # Spinnaker exports may hold numbers or booleans as tag values; AWS takes strings.
    tags = {key: str(value) for key, value in cluster.tags.items()}
    if source is not None:
        # What PREVIOUS_IMAGE and rollbackCluster read later (Spinnaker's entity tags).
        tags[TAG_PREVIOUS_SERVER_GROUP] = source.name
        if source.image_id:
            tags[TAG_PREVIOUS_IMAGE] = source.image_id
    return CreateServerGroupRequest(
        account=cluster.account,
        region=d.region,
        application=cluster.application,
        stack=cluster.stack or None,
        free_form_details=cluster.free_form_details or None,
        image_id=d.image_id,
        instance_type=cluster.instance_type,
        capacity=capacity,
        target_groups=cluster.target_groups,
        security_groups=cluster.security_groups,
        subnet_ids=cluster.subnet_ids,
        availability_zones=cluster.availability_zones.get(d.region, []),
        key_pair=cluster.key_pair,
        iam_instance_profile=cluster.iam_role,
        user_data=_user_data(cluster),
        tags=tags,
        execution_id=ctx.execution_id,
        stage_ref_id=run_key(ctx),
        idempotency_key=key,
    )


async def _deploy(ctx: StageContext, d: _Deployment, show: Callable[[], None]) -> None:
    """One cluster in one region: list, create, strategy (and clean-up on failure)."""
    cluster = d.cluster
    ops = RegionOps(ctx, cluster.account, d.region)
    key = f"{ctx.execution_id}/{run_key(ctx)}/{d.region}/{d.index}"
    # An unknown account or region fails here, before anything exists.
    before = await ops.list_cluster(cluster.cluster_name)
    source = source_server_group(before)
    try:
        capacity = deploy_capacity(
            cluster.capacity,
            source.capacity if source else None,
            use_source_capacity=cluster.use_source_capacity,
        )
        request = _request(ctx, d, source, d.strategy.creation_capacity(capacity), key)
    except PLANNING_ERRORS as err:
        raise planning(err) from None
    d.record.update(capacity=capacity.model_dump(), source=source.name if source else None)
    launch = Launch(
        ops,
        cluster.cluster_name,
        d.strategy,
        RollbackConfig(
            on_failure=cluster.rollback.on_failure, destroy_latest=cluster.rollback.destroy_latest
        ),
        key,
        cluster.target_healthy_deploy_percentage,
        d.record,
        show,
    )

    async def validate(step: RunValidation) -> None:
        await run_validation(ctx, step)

    await launch.run(before, capacity, lambda: ops.create(request), validate)


@handles("deploy")
class DeployHandler(BaseHandler):
    """Deploys every cluster to every one of its regions at once."""

    async def run(self, stage: DeployStage, ctx: StageContext) -> StageResult:
        """Deploy; fail (after rolling back as configured) if any deployment fails."""
        deployments = _plan(stage, ctx)
        ctx.context["deployments"] = [d.record for d in deployments]

        def show() -> None:
            _show(ctx, deployments)

        show()
        try:
            results = await asyncio.gather(
                *(_deploy(ctx, d, show) for d in deployments), return_exceptions=True
            )
        finally:
            # Also when cancelled or timed out: the view shows what was deployed.
            ctx.outputs.update(_outputs(deployments))
        for d, result in zip(deployments, results, strict=True):
            if isinstance(result, BaseException) and d.record["status"] == "RUNNING":
                d.record["status"] = "CANCELED" if ctx.cancelling else "TERMINAL"
                d.record["error"] = error_message(result)
        outputs = _outputs(deployments)
        ctx.outputs.update(outputs)
        if ctx.cancelling:
            raise asyncio.CancelledError()
        failures = [
            f"{d.name}: {error_message(r)}"
            for d, r in zip(deployments, results, strict=True)
            if isinstance(r, BaseException)
        ]
        if failures:
            raise StageFailed("; ".join(failures), outputs=outputs)
        ctx.show(None)
        return StageResult(outputs=outputs)
