"""Bad input fails before anything is created, with a clear, non-retryable error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
import pytest
from temporalio.exceptions import ApplicationError

from activities.aws import AwsActivities
from models.aws import Capacity, CreateServerGroupRequest, ListServerGroupsRequest
from tests.activities.aws.conftest import Aws, Networks, RecordingEnvironment

MakeRequest = Callable[..., CreateServerGroupRequest]


def assert_nothing_created(aws: Aws) -> None:
    for region in ("us-east-1", "us-west-2"):
        assert aws.group_names(region) == []
        assert aws.template_names(region) == []


@pytest.mark.parametrize(
    ("fields", "kind", "words"),
    [
        ({"account": "prod"}, "NotFound", ["unknown AWS account 'prod'", "known: test"]),
        (
            {"region": "eu-west-3"},
            "ValidationError",
            ["region 'eu-west-3' is not configured for AWS account 'test'"],
        ),
        ({"image_id": "ami-0badc0de"}, "NotFound", ["image 'ami-0badc0de' not found", "'test'"]),
        ({"target_groups": ["nope"]}, "NotFound", ["target group(s) nope not found"]),
        ({"security_groups": ["sg-00000000"]}, "NotFound", ["security group(s) sg-00000000"]),
        ({"subnet_ids": ["subnet-00000000"]}, "NotFound", ["subnet(s) subnet-00000000"]),
        ({"key_pair": "missing"}, "NotFound", ["key pair 'missing' not found"]),
        (
            {"subnet_ids": [], "availability_zones": []},
            "ValidationError",
            ["subnetIds or availabilityZones"],
        ),
    ],
)
def test_bad_create_requests_create_nothing(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    fields: dict[str, Any],
    kind: str,
    words: list[str],
) -> None:
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.create_server_group, make_request(**fields))
    assert caught.value.non_retryable
    assert caught.value.type == kind
    for word in words:
        assert word in str(caught.value)
    assert_nothing_created(aws)


def test_capacity_min_above_max_is_refused_when_built(make_request: MakeRequest) -> None:
    with pytest.raises(
        pydantic.ValidationError, match=r"capacity.min \(5\) must not exceed capacity.max \(3\)"
    ):
        make_request(capacity={"min": 5, "max": 3, "desired": 4})


def test_capacity_min_above_max_is_refused_by_the_activity(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    # Data that skipped validation (model_construct) is validated again before any call.
    good = make_request()
    bad = good.model_copy(update={"capacity": Capacity.model_construct(min=5, max=3, desired=4)})
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.create_server_group, bad)
    assert caught.value.non_retryable and caught.value.type == "ValidationError"
    assert "capacity.min (5) must not exceed capacity.max (3)" in str(caught.value)
    assert_nothing_created(aws)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"application": "my-app"}, "application 'my-app' is not valid"),
        ({"stack": "pr-od"}, "stack 'pr-od' is not valid"),
        ({"image_id": ""}, "image_id"),
        ({"capacity": {"min": 1, "max": 2, "desired": 3}}, "capacity.desired (3) must not exceed"),
    ],
)
def test_requests_are_validated_when_built(
    make_request: MakeRequest, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        make_request(**fields)
    assert message in str(caught.value)


def test_subnets_outside_the_requested_zones_are_refused(
    activities: AwsActivities,
    env: RecordingEnvironment,
    make_request: MakeRequest,
    aws: Aws,
    network: Networks,
) -> None:
    with pytest.raises(ApplicationError, match="none of the subnets") as caught:
        env.run(activities.create_server_group, make_request(availability_zones=["us-east-1f"]))
    assert caught.value.non_retryable
    assert_nothing_created(aws)


def test_zones_alone_are_enough(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    request = make_request(subnet_ids=[], security_groups=[], availability_zones=["us-east-1a"])
    group = env.run(activities.create_server_group, request).server_group
    assert aws.group(group.name)["AvailabilityZones"] == ["us-east-1a"]


def test_unknown_account_on_a_read_names_the_account(
    activities: AwsActivities, env: RecordingEnvironment
) -> None:
    request = ListServerGroupsRequest(account="ghost", region="us-east-1", cluster="app")
    with pytest.raises(ApplicationError, match="unknown AWS account 'ghost'") as caught:
        env.run(activities.list_server_groups, request)
    assert caught.value.non_retryable


def test_a_group_aws_refuses_leaves_no_launch_template(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> None:
    # The launch template is made first; AWS then refuses the group (unknown zone).
    request = make_request(subnet_ids=[], security_groups=[], availability_zones=["us-east-1z"])
    with pytest.raises(ApplicationError, match="CreateAutoScalingGroup failed") as caught:
        env.run(activities.create_server_group, request)
    assert caught.value.non_retryable and caught.value.type == "AwsValidationError"
    assert_nothing_created(aws)
