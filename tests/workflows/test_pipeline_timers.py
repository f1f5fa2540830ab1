"""Long timers of the pipeline workflow, on the time-skipping server: seconds of wall time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from models.config import GennakerConfig
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline, running_workers

UTC_CONFIG = GennakerConfig(timezone="UTC")
HOUR = 3600


async def test_two_hour_wait_completes_in_seconds(skip_env: WorkflowEnvironment) -> None:
    pipeline = parse_pipeline(make_pipeline([{"refId": "1", "type": "wait", "waitTime": 2 * HOUR}]))
    async with running_workers(skip_env.client, config=UTC_CONFIG) as gennaker:
        started = time.monotonic()
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
    assert view.status == Status.SUCCEEDED
    stage = view.stages[0]
    assert stage.end_time and stage.start_time
    assert stage.end_time - stage.start_time >= 2 * HOUR * 1000
    assert time.monotonic() - started < 20


async def test_window_that_opens_tomorrow_holds_the_stage_until_then(
    skip_env: WorkflowEnvironment,
) -> None:
    now = await _server_now(skip_env)
    tomorrow = now + timedelta(days=1)
    # Java's day numbers: 1 = Sunday ... 7 = Saturday.
    tomorrow_day = (tomorrow.isoweekday() % 7) + 1
    stage = {
        "refId": "1",
        "type": "wait",
        "waitTime": 1,
        "restrictExecutionDuringTimeWindow": True,
        "restrictedExecutionWindow": {
            "days": [tomorrow_day],
            "whitelist": [{"startHour": 9, "startMin": 30, "endHour": 10, "endMin": 0}],
        },
    }
    pipeline = parse_pipeline(make_pipeline([stage]))
    async with running_workers(skip_env.client, config=UTC_CONFIG) as gennaker:
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
    opens = tomorrow.replace(hour=9, minute=30, second=0, microsecond=0)
    result = view.stages[0]
    assert view.status == Status.SUCCEEDED
    assert result.context["scheduledTime"] == int(opens.timestamp() * 1000)
    assert result.end_time is not None
    assert result.end_time >= int(opens.timestamp() * 1000) + 1000


async def test_judgment_times_out_after_three_days(skip_env: WorkflowEnvironment) -> None:
    pipeline = parse_pipeline(
        make_pipeline(
            [
                {"refId": "1", "type": "manualJudgment", "name": "Approve"},
                {"refId": "2", "type": "wait", "waitTime": 1, "requisiteStageRefIds": ["1"]},
            ]
        )
    )
    async with running_workers(skip_env.client, config=UTC_CONFIG) as gennaker:
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
    judgment, after = view.stages
    assert view.status == Status.TERMINAL
    assert judgment.status == Status.TERMINAL
    assert "timed out" in (judgment.error or "")
    assert judgment.end_time and judgment.start_time
    elapsed_hours = (judgment.end_time - judgment.start_time) / 3_600_000
    assert 72 <= elapsed_hours < 72.1
    assert after.status == Status.NOT_STARTED


async def test_stage_timeout_does_not_count_paused_time(skip_env: WorkflowEnvironment) -> None:
    pipeline = parse_pipeline(
        make_pipeline(
            [
                {
                    "refId": "1",
                    "type": "manualJudgment",
                    "name": "Gate",
                    "stageTimeoutMs": HOUR * 1000,
                }
            ]
        )
    )
    async with running_workers(skip_env.client, config=UTC_CONFIG) as gennaker:
        execution_id = await gennaker.run(pipeline)
        await skip_env.sleep(HOUR / 2)
        await gennaker.pause(execution_id, user="ops", reason="investigating")
        await skip_env.sleep(2 * HOUR)
        paused = await gennaker.status(execution_id)
        await gennaker.resume(execution_id, user="ops")
        view = await gennaker.wait(execution_id)
    assert paused.status == Status.PAUSED
    assert paused.stages[0].status == Status.RUNNING
    stage = view.stages[0]
    assert stage.status == Status.TERMINAL
    assert "timed out after 1h" in (stage.error or "")
    assert stage.end_time and stage.start_time
    # One hour of running time plus two paused hours.
    assert (stage.end_time - stage.start_time) >= 3 * HOUR * 1000 - 1000
    assert view.paused and view.paused["pausedBy"] == "ops" and view.paused["resumedBy"] == "ops"


async def _server_now(env: WorkflowEnvironment) -> datetime:
    current = await env.get_current_time()
    return current.astimezone(UTC)
