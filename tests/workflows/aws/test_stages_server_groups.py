"""Server group, cluster, rollback and precondition stages, through real workers on moto."""

from __future__ import annotations

import pytest

from models.status import Status
from tests.workflows.aws.stack import AwsStack, stage_of, succeeded

pytestmark = pytest.mark.integration


async def test_enable_disable_resize_and_destroy_by_target(stack: AwsStack) -> None:
    tg = stack.target_group()
    view = await stack.run(
        [
            stack.deploy("a", strategy="none", targetGroups=[tg]),
            stack.deploy("b", ["a"], strategy="none", targetGroups=[tg]),
            stack.stage("off", "disableServerGroup", ["b"], target="ancestor_asg_dynamic"),
            stack.stage(
                "grow",
                "resizeServerGroup",
                ["off"],
                target="current_asg_dynamic",
                action="scale_up",
                resizeType="incr",
                scaleNum=1,
            ),
            stack.stage("on", "enableServerGroup", ["grow"], target="ancestor_asg_dynamic"),
            stack.stage(
                "exact",
                "resizeServerGroup",
                ["on"],
                serverGroupName=stack.group_name(0),
                capacity={"desired": 1},
            ),
        ]
    )
    assert succeeded(view)
    v000, v001 = stack.group_name(0), stack.group_name(1)
    assert stage_of(view, "off").outputs["serverGroupName"] == v000
    assert stage_of(view, "grow").outputs["capacity"] == {
        "us-east-1": {"min": 2, "desired": 3, "max": 3}
    }
    assert stack.capacity(v001) == (2, 3, 3)
    assert stack.capacity(v000) == (1, 1, 2)
    assert stack.enabled(v000)
    assert len(stack.registered(tg, v000)) >= 1
    destroyed = await stack.run(
        [stack.stage("gone", "destroyServerGroup", target="oldest_asg_dynamic")]
    )
    assert succeeded(destroyed)
    assert list(stack.groups()) == [v001]
    assert stack.aws.template_names() == [v001]


async def test_a_missing_target_fails_the_stage_naming_it(stack: AwsStack) -> None:
    view = await stack.run(
        [stack.stage("off", "disableServerGroup", target="ancestor_asg_dynamic")]
    )
    assert view.status == Status.TERMINAL
    assert "ancestor_asg_dynamic" in (view.stages[0].error or "")
    assert stack.cluster_name in (view.stages[0].error or "")


async def test_shrink_cluster_keeps_the_newest_n(stack: AwsStack) -> None:
    deploys = [stack.deploy(str(n), [str(n - 1)] if n else [], strategy="none") for n in range(4)]
    shrink = stack.stage("shrink", "shrinkCluster", ["3"], shrinkToSize=2, allowDeleteActive=True)
    view = await stack.run([*deploys, shrink])
    assert succeeded(view)
    assert sorted(stack.groups()) == [stack.group_name(2), stack.group_name(3)]
    assert sorted(stage_of(view, "shrink").outputs["destroyedServerGroups"]["us-east-1"]) == [
        stack.group_name(0),
        stack.group_name(1),
    ]


async def test_disable_and_scale_down_cluster(stack: AwsStack) -> None:
    deploys = [stack.deploy(str(n), [str(n - 1)] if n else [], strategy="none") for n in range(3)]
    view = await stack.run(
        [
            *deploys,
            stack.stage("off", "disableCluster", ["2"], remainingEnabledServerGroups=1),
            stack.stage("down", "scaleDownCluster", ["off"], remainingFullSizeServerGroups=2),
        ]
    )
    assert succeeded(view)
    v000, v001, v002 = (stack.group_name(n) for n in range(3))
    assert [stack.enabled(g) for g in (v000, v001, v002)] == [False, False, True]
    assert stack.capacity(v000) == (0, 0, 0)
    assert stack.capacity(v001) == (1, 2, 2)
    assert stage_of(view, "down").outputs["scaledDownServerGroups"] == {"us-east-1": [v000]}


