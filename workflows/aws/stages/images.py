"""``bake``, ``findImage`` and ``findImageFromTags``: stages that name the image a deploy uses.

Each outputs Spinnaker's ``deploymentDetails`` (one entry per region: ``ami``,
``imageId``, ``imageName``, ``region``, ``package``), which a downstream deploy
reads when its cluster names no image.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.aws import (
        BakeRequest,
        DeploymentDetail,
        FindImageFromClusterRequest,
        FindImageFromTagsRequest,
    )
    from models.stages.aws import BakeStage, FindImageFromClusterStage, FindImageFromTagsStage

from workflows.aws.stages.common import PLANNING_ERRORS, RegionOps, planning, run_key
from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["BakeHandler", "FindImageFromClusterHandler", "FindImageFromTagsHandler"]

BAKE_TIMEOUT_MS = 60 * 60 * 1000


def _outputs(details: list[DeploymentDetail]) -> dict[str, Any]:
    entries = [d.model_dump(mode="json", by_alias=True) for d in details]
    outputs: dict[str, Any] = {"deploymentDetails": entries}
    if len(entries) == 1:
        # Spinnaker's single-region bakes also expose the image at the top level.
        only = entries[0]
        outputs |= {k: only[k] for k in ("ami", "imageId", "imageName", "region")}
    return outputs


def _account(value: str | None, stage: str) -> str:
    if not value:
        raise StageFailed(
            f"{stage} needs 'account' (or 'credentials'): the AWS account to look in, "
            "as the workers' configuration names it"
        )
    return value


@handles("bake")
class BakeHandler(BaseHandler):
    """Bakes with Packer on the AWS worker, or reuses an AMI baked from the same inputs."""

    default_timeout_ms = BAKE_TIMEOUT_MS

    async def run(self, stage: BakeStage, ctx: StageContext) -> StageResult:
        """Bake, then output the images per region."""
        account = _account(stage.account, "bake")
        fields: dict[str, Any] = {
            "account": account,
            "regions": stage.regions,
            "package": stage.package,
            "base_os": stage.base_os,
            "base_ami": stage.base_ami,
            "base_label": stage.base_label,
            "vm_type": stage.vm_type,
            "store_type": stage.store_type,
            "ami_name": stage.ami_name,
            "ami_suffix": stage.ami_suffix,
            "rebake": stage.rebake,
            "extended_attributes": stage.extended_attributes,
            "execution_id": ctx.execution_id,
            "stage_ref_id": run_key(ctx),
        }
        if stage.instance_type:
            fields["instance_type"] = stage.instance_type
        try:
            request = BakeRequest(**fields)
        except PLANNING_ERRORS as err:
            raise planning(err) from None
        ctx.show(f"baking `{stage.package}` in {', '.join(stage.regions)}")
        result = await RegionOps(ctx, account, stage.regions[0]).bake(request)
        ctx.show(None)
        outputs = _outputs(result.deployment_details)
        outputs |= {"bakeKey": result.bake_key, "reused": result.reused}
        return StageResult(outputs=outputs)


@handles("findImage", "findImageFromCluster")
class FindImageFromClusterHandler(BaseHandler):
    """The image a cluster runs, per region, chosen by ``selectionStrategy``."""

    async def run(self, stage: FindImageFromClusterStage, ctx: StageContext) -> StageResult:
        """Look the images up."""
        try:
            request = FindImageFromClusterRequest(
                account=stage.credentials,
                cluster=stage.cluster,
                regions=stage.regions,
                only_enabled=stage.only_enabled,
                selection_strategy=stage.selection_strategy,
            )
        except PLANNING_ERRORS as err:
            raise planning(err) from None
        found = await RegionOps(ctx, stage.credentials, stage.regions[0]).find_in_cluster(request)
        outputs = _outputs(found.deployment_details)
        outputs["amiDetails"] = outputs["deploymentDetails"]
        return StageResult(outputs=outputs)


@handles("findImageFromTags")
class FindImageFromTagsHandler(BaseHandler):
    """The newest image with a package name and tags, per region."""

    async def run(self, stage: FindImageFromTagsStage, ctx: StageContext) -> StageResult:
        """Look the images up."""
        account = _account(stage.credentials, "findImageFromTags")
        try:
            request = FindImageFromTagsRequest(
                account=account,
                regions=stage.regions,
                package_name=stage.package_name,
                tags=stage.tags,
            )
        except PLANNING_ERRORS as err:
            raise planning(err) from None
        found = await RegionOps(ctx, account, stage.regions[0]).find_by_tags(request)
        return StageResult(outputs=_outputs(found.deployment_details))
