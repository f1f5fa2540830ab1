"""findImage (from a cluster) and findImageFromTags on moto."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from temporalio.exceptions import ApplicationError

from activities.aws import AwsActivities
from models.aws import (
    Capacity,
    CreateServerGroupRequest,
    DisableServerGroupRequest,
    FindImageFromClusterRequest,
    FindImageFromTagsRequest,
    SelectionStrategy,
)
from tests.activities.aws.conftest import ACCOUNT, Aws, Networks, RecordingEnvironment

MakeRequest = Callable[..., CreateServerGroupRequest]
REGION = "us-east-1"
XENIAL = "ubuntu/images/hvm-ssd/ubuntu-xenial-*"
TRUSTY = "ubuntu/images/hvm-ssd/ubuntu-trusty-*"


@pytest.fixture
def cluster(
    activities: AwsActivities, env: RecordingEnvironment, make_request: MakeRequest, aws: Aws
) -> dict[str, str]:
    """app-prod-v000 (trusty, 3 instances), then app-prod-v001 (xenial, 1 instance)."""
    old = make_request(image_id=aws.image(TRUSTY), capacity=Capacity.of(3, 3, 3))
    new = make_request(image_id=aws.image(XENIAL), capacity=Capacity.of(1, 1, 1))
    env.run(activities.create_server_group, old)
    env.run(activities.create_server_group, new)
    return {"app-prod-v000": old.image_id, "app-prod-v001": new.image_id}


def find(strategy: SelectionStrategy, only_enabled: bool = True) -> FindImageFromClusterRequest:
    return FindImageFromClusterRequest(
        account=ACCOUNT,
        cluster="app-prod",
        regions=[REGION],
        only_enabled=only_enabled,
        selection_strategy=strategy,
    )


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (SelectionStrategy.NEWEST, "app-prod-v001"),
        (SelectionStrategy.OLDEST, "app-prod-v000"),
        (SelectionStrategy.LARGEST, "app-prod-v000"),
    ],
)
def test_find_image_from_cluster(
    activities: AwsActivities,
    env: RecordingEnvironment,
    cluster: dict[str, str],
    strategy: SelectionStrategy,
    expected: str,
) -> None:
    result = env.run(activities.find_image_from_cluster, find(strategy))
    [found] = result.deployment_details
    assert found.server_group == expected
    assert found.image_id == found.ami == cluster[expected]
    assert found.region == REGION
    assert found.image_name.startswith("ubuntu/images/")


def test_fail_strategy_refuses_a_mixed_cluster(
    activities: AwsActivities, env: RecordingEnvironment, cluster: dict[str, str]
) -> None:
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.find_image_from_cluster, find(SelectionStrategy.FAIL))
    assert caught.value.non_retryable
    assert "several images" in str(caught.value)


def test_only_enabled_skips_a_disabled_newest_group(
    activities: AwsActivities, env: RecordingEnvironment, cluster: dict[str, str]
) -> None:
    env.run(
        activities.disable_server_group,
        DisableServerGroupRequest(
            account=ACCOUNT, region=REGION, server_group_name="app-prod-v001"
        ),
    )
    enabled = env.run(activities.find_image_from_cluster, find(SelectionStrategy.NEWEST))
    assert enabled.deployment_details[0].server_group == "app-prod-v000"
    anything = env.run(
        activities.find_image_from_cluster, find(SelectionStrategy.NEWEST, only_enabled=False)
    )
    assert anything.deployment_details[0].server_group == "app-prod-v001"


def test_an_empty_cluster_has_no_image(
    activities: AwsActivities, env: RecordingEnvironment, network: Networks
) -> None:
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.find_image_from_cluster, find(SelectionStrategy.NEWEST))
    assert caught.value.non_retryable and "app-prod" in str(caught.value)


def _bake_by_hand(aws: Aws, region: str, name: str, tags: dict[str, str]) -> str:
    ec2 = aws.client("ec2", region)
    instance = ec2.run_instances(ImageId=aws.image(region=region), MinCount=1, MaxCount=1)
    image = ec2.create_image(InstanceId=instance["Instances"][0]["InstanceId"], Name=name)
    ec2.create_tags(
        Resources=[image["ImageId"]], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )
    return str(image["ImageId"])


def test_find_image_from_tags_takes_the_newest_match_per_region(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    _bake_by_hand(aws, REGION, "shop-1.0-all-x", {"stage": "prod"})
    newest = _bake_by_hand(aws, REGION, "shop-1.1-all-x", {"stage": "prod"})
    _bake_by_hand(aws, REGION, "shop-1.2-all-x", {"stage": "test"})
    _bake_by_hand(aws, REGION, "other-9.9-all-x", {"stage": "prod"})
    west = _bake_by_hand(aws, "us-west-2", "shop-1.0-all-x", {"stage": "prod"})

    request = FindImageFromTagsRequest(
        account=ACCOUNT,
        regions=[REGION, "us-west-2"],
        package_name="shop",
        tags={"stage": "prod"},
    )
    result = env.run(activities.find_image_from_tags, request)
    assert [(d.region, d.image_id) for d in result.deployment_details] == [
        (REGION, newest),
        ("us-west-2", west),
    ]
    assert result.deployment_details[0].tags == {"stage": "prod"}


def test_find_image_from_tags_also_matches_the_package_tag(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    tagged = _bake_by_hand(aws, REGION, "renamed-image", {"gennaker:package": "shop"})
    request = FindImageFromTagsRequest(account=ACCOUNT, regions=[REGION], package_name="shop")
    [found] = env.run(activities.find_image_from_tags, request).deployment_details
    assert found.image_id == tagged and found.package == "shop"


def test_no_matching_image_is_not_found(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    _bake_by_hand(aws, REGION, "shop-1.0-all-x", {"stage": "test"})
    request = FindImageFromTagsRequest(
        account=ACCOUNT, regions=[REGION], package_name="shop", tags={"stage": "prod"}
    )
    with pytest.raises(ApplicationError) as caught:
        env.run(activities.find_image_from_tags, request)
    assert caught.value.non_retryable and caught.value.type == "NotFound"
    assert "stage=prod" in str(caught.value) and "package shop" in str(caught.value)
