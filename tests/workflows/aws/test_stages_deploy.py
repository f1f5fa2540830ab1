"""``deploy`` through real workers against moto: strategies, regions, failures and cancels."""

from __future__ import annotations

from typing import Any

import pytest

from models.status import Status
from tests.workflows.aws.stack import REGION, REGIONS, AwsStack, succeeded, until

pytestmark = pytest.mark.integration


async def test_redblack_twice_leaves_v000_disabled_and_scaled_down(stack: AwsStack) -> None:
    tg = stack.target_group()
    first = await stack.run([stack.deploy(targetGroups=[tg])])
    assert succeeded(first)
    v000 = stack.group_name(0)
    assert first.stages[0].outputs["deploy.server.groups"] == {REGION: [v000]}
    assert first.stages[0].outputs["deploy.account.name"] == "test"

    second = await stack.run([stack.deploy(targetGroups=[tg], scaleDown=True)])
    assert succeeded(second)
    v001 = stack.group_name(1)
    assert second.stages[0].outputs["deploy.server.groups"] == {REGION: [v001]}
    assert sorted(stack.groups()) == [v000, v001]
    assert not stack.enabled(v000)
    assert stack.capacity(v000) == (0, 0, 0)
    assert stack.enabled(v001)
    assert stack.capacity(v001) == (1, 2, 2)
    assert len(stack.registered(tg, v001)) == 2
    steps = second.stages[0].context["deployments"][0]["steps"]
    assert steps == [
        f"wait until 100% of {v001} is healthy",
        f"disable {v000}",
        f"scale down {v000} to 0",
    ]


async def test_redblack_without_scale_down_keeps_the_old_capacity(stack: AwsStack) -> None:
    assert succeeded(await stack.run([stack.deploy()]))
    assert succeeded(await stack.run([stack.deploy()]))
    v000, v001 = stack.group_name(0), stack.group_name(1)
    assert not stack.enabled(v000)
    assert stack.capacity(v000) == (1, 2, 2)
    assert stack.enabled(v001)


async def test_highlander_leaves_one_group(stack: AwsStack) -> None:
    view = await stack.run(
        [
            stack.deploy("a", strategy="none"),
            stack.deploy("b", ["a"], strategy="none"),
            stack.deploy("c", ["b"], strategy="highlander"),
        ]
    )
    assert succeeded(view)
    assert list(stack.groups()) == [stack.group_name(2)]
    assert stack.enabled(stack.group_name(2))


async def test_one_cluster_deploys_to_three_regions(stack: AwsStack) -> None:
    zones = {r: list(stack.network[r].availability_zones) for r in REGIONS}
    cluster = stack.cluster(
        availabilityZones=zones, subnetIds=[], securityGroups=["gennaker-default"]
    )
    view = await stack.run(
        [{"refId": "1", "type": "deploy", "name": "everywhere", "clusters": [cluster]}]
    )
    assert succeeded(view)
    v000 = stack.group_name(0)
    assert view.stages[0].outputs["deploy.server.groups"] == {r: [v000] for r in REGIONS}
    for region in REGIONS:
        assert list(stack.groups(region)) == [v000]
        assert stack.capacity(v000, region) == (1, 2, 2)


async def test_two_clusters_in_one_region_get_their_own_groups(stack: AwsStack) -> None:
    main = stack.cluster()
    canary = stack.cluster(freeFormDetails="canary", capacity={"min": 1, "desired": 1, "max": 1})
    view = await stack.run([{"refId": "1", "type": "deploy", "clusters": [main, canary]}])
    assert succeeded(view)
    names = sorted(stack.groups())
    assert names == [f"{stack.cluster_name}-canary-v000", stack.group_name(0)]
    assert view.stages[0].outputs["deploy.server.groups"] == {REGION: [names[1], names[0]]}


async def test_new_instances_never_healthy_fail_the_deploy_and_roll_back(
    stack: AwsStack,
) -> None:
    tg = stack.target_group()
    assert succeeded(await stack.run([stack.deploy(targetGroups=[tg])]))
    v000, v001 = stack.group_name(0), stack.group_name(1)
    stack.health.unhealthy_groups.add(v001)
    view = await stack.run(
        [
            stack.deploy(
                targetGroups=[tg],
                rollback={"onFailure": True},
                stage={"stageTimeoutMs": 2500},
            )
        ]
    )
    deploy = view.stages[0]
    assert view.status == Status.TERMINAL
    assert deploy.status == Status.TERMINAL
    assert "timed out" in (deploy.error or "")
    record = deploy.context["deployments"][0]
    assert record["serverGroup"] == v001
    assert record["rollback"] == [
        f"enable {v000}",
        f"wait until 100% of {v000} is healthy",
        f"disable {v001}",
    ]
    assert stack.enabled(v000)
    assert stack.capacity(v000) == (1, 2, 2)
    assert len(stack.registered(tg, v000)) == 2
    assert not stack.enabled(v001)
    assert stack.registered(tg, v001) == []
    assert deploy.outputs["deploy.server.groups"] == {}


