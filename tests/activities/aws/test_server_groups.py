"""Server groups on moto: create (idempotent), list, resize, destroy, terminate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from activities.aws import AwsActivities
from emulators.moto import MotoNetwork
from models.aws import (
    Capacity,
    CreateServerGroupRequest,
    CreateServerGroupResult,
    ListServerGroupsRequest,
    ResizeServerGroupRequest,
    ServerGroupRef,
    TerminateInstancesRequest,
)
from tests.activities.aws.conftest import ACCOUNT, Aws, RecordingEnvironment

MakeRequest = Callable[..., CreateServerGroupRequest]
REGION = "us-east-1"


def ref(name: str) -> ServerGroupRef:
    return ServerGroupRef(account=ACCOUNT, region=REGION, server_group_name=name)


def test_create_makes_a_group_with_launch_template_target_groups_and_tags(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: dict[str, MotoNetwork],
) -> None:
    arn = aws.target_group("web", network[REGION].vpc_id)
    request = make_request(target_groups=["web"], user_data="#!/bin/sh\necho hi\n")
    result = env.run(activities.create_server_group, request)

    group = result.server_group
    assert result.created
    assert group.name == "app-prod-v000"
    assert (group.cluster, group.application) == ("app-prod", "app")
    assert group.capacity == Capacity.of(1, 2, 3)
    assert group.image_id == request.image_id
    assert group.instance_type == "t3.micro"
    assert group.launch_template is not None and group.launch_template.name == "app-prod-v000"
    assert group.target_groups == ["web"] and group.target_group_arns == [arn]
    assert group.enabled
    assert len(group.instances) == 2
    assert group.tags["gennaker:execution-id"] == request.execution_id
    assert group.tags["gennaker:stage-ref-id"] == "1"
    assert group.tags["gennaker:idempotency-key"] == f"{request.execution_id}/1/{REGION}"
    assert group.tags["gennaker:cluster"] == "app-prod"
    assert group.tags["team"] == "sail"

    asg = aws.group("app-prod-v000")
    assert asg["VPCZoneIdentifier"].split(",") == list(network[REGION].subnet_ids)
    template = aws.client("ec2").describe_launch_template_versions(
        LaunchTemplateName="app-prod-v000", Versions=["1"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert template["SecurityGroupIds"] == [network[REGION].security_group_id]
    assert template["UserData"]  # base64 of the script


def test_create_twice_makes_one_group(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    request = make_request()
    first = env.run(activities.create_server_group, request)
    second = env.run(activities.create_server_group, request)

    assert first.created and not second.created
    assert second.server_group.name == first.server_group.name
    assert aws.group_names() == ["app-prod-v000"]
    assert aws.template_names() == ["app-prod-v000"]


def test_a_retry_after_a_crash_reuses_the_half_made_launch_template(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    request = make_request()
    # The first try made its launch template, then died before the group existed.
    aws.client("ec2").create_launch_template(
        LaunchTemplateName="app-prod-v004",
        LaunchTemplateData={"ImageId": request.image_id, "InstanceType": "t3.micro"},
        TagSpecifications=[
            {
                "ResourceType": "launch-template",
                "Tags": [
                    {"Key": "gennaker:cluster", "Value": "app-prod"},
                    {"Key": "gennaker:idempotency-key", "Value": request.idempotency_key},
                ],
            }
        ],
    )
    result = env.run(activities.create_server_group, request)
    assert result.created
    assert result.server_group.name == "app-prod-v004"
    assert aws.template_names() == ["app-prod-v004"]


def test_sequences_follow_the_highest_and_skip_other_runs_templates(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    names = [
        env.run(activities.create_server_group, make_request()).server_group.name for _ in range(2)
    ]
    assert names == ["app-prod-v000", "app-prod-v001"]
    # Another run's launch template holds v002 (its group is not there yet).
    aws.client("ec2").create_launch_template(
        LaunchTemplateName="app-prod-v002",
        LaunchTemplateData={"ImageId": aws.image(), "InstanceType": "t3.micro"},
        TagSpecifications=[
            {
                "ResourceType": "launch-template",
                "Tags": [
                    {"Key": "gennaker:cluster", "Value": "app-prod"},
                    {"Key": "gennaker:idempotency-key", "Value": "other-run/1/us-east-1"},
                ],
            }
        ],
    )
    third = env.run(activities.create_server_group, make_request())
    assert third.server_group.name == "app-prod-v003"
    other = env.run(activities.create_server_group, make_request(stack="staging"))
    assert other.server_group.name == "app-staging-v000"


def test_the_sequence_wraps_after_999(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: dict[str, MotoNetwork],
) -> None:
    aws.client("ec2").create_launch_template(
        LaunchTemplateName="legacy", LaunchTemplateData={"ImageId": aws.image()}
    )
    for name in ("app-prod-v998", "app-prod-v999"):
        aws.client("autoscaling").create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "legacy", "Version": "$Latest"},
            MinSize=0,
            MaxSize=0,
            VPCZoneIdentifier=network[REGION].subnet_ids[0],
        )
    result = env.run(activities.create_server_group, make_request())
    assert result.server_group.name == "app-prod-v000"


def test_list_returns_the_cluster_newest_first(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest
) -> None:
    for _ in range(3):
        env.run(activities.create_server_group, make_request())
    env.run(activities.create_server_group, make_request(free_form_details="canary"))
    listed = env.run(
        activities.list_server_groups,
        ListServerGroupsRequest(account=ACCOUNT, region=REGION, cluster="app-prod"),
    )
    assert [g.name for g in listed.server_groups] == [
        "app-prod-v002",
        "app-prod-v001",
        "app-prod-v000",
    ]
    assert all(g.enabled and g.capacity == Capacity.of(1, 2, 3) for g in listed.server_groups)
    assert all(len(g.instances) == 2 and g.healthy_count == 2 for g in listed.server_groups)


def test_results_survive_the_pydantic_data_converter(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest
) -> None:
    result = env.run(activities.create_server_group, make_request())
    converter = pydantic_data_converter.payload_converter
    payload = converter.to_payload(result)
    assert payload is not None
    assert b'"serverGroup"' in payload.data  # Spinnaker-style camelCase on the wire
    assert converter.from_payload(payload, CreateServerGroupResult) == result


def test_resize_returns_the_previous_capacity(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    name = env.run(activities.create_server_group, make_request()).server_group.name
    request = ResizeServerGroupRequest(
        account=ACCOUNT, region=REGION, server_group_name=name, capacity=Capacity.of(3, 4, 6)
    )
    result = env.run(activities.resize_server_group, request)
    assert result.previous_capacity == Capacity.of(1, 2, 3)
    assert result.server_group.capacity == Capacity.of(3, 4, 6)
    asg = aws.group(name)
    assert (asg["MinSize"], asg["DesiredCapacity"], asg["MaxSize"]) == (3, 4, 6)
    assert len(asg["Instances"]) == 4


def test_destroy_removes_the_group_and_its_launch_template_once(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    keep = env.run(activities.create_server_group, make_request()).server_group.name
    name = env.run(activities.create_server_group, make_request()).server_group.name

    first = env.run(activities.destroy_server_group, ref(name))
    again = env.run(activities.destroy_server_group, ref(name))

    assert first.destroyed and not again.destroyed
    assert aws.group_names() == [keep]
    assert aws.template_names() == [keep]


def test_terminate_chosen_instances_idempotently(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    group = env.run(activities.create_server_group, make_request()).server_group
    victim = group.instances[0].instance_id
    request = TerminateInstancesRequest(
        account=ACCOUNT, region=REGION, server_group_name=group.name, instance_ids=[victim]
    )
    first = env.run(activities.terminate_instances, request)
    again = env.run(activities.terminate_instances, request)

    assert first.terminated_instance_ids == [victim]
    assert again.terminated_instance_ids == []
    remaining = {i["InstanceId"] for i in aws.group(group.name)["Instances"]}
    assert victim not in remaining
    # The group replaces what was terminated: desired stays 2.
    assert aws.group(group.name)["DesiredCapacity"] == 2


def test_terminate_refuses_instances_of_another_group(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest
) -> None:
    mine = env.run(activities.create_server_group, make_request()).server_group
    other = env.run(activities.create_server_group, make_request(stack="other")).server_group
    stranger = other.instances[0].instance_id
    request = TerminateInstancesRequest(
        account=ACCOUNT, region=REGION, server_group_name=mine.name, instance_ids=[stranger]
    )
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.terminate_instances, request)
    assert caught.value.non_retryable
    assert stranger in str(caught.value) and mine.name in str(caught.value)


def test_describe_an_unknown_group_is_a_non_retryable_not_found(
    activities: AwsActivities, env: RecordingEnvironment, network: dict[str, Any]
) -> None:
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.describe_server_group, ref("app-v123"))
    assert caught.value.non_retryable
    assert caught.value.type == "NotFound"
    assert "app-v123" in str(caught.value) and "'test'" in str(caught.value)


def test_a_name_taken_by_a_concurrent_run_is_retryable(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    # Another run created app-prod-v000's launch template without our tags (so we
    # could not see it) between our look and our create: the create is retried.
    aws.client("ec2").create_launch_template(
        LaunchTemplateName="app-prod-v000", LaunchTemplateData={"ImageId": aws.image()}
    )
    with pytest.raises(ApplicationError, match="created by another run") as caught:
        env.run(activities.create_server_group, make_request())
    assert not caught.value.non_retryable
    assert aws.group_names() == []
