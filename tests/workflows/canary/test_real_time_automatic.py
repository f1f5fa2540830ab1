"""``realTimeAutomatic``: deploy baseline and canary server groups on moto, analyse, always destroy.

On the time-skipping server: the AWS activities run for real against moto, the
interval waits are skipped.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import boto3
import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.aws import AwsActivities
from emulators.moto import MotoServer, seed_network
from models.aws import Capacity, CreateServerGroupRequest
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.status import Status
from tests.conftest import running_workers
from tests.workflows.canary.support import (
    canary_pipeline,
    canary_stage,
    inline_metric,
    kayenta_config,
)
from workflows.canary import RUN_FAILED_MESSAGE

pytestmark = pytest.mark.integration

REGION = "us-east-1"
KINDS = ("pipelines", "canary", "aws")
LOW = [1.0 + 0.01 * (i % 10) for i in range(60)]
HIGH = [4.0 + 0.01 * (i % 10) for i in range(60)]


class Cloud:
    """The moto account the test deploys into, with a baseline cluster already running."""

    def __init__(self, moto: MotoServer) -> None:
        self.url = moto.url
        self.app = f"rta{uuid.uuid4().hex[:5]}"
        self.network = seed_network(moto.url, REGION)
        self.config = GennakerConfig.parse(
            {"aws": {"accounts": [{"name": "test", "regions": [REGION], "endpointUrl": moto.url}]}}
        )
        ec2 = boto3.client("ec2", endpoint_url=moto.url, region_name=REGION)
        images = ec2.describe_images(
            Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-*"]}]
        )["Images"]
        ids = sorted(image["ImageId"] for image in images)
        self.current_image, self.new_image = ids[0], ids[1]
        ActivityEnvironment().run(
            AwsActivities(self.config).create_server_group,
            CreateServerGroupRequest(
                account="test", region=REGION, application=self.app, stack="prod",
                image_id=self.current_image, instance_type="t3.micro",
                capacity=Capacity.of(1, 1, 1), subnet_ids=list(self.network.subnet_ids),
                security_groups=[self.network.security_group_id],
                execution_id=f"setup-{self.app}", stage_ref_id="baseline",
            ),
        )  # fmt: skip

    def groups(self) -> dict[str, dict[str, Any]]:
        client = boto3.client("autoscaling", endpoint_url=self.url, region_name=REGION)
        found = client.describe_auto_scaling_groups()["AutoScalingGroups"]
        return {
            g["AutoScalingGroupName"]: g
            for g in found
            if g["AutoScalingGroupName"].startswith(self.app)
        }

    def image_of(self, group: str) -> str:
        ec2 = boto3.client("ec2", endpoint_url=self.url, region_name=REGION)
        template = self.groups()[group]["LaunchTemplate"]
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"]
        )["LaunchTemplateVersions"]
        return str(versions[0]["LaunchTemplateData"]["ImageId"])

    def stage(self, experiment: list[float], **extra: Any) -> dict[str, Any]:
        spec = {
            "region": REGION,
            "stack": "prod",
            "capacity": {"min": 1, "max": 1, "desired": 1},
            "subnetIds": list(self.network.subnet_ids),
            "securityGroups": [self.network.security_group_id],
        }
        metric = inline_metric("errors", {"values": {"control": LOW, "experiment": experiment}},
                               direction="increase")  # fmt: skip
        return canary_stage(
            {
                "config": kayenta_config(metric),
                "scopes": [{"scopeName": "default", "step": 60}],
                "scoreThresholds": {"pass": 95, "marginal": 75},
                "lifetimeDuration": "PT1H",
                "canaryAnalysisIntervalMins": 30,
            },
            analysisType="realTimeAutomatic",
            deployments={
                "baseline": {
                    "application": self.app,
                    "account": "test",
                    "cluster": f"{self.app}-prod",
                },
                "serverGroupPairs": [
                    {"control": spec, "experiment": {**spec, "imageId": self.new_image}}
                ],
                **extra,
            },
        )


@pytest.fixture
def cloud(moto: MotoServer) -> Cloud:
    return Cloud(moto)


def _deployed(view: ExecutionView) -> dict[str, Any]:
    groups = view.stages[0].context.get("canaryServerGroups") or []
    return {entry["role"]: entry for entry in groups}


async def test_a_passing_canary_deploys_both_analyses_them_and_destroys_both(
    skip_env: WorkflowEnvironment, cloud: Cloud
) -> None:
    baseline = set(cloud.groups())
    async with running_workers(skip_env.client, config=cloud.config, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(canary_pipeline(cloud.stage(LOW)))
        view = await gennaker.wait(execution_id)
    stage = view.stages[0]
    assert stage.status == Status.SUCCEEDED, stage.error
    assert stage.outputs["canaryScores"] == [100.0, 100.0]
    deployed = _deployed(view)
    control, experiment = deployed["control"], deployed["experiment"]
    assert control["cluster"] == f"{cloud.app}-prod-baseline"
    assert experiment["cluster"] == f"{cloud.app}-prod-canary"
    # The control ran the baseline cluster's image, the experiment the new one.
    assert (control["imageId"], experiment["imageId"]) == (cloud.current_image, cloud.new_image)
    # The analysis used the deployed groups as scopes.
    window = stage.outputs["canaryRuns"][0]["scopes"]["default"]
    assert window["controlScope"]["scope"] == control["serverGroupName"]
    assert window["experimentScope"]["scope"] == experiment["serverGroupName"]
    assert window["experimentScope"]["location"] == REGION
    assert control["destroyed"] and experiment["destroyed"]
    assert set(cloud.groups()) == baseline


async def test_a_failing_canary_still_destroys_both(
    skip_env: WorkflowEnvironment, cloud: Cloud
) -> None:
    baseline = set(cloud.groups())
    async with running_workers(skip_env.client, config=cloud.config, kinds=KINDS) as gennaker:
        view = await gennaker.wait(await gennaker.run(canary_pipeline(cloud.stage(HIGH))))
    stage = view.stages[0]
    assert stage.status == Status.TERMINAL
    assert stage.error == RUN_FAILED_MESSAGE
    assert all(entry["destroyed"] for entry in _deployed(view).values())
    assert len(_deployed(view)) == 2
    assert set(cloud.groups()) == baseline


async def test_cancelling_during_the_analysis_destroys_both(
    skip_env: WorkflowEnvironment, cloud: Cloud
) -> None:
    baseline = set(cloud.groups())
    async with running_workers(skip_env.client, config=cloud.config, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(canary_pipeline(cloud.stage(LOW)))
        deadline = time.monotonic() + 30
        while True:
            # Without waiting on the result, the test server does not skip time: the stage
            # sits in its first interval wait with both groups deployed.
            running = await gennaker.status(execution_id)
            if running.stages[0].context.get("canaryPlan"):
                break
            assert time.monotonic() < deadline, running.stages[0]
            await asyncio.sleep(0.1)
        during = set(cloud.groups())
        await gennaker.cancel(execution_id, user="ops", reason="bad idea")
        view = await gennaker.wait(execution_id)
    assert len(during - baseline) == 2
    assert view.status == Status.CANCELED
    assert view.stages[0].status == Status.CANCELED
    assert all(entry["destroyed"] for entry in _deployed(view).values())
    assert set(cloud.groups()) == baseline


async def test_an_experiment_without_an_image_is_refused_before_anything_is_deployed(
    skip_env: WorkflowEnvironment, cloud: Cloud
) -> None:
    stage = cloud.stage(LOW)
    del stage["deployments"]["serverGroupPairs"][0]["experiment"]["imageId"]
    baseline = set(cloud.groups())
    async with running_workers(skip_env.client, config=cloud.config, kinds=KINDS) as gennaker:
        view = await gennaker.wait(await gennaker.run(canary_pipeline(stage)))
    result = view.stages[0]
    assert result.status == Status.TERMINAL
    assert "the experiment in us-east-1 has no imageId" in (result.error or "")
    assert _deployed(view) == {}
    assert set(cloud.groups()) == baseline


async def test_delay_before_cleanup_keeps_the_groups_after_a_pass(
    skip_env: WorkflowEnvironment, cloud: Cloud
) -> None:
    baseline = set(cloud.groups())
    stage = cloud.stage(LOW, delayBeforeCleanup="PT2H")
    async with running_workers(skip_env.client, config=cloud.config, kinds=KINDS) as gennaker:
        view = await gennaker.wait(await gennaker.run(canary_pipeline(stage)))
    result = view.stages[0]
    assert result.status == Status.SUCCEEDED, result.error
    assert result.start_time and result.end_time
    # One hour of analysis, then two hours before the groups go.
    assert result.end_time - result.start_time >= 3 * 3600 * 1000
    assert set(cloud.groups()) == baseline