async def test_cancel_mid_deploy_restores_the_old_group_and_removes_the_new_one(
    stack: AwsStack,
) -> None:
    tg = stack.target_group()
    assert succeeded(await stack.run([stack.deploy(targetGroups=[tg])]))
    v000, v001 = stack.group_name(0), stack.group_name(1)
    stack.health.unhealthy_groups.add(v001)
    execution_id = await stack.start(
        [stack.deploy(targetGroups=[tg], scaleDown=True, rollback={"destroyLatest": True})]
    )
    await until(
        stack.gennaker,
        execution_id,
        lambda v: bool(v.stages[0].context.get("deployments", [{}])[0].get("steps")),
    )
    assert sorted(stack.groups()) == [v000, v001]
    await stack.gennaker.cancel(execution_id, reason="changed my mind")
    view = await stack.gennaker.wait(execution_id)
    assert view.status == Status.CANCELED
    assert view.stages[0].status == Status.CANCELED
    assert view.stages[0].context["deployments"][0]["rollback"] == [
        f"enable {v000}",
        f"wait until 100% of {v000} is healthy",
        f"disable {v001}",
        f"destroy {v001}",
    ]
    assert list(stack.groups()) == [v000]
    assert stack.enabled(v000)
    assert stack.capacity(v000) == (1, 2, 2)
    assert stack.aws.template_names() == [v000]


async def test_bake_then_deploy_uses_the_baked_image_in_each_region(
    stack: AwsStack, tmp_home: object
) -> None:
    regions = list(REGIONS[:2])
    bake = {
        "refId": "bake",
        "name": "Bake",
        "type": "bake",
        "account": "test",
        "package": "web-1.2.3",
        "baseAmi": stack.image(),
        "baseLabel": "release",
        "regions": regions,
        "amiSuffix": stack.application,
    }
    zones = {r: list(stack.network[r].availability_zones) for r in regions}
    cluster = stack.cluster(availabilityZones=zones, subnetIds=[], securityGroups=[])
    del cluster["imageId"]
    deploy = {"refId": "deploy", "type": "deploy", "requisiteStageRefIds": ["bake"]}
    view = await stack.run([bake, {**deploy, "clusters": [cluster]}])
    assert succeeded(view)
    details = view.stages[0].outputs["deploymentDetails"]
    assert [d["region"] for d in details] == regions
    assert all(d["package"] == "web-1.2.3" for d in details)
    for detail in details:
        # Packer really made the image: it is ours, tagged, in each region.
        owned = {i["ImageId"] for i in stack.aws.own_images(detail["region"])}
        assert detail["imageId"] in owned
        assert stack.image_of(stack.group_name(0), detail["region"]) == detail["imageId"]
    assert details[0]["imageId"] != stack.image()


BAD_INPUT = [
    pytest.param({"account": "nope"}, "unknown AWS account 'nope'", id="unknown-account"),
    pytest.param(
        {"availabilityZones": {"ap-south-1": []}},
        "region 'ap-south-1' is not configured for AWS account 'test'",
        id="unknown-region",
    ),
    pytest.param({"imageId": None}, "no image: set imageId", id="no-image"),
    pytest.param({"imageId": "ami-12345678"}, "image 'ami-12345678' not found", id="missing-image"),
    pytest.param(
        {"capacity": {"min": "${parameters.min}", "desired": 1, "max": 1}},
        "capacity.min (3) must not exceed capacity.max (1)",
        id="min-above-max",
    ),
]


@pytest.mark.parametrize(("fields", "message"), BAD_INPUT)
async def test_bad_input_fails_clearly_and_creates_nothing(
    stack: AwsStack, fields: dict[str, Any], message: str
) -> None:
    view = await stack.run(
        [stack.deploy(**fields)], parameterConfig=[{"name": "min", "default": 3}]
    )
    assert view.status == Status.TERMINAL
    assert message in (view.stages[0].error or ""), view.stages[0].error
    assert stack.nothing_created()


def test_capacity_min_above_max_is_refused_when_the_pipeline_loads(stack: AwsStack) -> None:
    from models.errors import PipelineError

    with pytest.raises(
        PipelineError, match=r"stages\[0\]\.clusters\[0\]\.capacity.*must not exceed"
    ):
        stack.pipeline([stack.deploy(capacity={"min": 3, "desired": 1, "max": 1})])


async def test_later_stages_read_deployed_server_groups_in_expressions(stack: AwsStack) -> None:
    view = await stack.run(
        [
            stack.deploy("a", strategy="none"),
            {
                "refId": "b",
                "type": "evaluateVariables",
                "requisiteStageRefIds": ["a"],
                "failOnFailedExpressions": True,
                "variables": [
                    {"key": "group", "value": "${#deployedServerGroups()[0]['serverGroup']}"},
                    {"key": "regional", "value": f"${{#deployedServerGroups('{REGION}').size()}}"},
                    {"key": "elsewhere", "value": "${#deployedServerGroups('mars-1').size()}"},
                ],
            },
        ]
    )
    assert succeeded(view)
    assert view.stages[1].outputs == {"group": stack.group_name(0), "regional": 1, "elsewhere": 0}
