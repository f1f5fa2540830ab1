"""Pure helpers of the stage handlers: upstream images and Chaos Monkey's victims."""

from __future__ import annotations

import random

import pytest

from models.errors import ValidationError
from workflows.aws.chaos import termination_count, victims
from workflows.aws.expressions import deployed_server_groups
from workflows.aws.images import (
    ancestors_nearest_first,
    image_for_region,
    upstream_deployment_details,
)
from workflows.expressions import ExpressionScope, render

STAGES = [
    {"refId": "bake-east", "requisiteStageRefIds": []},
    {"refId": "bake-west", "requisiteStageRefIds": []},
    {"refId": "find", "requisiteStageRefIds": ["bake-east"]},
    {"refId": "deploy", "requisiteStageRefIds": ["find", "bake-west"]},
    {"refId": "elsewhere", "requisiteStageRefIds": []},
]


def test_ancestors_come_nearest_first() -> None:
    assert ancestors_nearest_first(STAGES, "deploy") == ["find", "bake-west", "bake-east"]
    assert ancestors_nearest_first(STAGES, "bake-east") == []


def test_the_nearest_upstream_image_of_the_region_wins() -> None:
    views = [
        {"refId": "bake-east", "outputs": {"deploymentDetails": [
            {"region": "us-east-1", "imageId": "ami-baked"}]}},
        {"refId": "bake-west", "outputs": {"deploymentDetails": [
            {"region": "us-west-2", "ami": "ami-west"}]}},
        {"refId": "find", "outputs": {"deploymentDetails": [
            {"region": "us-east-1", "imageId": "ami-found"}]}},
        {"refId": "elsewhere", "outputs": {"deploymentDetails": [
            {"region": "eu-west-1", "imageId": "ami-not-upstream"}]}},
    ]  # fmt: skip
    details = upstream_deployment_details(STAGES, views, "deploy")
    assert image_for_region(details, "us-east-1") == "ami-found"
    assert image_for_region(details, "us-west-2") == "ami-west"
    assert image_for_region(details, "eu-west-1") is None


@pytest.mark.parametrize(
    ("total", "count", "percentage", "expected"),
    [(4, 1, None, 1), (4, None, 50, 2), (3, None, 50, 2), (5, None, 1, 1), (4, None, 100, 4)],
)
def test_termination_count(
    total: int, count: int | None, percentage: float | None, expected: int
) -> None:
    assert termination_count(total, count=count, percentage=percentage) == expected


def test_termination_count_refuses_impossible_requests() -> None:
    with pytest.raises(ValidationError, match="the group has 2"):
        termination_count(2, count=3)
    with pytest.raises(ValidationError, match="one of"):
        termination_count(2)
    with pytest.raises(ValidationError, match="one of"):
        termination_count(2, count=1, percentage=10)


def test_victims_depend_on_the_generator_not_on_the_listing_order() -> None:
    ids = ["i-d", "i-a", "i-c", "i-b", "i-e"]
    first = victims(ids, 2, random.Random(7))
    again = victims(list(reversed(ids)), 2, random.Random(7))
    assert first == again
    assert len(set(first)) == 2 and set(first) <= set(ids)
    picks = {tuple(victims(ids, 2, random.Random(seed))) for seed in range(20)}
    assert len(picks) > 1  # the seed matters


def test_deployed_server_groups_helper_reads_the_deploy_stages() -> None:
    views = [
        {"refId": "1", "type": "bake", "outputs": {"deploymentDetails": []}},
        {
            "refId": "2",
            "type": "deploy",
            "outputs": {
                "deployedServerGroups": [
                    {
                        "account": "prod",
                        "region": "us-east-1",
                        "serverGroupName": "web-v001",
                        "imageId": "ami-1",
                        "capacity": {"min": 1, "desired": 1, "max": 1},
                    },
                    {
                        "account": "prod",
                        "region": "eu-west-1",
                        "serverGroupName": "web-v004",
                        "imageId": "ami-2",
                        "capacity": None,
                    },
                ]
            },
        },
    ]
    helper = deployed_server_groups(views)
    assert [g["serverGroup"] for g in helper()] == ["web-v001", "web-v004"]
    assert helper("eu-west-1") == [
        {
            "account": "prod",
            "region": "eu-west-1",
            "serverGroup": "web-v004",
            "ami": "ami-2",
            "capacity": None,
            "parentStage": "2",
        }
    ]
    # Through the expression language, as a provider's extra function.
    scope = ExpressionScope(functions={"deployedServerGroups": helper})
    rendered, failures = render(
        {"x": "${#deployedServerGroups('us-east-1')[0].serverGroup}"}, scope
    )
    assert failures == [] and rendered == {"x": "web-v001"}
