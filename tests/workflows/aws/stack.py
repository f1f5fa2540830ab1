"""Helpers for the AWS stage tests: real workers on the dev server, moto, and pipeline builders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from client.client import GennakerClient
from models.execution import ExecutionView, StageView
from models.loading import parse_pipeline
from models.status import Status
from tests.activities.aws.conftest import Aws, FakeHealth, Networks
from tests.conftest import until_view

ACCOUNT = "test"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
REGION = REGIONS[0]
# Built-in moto images with the same id in every region of REGIONS.
IMAGE_PATTERNS = (
    "RHEL-7.4_HVM_GA-20170808-x86_64-2-Hourly2-GP2",
    "Deep Learning AMI Ubuntu Linux - 2.4_Oct2017",
)


@dataclass
class AwsStack:
    """A GennakerClient whose workers reach moto, and direct access to moto to check on them."""

    gennaker: GennakerClient
    aws: Aws
    health: FakeHealth
    network: Networks
    application: str = field(default_factory=lambda: f"app{uuid.uuid4().hex[:6]}")

    def image(self, which: int = 0, region: str = REGION) -> str:
        """One of moto's built-in images (two different ones are needed for rollbacks)."""
        images = self.aws.client("ec2", region).describe_images(
            Filters=[{"Name": "name", "Values": [IMAGE_PATTERNS[which]]}]
        )["Images"]
        assert images, f"moto has no image matching {IMAGE_PATTERNS[which]}"
        return str(sorted(i["ImageId"] for i in images)[0])

    def target_group(self, name: str = "web", region: str = REGION) -> str:
        """A target group in the region's VPC; returns its ARN."""
        return self.aws.target_group(name, self.network[region].vpc_id, region)

    def cluster(self, **fields: Any) -> dict[str, Any]:
        """A deploy cluster in us-east-1 (subnets and security group seeded); fields override."""
        region = fields.pop("region", REGION)
        net = self.network[region]
        cluster: dict[str, Any] = {
            "account": ACCOUNT,
            "application": self.application,
            "stack": "prod",
            "availabilityZones": {region: []},
            "subnetIds": list(net.subnet_ids),
            "securityGroups": [net.security_group_id],
            "capacity": {"min": 1, "desired": 2, "max": 2},
            "instanceType": "t3.micro",
            "imageId": self.image(),
            "strategy": "redblack",
        }
        cluster.update(fields)
        return cluster

    @property
    def cluster_name(self) -> str:
        return f"{self.application}-prod"

    def group_name(self, sequence: int) -> str:
        return f"{self.cluster_name}-v{sequence:03d}"

    def deploy(
        self, ref: str = "deploy", after: list[str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A deploy stage of one cluster."""
        extra = fields.pop("stage", {})
        return {
            "refId": ref,
            "name": ref,
            "type": "deploy",
            "requisiteStageRefIds": after or [],
            "clusters": [self.cluster(**fields)],
            **extra,
        }

    def stage(
        self, ref: str, kind: str, after: list[str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Any AWS stage on this cluster in us-east-1."""
        return {
            "refId": ref,
            "name": ref,
            "type": kind,
            "requisiteStageRefIds": after or [],
            "credentials": ACCOUNT,
            "regions": [REGION],
            "cluster": self.cluster_name,
            **fields,
        }

    def pipeline(self, stages: list[dict[str, Any]], **fields: Any) -> Any:
        return parse_pipeline(
            {
                "application": fields.pop("application", self.application),
                "name": fields.pop("name", f"p{uuid.uuid4().hex[:6]}"),
                "stages": stages,
                **fields,
            }
        )

    async def run(self, stages: list[dict[str, Any]], **fields: Any) -> ExecutionView:
        """Run a pipeline to its end."""
        execution_id = await self.gennaker.run(self.pipeline(stages, **fields))
        return await self.gennaker.wait(execution_id)

    async def start(self, stages: list[dict[str, Any]], **fields: Any) -> str:
        return await self.gennaker.run(self.pipeline(stages, **fields))

    # -- what moto holds -------------------------------------------------------------------

    def groups(self, region: str = REGION) -> dict[str, dict[str, Any]]:
        """This test's Auto Scaling groups by name."""
        listed = self.aws.client("autoscaling", region).describe_auto_scaling_groups()
        return {
            g["AutoScalingGroupName"]: g
            for g in listed["AutoScalingGroups"]
            if g["AutoScalingGroupName"].startswith(self.application)
        }

    def capacity(self, name: str, region: str = REGION) -> tuple[int, int, int]:
        """(min, desired, max) of a group."""
        g = self.aws.group(name, region)
        return (g["MinSize"], g["DesiredCapacity"], g["MaxSize"])

    def enabled(self, name: str, region: str = REGION) -> bool:
        """Not disabled: ``AddToLoadBalancer`` is not suspended."""
        suspended = {p["ProcessName"] for p in self.aws.group(name, region)["SuspendedProcesses"]}
        return "AddToLoadBalancer" not in suspended

    def instances(self, name: str, region: str = REGION) -> list[str]:
        return sorted(i["InstanceId"] for i in self.aws.group(name, region)["Instances"])

    def image_of(self, name: str, region: str = REGION) -> str:
        """The image a group launches with (from its launch template)."""
        spec = self.aws.group(name, region)["LaunchTemplate"]
        versions = self.aws.client("ec2", region).describe_launch_template_versions(
            LaunchTemplateId=spec["LaunchTemplateId"], Versions=[spec["Version"]]
        )["LaunchTemplateVersions"]
        return str(versions[0]["LaunchTemplateData"]["ImageId"])

    def registered(self, target_group_arn: str, name: str, region: str = REGION) -> list[str]:
        """The group's instances registered in a target group."""
        return sorted(
            set(self.instances(name, region)) & self.aws.registered(target_group_arn, region)
        )

    def nothing_created(self, regions: tuple[str, ...] = REGIONS) -> bool:
        """No group and no launch template anywhere."""
        return all(not self.aws.group_names(r) and not self.aws.template_names(r) for r in regions)


async def until(
    gennaker: GennakerClient,
    execution_id: str,
    check: Callable[[ExecutionView], bool],
    timeout: float = 30,
) -> ExecutionView:
    """Poll the execution view until ``check`` holds (failing at once if the run ends)."""
    return await until_view(gennaker, execution_id, check, timeout, fail_when_complete=True)


def stage_of(view: ExecutionView, key: str) -> StageView:
    """The stage ``key`` (refId or name) of a run."""
    stage = view.stage(key)
    assert stage is not None, f"no stage {key!r}"
    return stage


def succeeded(view: ExecutionView) -> bool:
    """Whether the run succeeded; prints its stages' errors otherwise (for the test log)."""
    if view.status != Status.SUCCEEDED:
        for stage in view.stages:
            print(stage.ref_id, stage.status, stage.error, stage.context.get("deployments"))
    return view.status == Status.SUCCEEDED