def _cluster_size(
    stack: AwsStack, comparison: str, expected: int, **flags: object
) -> dict[str, object]:
    return {
        "type": "clusterSize",
        "context": {
            "credentials": "test",
            "regions": ["us-east-1"],
            "cluster": stack.cluster_name,
            "comparison": comparison,
            "expected": expected,
        },
        **flags,
    }


async def test_cluster_size_preconditions(stack: AwsStack) -> None:
    view = await stack.run(
        [
            stack.deploy("a", strategy="none"),
            {
                "refId": "one",
                "type": "checkPreconditions",
                "requisiteStageRefIds": ["a"],
                "preconditions": [_cluster_size(stack, "==", 1)],
            },
            {
                "refId": "two",
                "type": "checkPreconditions",
                "requisiteStageRefIds": ["a"],
                "preconditions": [_cluster_size(stack, ">=", 2, failPipeline=False)],
            },
            stack.deploy("after-two", ["two"], strategy="none"),
        ]
    )
    assert view.status == Status.SUCCEEDED
    assert stage_of(view, "one").status == Status.SUCCEEDED
    assert stage_of(view, "two").status == Status.STOPPED
    assert "has us-east-1: 1 server groups (expected >= 2)" in (stage_of(view, "two").error or "")
    assert stage_of(view, "after-two").status == Status.NOT_STARTED
    assert list(stack.groups()) == [stack.group_name(0)]


async def test_rollback_server_group_explicit(stack: AwsStack) -> None:
    tg = stack.target_group()
    v000, v001 = stack.group_name(0), stack.group_name(1)
    view = await stack.run(
        [
            stack.deploy("a", targetGroups=[tg]),
            stack.deploy(
                "b", ["a"], targetGroups=[tg], capacity={"min": 1, "desired": 3, "max": 3}
            ),
            stack.stage(
                "rollback",
                "rollbackServerGroup",
                ["b"],
                rollbackType="EXPLICIT",
                rollbackContext={
                    "rollbackServerGroupName": v001,
                    "restoreServerGroupName": v000,
                },
            ),
        ]
    )
    assert succeeded(view)
    assert stack.enabled(v000)
    assert stack.capacity(v000) == (1, 3, 3)  # took over the bad group's capacity
    assert len(stack.registered(tg, v000)) == 3
    assert not stack.enabled(v001)
    assert stack.registered(tg, v001) == []


async def test_rollback_server_group_previous_image(stack: AwsStack) -> None:
    good, bad = stack.image(0), stack.image(1)
    v000, v001, v002 = (stack.group_name(n) for n in range(3))
    view = await stack.run(
        [
            stack.deploy("a", imageId=good),
            stack.deploy("b", ["a"], imageId=bad),
            # Gone: the previous image must come from what the deploy recorded.
            stack.stage("gone", "destroyServerGroup", ["b"], serverGroupName=v000),
            stack.stage(
                "rollback",
                "rollbackServerGroup",
                ["gone"],
                rollbackType="PREVIOUS_IMAGE",
                rollbackContext={"rollbackServerGroupName": v001},
            ),
        ]
    )
    assert succeeded(view)
    outputs = stage_of(view, "rollback").outputs
    assert outputs["rollbackType"] == "PREVIOUS_IMAGE"
    assert outputs["imageId"] == good
    assert outputs["deployedServerGroup"] == v002
    assert sorted(stack.groups()) == [v001, v002]
    assert stack.image_of(v002) == good
    assert stack.enabled(v002)
    assert stack.capacity(v002) == (1, 2, 2)
    assert not stack.enabled(v001)


async def test_rollback_cluster_goes_back_to_the_group_it_replaced(stack: AwsStack) -> None:
    v000, v001 = stack.group_name(0), stack.group_name(1)
    view = await stack.run(
        [
            stack.deploy("a", imageId=stack.image(0)),
            stack.deploy("b", ["a"], imageId=stack.image(1)),
            stack.stage("rollback", "rollbackCluster", ["b"]),
        ]
    )
    assert succeeded(view)
    assert stage_of(view, "rollback").outputs["rollbacks"]["us-east-1"] == {
        "rollbackType": "EXPLICIT",
        "rollbackServerGroupName": v001,
        "restoreServerGroupName": v000,
    }
    assert stack.enabled(v000)
    assert not stack.enabled(v001)
