"""Long canaries on the time-skipping server: hours of durable timers in seconds of wall time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, timedelta
from typing import Any

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from models.status import Status
from tests.conftest import running_workers
from tests.workflows.canary.support import (
    canary_pipeline,
    canary_stage,
    inline_metric,
    iso,
    kayenta_config,
    scheduled_activities,
)
from workflows.canary import FEWER_POINTS_WARNING, RUN_FAILED_MESSAGE

KINDS = ("pipelines", "canary")


def _points(start: float, minutes: int, value: Any) -> list[list[float]]:
    return [[start + 60 * m, value(m)] for m in range(minutes + 1)]


async def test_three_hour_canary_with_30_minute_intervals_makes_six_judge_runs(
    skip_env: WorkflowEnvironment,
) -> None:
    began = (await skip_env.get_current_time()).astimezone(UTC).replace(second=0, microsecond=0)
    t0 = began.timestamp()
    # Identical history on both sides, one point a minute for the whole lifetime.
    series = _points(t0, 180, lambda m: float(m % 7))
    metric = inline_metric(
        "latency", {"points": {"control": series, "experiment": series}}, direction="increase"
    )
    stage = canary_stage(
        {
            "config": kayenta_config(metric),
            "scopes": [
                {
                    "controlScope": "app-baseline",
                    "experimentScope": "app-canary",
                    "startTimeIso": iso(began),
                    "step": 60,
                }
            ],
            "scoreThresholds": {"pass": 95, "marginal": 75},
            "lifetimeDuration": "PT3H",
            "canaryAnalysisIntervalMins": 30,
        }
    )
    async with running_workers(skip_env.client, kinds=KINDS) as gennaker:
        started = time.monotonic()
        execution_id = await gennaker.run(canary_pipeline(stage))
        view = await gennaker.wait(execution_id)
        wall = time.monotonic() - started
        judged = await scheduled_activities(skip_env.client, execution_id, "canary.judge")
    result = view.stages[0]
    assert view.status == Status.SUCCEEDED, result.error
    assert wall < 30
    assert judged == 6
    outputs = result.outputs
    assert outputs["canaryScores"] == [100.0] * 6
    assert outputs["didPassThresholds"] is True
    assert outputs["canaryScoreMessage"] == (
        "Final canary score 100.0 met or exceeded the pass score threshold."
    )
    # Durable timers: six 30-minute interval waits of workflow time.
    assert result.end_time and result.start_time
    assert result.end_time - result.start_time >= 3 * 3600 * 1000
    # Growing windows from T0: run i covers [T0, T0 + 30·i min] on both sides.
    for index, run in enumerate(outputs["canaryRuns"], start=1):
        scope = run["scopes"]["default"]
        assert scope["experimentScope"]["start"] == iso(began)
        assert scope["experimentScope"]["end"] == iso(began + timedelta(minutes=30 * index))
        assert scope["controlScope"] == {**scope["experimentScope"], "scope": "app-baseline"}
    assert outputs["metrics"][0]["controlCount"] == 181
    # 31 points in the first window: Orca's warning; 61 and more afterwards: none.
    runs = outputs["canaryRuns"]
    assert runs[0]["warnings"] == [FEWER_POINTS_WARNING]
    assert all(run["warnings"] == [] for run in runs[1:])
    assert outputs["warnings"] == [FEWER_POINTS_WARNING] and outputs["hasWarnings"] is True
    assert result.context["canaryPlan"]["runs"] == 6


async def test_a_run_at_or_below_marginal_ends_the_canary_before_later_intervals(
    skip_env: WorkflowEnvironment,
) -> None:
    began = (await skip_env.get_current_time()).astimezone(UTC).replace(second=0, microsecond=0)
    t0 = began.timestamp()
    # Healthy for the first hour, then the canary's errors jump fivefold.
    baseline = _points(t0, 180, lambda m: 1.0 + (m % 5) * 0.1)
    canary = _points(t0, 180, lambda m: (1.0 if m < 60 else 5.0) + (m % 5) * 0.1)
    metric = inline_metric(
        "errors",
        {"points": {"control": baseline, "experiment": canary}},
        direction="increase",
        critical=True,
    )
    stage = canary_stage(
        {
            "config": kayenta_config(metric),
            "scopes": [{"startTimeIso": iso(began), "step": 60}],
            "scoreThresholds": {"pass": 95, "marginal": 75},
            "lifetimeDuration": "PT3H",
            "canaryAnalysisIntervalMins": 30,
            # A sliding 30-minute window sees the jump at once.
            "lookbackMins": 30,
        }
    )
    async with running_workers(skip_env.client, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(canary_pipeline(stage))
        view = await gennaker.wait(execution_id)
        judged = await scheduled_activities(skip_env.client, execution_id, "canary.judge")
    result = view.stages[0]
    assert view.status == Status.TERMINAL
    assert result.status == Status.TERMINAL
    assert result.error == RUN_FAILED_MESSAGE
    # Runs 1 and 2 cover minutes 0-60 (equal); run 3 covers 60-90 and fails.
    assert judged == 3
    assert result.outputs["canaryScores"] == [100.0, 100.0, 0.0]
    assert result.outputs["canaryScoreMessage"] == RUN_FAILED_MESSAGE
    assert result.outputs["canaryRuns"][-1]["notPassing"] == {"errors": "High"}
    assert result.outputs["canaryRuns"][-1]["classificationCounts"] == {"High": 1}
    assert result.outputs["canaryRuns"][0]["notPassing"] == {}


async def _current_details(env: WorkflowEnvironment, execution_id: str) -> str:
    metadata = await env.client.get_workflow_handle(execution_id).query(
        "__temporal_workflow_metadata", result_type=WorkflowMetadata
    )
    return str(metadata.current_details)


async def test_the_web_ui_shows_each_intervals_score_while_the_canary_runs(
    skip_env: WorkflowEnvironment,
) -> None:
    began = (await skip_env.get_current_time()).astimezone(UTC).replace(second=0, microsecond=0)
    same = _points(began.timestamp(), 60, lambda m: float(m % 3))
    metric = inline_metric("latency", {"points": {"control": same, "experiment": same}})
    stage = canary_stage(
        {
            "config": kayenta_config(metric),
            "scopes": [{"startTimeIso": iso(began)}],
            "lifetimeDuration": "PT1H",
            "canaryAnalysisIntervalMins": 30,
        }
    )
    async with running_workers(skip_env.client, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(canary_pipeline(stage))
        waiting = await _eventually(skip_env, execution_id, "Interval Wait #1")
        # Move the server's clock past the first interval: run #1 is judged, #2 waits.
        await skip_env.sleep(31 * 60)
        second = await _eventually(skip_env, execution_id, "Interval Wait #2")
        view = await gennaker.wait(execution_id)
    assert "Interval Wait #1 (1800s) · pass 75.0, marginal 50.0 · 0 of 2 runs" in waiting
    assert "Interval Wait #2 (1800s) · scores #1 100.0 Pass · pass 75.0, marginal 50.0" in second
    assert view.status == Status.SUCCEEDED


async def _eventually(env: WorkflowEnvironment, execution_id: str, text: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        details = await _current_details(env, execution_id)
        if text in details:
            return details
        assert time.monotonic() < deadline, details
        await asyncio.sleep(0.1)
