"""People's messages to a running pipeline, on the real dev server: judge, pause, cancel, restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from client.client import GennakerClient
from emulators.http_stub import HttpStub, Reply
from models.config import GennakerConfig
from models.errors import RefusedError
from models.execution import ExecutionView
from models.loading import parse_pipeline
from models.run import JudgeRequest
from models.status import Status
from tests.conftest import make_pipeline, running_workers, until_view

ROLES = GennakerConfig(roles={"alice": ["release-managers"], "bob": ["developers"]})


@pytest.fixture
async def gennaker(dev_client: Client) -> AsyncIterator[GennakerClient]:
    async with running_workers(dev_client, config=ROLES) as client:
        yield client


@pytest.fixture
def stub() -> Any:
    with HttpStub() as server:
        yield server


async def until(
    gennaker: GennakerClient,
    execution_id: str,
    check: Callable[[ExecutionView], bool],
    timeout: float = 20,
) -> ExecutionView:
    """Poll the execution view until ``check`` holds."""
    return await until_view(gennaker, execution_id, check, timeout)


def waiting_for_judgment(ref: str) -> Callable[[ExecutionView], bool]:
    return lambda view: bool((view.stage(ref) or view.stages[0]).context.get("awaitingJudgment"))


def judgment_pipeline(**judgment: Any) -> Any:
    return parse_pipeline(
        make_pipeline(
            [
                {
                    "refId": "mj",
                    "name": "Approve prod",
                    "type": "manualJudgment",
                    "instructions": "Check the canary dashboard first.",
                    **judgment,
                },
                {
                    "refId": "after",
                    "type": "evaluateVariables",
                    "requisiteStageRefIds": ["mj"],
                    "variables": [{"key": "choice", "value": "${#judgment('Approve prod')}"}],
                },
            ]
        )
    )


async def test_judgment_through_update_continues_with_input_and_records_the_judge(
    gennaker: GennakerClient,
) -> None:
    pipeline = judgment_pipeline(judgmentInputs=[{"value": "rollout"}, {"value": "hold"}])
    execution_id = await gennaker.run(pipeline)
    await until(gennaker, execution_id, waiting_for_judgment("mj"))
    listed = await gennaker.list_executions(pipeline.application)
    result = await gennaker.judge(
        execution_id, "Approve prod", "continue", judgment_input="rollout", user="carol"
    )
    view = await gennaker.wait(execution_id)
    assert result["refId"] == "mj"
    assert view.status == Status.SUCCEEDED
    judged = view.stage("mj")
    assert judged is not None
    assert judged.context["judgmentStatus"] == "continue"
    assert judged.context["lastModifiedBy"] == "carol"
    assert view.stages[1].outputs == {"choice": "rollout"}
    assert listed and listed[0]["id"] == execution_id


async def test_judgment_through_signal_for_the_web_ui(gennaker: GennakerClient) -> None:
    execution_id = await gennaker.run(judgment_pipeline())
    await until(gennaker, execution_id, waiting_for_judgment("mj"))
    handle = gennaker.temporal.get_workflow_handle(execution_id)
    # Exactly the JSON the UI's "Send a Signal" would carry.
    await handle.signal("judge", {"stage": "mj", "judgmentStatus": "continue", "user": "dave"})
    view = await gennaker.wait(execution_id)
    assert view.status == Status.SUCCEEDED
    assert view.stages[0].context["lastModifiedBy"] == "dave"


async def test_stop_judgment_fails_the_stage_by_its_flags(gennaker: GennakerClient) -> None:
    execution_id = await gennaker.run(judgment_pipeline())
    await until(gennaker, execution_id, waiting_for_judgment("mj"))
    await gennaker.judge(execution_id, "mj", "stop", user="erin")
    view = await gennaker.wait(execution_id)
    assert view.status == Status.TERMINAL
    assert view.stages[0].status == Status.TERMINAL
    assert view.stages[0].error == "stopped by erin"
    assert view.stages[1].status == Status.NOT_STARTED


async def test_unauthorised_judge_is_refused_with_a_clear_error_and_no_trace(
    gennaker: GennakerClient,
) -> None:
    execution_id = await gennaker.run(judgment_pipeline(requiredJudgmentRoles=["release-managers"]))
    await until(gennaker, execution_id, waiting_for_judgment("mj"))
    with pytest.raises(
        RefusedError, match=r"user 'bob' may not judge stage 'Approve prod'.*release-managers"
    ):
        await gennaker.judge(execution_id, "mj", "continue", user="bob")
    handle = gennaker.temporal.get_workflow_handle(execution_id)
    events = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED not in events
    # A refused signal is noted on the stage and the stage keeps waiting.
    await handle.signal("judge", JudgeRequest(stage="mj", judgmentStatus="continue", user="bob"))
    view = await until(
        gennaker, execution_id, lambda v: "lastRefusedJudgment" in v.stages[0].context
    )
    assert view.stages[0].status == Status.RUNNING
    await gennaker.judge(execution_id, "mj", "continue", user="alice")
    assert (await gennaker.wait(execution_id)).status == Status.SUCCEEDED


async def test_judgment_input_must_be_one_of_the_options(gennaker: GennakerClient) -> None:
    execution_id = await gennaker.run(judgment_pipeline(judgmentInputs=[{"value": "rollout"}]))
    await until(gennaker, execution_id, waiting_for_judgment("mj"))
    with pytest.raises(RefusedError, match="'yolo' is not one of"):
        await gennaker.judge(execution_id, "mj", "continue", judgment_input="yolo")
    with pytest.raises(RefusedError, match="has type evaluateVariables, not manualJudgment"):
        await gennaker.judge(execution_id, "after", "continue")
    await gennaker.cancel(execution_id, reason="test over")


async def test_pause_holds_new_stages_until_resume(gennaker: GennakerClient) -> None:
    pipeline = parse_pipeline(
        make_pipeline(
            [
                {"refId": "1", "type": "wait", "waitTime": 1},
                {"refId": "2", "type": "wait", "waitTime": 0, "requisiteStageRefIds": ["1"]},
            ]
        )
    )
    execution_id = await gennaker.run(pipeline)
    await until(gennaker, execution_id, lambda v: v.status == Status.RUNNING)
    await gennaker.pause(execution_id, user="ops", reason="freeze")
    with pytest.raises(RefusedError, match="only a RUNNING execution can be paused"):
        await gennaker.pause(execution_id)
    await asyncio.sleep(2.5)
    paused = await gennaker.status(execution_id)
    assert paused.status == Status.PAUSED
    assert paused.stages[1].status == Status.NOT_STARTED
    await gennaker.resume(execution_id, user="ops")
    view = await gennaker.wait(execution_id)
    assert view.status == Status.SUCCEEDED
    assert view.paused is not None and view.paused["pausedBy"] == "ops"
    # The wait did not count paused time: stage 1 took its second plus the pause.
    first = view.stages[0]
    assert first.end_time - first.start_time >= 2500


async def test_cancel_during_webhook_calls_its_cancel_endpoint(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/jobs", Reply(201, {"id": "j1"}, {"location": stub.url("/jobs/j1")}))
    stub.route("GET", "/jobs/j1", Reply(200, {"state": "RUNNING"}))
    stub.route("POST", "/jobs/j1/cancel", Reply(202, {"state": "CANCELING"}))
    pipeline = parse_pipeline(
        make_pipeline(
            [
                {
                    "refId": "1",
                    "name": "Long job",
                    "type": "webhook",
                    "url": stub.url("/jobs"),
                    "method": "POST",
                    "payload": {"job": "migrate"},
                    "waitForCompletion": True,
                    "statusUrlResolution": "locationHeader",
                    "statusJsonPath": "$.state",
                    "successStatuses": "SUCCESS",
                    "terminalStatuses": "FAILED",
                    "backoffPeriodMs": 100,
                    "cancelEndpoint": stub.url("/jobs/j1/cancel"),
                    "cancelMethod": "POST",
                    "cancelPayload": {"reason": "${execution.canceledBy}"},
                }
            ]
        )
    )
    execution_id = await gennaker.run(pipeline)
    await until(gennaker, execution_id, lambda v: len(stub.calls("GET", "/jobs/j1")) >= 2)
    await gennaker.cancel(execution_id, user="ops", reason="wrong build")
    view = await gennaker.wait(execution_id)
    assert view.status == Status.CANCELED
    assert view.canceled_by == "ops" and view.cancellation_reason == "wrong build"
    assert view.stages[0].status == Status.CANCELED
    cancels = stub.calls("POST", "/jobs/j1/cancel")
    assert len(cancels) == 1
    assert stub.calls("POST", "/jobs")[0].body == {"job": "migrate"}


async def test_restart_stage_of_a_finished_run_reruns_it_and_downstream(
    gennaker: GennakerClient, stub: HttpStub
) -> None:
    stub.route("POST", "/flaky", Reply(400, {"error": "not yet"}), Reply(200, {"ok": True}))
    stub.route("POST", "/after", Reply(200, {"ok": True}))
    pipeline = parse_pipeline(
        make_pipeline(
            [
                {"refId": "0", "type": "wait", "waitTime": 0},
                {
                    "refId": "1",
                    "type": "webhook",
                    "url": stub.url("/flaky"),
                    "requisiteStageRefIds": ["0"],
                },
                {
                    "refId": "2",
                    "type": "webhook",
                    "url": stub.url("/after"),
                    "requisiteStageRefIds": ["1"],
                },
            ]
        )
    )
    execution_id = await gennaker.run(pipeline)
    failed = await gennaker.wait(execution_id)
    assert failed.status == Status.TERMINAL
    assert "answered 400" in (failed.stages[1].error or "")
    first_start = failed.stages[0].start_time
    await gennaker.restart_stage(execution_id, "1", user="frank")
    view = await until(
        gennaker, execution_id, lambda v: v.status.complete and v.stages[2].status.complete
    )
    assert view.status == Status.SUCCEEDED
    assert [s.status for s in view.stages] == [Status.SUCCEEDED] * 3
    assert view.stages[0].start_time == first_start  # not run again
    details = view.stages[1].context["restartDetails"]
    assert details["restartedBy"] == "frank" and "answered 400" in details["previousException"]
    assert len(stub.calls("POST", "/flaky")) == 2
    assert len(stub.calls("POST", "/after")) == 1


async def test_restart_stage_of_a_running_run_in_place(gennaker: GennakerClient) -> None:
    gate_done = "${#stageExists('gate') and #stage('gate').status == 'SUCCEEDED'}"
    pipeline = parse_pipeline(
        make_pipeline(
            [
                {
                    "refId": "check",
                    "type": "checkPreconditions",
                    "preconditions": [
                        {
                            "type": "expression",
                            "failPipeline": False,
                            "context": {"expression": gate_done},
                        }
                    ],
                },
                {"refId": "gate", "name": "gate", "type": "manualJudgment"},
            ]
        )
    )
    execution_id = await gennaker.run(pipeline)
    await until(
        gennaker,
        execution_id,
        lambda v: (
            v.stages[0].status == Status.STOPPED
            and bool(v.stages[1].context.get("awaitingJudgment"))
        ),
    )
    first_end = (await gennaker.status(execution_id)).stages[0].end_time
    await gennaker.restart_stage(execution_id, "check", user="gina")
    view = await until(
        gennaker,
        execution_id,
        lambda v: (
            v.stages[0].status == Status.STOPPED and (v.stages[0].end_time or 0) > (first_end or 0)
        ),
    )
    assert view.stages[0].context["restartDetails"]["restartedBy"] == "gina"
    with pytest.raises(RefusedError, match="only a completed stage can be restarted"):
        await gennaker.restart_stage(execution_id, "gate")
    await gennaker.judge(execution_id, "gate", "continue")
    assert (await gennaker.wait(execution_id)).status == Status.SUCCEEDED
    # Restarting the check of the finished run: now the gate has succeeded.
    await gennaker.restart_stage(execution_id, "check", user="hal")
    view = await until(gennaker, execution_id, lambda v: v.stages[0].status == Status.SUCCEEDED)
    assert view.stages[1].status == Status.SUCCEEDED


async def test_skip_remaining_wait_ends_a_long_wait(gennaker: GennakerClient) -> None:
    pipeline = parse_pipeline(
        make_pipeline([{"refId": "1", "name": "soak", "type": "wait", "waitTime": 3600}])
    )
    execution_id = await gennaker.run(pipeline)
    await until(gennaker, execution_id, lambda v: v.stages[0].status == Status.RUNNING)
    await gennaker.skip_wait(execution_id, "soak", user="ops")
    view = await gennaker.wait(execution_id)
    assert view.status == Status.SUCCEEDED
    assert view.stages[0].context["skipRemainingWait"] is True
    assert view.stages[0].end_time - view.stages[0].start_time < 60_000
