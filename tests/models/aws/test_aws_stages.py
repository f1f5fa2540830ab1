"""AWS stage configs: Spinnaker's field names load; what can be checked without AWS is."""

from __future__ import annotations

from typing import Any

import pytest

from models.errors import PipelineError
from models.loading import parse_pipeline
from models.stage import STAGE_TYPES
from models.stages.aws import (
    BakeStage,
    ChaosMonkeyStage,
    DeployStage,
    DisableServerGroupStage,
    FindImageFromClusterStage,
    ResizeServerGroupStage,
)

CLUSTER = {
    "account": "prod",
    "application": "web",
    "stack": "main",
    "availabilityZones": {"us-east-1": ["us-east-1a"]},
    "capacity": {"min": 1, "desired": 2, "max": 3},
    "instanceType": "t3.micro",
    "strategy": "redblack",
}


def _pipeline(stage: dict[str, Any]) -> Any:
    return parse_pipeline({"application": "web", "name": "p", "stages": [{"refId": "1", **stage}]})


def _problems(stage: dict[str, Any]) -> str:
    with pytest.raises(PipelineError) as caught:
        _pipeline(stage)
    return str(caught.value)


def test_every_aws_stage_type_is_registered() -> None:
    expected = {
        "bake", "findImage", "findImageFromCluster", "findImageFromTags", "deploy",
        "disableServerGroup", "enableServerGroup", "resizeServerGroup", "destroyServerGroup",
        "disableCluster", "scaleDownCluster", "shrinkCluster", "rollbackServerGroup",
        "rollbackCluster", "chaosMonkey",
    }  # fmt: skip
    assert expected <= set(STAGE_TYPES)
    assert STAGE_TYPES["findImage"] is STAGE_TYPES["findImageFromCluster"]


def test_a_spinnaker_deploy_stage_loads_with_its_extra_fields() -> None:
    cluster = {
        **CLUSTER,
        "cloudProvider": "aws",
        "maxRemainingAsgs": 2,
        "scaleDown": True,
        "rollback": {"onFailure": True},
        "tags": {"team": "sail"},
        "ebsOptimized": False,
    }
    stage = DeployStage.model_validate({"refId": "1", "type": "deploy", "clusters": [cluster]})
    parsed = stage.clusters[0]
    assert parsed.cluster_name == "web-main"
    assert parsed.regions == ["us-east-1"]
    assert parsed.rollback.on_failure is True
    fields = parsed.strategy_fields()
    assert fields["maxRemainingAsgs"] == 2
    assert fields["scaleDown"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capacity": {"min": 3, "desired": 2, "max": 1}}, "capacity.min (3) must not exceed"),
        ({"capacity": {"min": 1, "desired": 5, "max": 3}}, "capacity.desired (5) must not exceed"),
        ({"strategy": "custom"}, "strategy 'custom' is not supported on AWS yet"),
        ({"strategy": "bluegreen"}, "unknown strategy 'bluegreen'"),
        ({"availabilityZones": {}}, "needs availabilityZones"),
        ({"stack": "a-b"}, "stack 'a-b' is not valid"),
        ({"loadBalancers": ["classic"]}, "classic load balancers are not supported"),
        ({"cloudProvider": "gce"}, "cloud provider 'gce' is not supported"),
        ({"capacity": None}, "needs capacity (or useSourceCapacity)"),
    ],
)
def test_bad_clusters_are_refused_at_load_naming_the_field(
    change: dict[str, Any], message: str
) -> None:
    problems = _problems({"type": "deploy", "clusters": [{**CLUSTER, **change}]})
    assert "stages[0].clusters[0]" in problems
    assert message in problems


def test_expressions_are_checked_only_when_the_stage_starts() -> None:
    cluster = {**CLUSTER, "capacity": {"min": "${parameters.min}", "desired": 1, "max": 1}}
    assert _pipeline({"type": "deploy", "clusters": [cluster]}).stages[0]["type"] == "deploy"


def test_regions_and_accounts_under_either_name() -> None:
    stage = DisableServerGroupStage.model_validate(
        {
            "refId": "1",
            "type": "disableServerGroup",
            "account": "prod",
            "region": "us-west-2",
            "serverGroupName": "web-main-v003",
        }
    )
    assert stage.credentials == "prod"
    assert stage.regions == ["us-west-2"]
    assert stage.cluster == "web-main"  # from the server group's name
    find = FindImageFromClusterStage.model_validate(
        {"refId": "1", "type": "findImage", "credentials": "p", "cluster": "web", "regions": ["r"]}
    )
    assert find.selection_strategy == "NEWEST"


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        (
            {"type": "disableServerGroup", "credentials": "p", "regions": ["r"], "cluster": "web"},
            "a target or a serverGroupName is required",
        ),
        (
            {"type": "enableServerGroup", "credentials": "p", "regions": ["r"], "target": "x"},
            "cluster (or moniker.cluster, or serverGroupName) is required",
        ),
        (
            {
                "type": "resizeServerGroup",
                "credentials": "p",
                "regions": ["r"],
                "cluster": "web",
                "target": "current_asg_dynamic",
                "action": "scale_up",
            },
            "scale_up needs scaleNum",
        ),
        ({"type": "bake", "package": "web", "regions": ["r"]}, "bake needs baseOs or baseAmi"),
        (
            {"type": "chaosMonkey", "credentials": "p", "regions": ["r"], "cluster": "web"},
            "give one of terminationCount or terminationPercentage",
        ),
        (
            {
                "type": "rollbackServerGroup",
                "credentials": "p",
                "regions": ["r"],
                "rollbackContext": {"rollbackServerGroupName": "web-v001"},
            },
            "EXPLICIT rollback needs rollbackContext.restoreServerGroupName",
        ),
        (
            {
                "type": "rollbackServerGroup",
                "credentials": "p",
                "regions": ["r"],
                "rollbackType": "PREVIOUS_IMAGE",
                "rollbackContext": {"rollbackServerGroupName": "x"},
            },
            "server group 'x' is not valid",
        ),
    ],
)
def test_other_stages_refuse_what_they_cannot_run(stage: dict[str, Any], message: str) -> None:
    assert message in _problems(stage)


def test_resize_and_chaos_defaults() -> None:
    resize = ResizeServerGroupStage.model_validate(
        {
            "refId": "1",
            "type": "resizeServerGroup",
            "credentials": "p",
            "regions": ["r"],
            "moniker": {"cluster": "web-main"},
            "target": "current_asg_dynamic",
            "capacity": {"desired": 4},
        }
    )
    assert resize.cluster == "web-main"
    assert resize.action == "scale_exact"
    assert resize.capacity.desired == 4 and resize.capacity.min is None
    chaos = ChaosMonkeyStage.model_validate(
        {"refId": "1", "type": "chaosMonkey", "credentials": "p", "regions": ["r"],
         "cluster": "web", "terminationPercentage": 25}
    )  # fmt: skip
    assert chaos.target == "current_asg_dynamic"
    bake = BakeStage.model_validate(
        {"refId": "1", "type": "bake", "package": "web", "baseOs": "ubuntu", "region": "r"}
    )
    assert bake.regions == ["r"] and bake.account is None
