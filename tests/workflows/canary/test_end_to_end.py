"""The ``kayentaCanary`` stage end to end on the dev server, against real metric stores.

Prometheus is Debian's binary over promtool-backfilled history; CloudWatch is
moto's ``get_metric_data``. The baseline fails 1 % of requests; a canary with 5 %
fails the stage at its first interval, an equal one passes all three.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from temporalio.client import Client

from models.config import GennakerConfig
from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline, running_workers
from tests.workflows.canary.history import (
    BAD_CANARY,
    BASELINE,
    GOOD_CANARY,
    History,
    cloudwatch_canary_config,
    prometheus_canary_config,
    retrospective_canary,
)
from tests.workflows.canary.support import scheduled_activities
from workflows.canary import FEWER_POINTS_WARNING, RUN_FAILED_MESSAGE

pytestmark = pytest.mark.integration

KINDS = ("pipelines", "canary")


def _after(ref: str) -> dict[str, Any]:
    return {
        "refId": "after",
        "type": "evaluateVariables",
        "requisiteStageRefIds": [ref],
        "variables": [
            {"key": "scores", "value": "${#stage('Canary analysis')['outputs']['canaryScores']}"}
        ],
    }


@pytest.mark.parametrize("source", ["prometheus", "cloudwatch"])
async def test_a_canary_with_five_times_the_errors_fails_at_the_first_interval(
    dev_client: Client, history: History, source: str, request: pytest.FixtureRequest
) -> None:
    config, stage = _stage(request, source, history, BAD_CANARY)
    pipeline = parse_pipeline(make_pipeline([stage, _after("canary")]))
    async with running_workers(dev_client, config=config, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
        judged = await scheduled_activities(dev_client, execution_id, "canary.judge")
    canary, after = view.stages
    assert view.status == Status.TERMINAL
    assert canary.status == Status.TERMINAL
    assert canary.error == RUN_FAILED_MESSAGE
    assert judged == 1
    outputs = canary.outputs
    assert outputs["canaryScores"] == [0.0]
    assert outputs["canaryScoreMessage"] == RUN_FAILED_MESSAGE
    errors = next(m for m in outputs["metrics"] if m["groups"] == ["errors"])
    assert errors["classification"] == "High" and errors["critical"] is True
    assert float(errors["ratio"]) > 3
    assert after.status == Status.NOT_STARTED


@pytest.mark.parametrize("source", ["prometheus", "cloudwatch"])
async def test_an_equal_canary_passes_every_interval(
    dev_client: Client, history: History, source: str, request: pytest.FixtureRequest
) -> None:
    config, stage = _stage(request, source, history, GOOD_CANARY)
    pipeline = parse_pipeline(make_pipeline([stage]))
    async with running_workers(dev_client, config=config, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
    canary = view.stages[0]
    assert view.status == Status.SUCCEEDED, canary.error
    outputs = canary.outputs
    assert outputs["canaryScores"] == [100.0, 100.0, 100.0]
    assert outputs["canaryScoreMessage"] == (
        "Final canary score 100.0 met or exceeded the pass score threshold."
    )
    assert outputs["didPassThresholds"] is True
    windows = [run["scopes"]["default"] for run in outputs["canaryRuns"]]
    assert [w["controlScope"]["scope"] for w in windows] == [BASELINE] * 3
    assert [w["experimentScope"]["end"] for w in windows] == [
        history.iso(60),
        history.iso(90),
        history.iso(120),
    ]
    counts = {m["name"]: m["controlCount"] for m in outputs["metrics"]}
    if source == "prometheus":
        # 90 minutes every 30 s, both ends included.
        assert set(counts.values()) == {181}
        assert outputs["hasWarnings"] is False
    else:
        # CloudWatch buckets: 30, 60, 90 per minute; the first run warns (fewer than 50).
        assert set(counts.values()) == {90}
        assert outputs["canaryRuns"][0]["warnings"] == [FEWER_POINTS_WARNING]
        assert outputs["canaryRuns"][2]["warnings"] == []


async def test_pipeline_variables_named_like_template_variables_do_not_change_the_query(
    dev_client: Client, history: History, request: pytest.FixtureRequest
) -> None:
    config, stage = _stage(request, "prometheus", history, GOOD_CANARY)
    upstream = {
        "refId": "vars",
        "type": "evaluateVariables",
        "variables": [{"key": "scope", "value": "wrong"}, {"key": "location", "value": "mars"}],
    }
    stage["requisiteStageRefIds"] = ["vars"]
    pipeline = parse_pipeline(make_pipeline([upstream, stage]))
    async with running_workers(dev_client, config=config, kinds=KINDS) as gennaker:
        view = await gennaker.wait(await gennaker.run(pipeline))
    canary = view.stage("canary")
    assert canary is not None and canary.status == Status.SUCCEEDED, canary
    assert {m["controlCount"] for m in canary.outputs["metrics"]} == {181}


@pytest.mark.parametrize("source", ["prometheus", "cloudwatch"])
async def test_continue_pipeline_gives_failed_continue_and_downstream_runs(
    dev_client: Client, history: History, source: str, request: pytest.FixtureRequest
) -> None:
    config, stage = _stage(request, source, history, BAD_CANARY, continuePipeline=True)
    pipeline = parse_pipeline(make_pipeline([stage, _after("canary")]))
    async with running_workers(dev_client, config=config, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
    canary, after = view.stages
    assert canary.status == Status.FAILED_CONTINUE
    assert canary.error == RUN_FAILED_MESSAGE
    assert after.status == Status.SUCCEEDED
    assert after.outputs["scores"] == [0.0]
    assert view.status == Status.SUCCEEDED


async def test_an_unknown_metrics_account_fails_before_any_run(
    dev_client: Client, history: History, request: pytest.FixtureRequest
) -> None:
    config, stage = _stage(request, "prometheus", history, GOOD_CANARY)
    stage["canaryConfig"]["metricsAccountName"] = "nope"
    pipeline = parse_pipeline(make_pipeline([stage]))
    async with running_workers(dev_client, config=config, kinds=KINDS) as gennaker:
        execution_id = await gennaker.run(pipeline)
        view = await gennaker.wait(execution_id)
        judged = await scheduled_activities(dev_client, execution_id, "canary.judge")
    canary = view.stages[0]
    assert canary.status == Status.TERMINAL
    assert "unknown metrics account 'nope' (known: prom)" in (canary.error or "")
    assert judged == 0


async def test_a_query_prometheus_refuses_fails_the_run_at_once_naming_the_metric(
    dev_client: Client, history: History, request: pytest.FixtureRequest
) -> None:
    config, stage = _stage(request, "prometheus", history, GOOD_CANARY)
    metrics = stage["canaryConfig"]["config"]["metrics"]
    metrics[0]["query"]["customInlineTemplate"] = "PromQL:sum(rate(http_requests_total[1m]"
    pipeline = parse_pipeline(make_pipeline([stage]))
    async with running_workers(dev_client, config=config, kinds=KINDS) as gennaker:
        started = time.monotonic()
        view = await gennaker.wait(await gennaker.run(pipeline))
        took = time.monotonic() - started
    canary = view.stages[0]
    assert canary.status == Status.TERMINAL
    error = canary.error or ""
    assert error.startswith(
        "Run Canary #1 failed: prometheus account 'prom', metric 'error rate': "
    )
    assert "Prometheus answered 400" in error
    assert took < 5  # not retried: a bad query stays bad
    assert canary.outputs["canaryScores"] == []


def _stage(
    request: pytest.FixtureRequest, source: str, history: History, canary: str, **extra: Any
) -> tuple[GennakerConfig, dict[str, Any]]:
    if source == "prometheus":
        config = request.getfixturevalue("metrics_config")
        return config, retrospective_canary(
            prometheus_canary_config(), history, canary, account="prom", **extra
        )
    config = request.getfixturevalue("cloudwatch_config")
    return config, retrospective_canary(
        cloudwatch_canary_config(), history, canary, account="cw", step=60, **extra
    )
