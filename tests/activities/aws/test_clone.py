"""``aws.cloneServerGroup`` on moto, health waits that ignore instances, cached template reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from temporalio.exceptions import ApplicationError

from activities.aws import AwsActivities, ClientFactory
from activities.aws.describe import list_cluster
from emulators.moto import MotoNetwork
from models.aws import (
    Capacity,
    CloneServerGroupRequest,
    CreateServerGroupRequest,
    WaitForHealthyRequest,
)
from models.config import GennakerConfig
from tests.activities.aws.conftest import ACCOUNT, Aws, FakeHealth, RecordingEnvironment

MakeRequest = Callable[..., CreateServerGroupRequest]
REGION = "us-east-1"


def _clone(source: str, **fields: object) -> CloneServerGroupRequest:
    return CloneServerGroupRequest.model_validate(
        {
            "account": ACCOUNT,
            "region": REGION,
            "sourceServerGroupName": source,
            "executionId": "exec-clone",
            "stageRefId": "rollback",
            **fields,
        }
    )


def test_a_clone_copies_the_launch_settings_with_another_image(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: dict[str, MotoNetwork],
) -> None:
    arn = aws.target_group("web", network[REGION].vpc_id)
    source = env.run(
        activities.create_server_group,
        make_request(target_groups=["web"], user_data="#!/bin/sh\necho hi\n", key_pair=None),
    ).server_group
    other_image = aws.image("amzn-ami-minimal-hvm-2018.03.0.20181129-x86_64-ebs")
    first = env.run(activities.clone_server_group, _clone(source.name, imageId=other_image))
    again = env.run(activities.clone_server_group, _clone(source.name, imageId=other_image))

    clone = first.server_group
    assert (first.created, again.created) == (True, False)
    assert again.server_group.name == clone.name == "app-prod-v001"
    assert clone.image_id == other_image != source.image_id
    assert clone.instance_type == source.instance_type
    assert clone.capacity == source.capacity
    assert clone.target_group_arns == [arn]
    assert clone.tags["team"] == "sail"
    assert clone.tags["gennaker:execution-id"] == "exec-clone"
    made = aws.group(clone.name)
    assert sorted(made["VPCZoneIdentifier"].split(",")) == sorted(network[REGION].subnet_ids)
    data = aws.client("ec2").describe_launch_template_versions(
        LaunchTemplateName=clone.name, Versions=["1"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["SecurityGroupIds"] == [network[REGION].security_group_id]
    assert "UserData" in data
    assert aws.group_names() == ["app-prod-v000", "app-prod-v001"]


def test_a_clone_may_change_the_capacity(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest
) -> None:
    source = env.run(activities.create_server_group, make_request()).server_group
    clone = env.run(
        activities.clone_server_group, _clone(source.name, capacity=Capacity.of(1, 1, 1))
    ).server_group
    assert clone.capacity == Capacity.of(1, 1, 1)
    assert clone.image_id == source.image_id


def test_cloning_a_missing_group_creates_nothing(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.clone_server_group, _clone("app-prod-v007"))
    assert caught.value.non_retryable
    assert "app-prod-v007" in caught.value.message
    assert aws.group_names() == []


def test_ignored_instances_never_count_as_healthy(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest
) -> None:
    group = env.run(
        activities.create_server_group, make_request(capacity=Capacity.of(2, 2, 2))
    ).server_group
    one = group.instances[0].instance_id
    request = WaitForHealthyRequest(
        account=ACCOUNT,
        region=REGION,
        server_group_name=group.name,
        timeout_seconds=0.3,
        ignore_instance_ids=[one],
    )
    with pytest.raises(ApplicationError, match="1 of 2 instances healthy"):
        env.run(activities.wait_for_healthy, request)
    half = request.model_copy(update={"target_healthy_deploy_percentage": 50})
    assert env.run(activities.wait_for_healthy, half).healthy_instance_ids == [
        group.instances[1].instance_id
    ]


def test_listings_describe_each_launch_template_version_once(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    config: GennakerConfig,
    health: FakeHealth,
) -> None:
    created = env.run(activities.create_server_group, make_request()).server_group
    clients = ClientFactory(config).for_region(ACCOUNT, REGION)
    calls: list[str] = []
    clients.ec2.meta.events.register(
        "after-call.ec2.DescribeLaunchTemplateVersions", lambda **_: calls.append("described")
    )
    first = list_cluster(clients, "app-prod", health)
    second = list_cluster(clients, "app-prod", health)
    assert [g.image_id for g in first] == [g.image_id for g in second] == [created.image_id]
    assert len(calls) <= 1  # a numbered version of a template never changes
