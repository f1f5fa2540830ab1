"""``rollingredblack`` with a validation pipeline at every step, through real workers on moto."""

from __future__ import annotations

from typing import Any

import pytest

from models.loading import parse_pipeline
from models.status import Status
from tests.workflows.aws.stack import AwsStack, succeeded, until

pytestmark = pytest.mark.integration

CAPACITY = {"min": 2, "desired": 4, "max": 4}


async def _save_validation(stack: AwsStack, stage: dict[str, Any]) -> None:
    pipeline = parse_pipeline(
        {"application": stack.application, "name": "validate", "stages": [stage]}
    )
    await stack.gennaker.registry.apply(pipeline)


def _rolling(stack: AwsStack, tg: str, **fields: Any) -> dict[str, Any]:
    return stack.deploy(
        targetGroups=[tg],
        capacity=CAPACITY,
        strategy="rollingredblack",
        targetPercentages=[25, 50, 100],
        pipelineBeforeCleanup={
            "application": stack.application,
            "pipelineId": "validate",
            "pipelineParameters": {"team": "sail"},
        },
        **fields,
    )


def _child_at(pct: int) -> Any:
    def check(view: Any) -> bool:
        runs = view.stages[0].context.get("validationExecutions", [])
        return any(r["percentageComplete"] == pct for r in runs)

    return check


async def test_capacity_moves_step_by_step_while_each_step_is_validated(stack: AwsStack) -> None:
    tg = stack.target_group()
    assert succeeded(await stack.run([stack.deploy(targetGroups=[tg], capacity=CAPACITY)]))
    v000, v001 = stack.group_name(0), stack.group_name(1)
    await _save_validation(
        stack, {"refId": "approve", "type": "manualJudgment", "instructions": "check it"}
    )
    execution_id = await stack.start(
        [_rolling(stack, tg, scaleDown=True, rollback={"onFailure": True})]
    )
    # new group's desired, and how many old instances still take traffic, at each step
    expected = {25: (1, 4), 50: (2, 3), 100: (4, 2)}
    for pct, (new_desired, old_in_traffic) in expected.items():
        view = await until(stack.gennaker, execution_id, _child_at(pct))
        runs = view.stages[0].context["validationExecutions"]
        child = next(r["executionId"] for r in runs if r["percentageComplete"] == pct)
        child_view = await until(
            stack.gennaker, child, lambda v: bool(v.stages[0].context.get("awaitingJudgment"))
        )
        parameters = child_view.trigger["parameters"]
        assert parameters["percentageComplete"] == pct
        assert parameters["deployedServerGroup"]["serverGroupName"] == v001
        assert parameters["sourceServerGroup"]["serverGroupName"] == v000
        assert parameters["team"] == "sail"
        # Inspected while the validation pipeline waits for its judge.
        assert stack.capacity(v001)[1] == new_desired
        assert len(stack.instances(v001)) == new_desired
        assert len(stack.registered(tg, v000)) == old_in_traffic
        assert stack.capacity(v000) == (4, 4, 4)  # the source is pinned meanwhile
        await stack.gennaker.judge(child, "approve", "continue", user="tester")
    view = await stack.gennaker.wait(execution_id)
    assert succeeded(view)
    assert stack.capacity(v001) == (2, 4, 4)
    assert stack.enabled(v001)
    assert len(stack.registered(tg, v001)) == 4
    assert not stack.enabled(v000)
    assert stack.capacity(v000) == (0, 0, 0)
    assert stack.registered(tg, v000) == []


async def test_a_failing_validation_at_50_percent_rolls_back_to_the_old_group(
    stack: AwsStack,
) -> None:
    tg = stack.target_group()
    assert succeeded(await stack.run([stack.deploy(targetGroups=[tg], capacity=CAPACITY)]))
    v000, v001 = stack.group_name(0), stack.group_name(1)
    await _save_validation(
        stack,
        {
            "refId": "check",
            "type": "checkPreconditions",
            "preconditions": [
                {
                    "type": "expression",
                    "context": {"expression": "${parameters.percentageComplete < 50}"},
                }
            ],
        },
    )
    view = await stack.run([_rolling(stack, tg, rollback={"onFailure": True})])
    deploy = view.stages[0]
    assert view.status == Status.TERMINAL
    assert "validation pipeline" in (deploy.error or "")
    assert "at 50%" in (deploy.error or "")
    assert [r["percentageComplete"] for r in deploy.context["validationExecutions"]] == [25, 50]
    # The old group is back at full capacity, unpinned, every instance in traffic.
    assert stack.capacity(v000) == (2, 4, 4)
    assert stack.enabled(v000)
    assert len(stack.registered(tg, v000)) == 4
    assert not stack.enabled(v001)
    assert stack.registered(tg, v001) == []
    assert deploy.context["deployments"][0]["rollback"] == [
        f"resize {v000} to min 2 / desired 4 / max 4 (restore)",
        f"enable {v000}",
        f"wait until 100% of {v000} is healthy",
        f"disable {v001}",
    ]
