"""``chaosMonkey`` through real workers on moto; recovery is driven through the fake health.

moto replaces terminated instances at once and calls them healthy, so the tests
make every instance that was not there before unhealthy until they decide the
group has recovered.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.status import Status
from tests.workflows.aws.stack import REGION, AwsStack, succeeded, until

pytestmark = pytest.mark.integration


def _chaos(stack: AwsStack, **fields: Any) -> dict[str, Any]:
    return stack.stage("chaos", "chaosMonkey", target="current_asg_dynamic", **fields)


async def _deployed(stack: AwsStack, tg: str) -> list[str]:
    capacity = {"min": 4, "desired": 4, "max": 4}
    assert succeeded(await stack.run([stack.deploy(targetGroups=[tg], capacity=capacity)]))
    return stack.instances(stack.group_name(0))


def _recorded(view: Any) -> bool:
    return bool(view.stages[0].outputs.get("terminatedInstanceIds", {}).get(REGION))


async def test_terminates_the_recorded_instances_and_waits_for_recovery(stack: AwsStack) -> None:
    tg = stack.target_group()
    before = await _deployed(stack, tg)
    v000 = stack.group_name(0)
    # Replacements stay unhealthy until the test says the group has recovered.
    stack.health.healthy_only = set(before)
    execution_id = await stack.start([_chaos(stack, terminationPercentage=50)])
    view = await until(stack.gennaker, execution_id, _recorded)
    victims = view.stages[0].outputs["terminatedInstanceIds"][REGION]
    assert len(victims) == 2
    assert set(victims) <= set(before)
    assert view.stages[0].outputs["serverGroups"] == {REGION: v000}
    ec2 = stack.aws.client("ec2")
    states = {
        i["InstanceId"]: i["State"]["Name"]
        for r in ec2.describe_instances(InstanceIds=victims)["Reservations"]
        for i in r["Instances"]
    }
    assert states == {v: "terminated" for v in victims}
    current = stack.instances(v000)
    assert not set(victims) & set(current)
    # Still waiting: the replacements are not healthy yet.
    view = await stack.gennaker.status(execution_id)
    assert view.stages[0].status == Status.RUNNING
    stack.health.healthy_only = None  # the replacements pass their health checks
    view = await stack.gennaker.wait(execution_id)
    assert succeeded(view)
    assert view.stages[0].outputs["terminatedInstanceIds"] == {REGION: victims}
    assert stack.capacity(v000) == (4, 4, 4)
    assert len(stack.instances(v000)) == 4


async def test_fails_when_the_group_does_not_recover_within_the_stage_timeout(
    stack: AwsStack,
) -> None:
    tg = stack.target_group()
    before = await _deployed(stack, tg)
    stack.health.healthy_only = set(before)
    view = await stack.run([_chaos(stack, terminationCount=1, stageTimeoutMs=2000)])
    chaos = view.stages[0]
    assert view.status == Status.TERMINAL
    assert "timed out" in (chaos.error or "")
    victims = chaos.outputs["terminatedInstanceIds"][REGION]
    assert len(victims) == 1
    assert victims[0] not in stack.instances(stack.group_name(0))
