"""Orca's failure outcomes, joins, skipping and expressions, run on the real dev server."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from models.loading import parse_pipeline
from models.status import Status
from tests.conftest import make_pipeline, running_workers


def failing(ref: str, **flags: Any) -> dict[str, Any]:
    """A stage that fails: a precondition that is false."""
    return {
        "refId": ref,
        "name": f"fail-{ref}",
        "type": "checkPreconditions",
        "preconditions": [
            {
                "type": "expression",
                "context": {"expression": "${false}"},
                **flags.pop("precondition", {}),
            }
        ],
        **flags,
    }


def wait(
    ref: str, seconds: float = 0, after: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "refId": ref,
        "name": f"wait-{ref}",
        "type": "wait",
        "waitTime": seconds,
        "requisiteStageRefIds": after or [],
        **extra,
    }


async def run(dev_client: Client, stages: list[dict[str, Any]], **fields: Any) -> Any:
    pipeline = parse_pipeline(make_pipeline(stages, **fields))
    async with running_workers(dev_client) as gennaker:
        execution_id = await gennaker.run(pipeline)
        return await gennaker.wait(execution_id)


def statuses(view: Any) -> dict[str, Status]:
    return {stage.ref_id: stage.status for stage in view.stages}


async def test_failed_stage_halts_pipeline_and_cancels_running_branches(dev_client: Client) -> None:
    view = await run(dev_client, [failing("1"), wait("2", 30), wait("3", 0, ["1"])])
    assert view.status == Status.TERMINAL
    assert statuses(view) == {"1": Status.TERMINAL, "2": Status.CANCELED, "3": Status.NOT_STARTED}
    assert "precondition 0 (expression) failed" in (view.stages[0].error or "")
    # The long branch was cancelled at once, not waited for.
    assert view.end_time - view.start_time < 20_000


async def test_halt_branch_stops_only_that_branch_and_pipeline_succeeds(dev_client: Client) -> None:
    view = await run(
        dev_client,
        [failing("1", failPipeline=False), wait("2", 1), wait("3", 0, ["1"]), wait("4", 0, ["2"])],
    )
    assert view.status == Status.SUCCEEDED
    assert statuses(view) == {
        "1": Status.STOPPED,
        "2": Status.SUCCEEDED,
        "3": Status.NOT_STARTED,
        "4": Status.SUCCEEDED,
    }


async def test_halt_branch_then_fail_pipeline_when_others_finish(dev_client: Client) -> None:
    view = await run(
        dev_client,
        [
            failing("1", failPipeline=False, completeOtherBranchesThenFail=True),
            wait("2", 1),
            wait("4", 0, ["2"]),
        ],
    )
    assert view.status == Status.TERMINAL
    assert statuses(view) == {"1": Status.STOPPED, "2": Status.SUCCEEDED, "4": Status.SUCCEEDED}


async def test_ignore_failure_continues_downstream(dev_client: Client) -> None:
    view = await run(
        dev_client, [failing("1", failPipeline=False, continuePipeline=True), wait("2", 0, ["1"])]
    )
    assert view.status == Status.SUCCEEDED
    assert statuses(view) == {"1": Status.FAILED_CONTINUE, "2": Status.SUCCEEDED}


async def test_precondition_fail_pipeline_false_is_the_if_else_idiom(dev_client: Client) -> None:
    # if parameters.env == 'prod' -> deploy prod, else -> deploy staging.
    stages = [
        {
            "refId": "is-prod",
            "type": "checkPreconditions",
            "preconditions": [
                {
                    "type": "expression",
                    "failPipeline": False,
                    "context": {"expression": "${parameters.env == 'prod'}"},
                }
            ],
        },
        {
            "refId": "is-not-prod",
            "type": "checkPreconditions",
            "preconditions": [
                {
                    "type": "expression",
                    "failPipeline": False,
                    "context": {"expression": "${parameters.env != 'prod'}"},
                }
            ],
        },
        wait("prod", 0, ["is-prod"]),
        wait("staging", 0, ["is-not-prod"]),
    ]
    view = await run(dev_client, stages, parameterConfig=[{"name": "env", "default": "staging"}])
    assert view.status == Status.SUCCEEDED
    assert statuses(view) == {
        "is-prod": Status.STOPPED,
        "is-not-prod": Status.SUCCEEDED,
        "prod": Status.NOT_STARTED,
        "staging": Status.SUCCEEDED,
    }


async def test_join_waits_for_every_upstream_branch(dev_client: Client) -> None:
    view = await run(dev_client, [wait("a", 0), wait("b", 2), wait("join", 0, ["a", "b"])])
    stages = {s.ref_id: s for s in view.stages}
    assert view.status == Status.SUCCEEDED
    assert stages["join"].start_time >= stages["b"].end_time >= stages["a"].end_time
    # Branches without requisites start together.
    assert abs(stages["a"].start_time - stages["b"].start_time) < 1000


async def test_disabled_stage_is_skipped_and_downstream_runs(dev_client: Client) -> None:
    stages = [
        wait(
            "1", 0, stageEnabled={"type": "expression", "expression": "parameters.deploy == 'yes'"}
        ),
        wait("2", 0, stageEnabled={"type": "expression", "expression": "nope.missing.key"}),
        wait("3", 0, ["1", "2"]),
    ]
    view = await run(dev_client, stages, parameterConfig=[{"name": "deploy", "default": "no"}])
    assert view.status == Status.SUCCEEDED
    assert statuses(view) == {"1": Status.SKIPPED, "2": Status.SKIPPED, "3": Status.SUCCEEDED}
    assert "stageEnabledError" in view.stages[1].context


async def test_failed_expression_stays_literal_unless_fail_on_failed_expressions(
    dev_client: Client,
) -> None:
    stages = [
        {
            "refId": "1",
            "type": "evaluateVariables",
            "variables": [{"key": "v", "value": "x-${nope.a}"}],
        },
        {
            "refId": "2",
            "type": "evaluateVariables",
            "failOnFailedExpressions": True,
            "variables": [{"key": "w", "value": "${nope.a}"}],
        },
    ]
    view = await run(dev_client, stages)
    first, second = view.stages
    assert first.status == Status.SUCCEEDED
    assert first.outputs == {"v": "x-${nope.a}"}
    assert "${nope.a}" in first.context["expressionEvaluationSummary"]
    assert second.status == Status.TERMINAL
    assert "${nope.a}" in (second.error or "") and "null" in (second.error or "")


async def test_later_stages_read_upstream_outputs_and_judgment_helpers(dev_client: Client) -> None:
    stages = [
        {
            "refId": "1",
            "name": "Compute",
            "type": "evaluateVariables",
            "variables": [{"key": "image", "value": "app:${parameters.tag}"}],
        },
        {
            "refId": "2",
            "type": "evaluateVariables",
            "requisiteStageRefIds": ["1"],
            "variables": [
                {"key": "same", "value": "${image}"},
                {"key": "viaStage", "value": "${#stage('Compute')['outputs']['image']}"},
                {"key": "status", "value": "${#stageByRefId('1').status}"},
                {"key": "trigger", "value": "${trigger.type}-${execution.application != null}"},
            ],
        },
    ]
    view = await run(dev_client, stages, parameterConfig=[{"name": "tag", "default": "v7"}])
    assert view.stages[1].outputs == {
        "same": "app:v7",
        "viaStage": "app:v7",
        "status": "SUCCEEDED",
        "trigger": "manual-true",
    }
